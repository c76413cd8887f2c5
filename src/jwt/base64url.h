#pragma once
// base64url (RFC 4648 section 5) as JWS uses it (RFC 7515 section 2): no padding, strict, so
// that one token has exactly one spelling. The codec is base/base64.h's url form.
#include <string>
#include <string_view>

#include "base/base64.h"

namespace herald::jwt {

/// Appends the unpadded base64url form of `bytes` to `*out`.
inline void append_base64url(std::string* out, std::string_view bytes) {
  base::append_base64(*out, bytes, base::Base64Form::url);
}

/// The unpadded base64url form of `bytes`.
inline std::string base64url_encode(std::string_view bytes) {
  std::string out;
  append_base64url(&out, bytes);
  return out;
}

/// Decodes unpadded base64url into `*out` (replacing its content). Returns false, with `*out`
/// unspecified, for any byte outside [A-Za-z0-9_-] ('=' included), a length of 4k+1 (no
/// input encodes to it), or non-zero bits left over in the last character.
inline bool base64url_decode(std::string_view text, std::string* out) {
  out->clear();
  return base::decode_base64(text, out, base::Base64Form::url);
}

/// The decoded size of `encoded_len` base64url characters (rounded down).
constexpr size_t base64url_decoded_size(size_t encoded_len) {
  return encoded_len / 4 * 3 + (encoded_len % 4 == 0 ? 0 : encoded_len % 4 - 1);
}

/// The encoded size of `len` bytes.
constexpr size_t base64url_encoded_size(size_t len) {
  return base::base64_encoded_size(len, base::Base64Form::url);
}

}  // namespace herald::jwt
