#pragma once
// A walker over the raw text of a JSON object or array that a parser (simdjson) has already
// accepted: it hands out each member's value as the bytes the client sent, so a value can be
// stored verbatim (publication data, token claims) without a re-encoding. It still checks every
// bound and reports failure rather than trusting its input. Shared by the protocol parser
// (proto/json.h) and the token claims reader (jwt).
#include <cstddef>
#include <string_view>

namespace herald::proto {

class RawFields {
 public:
  explicit RawFields(std::string_view text) : t_(text) {}

  /// Steps into the top-level object; false when the text is not one.
  bool open();
  /// For the text of an array: steps into it.
  bool open_array();
  /// The text of the next element of an array opened with open_array().
  bool next_element(std::string_view* raw);
  /// The text of the next member's value (not minified); false at the end or on bad text.
  bool next(std::string_view* raw);

 private:
  void skip_ws();
  /// Whitespace, then the ',' between members or elements (if any) and whitespace after it.
  void skip_separator();
  bool skip_string();
  bool skip_value();

  std::string_view t_;
  size_t pos_ = 0;
};

}  // namespace herald::proto
