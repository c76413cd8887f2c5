#include "tools/cli/token.h"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <iterator>
#include <variant>

#include "base/limits.h"
#include "jwt/jwt.h"
#include "jwt/jwt_sign.h"
#include "jwt/keys.h"

namespace herald::cli {
namespace {

// Longer-lived tokens than this are a mistake (a unit typed wrong), not a use case.
constexpr int64_t kMaxTtlSec = 10LL * 365 * 24 * 3600;

int usage(const std::string& message) {
  std::fprintf(stderr, "herald token: %s\n", message.c_str());
  return 2;
}

int mint(const TokenOptions& o) {
  if (!o.has_sub) return usage("--sub USER is required (--sub '' for a token without user)");
  if (!o.jwks_file.empty()) return usage("--jwks-file is for --verify; sign with --key-file");
  if (o.secret_file.empty() == o.key_file.empty()) {
    return usage("give one key: --secret-file FILE (HS*) or --key-file PEM (RS*, ES*)");
  }
  int64_t ttl = 0;
  if (!parse_ttl(o.ttl, &ttl)) {
    return usage("--ttl \"" + o.ttl + "\": expected 30s, 15m, 1h, 7d or 0 (no expiry)");
  }
  std::string key, error;
  const std::string& path = o.secret_file.empty() ? o.key_file : o.secret_file;
  bool read = o.secret_file.empty() ? jwt::read_key_file(path, &key, &error)
                                    : jwt::read_secret_file(path, &key, &error);
  if (!read) return usage(error);

  jwt::JwtAlg alg = jwt::JwtAlg::hs256;
  if (!o.alg.empty()) {
    auto a = jwt::parse_alg(o.alg);
    if (!a)
      return usage("--alg " + o.alg +
                   ": expected HS256 HS384 HS512 RS256 RS384 RS512 ES256 "
                   "ES384");
    alg = *a;
    bool hmac = alg == jwt::JwtAlg::hs256 || alg == jwt::JwtAlg::hs384 || alg == jwt::JwtAlg::hs512;
    if (hmac != !o.secret_file.empty()) {
      return usage("--alg " + o.alg + " needs " +
                   (hmac ? "--secret-file" : "--key-file with a private key"));
    }
  } else if (!o.key_file.empty()) {
    auto a = jwt::default_alg(key, &error);
    if (!a.ok()) return usage(o.key_file + ": " + error);
    alg = a.value();
  }

  jwt::Claims c;
  c.sub = o.sub;
  c.channels = o.channels;
  c.publish = o.publish;
  c.info = o.info;
  c.aud = o.aud;
  c.iss = o.iss;
  c.kid = o.kid;
  int64_t now = std::time(nullptr);
  c.iat = now;
  if (ttl > 0) c.exp = now + ttl;
  auto token = jwt::sign_token(c, alg, key, &error);
  if (!token.ok()) return usage((o.key_file.empty() ? "" : o.key_file + ": ") + error);
  std::printf("%s\n", token.value().c_str());
  return 0;
}

int verify(const TokenOptions& o) {
  std::string token = o.verify;
  if (token == "-") {
    token.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  jwt::KeyConfig config;
  config.hmac_secret_file = o.secret_file;
  config.public_key_file = o.key_file;
  config.jwks_file = o.jwks_file;
  if (o.secret_file.empty() && o.key_file.empty() && o.jwks_file.empty()) {
    return usage("--verify needs a key: --secret-file, --key-file (public PEM) or --jwks-file");
  }
  if (o.leeway < 0 || o.leeway > base::limits::kMaxTokenLeewaySec) {
    return usage("--leeway: 0 to " + std::to_string(base::limits::kMaxTokenLeewaySec) + " seconds");
  }
  std::string error;
  auto keys = jwt::KeySet::load(config, &error);
  if (!keys.ok()) return usage(error);
  jwt::VerifyOptions v;
  v.audience = o.aud.empty() ? "" : o.aud.front();
  v.issuer = o.iss;
  v.leeway_sec = o.leeway;
  auto result = jwt::verify_token(token, *keys.value(), v);
  if (auto* refusal = std::get_if<jwt::TokenError>(&result)) {
    std::fprintf(stderr, "herald token: refused: %s\n",
                 std::string(jwt::token_error_name(*refusal)).c_str());
    return 1;
  }
  std::printf("%s\n", jwt::encode_claims(std::get<jwt::Claims>(result)).c_str());
  return 0;
}

}  // namespace

bool parse_ttl(std::string_view text, int64_t* seconds) {
  if (text.empty()) return false;
  int64_t unit = 1;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      unit = 0;
  }
  if (unit != 0)
    text.remove_suffix(1);
  else
    unit = 1;
  if (text.empty() || text.size() > 12) return false;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0) return false;
  if (n > kMaxTtlSec / unit) return false;
  *seconds = n * unit;
  return true;
}

int run_token(const TokenOptions& options) {
  if (!options.verify.empty()) {
    if (options.has_sub || !options.channels.empty() || !options.publish.empty() ||
        !options.info.empty() || !options.kid.empty() || !options.alg.empty()) {
      return usage(
          "--verify checks a token; --sub, --channels, --publish, --info, --kid and "
          "--alg are for minting one");
    }
    if (options.aud.size() > 1) return usage("--verify takes one --aud (the server's audience)");
    return verify(options);
  }
  return mint(options);
}

}  // namespace herald::cli
