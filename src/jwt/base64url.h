#pragma once
// base64url (RFC 4648 section 5) as JWS uses it (RFC 7515 section 2): no padding, and the
// decoder is strict so that one token has exactly one spelling. A decoder that tolerated
// padding, whitespace or non-zero trailing bits would let a signed token be re-encoded into
// other byte strings that still verify, which defeats replay caches and log matching.
#include <string>
#include <string_view>

namespace herald::jwt {

/// Appends the unpadded base64url form of `bytes` to `*out`.
void append_base64url(std::string* out, std::string_view bytes);

/// The unpadded base64url form of `bytes`.
std::string base64url_encode(std::string_view bytes);

/// Decodes unpadded base64url into `*out` (replacing its content). Returns false, with `*out`
/// unspecified, for any byte outside [A-Za-z0-9_-] ('=' included), a length of 4k+1 (no
/// input encodes to it), or non-zero bits left over in the last character.
bool base64url_decode(std::string_view text, std::string* out);

/// The decoded size of `encoded_len` base64url characters (rounded down).
constexpr size_t base64url_decoded_size(size_t encoded_len) {
  return encoded_len / 4 * 3 + (encoded_len % 4 == 0 ? 0 : encoded_len % 4 - 1);
}

/// The encoded size of `len` bytes.
constexpr size_t base64url_encoded_size(size_t len) {
  return len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
}

}  // namespace herald::jwt
