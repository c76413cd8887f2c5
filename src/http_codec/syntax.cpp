#include "http_codec/syntax.h"

#include <array>

#include <cstring>
#include <limits>
#include "base/byte_class.h"

namespace herald::http::syntax {

namespace {

// Up to 19 decimal digits cannot overflow uint64: such a Content-Length skips the list parse.
constexpr size_t kMaxPlainContentLengthDigits = 19;

}  // namespace

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

size_t find_lf(std::string_view in, size_t from) {
  // memchr must not see the null data pointer of an empty input, hence the size check.
  if (from >= in.size()) return std::string_view::npos;
  const void* p = std::memchr(in.data() + from, '\n', in.size() - from);
  return p == nullptr ? std::string_view::npos
                      : static_cast<size_t>(static_cast<const char*>(p) - in.data());
}

const char* split_field_line(std::string_view line, size_t* name_len, size_t* value_off,
                             size_t* value_len) {
  // obs-fold (RFC 9112 §5.2): a line starting with whitespace continued the previous field.
  // We reject it rather than unfold: proxies disagree on unfolding, which makes it a smuggling
  // vector.
  if (is_ows(line[0])) return "obsolete line folding";
  size_t i = 0;
  while (i < line.size() && is_tchar(line[i])) ++i;
  if (i == line.size()) return "header without colon";
  if (line[i] != ':') {
    // "Name : value" is forbidden (RFC 9112 §5.1) for the same smuggling reason.
    return is_ows(line[i]) ? "whitespace before colon" : "invalid header name";
  }
  if (i == 0) return "empty header name";
  *name_len = i;
  size_t begin = i + 1;
  size_t end = line.size();
  while (begin < end && is_ows(line[begin])) ++begin;
  while (end > begin && is_ows(line[end - 1])) --end;
  // Every byte of every value is checked: folded into one flag.
  if (base::fold_byte_classes(line.substr(begin, end - begin), detail::kBadValue))
    return "control character in header value";
  *value_off = begin;
  *value_len = end - begin;
  return nullptr;
}

bool parse_content_length(std::string_view value, bool* seen, uint64_t* out) {
  // The common value is a few digits and nothing else: read it without splitting a list.
  if (!value.empty() && value.size() <= kMaxPlainContentLengthDigits) {
    uint64_t v = 0;
    size_t k = 0;
    for (; k < value.size() && value[k] >= '0' && value[k] <= '9'; ++k)
      v = v * 10 + static_cast<unsigned>(value[k] - '0');
    if (k == value.size()) {
      bool ok = !*seen || v == *out;
      *seen = true;
      *out = v;
      return ok;
    }
  }
  bool ok = true;
  for_each_element(value, [&](std::string_view e) {
    if (e.empty()) ok = false;
    uint64_t v = 0;
    for (char c : e) {
      if (c < '0' || c > '9') {
        ok = false;
        return;
      }
      unsigned d = static_cast<unsigned>(c - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) {
        ok = false;  // overflow
        return;
      }
      v = v * 10 + d;
    }
    // Identical repeats ("5, 5" or two "Content-Length: 5" lines) are accepted, as RFC 9110
    // §8.6 allows; differing values are a smuggling (or response splitting) attempt.
    if (*seen && v != *out) ok = false;
    *seen = true;
    *out = v;
  });
  return ok;
}

const char* parse_chunk_size_line(std::string_view line, uint64_t* size_out) {
  uint64_t size = 0;
  size_t i = 0;
  for (; i < line.size(); ++i) {
    char c = line[i];
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      break;
    }
    if (size > (std::numeric_limits<uint64_t>::max() >> 4)) return "chunk size overflow";
    size = (size << 4) | d;
  }
  if (i == 0) return "invalid chunk size";
  // Extensions are accepted and ignored: BWS ";" ext-name [ "=" ext-value ] ...
  std::string_view rest = line.substr(i);
  while (!rest.empty() && is_ows(rest.front())) rest.remove_prefix(1);
  if (!rest.empty()) {
    if (rest.front() != ';') return "invalid chunk size";
    for (char c : rest) {
      if (!is_field_char(c)) return "control character in chunk extension";
    }
  }
  *size_out = size;
  return nullptr;
}

std::string_view find_header(std::span<const Header> headers, std::string_view name, bool* found) {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) {
      if (found) *found = true;
      return h.value;
    }
  }
  if (found) *found = false;
  return {};
}

bool headers_have_token(std::span<const Header> headers, std::string_view name,
                        std::string_view token) {
  bool has = false;
  for (const Header& h : headers) {
    if (!iequals(h.name, name)) continue;
    for_each_element(h.value, [&](std::string_view e) { has = has || iequals(e, token); });
  }
  return has;
}

}  // namespace herald::http::syntax
