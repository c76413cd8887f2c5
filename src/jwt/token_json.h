#pragma once
// The JSON documents of the access module: a JOSE header, a claims set and a JWK Set, read into
// plain structs. Internal to src/access (jwt.cpp and keys.cpp use it); token_json.cpp is the
// module's only includer of simdjson.h.
//
// Every reader refuses an object with a repeated member name (RFC 7515 section 4 allows a
// parser to keep the last one instead, but two verifiers that disagree on which one counts is
// how claims get smuggled past one of them).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwt/jwt.h"

namespace herald::jwt::token_json {

/// The header parameters herald acts on.
struct Header {
  std::string alg;  // as written; the caller maps it to a JwtAlg
  std::string kid;  // "" when absent
};

/// Reads a JOSE header: a JSON object, no repeated name, "alg" a string, "kid" a string when
/// present, "typ" when present "JWT" in any case, no "crit". Any failure is `malformed`.
std::optional<TokenError> parse_header(std::string_view json, Header* out);

/// Reads a claims set into `*out` (sub, exp, nbf, iat, aud, iss, channels, publish, info; kid
/// and alg are left as they are). Not JSON or not an object: `malformed`; a repeated name or a
/// known claim of the wrong type or value: `bad_claims`.
std::optional<TokenError> parse_claims(std::string_view json, Claims* out);

/// One key of a JWK Set, its members as written (base64url members still encoded).
struct Jwk {
  std::string kty, kid, use, alg, crv;
  std::string n, e;          // RSA
  std::string x, y;          // EC
  std::string k;             // oct
  bool has_private = false;  // "d" (RSA or EC private exponent) is present
};

/// Reads a JWK Set ({"keys":[...]}). Members a key does not use are ignored; a known member of
/// the wrong type is an error. On failure returns false with a sentence in `*error`.
bool parse_jwks(std::string_view json, std::vector<Jwk>* out, std::string* error);

}  // namespace herald::jwt::token_json
