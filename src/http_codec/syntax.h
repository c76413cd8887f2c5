#pragma once
// HTTP/1.1 lexical rules shared by the request parser and the response parser (RFC 9110 §5,
// RFC 9112 §5): token and field-value characters, case-insensitive comparison, list elements,
// line finding, field-line splitting and Content-Length. Pure functions.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "http_codec/parser.h"

namespace herald::http::syntax {

namespace detail {
constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[size_t(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[size_t(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[size_t(c)] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
inline constexpr std::array<bool, 256> kTchar = make_tchar_table();
// 1 for a byte that may not appear in a field value (controls other than HTAB, and DEL).
constexpr std::array<uint8_t, 256> make_bad_value_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[size_t(c)] = c != '\t';
  t[0x7f] = 1;
  return t;
}
inline constexpr std::array<uint8_t, 256> kBadValue = make_bad_value_table();
}  // namespace detail

/// A token character (RFC 9110 §5.6.2). Inline: the parsers call it once per byte of every
/// method and header name.
inline bool is_tchar(char c) {
  return detail::kTchar[static_cast<unsigned char>(c)];
}
inline bool is_ows(char c) {
  return c == ' ' || c == '\t';
}
/// field-vchar or HTAB/SP inside a value: no other control characters, no DEL.
inline bool is_field_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}
inline char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
/// ASCII case-insensitive equality. Inline: header lookups call it for every header of every
/// request, and most calls end at the length check.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}
std::string_view trim_ows(std::string_view s);

/// Calls f(element) for each comma-separated element of `list`, trimmed of OWS (empty ones too).
template <typename F>
void for_each_element(std::string_view list, F&& f) {
  while (true) {
    size_t comma = list.find(',');
    f(trim_ows(list.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

/// Offset of the first '\n' in `in` at or after `from`, or npos.
size_t find_lf(std::string_view in, size_t from);

/// The line from `pos` to the '\n' at `lf`, without the CR before it if there is one.
inline std::string_view line_at(std::string_view in, size_t pos, size_t lf) {
  size_t end = lf;
  if (end > pos && in[end - 1] == '\r') --end;
  return in.substr(pos, end - pos);
}

/// Splits a non-empty header (or trailer) line into name and value; returns a reason when it
/// is malformed (obs-fold, whitespace before the colon, bad name, control characters).
const char* split_field_line(std::string_view line, size_t* name_len, size_t* value_off,
                             size_t* value_len);

/// Parses a Content-Length field value (possibly a list, possibly repeated: `*seen` carries
/// across lines); false if invalid, overflowing or inconsistent.
bool parse_content_length(std::string_view value, bool* seen, uint64_t* out);

/// Parses a chunk-size line without its line ending (RFC 9112 §7.1: hex size, optional
/// BWS + ";" extensions, which are checked for control characters and ignored); returns the
/// reason when it is invalid, nullptr otherwise.
const char* parse_chunk_size_line(std::string_view line, uint64_t* size);

/// The value of the first header named `name` (case-insensitive); empty and *found = false
/// when there is none. Used by Request::header and Response::header.
std::string_view find_header(std::span<const Header> headers, std::string_view name, bool* found);
/// True if a header named `name` lists `token` among its comma-separated elements.
bool headers_have_token(std::span<const Header> headers, std::string_view name,
                        std::string_view token);

}  // namespace herald::http::syntax
