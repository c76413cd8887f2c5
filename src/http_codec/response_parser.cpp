#include "http_codec/response_parser.h"
#include "http_codec/syntax.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <limits>

namespace herald::http {

using namespace syntax;  // shared lexical rules (http/syntax.h)

std::string_view Response::header(std::string_view name, bool* found) const {
  return syntax::find_header(headers, name, found);
}

bool Response::header_has_token(std::string_view name, std::string_view token) const {
  return syntax::headers_have_token(headers, name, token);
}

ResponseParser::ResponseParser(ResponseLimits limits) : limits_(limits) {}

void ResponseParser::reset() {
  state_ = State::status_line;
  streaming_ = false;
  error_ = ResponseParseResult{};
  pos_ = scan_ = 0;
  body_left_ = 0;
  reason_ = Span{};
  header_spans_.clear();
  res_.version_minor = 1;
  res_.status = 0;
  res_.reason = {};
  res_.headers.clear();
  res_.body.clear();
  res_.framing = BodyFraming::none;
  res_.content_length = 0;
  res_.keep_alive = true;
}

ResponseParseResult ResponseParser::parse(std::string_view in, ResponseMode mode) {
  if (state_ == State::done) reset();
  size_t seen = std::max(pos_, scan_);
  if (state_ == State::body_chunked) seen = std::max(seen, chunked_.scanned());
  assert(state_ == State::failed || in.size() >= seen);
  if (state_ != State::failed && in.size() < seen) fail("input shrank between calls");
  if (streaming_) {
    // The head's views pointed into bytes the caller consumed after the `head` result.
    res_.reason = {};
    res_.headers.clear();
  }
  while (true) {
    bool progressed = false;
    switch (state_) {
      case State::status_line:
        progressed = parse_status_line(in);
        break;
      case State::headers:
        progressed = parse_headers(in, mode);
        if (state_ != State::headers && state_ != State::failed && state_ != State::done &&
            streaming_) {
          fill_views(in);
          size_t head = pos_;
          rebase();
          return {ResponseStatus::head, head, ""};
        }
        break;
      case State::body_length:
        progressed = parse_body_length(in);
        break;
      case State::body_until_close:
        progressed = parse_body_until_close(in);
        break;
      case State::body_chunked:
        progressed = parse_body_chunked(in);
        break;
      case State::done: {
        if (!streaming_) fill_views(in);
        size_t used = pos_;
        return {ResponseStatus::complete, used, ""};
      }
      case State::failed:
        return error_;
    }
    if (!progressed) {
      // A streamed body hands out what it decoded; a buffered response consumes nothing yet.
      if (streaming_) return {ResponseStatus::need_more, rebase(), ""};
      return {ResponseStatus::need_more, 0, ""};
    }
  }
}

ResponseParseResult ResponseParser::finish(std::string_view in, ResponseMode mode) {
  ResponseParseResult r = parse(in, mode);
  if (r.status != ResponseStatus::need_more) return r;
  if (state_ == State::body_until_close) {
    // Streamed: parse() already appended and consumed everything. Buffered: take it all now.
    size_t used = r.consumed;
    if (!streaming_) {
      if (!append_body(in.substr(pos_))) return error_;
      fill_views(in);
      used = in.size();
    }
    state_ = State::done;
    return {ResponseStatus::complete, used, ""};
  }
  fail(state_ == State::status_line && scan_ == 0 ? "closed before a response"
                                                  : "closed before end of response");
  return error_;
}

bool ResponseParser::fail(const char* reason) {
  state_ = State::failed;
  error_ = {ResponseStatus::error, 0, reason};
  return true;
}

bool ResponseParser::append_body(std::string_view bytes) {
  if (!streaming_ && res_.body.size() + bytes.size() > limits_.max_body) {
    return fail("body too large");
  }
  res_.body.append(bytes.data(), bytes.size());
  return true;
}

size_t ResponseParser::rebase() {
  size_t used = pos_;
  pos_ = 0;
  scan_ = scan_ > used ? scan_ - used : 0;
  if (state_ == State::body_chunked) chunked_.rebase(used);
  header_spans_.clear();  // offsets into bytes the caller is about to drop
  return used;
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ]
bool ResponseParser::parse_status_line(std::string_view in) {
  // Refuse garbage early, so a client talking to a non-HTTP port fails fast.
  constexpr std::string_view kPrefix = "HTTP/";
  size_t n = std::min(in.size(), kPrefix.size());
  if (in.substr(0, n) != kPrefix.substr(0, n)) return fail("not an HTTP response");
  size_t lf = find_lf(in, scan_);
  if (lf == std::string_view::npos) {
    scan_ = in.size();
    if (in.size() > limits_.max_header_bytes) return fail("header block too large");
    return false;
  }
  if (lf + 1 > limits_.max_header_bytes) return fail("header block too large");
  std::string_view line = line_at(in, 0, lf);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || !digit(line[5]) || line[6] != '.' ||
      !digit(line[7]) || line[8] != ' ' || !digit(line[9]) || !digit(line[10]) ||
      !digit(line[11])) {
    return fail("invalid status line");
  }
  if (line[5] != '1') return fail("HTTP version not supported");
  res_.version_minor = line[7] == '0' ? 0 : 1;
  res_.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (res_.status < 100) return fail("invalid status code");
  if (line.size() > 12) {
    if (line[12] != ' ') return fail("invalid status line");
    for (size_t i = 13; i < line.size(); ++i) {
      if (!is_field_char(line[i])) return fail("control character in reason phrase");
    }
    reason_ = {13, line.size() - 13};
  }
  pos_ = scan_ = lf + 1;
  state_ = State::headers;
  return true;
}

bool ResponseParser::parse_headers(std::string_view in, ResponseMode mode) {
  while (true) {
    size_t lf = find_lf(in, scan_);
    if (lf == std::string_view::npos) {
      scan_ = in.size();
      if (in.size() > limits_.max_header_bytes) return fail("header block too large");
      return false;
    }
    if (lf + 1 > limits_.max_header_bytes) return fail("header block too large");
    std::string_view line = line_at(in, pos_, lf);
    size_t line_start = pos_;
    pos_ = scan_ = lf + 1;
    if (line.empty()) return finish_headers(in, mode);
    size_t name_len = 0, value_off = 0, value_len = 0;
    if (const char* reason = split_field_line(line, &name_len, &value_off, &value_len)) {
      return fail(reason);
    }
    if (header_spans_.size() >= limits_.max_header_count) return fail("too many headers");
    header_spans_.push_back({{line_start, name_len}, {line_start + value_off, value_len}});
  }
}

bool ResponseParser::finish_headers(std::string_view in, ResponseMode mode) {
  fill_views(in);
  bool has_cl = false, has_te = false, cl_ok = true, chunked_last = false;
  uint64_t content_length = 0;
  for (const Header& h : res_.headers) {
    if (iequals(h.name, "content-length")) {
      cl_ok = parse_content_length(h.value, &has_cl, &content_length) && cl_ok;
      has_cl = true;
    } else if (iequals(h.name, "transfer-encoding")) {
      has_te = true;
      for_each_element(h.value, [&](std::string_view e) { chunked_last = iequals(e, "chunked"); });
    }
  }
  bool close = res_.header_has_token("connection", "close");
  res_.keep_alive = res_.version_minor == 1
                        ? !close
                        : !close && res_.header_has_token("connection", "keep-alive");

  int st = res_.status;
  // 101 ends at its head: what follows is the new protocol's. Other 1xx are interim answers.
  if (mode.no_body || (st >= 100 && st < 200) || st == 204 || st == 304) {
    res_.framing = BodyFraming::none;
    state_ = State::done;
    return true;
  }
  if (has_te && has_cl) return fail("Transfer-Encoding with Content-Length");
  if (!cl_ok) return fail("invalid Content-Length");
  streaming_ = mode.stream_body;
  if (has_te && chunked_last) {
    res_.framing = BodyFraming::chunked;
    // Bare LF accepted like everywhere in a response (see response_parser.h); the body limit
    // is for buffered bodies only, a streamed one is drained by the caller as it arrives.
    ChunkedOptions options;
    options.allow_bare_lf = true;
    if (!streaming_) options.max_body = limits_.max_body;
    options.max_trailer_bytes = limits_.max_header_bytes;
    chunked_ = ChunkedDecoder(options);
    state_ = State::body_chunked;
  } else if (has_te) {
    // A coding other than chunked last: only the close can end the body (RFC 9112 §6.3).
    res_.framing = BodyFraming::until_close;
    res_.keep_alive = false;
    state_ = State::body_until_close;
  } else if (has_cl) {
    if (!streaming_ && content_length > limits_.max_body) return fail("body too large");
    res_.framing = BodyFraming::length;
    res_.content_length = content_length;
    body_left_ = content_length;
    state_ = content_length > 0 ? State::body_length : State::done;
  } else {
    res_.framing = BodyFraming::until_close;
    res_.keep_alive = false;
    state_ = State::body_until_close;
  }
  if (state_ == State::done) streaming_ = false;
  return true;
}

bool ResponseParser::parse_body_length(std::string_view in) {
  size_t avail = in.size() - pos_;
  if (!streaming_) {
    // Wait for the whole body, then copy it once.
    if (avail < body_left_) return false;
    res_.body.assign(in.data() + pos_, static_cast<size_t>(body_left_));
    pos_ += static_cast<size_t>(body_left_);
    body_left_ = 0;
    state_ = State::done;
    return true;
  }
  size_t n = static_cast<size_t>(std::min<uint64_t>(avail, body_left_));
  if (n == 0) return false;
  append_body(in.substr(pos_, n));
  pos_ += n;
  body_left_ -= n;
  if (body_left_ == 0) state_ = State::done;
  return true;
}

bool ResponseParser::parse_body_until_close(std::string_view in) {
  size_t avail = in.size() - pos_;
  if (!streaming_) {
    // Taken by finish(); only the limit is checked while it grows.
    if (avail > limits_.max_body) return fail("body too large");
    return false;
  }
  if (avail == 0) return false;
  append_body(in.substr(pos_));
  pos_ = in.size();
  return false;  // only the close ends it
}

bool ResponseParser::parse_body_chunked(std::string_view in) {
  switch (chunked_.decode(in, &pos_, &res_.body)) {
    case ChunkedDecoder::Status::need_more:
      return false;
    case ChunkedDecoder::Status::done:
      state_ = State::done;
      return true;
    case ChunkedDecoder::Status::error:
      break;
  }
  return fail(chunked_.error_reason());
}

void ResponseParser::fill_views(std::string_view in) {
  res_.reason = in.substr(reason_.off, reason_.len);
  res_.headers.clear();
  for (const HeaderSpan& h : header_spans_) {
    res_.headers.push_back(
        {in.substr(h.name.off, h.name.len), in.substr(h.value.off, h.value.len)});
  }
}

}  // namespace herald::http
