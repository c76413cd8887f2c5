#pragma once
// Minting tokens: `herald token`, tests, and anyone who needs a token signed the way herald
// verifies it. Not on the server's data path.
#include <string>
#include <string_view>

#include "base/error.h"
#include "jwt/jwt.h"

namespace herald::jwt {

/// Signs a compact JWS from the JSON texts of its header and payload, as given (no check that
/// they are JSON, or that the header's "alg" says `alg`: tests build refused tokens with it).
/// `key` is the HMAC secret for HS* (at least limits::kMinHmacSecretBytes), or an
/// unencrypted PEM private key for RS* (RSA, 2048 bits or more) and ES256/ES384 (EC P-256 /
/// P-384). On failure returns bad_request with a sentence in `*error`.
base::Result<std::string> sign_compact(std::string_view header_json, std::string_view payload_json,
                                       JwtAlg alg, std::string_view key, std::string* error);

/// Mints a token for `claims`: header {"alg":ALG,"typ":"JWT"} plus "kid" when claims.kid is
/// not empty, payload encode_claims(claims). `alg` decides (claims.alg is not read); `key` as
/// for sign_compact. claims.info must be a JSON object's text (or empty) and every grant
/// valid_grant, else bad_request.
base::Result<std::string> sign_token(const Claims& claims, JwtAlg alg, std::string_view key,
                                     std::string* error);

/// The algorithm a PEM private key signs with by default: RS256 for RSA, ES256 for P-256,
/// ES384 for P-384. Errors (unreadable, encrypted, another key type) as sign_compact.
base::Result<JwtAlg> default_alg(std::string_view private_pem, std::string* error);

}  // namespace herald::jwt
