#include "jwt/keys.h"

#include <fstream>

#include "base/limits.h"
#include "jwt/base64url.h"
#include "jwt/token_json.h"

namespace herald::jwt {
namespace {

using crypto::KeyType;

bool check_secret_size(std::string_view secret, const std::string& origin, std::string* error) {
  if (secret.size() >= base::limits::kMinHmacSecretBytes) return true;
  *error = origin + ": the HMAC secret is " + std::to_string(secret.size()) + " bytes; at least " +
           std::to_string(base::limits::kMinHmacSecretBytes) +
           " are required (RFC 7518 3.2), e.g. openssl rand -hex 32";
  return false;
}

// Builds the key a JWK describes. Returns false with `*error` set for a key that is broken;
// returns true with `*skip` set for a key herald does not use (RFC 7517 5: ignore those).
bool jwk_to_key(const token_json::Jwk& jwk, const std::string& origin, std::vector<Key>* keys,
                bool* skip, std::string* error) {
  *skip = false;
  if (!jwk.use.empty() && jwk.use != "sig") {
    *skip = true;  // an encryption key
    return true;
  }
  std::optional<JwtAlg> alg;
  if (!jwk.alg.empty()) {
    alg = parse_alg(jwk.alg);
    if (!alg) {
      *skip = true;  // PS256, EdDSA, RSA-OAEP...: not ours
      return true;
    }
  }
  auto decode = [&](std::string_view member, const std::string& text, std::string* out) {
    if (text.empty() || !base64url_decode(text, out)) {
      *error = origin + ": \"" + std::string(member) + "\" is missing or not base64url";
      return false;
    }
    return true;
  };
  KeyType type = KeyType::hmac;
  std::string secret;
  crypto::Pkey pkey;
  std::string why;
  if (jwk.kty == "oct") {
    type = KeyType::hmac;
    if (!decode("k", jwk.k, &secret) || !check_secret_size(secret, origin, error)) return false;
  } else if (jwk.kty == "RSA" || jwk.kty == "EC") {
    if (jwk.has_private) {
      *error = origin + ": holds a private key (\"d\"); a JWK Set for herald needs public keys";
      return false;
    }
    std::string a, b;
    if (jwk.kty == "RSA") {
      if (!decode("n", jwk.n, &a) || !decode("e", jwk.e, &b)) return false;
      pkey = crypto::rsa_public_key(a, b, &why);
    } else {
      if (jwk.crv == "P-256") {
        type = KeyType::ec_p256;
      } else if (jwk.crv == "P-384") {
        type = KeyType::ec_p384;
      } else {
        *skip = true;  // P-521, secp256k1...
        return true;
      }
      if (!decode("x", jwk.x, &a) || !decode("y", jwk.y, &b)) return false;
      pkey = crypto::ec_public_key(type, a, b, &why);
    }
    if (!pkey) {
      *error = origin + ": " + why;
      return false;
    }
    auto t = crypto::pkey_type(pkey.get(), &why);
    if (!t) {
      *error = origin + ": " + why;
      return false;
    }
    type = *t;
  } else {
    *skip = true;  // OKP and whatever comes next
    return true;
  }
  if (alg && crypto::key_type_for(*alg) != type) {
    *error = origin + ": \"alg\" " + jwk.alg + " does not fit a " +
             std::string(crypto::key_type_name(type)) + " key";
    return false;
  }
  for (const Key& k : *keys) {
    if (k.from_jwks() && k.kid() == jwk.kid && k.type() == type && !jwk.kid.empty()) {
      *error = origin + ": a second " + std::string(crypto::key_type_name(type)) +
               " key with kid \"" + jwk.kid + "\"";
      return false;
    }
  }
  auto verifier = type == KeyType::hmac ? crypto::Verifier::for_secret(secret)
                                        : crypto::Verifier::for_key(std::move(pkey), type);
  if (!verifier) {
    *error = origin + ": OpenSSL could not prepare the key";
    return false;
  }
  keys->emplace_back(type, std::move(verifier), jwk.kid, alg, origin, true);
  return true;
}

bool load_jwks(std::string_view json, const std::string& origin, std::vector<Key>* keys,
               std::string* error) {
  std::vector<token_json::Jwk> jwks;
  if (!token_json::parse_jwks(json, &jwks, error)) {
    *error = origin + ": " + *error;
    return false;
  }
  if (jwks.size() > base::limits::kMaxJwksKeys) {
    *error = origin + ": " + std::to_string(jwks.size()) + " keys; at most " +
             std::to_string(base::limits::kMaxJwksKeys);
    return false;
  }
  size_t used = 0;
  for (size_t i = 0; i < jwks.size(); ++i) {
    std::string where = origin + " keys[" + std::to_string(i) + "]";
    if (!jwks[i].kid.empty()) where += " (kid \"" + jwks[i].kid + "\")";
    bool skip = false;
    if (!jwk_to_key(jwks[i], where, keys, &skip, error)) return false;
    if (!skip) ++used;
  }
  if (used == 0) {
    *error = origin + ": no key herald can use (RSA, EC P-256/P-384 or oct, for signatures)";
    return false;
  }
  return true;
}

}  // namespace

bool read_key_file(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot read";
    return false;
  }
  out->clear();
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out->append(buf, size_t(in.gcount()));
    if (out->size() > base::limits::kMaxKeyFileBytes) {
      *error = path + ": larger than " + std::to_string(base::limits::kMaxKeyFileBytes) + " bytes";
      return false;
    }
  }
  if (in.bad()) {
    *error = path + ": read error";
    return false;
  }
  return true;
}

bool read_secret_file(const std::string& path, std::string* out, std::string* error) {
  if (!read_key_file(path, out, error)) return false;
  // `echo SECRET > file` and editors add a newline that is not part of the secret.
  while (!out->empty() && (out->back() == '\n' || out->back() == '\r')) out->pop_back();
  return true;
}

Key::Key(KeyType type, std::unique_ptr<const crypto::Verifier> verifier, std::string kid,
         std::optional<JwtAlg> alg, std::string origin, bool from_jwks)
    : type_(type),
      verifier_(std::move(verifier)),
      kid_(std::move(kid)),
      alg_(alg),
      origin_(std::move(origin)),
      from_jwks_(from_jwks) {}

bool Key::fits(JwtAlg alg) const {
  return type_ == crypto::key_type_for(alg) && (!alg_ || *alg_ == alg);
}

bool Key::verify(JwtAlg alg, std::string_view input, std::string_view signature) const {
  return verifier_->verify(alg, input, signature);
}

std::string Key::describe() const {
  std::string out(crypto::key_type_name(type_));
  out += type_ == KeyType::hmac ? " secret" : " public key";
  if (!kid_.empty()) out += " kid=" + kid_;
  if (alg_) out += " alg=" + std::string(alg_name(*alg_));
  out += " from " + origin_;
  return out;
}

base::Result<std::shared_ptr<const KeySet>> KeySet::load(const KeyConfig& c, std::string* error) {
  auto set = std::make_shared<KeySet>();
  std::vector<Key>& keys = set->keys_;
  auto fail = [&](std::string why) -> base::Result<std::shared_ptr<const KeySet>> {
    *error = std::move(why);
    return base::Errc::config_error;
  };

  if (!c.hmac_secret.empty() && !c.hmac_secret_file.empty()) {
    return fail("hmac_secret and hmac_secret_file are both set; keep one");
  }
  std::string secret = c.hmac_secret;
  std::string origin = "hmac_secret";
  if (!c.hmac_secret_file.empty()) {
    origin = "hmac_secret_file " + c.hmac_secret_file;
    if (!read_secret_file(c.hmac_secret_file, &secret, error)) return base::Errc::config_error;
  }
  if (!secret.empty() || !c.hmac_secret_file.empty()) {
    if (!check_secret_size(secret, origin, error)) return base::Errc::config_error;
    auto verifier = crypto::Verifier::for_secret(secret);
    if (!verifier) return fail(origin + ": OpenSSL could not prepare the key");
    keys.emplace_back(KeyType::hmac, std::move(verifier), "", std::nullopt, origin, false);
  }

  if (!c.public_key_file.empty() && !c.public_key_pem.empty()) {
    return fail("public_key_file and public_key_pem are both set; keep one");
  }
  if (!c.public_key_file.empty() || !c.public_key_pem.empty()) {
    std::string pem = c.public_key_pem;
    origin = "public_key_pem";
    if (!c.public_key_file.empty()) {
      origin = "public_key_file " + c.public_key_file;
      if (!read_key_file(c.public_key_file, &pem, error)) return base::Errc::config_error;
    }
    std::string why;
    crypto::Pkey pkey = crypto::read_public_pem(pem, &why);
    if (!pkey) return fail(origin + ": " + why);
    auto type = crypto::pkey_type(pkey.get(), &why);
    if (!type) return fail(origin + ": " + why);
    auto verifier = crypto::Verifier::for_key(std::move(pkey), *type);
    if (!verifier) return fail(origin + ": OpenSSL could not prepare the key");
    keys.emplace_back(*type, std::move(verifier), "", std::nullopt, origin, false);
  }

  if (!c.jwks_file.empty() && !c.jwks_json.empty()) {
    return fail("jwks_file and jwks_json are both set; keep one");
  }
  if (!c.jwks_file.empty() || !c.jwks_json.empty()) {
    std::string json = c.jwks_json;
    origin = "jwks_json";
    if (!c.jwks_file.empty()) {
      origin = "jwks_file " + c.jwks_file;
      if (!read_key_file(c.jwks_file, &json, error)) return base::Errc::config_error;
    }
    if (!load_jwks(json, origin, &keys, error)) return base::Errc::config_error;
  }
  return std::shared_ptr<const KeySet>(std::move(set));
}

std::string KeySet::describe() const {
  std::string out;
  for (const Key& k : keys_) out += k.describe() + "\n";
  return out;
}

std::variant<const Key*, TokenError> KeySet::select(JwtAlg alg, std::string_view kid) const {
  if (keys_.empty()) return TokenError::no_key;
  bool any = false;
  for (const Key& k : keys_) any = any || k.fits(alg);
  if (!any) return TokenError::alg_key_mismatch;
  if (!kid.empty()) {
    bool named = false;
    for (const Key& k : keys_) {
      if (!k.from_jwks() || k.kid() != kid) continue;
      if (k.fits(alg)) return &k;
      named = true;
    }
    if (named) return TokenError::alg_key_mismatch;
  }
  for (const Key& k : keys_) {
    if (!k.from_jwks() && k.fits(alg)) return &k;
  }
  if (kid.empty()) {
    const Key* only = nullptr;
    size_t count = 0;
    for (const Key& k : keys_) {
      if (k.from_jwks() && k.fits(alg)) {
        only = &k;
        ++count;
      }
    }
    if (count == 1) return only;
  }
  return TokenError::unknown_kid;
}

}  // namespace herald::jwt
