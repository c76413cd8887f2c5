// fuzz-links: jwt proto
// Token verification on arbitrary bytes: never crashes, never accepts what it should not.
// The first byte picks what the rest is:
//   0: a compact token, verified as a client would send it (mostly malformed verdicts);
//   1: a claims set, signed HS256 with the configured secret so the claims reader is reached;
//   2: "HEADER\nPAYLOAD" JSON, signed HS256, so the header reader and key selection are reached;
//   3: base64url text: whatever decodes re-encodes to the same text (one spelling per value).
// Every accepted token must survive a round trip: its claims, minted again, verify to the same
// claims.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "../unit/jwt/test_keys.h"
#include "jwt/base64url.h"
#include "jwt/grants.h"
#include "jwt/jwt.h"
#include "jwt/jwt_sign.h"
#include "jwt/keys.h"

using namespace herald::jwt;

namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";

const KeySet& keys() {
  static const std::shared_ptr<const KeySet> set = [] {
    KeyConfig c;
    c.hmac_secret = kSecret;
    c.public_key_pem = test_keys::kEc256APublic;
    c.jwks_json = std::string(R"({"keys":[{"kty":"RSA","kid":"r","n":")") +
                  std::string(test_keys::kRsaAJwkN) + R"(","e":")" +
                  std::string(test_keys::kRsaAJwkE) + R"("},{"kty":"oct","kid":"o","k":")" +
                  base64url_encode("another secret of at least 32 bytes") + R"("}]})";
    std::string error;
    auto loaded = KeySet::load(c, &error);
    if (!loaded.ok()) abort();
    return loaded.value();
  }();
  return *set;
}

VerifyOptions options() {
  VerifyOptions o;
  o.audience = "herald";
  o.now_sec = 1'700'000'000;
  return o;
}

void check_accepted(const Claims& c) {
  for (const auto* list : {&c.channels, &c.publish}) {
    for (const std::string& g : *list) {
      if (!valid_grant(g)) abort();
    }
  }
  if (!c.info.empty() && c.info.front() != '{') abort();
  if (c.aud.empty()) abort();  // an audience is configured: a token without one is refused
  // Round trip through the minting side: HS256 with the secret, and no kid (a kid could name
  // a JWKS key of another type or secret).
  Claims expect = c;
  expect.kid.clear();
  expect.alg = JwtAlg::hs256;
  std::string error;
  auto again = sign_token(expect, JwtAlg::hs256, kSecret, &error);
  if (!again.ok()) abort();
  auto r = verify_token(again.value(), keys(), options());
  if (auto* e = std::get_if<TokenError>(&r)) {
    // Re-escaping can grow a text past a size limit ("\n" becomes "\u000a"); nothing else.
    if (*e != TokenError::too_large) abort();
    return;
  }
  if (!(std::get<Claims>(r) == expect)) abort();
}

void verify(std::string_view token) {
  auto r = verify_token(token, keys(), options());
  if (auto* c = std::get_if<Claims>(&r)) check_accepted(*c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  std::string error;
  switch (bytes[0] % 4) {
    case 0:
      verify(input);
      break;
    case 1: {
      auto token =
          sign_compact(R"({"alg":"HS256","typ":"JWT"})", input, JwtAlg::hs256, kSecret, &error);
      if (!token.ok()) abort();
      auto r = verify_token(token.value(), keys(), options());
      if (auto* e = std::get_if<TokenError>(&r)) {
        // Signed with the right key: the refusal can only come from the claims.
        switch (*e) {
          case TokenError::malformed:
          case TokenError::too_large:
          case TokenError::bad_claims:
          case TokenError::expired:
          case TokenError::not_yet_valid:
          case TokenError::bad_audience:
            break;
          default:
            abort();
        }
      } else {
        check_accepted(std::get<Claims>(r));
      }
      break;
    }
    case 2: {
      size_t nl = input.find('\n');
      if (nl == std::string_view::npos) return 0;
      auto token =
          sign_compact(input.substr(0, nl), input.substr(nl + 1), JwtAlg::hs256, kSecret, &error);
      if (!token.ok()) abort();
      verify(token.value());
      break;
    }
    case 3: {
      std::string decoded;
      if (base64url_decode(input, &decoded) && base64url_encode(decoded) != input) abort();
      break;
    }
  }
  return 0;
}
