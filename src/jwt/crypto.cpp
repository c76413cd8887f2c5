#include "jwt/crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

#include "base/limits.h"

namespace herald::jwt::crypto {
namespace {

// Clears the thread's OpenSSL error queue when it goes out of scope (see crypto.h).
struct ClearErrors {
  ~ClearErrors() { ERR_clear_error(); }
};

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, Deleter<EVP_MAC_CTX, EVP_MAC_CTX_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;
using DecoderCtx =
    std::unique_ptr<OSSL_DECODER_CTX, Deleter<OSSL_DECODER_CTX, OSSL_DECODER_CTX_free>>;

// The digests and the HMAC implementation, fetched once per process: an implicit fetch on
// every verification goes through the provider store's locks each time.
struct Algorithms {
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
};
const Algorithms& algorithms() {
  static const Algorithms a;  // never freed: in use until exit
  return a;
}

enum class Hash { sha256, sha384, sha512 };

Hash hash_of(JwtAlg alg) {
  switch (alg) {
    case JwtAlg::hs256:
    case JwtAlg::rs256:
    case JwtAlg::es256:
      return Hash::sha256;
    case JwtAlg::hs384:
    case JwtAlg::rs384:
    case JwtAlg::es384:
      return Hash::sha384;
    case JwtAlg::hs512:
    case JwtAlg::rs512:
      return Hash::sha512;
  }
  return Hash::sha256;
}

const EVP_MD* digest_of(JwtAlg alg) {
  const Algorithms& a = algorithms();
  switch (hash_of(alg)) {
    case Hash::sha256:
      return a.sha256;
    case Hash::sha384:
      return a.sha384;
    case Hash::sha512:
      return a.sha512;
  }
  return a.sha256;
}

const char* digest_name(JwtAlg alg) {
  switch (hash_of(alg)) {
    case Hash::sha256:
      return "SHA256";
    case Hash::sha384:
      return "SHA384";
    case Hash::sha512:
      return "SHA512";
  }
  return "SHA256";
}

// Bytes of one coordinate (and of r and of s) on the curve of an ES alg.
size_t ec_coordinate_bytes(JwtAlg alg) {
  return alg == JwtAlg::es384 ? 48 : 32;
}

std::string openssl_error(std::string_view what) {
  std::string out(what);
  unsigned long e = ERR_peek_last_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += " (";
    out += buf;
    out += ')';
  }
  return out;
}

bool compute_hmac(JwtAlg alg, std::string_view secret, std::string_view input, unsigned char* mac,
                  size_t* mac_len) {
  MacCtx ctx(EVP_MAC_CTX_new(algorithms().hmac));
  if (!ctx) return false;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                          const_cast<char*>(digest_name(alg)), 0),
                         OSSL_PARAM_construct_end()};
  return EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(secret.data()),
                      secret.size(), params) == 1 &&
         EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(input.data()),
                        input.size()) == 1 &&
         EVP_MAC_final(ctx.get(), mac, mac_len, EVP_MAX_MD_SIZE) == 1;
}

bool is_hmac(JwtAlg alg) {
  return alg == JwtAlg::hs256 || alg == JwtAlg::hs384 || alg == JwtAlg::hs512;
}

bool is_ecdsa(JwtAlg alg) {
  return alg == JwtAlg::es256 || alg == JwtAlg::es384;
}

Pkey decode_pem(std::string_view pem, int selection, std::string* error) {
  EVP_PKEY* key = nullptr;
  DecoderCtx ctx(
      OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", nullptr, nullptr, selection, nullptr, nullptr));
  if (!ctx) {
    *error = openssl_error("no PEM decoder");
    return nullptr;
  }
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  size_t len = pem.size();
  if (OSSL_DECODER_from_data(ctx.get(), &data, &len) != 1 || key == nullptr) {
    *error = openssl_error("not a PEM key herald can read");
    EVP_PKEY_free(key);
    return nullptr;
  }
  return Pkey(key);
}

Pkey from_params(const char* type, OSSL_PARAM_BLD* bld, std::string* error) {
  Params params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    *error = openssl_error("OpenSSL refused the key");
    return nullptr;
  }
  Pkey out(key);
  PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    *error = openssl_error("not a valid public key");
    return nullptr;
  }
  return out;
}

}  // namespace

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::hmac:
      return "HMAC";
    case KeyType::rsa:
      return "RSA";
    case KeyType::ec_p256:
      return "EC P-256";
    case KeyType::ec_p384:
      return "EC P-384";
  }
  return "?";
}

KeyType key_type_for(JwtAlg alg) {
  switch (alg) {
    case JwtAlg::hs256:
    case JwtAlg::hs384:
    case JwtAlg::hs512:
      return KeyType::hmac;
    case JwtAlg::rs256:
    case JwtAlg::rs384:
    case JwtAlg::rs512:
      return KeyType::rsa;
    case JwtAlg::es256:
      return KeyType::ec_p256;
    case JwtAlg::es384:
      return KeyType::ec_p384;
  }
  return KeyType::hmac;
}

void PkeyFree::operator()(evp_pkey_st* key) const {
  EVP_PKEY_free(key);
}

std::optional<KeyType> pkey_type(const evp_pkey_st* key, std::string* why) {
  ClearErrors clear;
  if (EVP_PKEY_is_a(key, "RSA")) {
    int bits = EVP_PKEY_get_bits(key);
    if (bits < base::limits::kMinRsaKeyBits || bits > base::limits::kMaxRsaKeyBits) {
      *why = "an RSA key of " + std::to_string(bits) + " bits (herald takes " +
             std::to_string(base::limits::kMinRsaKeyBits) + " to " +
             std::to_string(base::limits::kMaxRsaKeyBits) + ")";
      return std::nullopt;
    }
    return KeyType::rsa;
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64];
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) != 1) {
      *why = "an EC key without a named curve";
      return std::nullopt;
    }
    int nid = OBJ_sn2nid(group);
    if (nid == NID_undef) nid = EC_curve_nist2nid(group);
    if (nid == NID_X9_62_prime256v1) return KeyType::ec_p256;
    if (nid == NID_secp384r1) return KeyType::ec_p384;
    *why = std::string("an EC key on curve ") + group + " (herald takes P-256 and P-384)";
    return std::nullopt;
  }
  const char* name = EVP_PKEY_get0_type_name(key);
  *why = std::string("a key of type ") + (name ? name : "unknown") +
         " (herald takes RSA, EC P-256 and EC P-384)";
  return std::nullopt;
}

Pkey read_public_pem(std::string_view pem, std::string* error) {
  ClearErrors clear;
  if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
    *error = "holds a private key; give the public key (openssl pkey -in KEY -pubout)";
    return nullptr;
  }
  return decode_pem(pem, EVP_PKEY_PUBLIC_KEY, error);
}

Pkey read_private_pem(std::string_view pem, std::string* error) {
  ClearErrors clear;
  if (pem.find("ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
      pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos) {
    *error = "is encrypted; herald reads unencrypted private keys only";
    return nullptr;
  }
  return decode_pem(pem, EVP_PKEY_KEYPAIR, error);
}

Pkey rsa_public_key(std::string_view n, std::string_view e, std::string* error) {
  ClearErrors clear;
  Bignum bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), int(n.size()), nullptr));
  Bignum bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), int(e.size()), nullptr));
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    *error = openssl_error("out of memory");
    return nullptr;
  }
  return from_params("RSA", bld.get(), error);
}

Pkey ec_public_key(KeyType type, std::string_view x, std::string_view y, std::string* error) {
  ClearErrors clear;
  size_t size = type == KeyType::ec_p384 ? 48 : 32;
  if (x.size() != size || y.size() != size) {
    *error = "x and y must be " + std::to_string(size) + " bytes each";
    return nullptr;
  }
  // The uncompressed point encoding of SEC 1: 0x04 || x || y.
  std::string point;
  point.reserve(1 + 2 * size);
  point.push_back('\x04');
  point.append(x);
  point.append(y);
  const char* group = type == KeyType::ec_p384 ? "secp384r1" : "prime256v1";
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    *error = openssl_error("out of memory");
    return nullptr;
  }
  return from_params("EC", bld.get(), error);
}

bool sign(JwtAlg alg, std::string_view secret, const evp_pkey_st* key, std::string_view input,
          std::string* signature) {
  ClearErrors clear;
  signature->clear();
  if (is_hmac(alg)) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    if (!compute_hmac(alg, secret, input, mac, &mac_len)) return false;
    signature->assign(reinterpret_cast<const char*>(mac), mac_len);
    return true;
  }
  if (key == nullptr) return false;
  std::string why;
  if (pkey_type(key, &why) != key_type_for(alg)) return false;
  MdCtx ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, digest_of(alg), nullptr,
                         const_cast<evp_pkey_st*>(key)) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    return false;
  }
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return false;
  }
  der.resize(len);
  if (!is_ecdsa(alg)) {
    *signature = std::move(der);
    return true;
  }
  // OpenSSL writes ECDSA signatures as DER SEQUENCE{r, s}; JWS wants r||s, each left-padded
  // to the curve's size (RFC 7518 3.4).
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, long(der.size())));
  if (!sig) return false;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  size_t n = ec_coordinate_bytes(alg);
  signature->assign(2 * n, '\0');
  auto* out = reinterpret_cast<unsigned char*>(signature->data());
  return BN_bn2binpad(r, out, int(n)) == int(n) && BN_bn2binpad(s, out + n, int(n)) == int(n);
}

std::unique_ptr<const Verifier> Verifier::for_secret(std::string_view secret) {
  ClearErrors clear;
  std::unique_ptr<Verifier> v(new Verifier());
  v->type_ = KeyType::hmac;
  const JwtAlg algs[3] = {JwtAlg::hs256, JwtAlg::hs384, JwtAlg::hs512};
  for (size_t i = 0; i < 3; ++i) {
    v->mac_[i] = EVP_MAC_CTX_new(algorithms().hmac);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
                               OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_name(algs[i])), 0),
                           OSSL_PARAM_construct_end()};
    if (v->mac_[i] == nullptr ||
        EVP_MAC_init(v->mac_[i], reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size(), params) != 1) {
      return nullptr;
    }
  }
  return v;
}

std::unique_ptr<const Verifier> Verifier::for_key(Pkey key, KeyType type) {
  ClearErrors clear;
  std::unique_ptr<Verifier> v(new Verifier());
  v->type_ = type;
  v->key_ = std::move(key);
  const JwtAlg rsa[3] = {JwtAlg::rs256, JwtAlg::rs384, JwtAlg::rs512};
  for (size_t i = 0; i < 3; ++i) {
    JwtAlg alg = type == KeyType::rsa       ? rsa[i]
                 : type == KeyType::ec_p256 ? JwtAlg::es256
                                            : JwtAlg::es384;
    if (size_t(hash_of(alg)) != i) continue;  // an EC key has one hash
    v->md_[i] = EVP_MD_CTX_new();
    if (v->md_[i] == nullptr ||
        EVP_DigestVerifyInit(v->md_[i], nullptr, digest_of(alg), nullptr, v->key_.get()) != 1) {
      return nullptr;
    }
  }
  return v;
}

Verifier::~Verifier() {
  for (EVP_MAC_CTX* c : mac_) EVP_MAC_CTX_free(c);
  for (EVP_MD_CTX* c : md_) EVP_MD_CTX_free(c);
}

bool Verifier::verify(JwtAlg alg, std::string_view input, std::string_view signature) const {
  ClearErrors clear;
  if (key_type_for(alg) != type_) return false;
  size_t h = size_t(hash_of(alg));
  if (type_ == KeyType::hmac) {
    MacCtx ctx(EVP_MAC_CTX_dup(mac_[h]));
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    if (!ctx ||
        EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) != 1 ||
        EVP_MAC_final(ctx.get(), mac, &mac_len, sizeof mac) != 1 || mac_len != signature.size()) {
      return false;
    }
    // Constant time: the comparison must not tell an attacker how many leading bytes of a
    // forged MAC were right.
    return CRYPTO_memcmp(mac, signature.data(), mac_len) == 0;
  }
  if (md_[h] == nullptr) return false;
  std::string der;
  if (is_ecdsa(alg)) {
    size_t n = ec_coordinate_bytes(alg);
    if (signature.size() != 2 * n) return false;
    const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
    EcdsaSig sig(ECDSA_SIG_new());
    Bignum r(BN_bin2bn(raw, int(n), nullptr));
    Bignum s(BN_bin2bn(raw + n, int(n), nullptr));
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return false;
    r.release();  // owned by sig now
    s.release();
    int len = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (len <= 0) return false;
    der.resize(size_t(len));
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    if (i2d_ECDSA_SIG(sig.get(), &p) != len) return false;
    signature = der;
  } else if (signature.size() != size_t(EVP_PKEY_get_size(key_.get()))) {
    return false;  // RSASSA-PKCS1-v1_5: exactly the modulus size (RFC 8017 8.2.2)
  }
  MdCtx ctx(EVP_MD_CTX_new());
  return ctx && EVP_MD_CTX_copy_ex(ctx.get(), md_[h]) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

}  // namespace herald::jwt::crypto
