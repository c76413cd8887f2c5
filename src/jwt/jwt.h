#pragma once
// JSON Web Tokens (RFC 7519) in the JWS compact form (RFC 7515), as herald's clients present
// them: verification of a token against the configured keys, and what herald reads from it.
//
// What verify_token accepts, in the order it checks (the first failure is the answer):
//   1. at most limits::kMaxTokenBytes, three parts, decoded header and payload within their
//      limits; strict base64url (no padding) - the payload and signature are decoded after 3;
//   2. the header: a JSON object without duplicate names, "alg" one of JwtAlg ("none" in any
//      case is alg_none, anything else alg_unsupported), "kid" a string if present, "typ" if
//      present "JWT" (case-insensitive, RFC 7515 4.1.9), no "crit" (no extension is known);
//   3. a key: the one the KeySet selects for (alg, kid) - see keys.h;
//   4. the signature, with OpenSSL (HMAC compared in constant time, RSA PKCS#1 v1.5, ECDSA in
//      the JWS form r||s);
//   5. the claims: a JSON object without duplicate names in which every claim herald knows
//      has its type (NumericDate claims are numbers between 0 and year 9999, so a time in
//      milliseconds is refused rather than read as a far future); then exp, nbf, aud, iss.
// Unknown header parameters and claims are ignored; "jku", "x5u" and "jwk" are never used
// (a key named by the token itself would let the token choose its own verifier).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace herald::jwt {

class KeySet;

enum class JwtAlg { hs256, hs384, hs512, rs256, rs384, rs512, es256, es384 };

/// The JWA name: "HS256", "RS384", "ES256", ...
std::string_view alg_name(JwtAlg alg);

/// The algorithm named exactly (case-sensitive, RFC 7515 4.1.1) by `name`, or nullopt.
std::optional<JwtAlg> parse_alg(std::string_view name);

/// Why a token was refused: each has a stable snake_case name for logs and metric labels.
enum class TokenError {
  malformed,         // not three base64url parts of JSON objects, bad header parameter
  too_large,         // the token, its header or its payload past the limits
  alg_none,          // "alg":"none" (unsecured JWS) in any letter case
  alg_unsupported,   // an alg herald does not implement
  alg_key_mismatch,  // no configured key may verify this alg (HS* without a secret, ...)
  unknown_kid,       // no key selected by the token's kid (or, without kid, no single one)
  no_key,            // no key is configured at all
  bad_signature,     // the signature does not verify (or has the wrong length)
  expired,           // now > exp + leeway
  not_yet_valid,     // now + leeway < nbf
  bad_audience,      // aud does not name the configured audience (or names one when none is)
  bad_issuer,        // iss differs from the configured issuer
  bad_claims,        // duplicate claim, wrong type, invalid grant pattern, info not an object
};

/// "malformed", "too_large", "alg_none", ..., "bad_claims".
std::string_view token_error_name(TokenError error);

/// What herald uses from a verified token.
struct Claims {
  std::string sub;  // user id; "" (or absent) is an authenticated client without a user
  std::optional<int64_t> exp, nbf, iat;
  std::vector<std::string> aud;  // "aud" as a string or an array of strings
  std::string iss;
  std::vector<std::string> channels;  // subscribe grants (each valid_grant)
  std::vector<std::string> publish;   // publish grants (each valid_grant)
  std::string info;                   // minified JSON text of "info" (an object), or ""
  std::string kid;                    // from the header ("" when absent)
  JwtAlg alg = JwtAlg::hs256;         // from the header

  bool operator==(const Claims&) const = default;
};

struct VerifyOptions {
  std::string audience;    // "" : tokens carrying "aud" are refused (RFC 7519 4.1.3)
  std::string issuer;      // "" : "iss" is not checked
  int64_t leeway_sec = 0;  // clamped to 0..limits::kMaxTokenLeewaySec
  // Seconds since the epoch; negative (the default) reads the system clock, so a caller that
  // forgets to set it still has exp and nbf enforced.
  int64_t now_sec = -1;
};

/// Verifies a compact JWS token (see the top of this file for every rule) against `keys`.
/// Returns the claims, or the first reason to refuse it. Never throws; safe to call from any
/// thread at once (the key set is read-only).
std::variant<Claims, TokenError> verify_token(std::string_view token, const KeySet& keys,
                                              const VerifyOptions& options);

/// The claims as herald would mint them, one JSON object: "sub" (when not empty), "aud" (a
/// string for one audience, an array for several), "iss", "iat", "nbf", "exp", "channels",
/// "publish" (when not empty) and "info" (its text as is). kid and alg belong to the header
/// and are not included. Used by sign_token and to print what a verified token carried.
std::string encode_claims(const Claims& claims);

}  // namespace herald::jwt
