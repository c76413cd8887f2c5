#pragma once
// The access module's use of OpenSSL (3.0, EVP API only; no primitive is written here): key
// decoding and the JWS algorithms' sign and verify. Internal to src/access; the OpenSSL types
// stay out of every other header.
//
// Every function clears the calling thread's OpenSSL error queue before it returns: a refused
// token leaves no error behind for an unrelated TLS call on the same loop to trip over.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "jwt/jwt.h"

struct evp_pkey_st;     // OpenSSL's EVP_PKEY
struct evp_mac_ctx_st;  // EVP_MAC_CTX
struct evp_md_ctx_st;   // EVP_MD_CTX

namespace herald::jwt::crypto {

/// What a key can verify: HMAC secrets HS*, RSA keys RS*, EC keys the one ES alg of their curve.
enum class KeyType { hmac, rsa, ec_p256, ec_p384 };

/// "HMAC", "RSA", "EC P-256", "EC P-384".
std::string_view key_type_name(KeyType type);

/// The key type `alg` needs.
KeyType key_type_for(JwtAlg alg);

struct PkeyFree {
  void operator()(evp_pkey_st* key) const;
};
using Pkey = std::unique_ptr<evp_pkey_st, PkeyFree>;

/// The type of an RSA or named-curve EC key, or nullopt (another algorithm, another curve, an
/// RSA key outside limits::kMinRsaKeyBits..kMaxRsaKeyBits); `*why` says which.
std::optional<KeyType> pkey_type(const evp_pkey_st* key, std::string* why);

/// Decodes a PEM public key (SubjectPublicKeyInfo "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY").
/// A PEM holding a private key is refused: a verifier needs only the public half.
Pkey read_public_pem(std::string_view pem, std::string* error);

/// Decodes an unencrypted PEM private key (PKCS#8, or the traditional RSA / EC forms).
Pkey read_private_pem(std::string_view pem, std::string* error);

/// An RSA public key from its big-endian modulus and exponent (a JWK's "n" and "e").
Pkey rsa_public_key(std::string_view n, std::string_view e, std::string* error);

/// An EC public key on `type`'s curve from its big-endian coordinates (a JWK's "x" and "y",
/// each exactly the curve's size); the point is checked to lie on the curve.
Pkey ec_public_key(KeyType type, std::string_view x, std::string_view y, std::string* error);

/// Signs `input` with `alg`: HMAC with `secret`, else with the private `key` (ECDSA output
/// converted to the JWS form r||s). False when the key does not fit or OpenSSL fails.
bool sign(JwtAlg alg, std::string_view secret, const evp_pkey_st* key, std::string_view input,
          std::string* signature);

/// A key ready to verify: for each hash its algorithms use, an OpenSSL context already keyed
/// (HMAC) or initialised for verification (RSA, ECDSA), which every verification copies.
/// Keying on every token instead (fetching the digest and the signature implementation by
/// name, the HMAC key schedule) cost more than the HMAC itself. Immutable once built; verify
/// may run on many threads at once (copying a context only reads it).
class Verifier {
 public:
  /// For an HMAC secret (HS256, HS384, HS512). Null only when OpenSSL fails.
  static std::unique_ptr<const Verifier> for_secret(std::string_view secret);
  /// For a public key whose type pkey_type() gave as `type`. Null only when OpenSSL fails.
  static std::unique_ptr<const Verifier> for_key(Pkey key, KeyType type);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  /// Verifies `signature` over `input` with `alg`, which must fit the key's type: HMAC
  /// compared with CRYPTO_memcmp; the JWS ECDSA form r||s converted to DER for OpenSSL. A
  /// signature of the wrong length is false without any computation.
  bool verify(JwtAlg alg, std::string_view input, std::string_view signature) const;

 private:
  Verifier() = default;
  KeyType type_ = KeyType::hmac;
  Pkey key_;
  evp_mac_ctx_st* mac_[3] = {};  // HMAC, per hash: SHA-256, SHA-384, SHA-512
  evp_md_ctx_st* md_[3] = {};    // RSA / ECDSA, per hash
};

}  // namespace herald::jwt::crypto
