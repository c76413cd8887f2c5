#pragma once
// Connection tokens as the access layer uses them: the key set built from [auth], the
// verification options, and the identity a verified token gives.
#include <memory>
#include <string>

#include "access/identity.h"
#include "base/error.h"
#include "base/settings.h"
#include "jwt/jwt.h"
#include "jwt/keys.h"

namespace herald::access {

/// Loads the keys [auth] names (hmac_secret / hmac_secret_file, public_key_file, jwks_file).
/// No key configured gives an empty set (every token is then refused with no_key). A key that
/// cannot be used fails with a sentence naming the key and the file in `*error`.
base::Result<std::shared_ptr<const jwt::KeySet>> load_keys(const base::Settings& s,
                                                           std::string* error);

/// audience, issuer and leeway from [auth]; the clock is read at each verification.
jwt::VerifyOptions verify_options(const base::Settings& s);

/// The identity of a verified token: user = sub, its grants, info and expiry.
IdentityPtr identity_of(jwt::Claims claims);

}  // namespace herald::access
