#pragma once
// The keys that verify tokens: an HMAC secret, a PEM public key and the keys of a JWK Set
// (RFC 7517), any of them together. Loaded once and immutable afterwards, so every loop
// shares one KeySet read-only; a reload builds a new one and swaps the pointer.
//
// Which key verifies a token (KeySet::select) - the algorithm never picks a key by itself:
//   - a key only verifies the algorithms of its type: an HMAC secret HS256/384/512, an RSA key
//     RS256/384/512, a P-256 key ES256, a P-384 key ES384; a JWK with "alg" only that one.
//     So an RS256 public key can never be used as an HMAC secret (algorithm confusion): an
//     HS256 token is accepted only when an HMAC secret is configured. No key of the type the
//     alg needs -> alg_key_mismatch.
//   - a token with "kid": the JWK with that kid (of the right type, else alg_key_mismatch);
//     when no JWK has it, the configured secret or PEM key of the right type; else unknown_kid.
//   - a token without "kid": the configured secret or PEM key of the right type; else the one
//     JWK of the right type when there is exactly one; else unknown_kid.
//   - no key at all: no_key.
// An empty "kid" counts as no kid.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.h"
#include "jwt/crypto.h"
#include "jwt/jwt.h"

namespace herald::jwt {

/// Where the keys come from ([auth] config section). Empty fields are unused. The *_pem and
/// *_json fields hold what the *_file fields would point to, for callers that have the text.
struct KeyConfig {
  std::string hmac_secret;       // raw bytes, at least limits::kMinHmacSecretBytes
  std::string hmac_secret_file;  // the secret is the file's content minus trailing newlines
  std::string public_key_file;   // PEM: RSA, EC P-256 or EC P-384 public key
  std::string public_key_pem;    // the same as text
  std::string jwks_file;         // JWK Set: RSA (n, e), EC (crv, x, y), oct (k) keys, "kid"
  std::string jwks_json;         // the same as text
};

/// Reads a key file (PEM, JWK Set), at most limits::kMaxKeyFileBytes, into `*out`. On failure
/// returns false with "PATH: why" in `*error`.
bool read_key_file(const std::string& path, std::string* out, std::string* error);

/// Reads an HMAC secret file: its content without trailing newlines (CR or LF), which
/// `echo SECRET > file` and editors add. Errors as read_key_file.
bool read_secret_file(const std::string& path, std::string* out, std::string* error);

/// One verification key. Immutable; owns its OpenSSL key.
class Key {
 public:
  Key(crypto::KeyType type, std::unique_ptr<const crypto::Verifier> verifier, std::string kid,
      std::optional<JwtAlg> alg, std::string origin, bool from_jwks);

  crypto::KeyType type() const { return type_; }
  /// "" for the configured secret and PEM key, the JWK's "kid" otherwise.
  const std::string& kid() const { return kid_; }
  /// True for a key from a JWK Set.
  bool from_jwks() const { return from_jwks_; }
  /// True when this key may verify `alg`: its type, and the JWK's "alg" when it has one.
  bool fits(JwtAlg alg) const;
  /// Verifies `signature` over `input` with `alg` (which must fit).
  bool verify(JwtAlg alg, std::string_view input, std::string_view signature) const;
  /// "RSA 2048 bits from public_key_file", "EC P-256 kid=k1 from jwks", ... (no secret).
  std::string describe() const;

 private:
  crypto::KeyType type_;
  std::unique_ptr<const crypto::Verifier> verifier_;
  std::string kid_;
  std::optional<JwtAlg> alg_;
  std::string origin_;
  bool from_jwks_ = false;
};

class KeySet {
 public:
  /// Reads every configured key. Fails (config_error, with a sentence naming the file and the
  /// key in `*error`) on an unreadable file, a key herald cannot use (an RSA key under 2048
  /// bits, another curve, a short secret, a private key where a public one belongs), two
  /// JWKs of one type with one kid, or a JWK Set without a usable key. JWKs meant for
  /// encryption ("use":"enc"), with an unknown "alg", or of a type herald does not implement
  /// (OKP, other curves) are skipped, as RFC 7517 5 asks. No key configured at all is not an
  /// error: the set is empty and every token gets no_key.
  static base::Result<std::shared_ptr<const KeySet>> load(const KeyConfig& config,
                                                          std::string* error);

  KeySet() = default;
  KeySet(const KeySet&) = delete;
  KeySet& operator=(const KeySet&) = delete;

  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }
  /// The keys, one line each (for logs and check-config).
  std::string describe() const;

  /// The key that verifies a token with `alg` and `kid` ("" = no kid), by the rules at the top
  /// of this file, or why there is none (no_key, alg_key_mismatch, unknown_kid).
  std::variant<const Key*, TokenError> select(JwtAlg alg, std::string_view kid) const;

 private:
  std::vector<Key> keys_;  // the configured secret and PEM key first, then the JWKs in order
};

}  // namespace herald::jwt
