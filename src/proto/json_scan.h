#pragma once
// A one-pass scanner for the common shape of a client's JSON: one top-level object whose text
// it validates and cuts into field values, without building a DOM. It is the fast path of the
// parsers in json.cpp, not a replacement for simdjson: it accepts only what it can judge
// exactly like simdjson would (ASCII strings without \u escapes, integers that fit 64 bits,
// short decimals without exponent, bounded nesting) and answers "not sure" for everything
// else, including every malformed text. The caller then runs the full simdjson parse, which
// decides and names the error. So the fast path never changes what is accepted or refused;
// tests/fuzz/proto_json_fuzz.cpp checks that difference-free property on arbitrary bytes.
#include <cstddef>
#include <span>
#include <string_view>

namespace herald::proto::scan {

/// What the scanner found for one field name it was asked about.
struct Field {
  bool seen = false;
  std::string_view raw;  // the value's text as sent (a view into the input)
  bool compact = true;   // `raw` holds no whitespace outside strings: it is already minified
};

/// Scans `json` as one JSON object (whitespace around it allowed) and fills fields[i] for the
/// top-level field named names[i] (names are compared with the raw key text, so a key written
/// with escapes is "not sure"). Returns true only when the whole text is valid JSON of the
/// shape above and no known name occurs twice; false means "not sure", never "invalid".
bool scan_object(std::string_view json, std::span<const std::string_view> names,
                 std::span<Field> fields);

/// The contents of `raw` when it is a string literal with no escape ("abc" -> abc); false
/// otherwise (not a string, or it has a backslash).
bool plain_string(std::string_view raw, std::string_view* out);

}  // namespace herald::proto::scan
