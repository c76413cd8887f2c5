#pragma once
// Base64 (RFC 4648) in its two forms herald speaks, with one strict codec:
//  - standard (section 4: A-Z a-z 0-9 + /, '=' padding to a multiple of 4, no line breaks), for
//    binary payloads on the JSON transports ("b64");
//  - url (section 5: - and _ instead of + and /, no padding), for JWS tokens (RFC 7515 §2).
// Decoding is strict in both: one text per byte string (no whitespace, padding only where the
// form has it, the bits a short last group leaves unused must be zero). A decoder that
// tolerated more would let the same bytes travel under several spellings, which defeats
// token replay caches and log matching.
#include <cstddef>
#include <string>
#include <string_view>

namespace herald::base {

enum class Base64Form { standard, url };

/// Length of the encoded text of `n` bytes.
constexpr size_t base64_encoded_size(size_t n, Base64Form form) {
  if (form == Base64Form::standard) return (n + 2) / 3 * 4;
  return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/// Appends the encoded text of `bytes` to `out`.
void append_base64(std::string& out, std::string_view bytes, Base64Form form);

/// Decodes `text` and appends the bytes to `*out`. Returns false, leaving `*out` as it was, for
/// any character outside the form's alphabet, padding the form does not have or in the wrong
/// place, a length no encoder writes, or non-zero unused bits.
bool decode_base64(std::string_view text, std::string* out, Base64Form form);

}  // namespace herald::base
