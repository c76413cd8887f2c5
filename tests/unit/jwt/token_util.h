#pragma once
// Helpers of the access tests: key sets from config, tokens signed from raw JSON, and the
// verdict of verify_token as a value gtest can print.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "jwt/jwt.h"
#include "jwt/jwt_sign.h"
#include "jwt/keys.h"

namespace herald::jwt::testing {

inline constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";  // 32 bytes
inline constexpr std::string_view kOtherSecret = "fedcba9876543210fedcba9876543210";
inline constexpr int64_t kNow = 1'700'000'000;

inline std::shared_ptr<const KeySet> load_keys(const KeyConfig& config) {
  std::string error;
  auto keys = KeySet::load(config, &error);
  EXPECT_TRUE(keys.ok()) << error;
  return keys.ok() ? keys.value() : std::make_shared<const KeySet>();
}

inline std::shared_ptr<const KeySet> secret_keys(std::string_view secret = kSecret) {
  KeyConfig c;
  c.hmac_secret = secret;
  return load_keys(c);
}

inline std::shared_ptr<const KeySet> pem_keys(std::string_view public_pem) {
  KeyConfig c;
  c.public_key_pem = public_pem;
  return load_keys(c);
}

inline std::shared_ptr<const KeySet> jwks_keys(std::string_view json) {
  KeyConfig c;
  c.jwks_json = json;
  return load_keys(c);
}

/// The error KeySet::load gives for `config` ("" when it loads).
inline std::string load_error(const KeyConfig& config) {
  std::string error;
  auto keys = KeySet::load(config, &error);
  return keys.ok() ? std::string() : error;
}

/// A token signed with `key` from raw header and payload JSON.
inline std::string mint(std::string_view header, std::string_view payload, JwtAlg alg,
                        std::string_view key = kSecret) {
  std::string error;
  auto token = sign_compact(header, payload, alg, key, &error);
  EXPECT_TRUE(token.ok()) << error;
  return token.ok() ? token.value() : std::string();
}

/// An HS256 token with the usual header and `payload`.
inline std::string hs256(std::string_view payload, std::string_view secret = kSecret) {
  return mint(R"({"alg":"HS256","typ":"JWT"})", payload, JwtAlg::hs256, secret);
}

inline VerifyOptions at(int64_t now = kNow) {
  VerifyOptions o;
  o.now_sec = now;
  return o;
}

/// "ok" or the refusal's name: one printable verdict.
inline std::string verdict(std::string_view token, const KeySet& keys,
                           const VerifyOptions& options = at()) {
  auto r = verify_token(token, keys, options);
  if (auto* e = std::get_if<TokenError>(&r)) return std::string(token_error_name(*e));
  return "ok";
}

inline Claims claims_of(std::string_view token, const KeySet& keys,
                        const VerifyOptions& options = at()) {
  auto r = verify_token(token, keys, options);
  if (auto* e = std::get_if<TokenError>(&r)) {
    ADD_FAILURE() << "refused: " << token_error_name(*e) << " " << token;
    return {};
  }
  return std::get<Claims>(r);
}

}  // namespace herald::jwt::testing
