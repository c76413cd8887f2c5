#include "wire.h"

#include <charconv>
#include <cstring>

namespace herald::bench {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

void append_payload(std::string& out, uint64_t t_ns, uint64_t seq, size_t size) {
  size_t start = out.size();
  char num[24];
  out.append("{\"t\":");
  out.append(num, std::to_chars(num, num + sizeof num, t_ns).ptr);
  out.append(",\"s\":");
  out.append(num, std::to_chars(num, num + sizeof num, seq).ptr);
  out.append(",\"p\":\"");
  size_t used = out.size() - start + 2;  // the closing "}
  if (size > used) out.append(size - used, 'x');
  out.append("\"}");
}

size_t scan_uint(std::string_view s, std::string_view key, size_t from, uint64_t* value) {
  size_t at = s.find(key, from);
  if (at == std::string_view::npos) return std::string_view::npos;
  const char* p = s.data() + at + key.size();
  const char* end = s.data() + s.size();
  while (p < end && (*p == ' ' || *p == '\t')) ++p;  // a JSON encoder may put a space
  auto r = std::from_chars(p, end, *value);
  if (r.ec != std::errc() || r.ptr == p) return std::string_view::npos;
  return size_t(r.ptr - s.data());
}

size_t extract_delivered(std::string_view s, size_t from, Delivered* out) {
  // A herald push carries "offset" before "data"; a bare payload has none. Only look for an
  // offset before the timestamp, so a poll answer's next message is not consulted.
  size_t t_at = s.find("\"t\":", from);
  if (t_at == std::string_view::npos) return std::string_view::npos;
  size_t off_at = s.find("\"offset\":", from);
  out->has_offset = off_at != std::string_view::npos && off_at < t_at;
  if (out->has_offset &&
      scan_uint(s, "\"offset\":", off_at, &out->offset) == std::string_view::npos)
    return std::string_view::npos;
  size_t pos = scan_uint(s, "\"t\":", t_at, &out->t_ns);
  if (pos == std::string_view::npos) return pos;
  size_t after = scan_uint(s, "\"s\":", pos, &out->seq);
  if (after == std::string_view::npos) return after;
  if (!out->has_offset) out->offset = out->seq;
  return after;
}

std::string_view find_string_field_last(std::string_view s, std::string_view key) {
  size_t at = s.rfind(key);
  if (at == std::string_view::npos) return {};
  size_t b = at + key.size();
  auto skip = [&] {
    while (b < s.size() && (s[b] == ' ' || s[b] == '\t')) ++b;
  };
  skip();
  if (b >= s.size() || s[b] != ':') return {};
  ++b;
  skip();
  if (b >= s.size() || s[b] != '"') return {};
  ++b;
  size_t e = s.find('"', b);
  if (e == std::string_view::npos) return {};
  return s.substr(b, e - b);
}

HeadStatus parse_response_head(std::string_view in, ResponseHead* out, size_t* consumed) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    return in.size() > kMaxResponseHead ? HeadStatus::error : HeadStatus::need_more;
  }
  if (end + 4 > kMaxResponseHead) return HeadStatus::error;
  *out = ResponseHead{};
  std::string_view head = in.substr(0, end);
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  // "HTTP/1.1 200 OK"
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1.") return HeadStatus::error;
  bool http10 = line[7] == '0';
  auto r = std::from_chars(line.data() + 9, line.data() + 12, out->status);
  if (r.ec != std::errc() || out->status < 100 || out->status > 999) return HeadStatus::error;
  bool keep_alive_token = false;
  std::string_view rest = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
  while (!rest.empty()) {
    size_t n = rest.find("\r\n");
    std::string_view h = rest.substr(0, n);
    rest = n == std::string_view::npos ? std::string_view{} : rest.substr(n + 2);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return HeadStatus::error;
    std::string_view name = h.substr(0, colon);
    std::string_view value = trim(h.substr(colon + 1));
    if (iequals(name, "content-length")) {
      auto cr = std::from_chars(value.data(), value.data() + value.size(), out->content_length);
      if (cr.ec != std::errc() || cr.ptr != value.data() + value.size()) return HeadStatus::error;
      out->has_length = true;
    } else if (iequals(name, "transfer-encoding")) {
      out->chunked = has_token(value, "chunked");
    } else if (iequals(name, "connection")) {
      out->connection = value;
      out->close = has_token(value, "close");
      keep_alive_token = has_token(value, "keep-alive");
    } else if (iequals(name, "upgrade")) {
      out->upgrade = value;
    } else if (iequals(name, "sec-websocket-accept")) {
      out->accept = value;
    } else if (iequals(name, "sec-websocket-protocol")) {
      out->protocol = value;
    } else if (iequals(name, "etag")) {
      out->etag = value;
    } else if (iequals(name, "last-modified")) {
      out->last_modified = value;
    }
  }
  if (http10 && !keep_alive_token) out->close = true;
  if (out->chunked) out->has_length = false;
  *consumed = end + 4;
  return HeadStatus::complete;
}

size_t Dechunker::feed(std::string_view in, std::string& sink) {
  size_t i = 0;
  while (i < in.size() && state_ != State::done && state_ != State::error) {
    char c = in[i];
    switch (state_) {
      case State::size: {
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d >= 0) {
          if (size_ >> 56) {
            state_ = State::error;
            break;
          }
          size_ = size_ * 16 + uint64_t(d);
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::size_ext;
        } else if (c == '\r') {
          state_ = State::size_lf;
        } else {
          state_ = State::error;
        }
        ++i;
        break;
      }
      case State::size_ext:
        if (c == '\r') state_ = State::size_lf;
        ++i;
        break;
      case State::size_lf:
        if (c != '\n') {
          state_ = State::error;
          break;
        }
        ++i;
        left_ = size_;
        size_ = 0;
        if (left_ == 0) {
          state_ = State::trailer;
          trailer_empty_ = true;
        } else {
          state_ = State::data;
        }
        break;
      case State::data: {
        size_t n = in.size() - i;
        if (n > left_) n = size_t(left_);
        sink.append(in.data() + i, n);
        i += n;
        left_ -= n;
        if (left_ == 0) state_ = State::data_cr;
        break;
      }
      case State::data_cr:
        state_ = c == '\r' ? State::data_lf : State::error;
        ++i;
        break;
      case State::data_lf:
        state_ = c == '\n' ? State::size : State::error;
        ++i;
        break;
      case State::trailer:
        if (c == '\r') {
          state_ = State::trailer_lf;
        } else {
          trailer_empty_ = false;
        }
        ++i;
        break;
      case State::trailer_lf:
        if (c != '\n') {
          state_ = State::error;
          break;
        }
        ++i;
        if (trailer_empty_) {
          state_ = State::done;
        } else {
          state_ = State::trailer;
          trailer_empty_ = true;
        }
        break;
      default:
        break;
    }
  }
  return i;
}

bool SseParser::push(char c) {
  if (after_cr_) {
    after_cr_ = false;
    if (c == '\n') return true;  // the LF of a CRLF
  }
  if (c == '\r' || c == '\n') {
    after_cr_ = c == '\r';
    end_line();
    return true;
  }
  if (line_.size() >= max_event_) return false;
  line_.push_back(c);
  return true;
}

void SseParser::end_line() {
  std::string_view line = line_;
  if (line.empty()) {
    // A blank line dispatches; an event with no data is dropped (HTML §9.2.6).
    if (has_data_) {
      ready_ = true;
    } else {
      clear_event();
    }
    line_.clear();
    return;
  }
  if (line[0] != ':') {
    size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    if (field == "data") {
      if (has_data_) data_.push_back('\n');
      data_.append(value);
      has_data_ = true;
    } else if (field == "id") {
      id_.assign(value);
      has_id_ = true;
    } else if (field == "event") {
      event_.assign(value);
    }
  }
  line_.clear();
}

void SseParser::clear_event() {
  ready_ = false;
  has_data_ = false;
  has_id_ = false;
  event_.clear();
  data_.clear();
  id_.clear();
}

}  // namespace herald::bench
