#include "wire.h"

#include <charconv>

namespace herald::bench {

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

}  // namespace herald::bench
