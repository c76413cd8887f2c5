#include "jwt/jwt_sign.h"

#include "base/limits.h"
#include "jwt/base64url.h"
#include "jwt/crypto.h"
#include "jwt/grants.h"
#include "proto/json.h"

namespace herald::jwt {

namespace {

// The private key in `pem` and its type, or false with a sentence in `*error`.
bool read_signing_key(std::string_view pem, crypto::Pkey* key, crypto::KeyType* type,
                      std::string* error) {
  std::string why;
  *key = crypto::read_private_pem(pem, &why);
  if (!*key) {
    *error = "the private key " + why;
    return false;
  }
  auto t = crypto::pkey_type(key->get(), &why);
  if (!t) {
    *error = "the private key is " + why;
    return false;
  }
  *type = *t;
  return true;
}

}  // namespace

base::Result<JwtAlg> default_alg(std::string_view private_pem, std::string* error) {
  crypto::Pkey key;
  crypto::KeyType type;
  if (!read_signing_key(private_pem, &key, &type, error)) return base::Errc::bad_request;
  switch (type) {
    case crypto::KeyType::rsa:
      return JwtAlg::rs256;
    case crypto::KeyType::ec_p256:
      return JwtAlg::es256;
    case crypto::KeyType::ec_p384:
      return JwtAlg::es384;
    case crypto::KeyType::hmac:
      break;
  }
  *error = "the private key is not an RSA or EC key";
  return base::Errc::bad_request;
}

base::Result<std::string> sign_compact(std::string_view header_json, std::string_view payload_json,
                                       JwtAlg alg, std::string_view key, std::string* error) {
  crypto::Pkey pkey;
  crypto::KeyType want = crypto::key_type_for(alg);
  if (want == crypto::KeyType::hmac) {
    if (key.size() < base::limits::kMinHmacSecretBytes) {
      *error = "the HMAC secret is " + std::to_string(key.size()) + " bytes; " +
               std::string(alg_name(alg)) + " needs at least " +
               std::to_string(base::limits::kMinHmacSecretBytes);
      return base::Errc::bad_request;
    }
  } else {
    crypto::KeyType type;
    if (!read_signing_key(key, &pkey, &type, error)) return base::Errc::bad_request;
    if (type != want) {
      *error = std::string(alg_name(alg)) + " needs an " +
               std::string(crypto::key_type_name(want)) + " key, not an " +
               std::string(crypto::key_type_name(type)) + " key";
      return base::Errc::bad_request;
    }
  }
  std::string token;
  append_base64url(&token, header_json);
  token.push_back('.');
  append_base64url(&token, payload_json);
  std::string signature;
  if (!crypto::sign(alg, key, pkey.get(), token, &signature)) {
    *error = "OpenSSL could not sign with this key";
    return base::Errc::bad_request;
  }
  token.push_back('.');
  append_base64url(&token, signature);
  return token;
}

base::Result<std::string> sign_token(const Claims& claims, JwtAlg alg, std::string_view key,
                                     std::string* error) {
  for (const auto* list : {&claims.channels, &claims.publish}) {
    for (const std::string& g : *list) {
      if (!valid_grant(g)) {
        *error = "\"" + g + "\" is not a channel name or a prefix ending in *";
        return base::Errc::bad_request;
      }
    }
  }
  Claims c = claims;
  if (!claims.info.empty()) {
    c.info.clear();
    if (!proto::minify_json(claims.info, &c.info) || c.info.front() != '{') {
      *error = "info must be a JSON object";
      return base::Errc::bad_request;
    }
  }
  std::string header = "{\"alg\":\"" + std::string(alg_name(alg)) + "\",\"typ\":\"JWT\"";
  if (!c.kid.empty()) {
    header += ",\"kid\":";
    proto::append_json_string(header, c.kid);
  }
  header += '}';
  return sign_compact(header, encode_claims(c), alg, key, error);
}

}  // namespace herald::jwt
