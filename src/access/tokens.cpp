#include "access/tokens.h"

namespace herald::access {

base::Result<std::shared_ptr<const jwt::KeySet>> load_keys(const base::Settings& s,
                                                           std::string* error) {
  jwt::KeyConfig c;
  c.hmac_secret = s.auth_hmac_secret;
  c.hmac_secret_file = s.auth_hmac_secret_file;
  c.public_key_file = s.auth_public_key_file;
  c.jwks_file = s.auth_jwks_file;
  return jwt::KeySet::load(c, error);
}

jwt::VerifyOptions verify_options(const base::Settings& s) {
  jwt::VerifyOptions o;
  o.audience = s.auth_audience;
  o.issuer = s.auth_issuer;
  o.leeway_sec = s.auth_leeway_sec;
  return o;
}

IdentityPtr identity_of(jwt::Claims claims) {
  auto id = std::make_unique<Identity>();
  id->source = Source::token;
  id->user = std::move(claims.sub);
  id->info = std::move(claims.info);
  id->expires_at = claims.exp.value_or(0);
  id->channels = std::move(claims.channels);
  id->publish = std::move(claims.publish);
  return IdentityPtr(std::move(id));
}

}  // namespace herald::access
