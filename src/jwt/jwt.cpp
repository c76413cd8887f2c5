#include "jwt/jwt.h"

#include <algorithm>
#include <ctime>

#include "base/limits.h"
#include "jwt/base64url.h"
#include "jwt/keys.h"
#include "jwt/token_json.h"
#include "proto/json.h"

namespace herald::jwt {
namespace {

constexpr std::string_view kAlgNames[] = {"HS256", "HS384", "HS512", "RS256",
                                          "RS384", "RS512", "ES256", "ES384"};

bool is_none(std::string_view alg) {
  return alg.size() == 4 && std::equal(alg.begin(), alg.end(), "none", [](char a, char b) {
           return (a >= 'A' && a <= 'Z' ? char(a - 'A' + 'a') : a) == b;
         });
}

// a + b without overflow (NumericDates are bounded, leeway is clamped; this is belt and braces).
int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

// Per-thread scratch for the decoded parts: verification runs on every connect, so it reuses
// capacity instead of allocating three strings each time.
struct Scratch {
  std::string header, payload, signature;
  token_json::Header jose;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

std::string_view alg_name(JwtAlg alg) {
  return kAlgNames[static_cast<size_t>(alg)];
}

std::optional<JwtAlg> parse_alg(std::string_view name) {
  for (size_t i = 0; i < std::size(kAlgNames); ++i) {
    if (kAlgNames[i] == name) return static_cast<JwtAlg>(i);
  }
  return std::nullopt;
}

std::string_view token_error_name(TokenError error) {
  switch (error) {
    case TokenError::malformed:
      return "malformed";
    case TokenError::too_large:
      return "too_large";
    case TokenError::alg_none:
      return "alg_none";
    case TokenError::alg_unsupported:
      return "alg_unsupported";
    case TokenError::alg_key_mismatch:
      return "alg_key_mismatch";
    case TokenError::unknown_kid:
      return "unknown_kid";
    case TokenError::no_key:
      return "no_key";
    case TokenError::bad_signature:
      return "bad_signature";
    case TokenError::expired:
      return "expired";
    case TokenError::not_yet_valid:
      return "not_yet_valid";
    case TokenError::bad_audience:
      return "bad_audience";
    case TokenError::bad_issuer:
      return "bad_issuer";
    case TokenError::bad_claims:
      return "bad_claims";
  }
  return "unknown";
}

std::variant<Claims, TokenError> verify_token(std::string_view token, const KeySet& keys,
                                              const VerifyOptions& options) {
  namespace lim = base::limits;
  if (token.size() > lim::kMaxTokenBytes) return TokenError::too_large;
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return TokenError::malformed;  // a JWS has exactly three parts (a JWE has five)
  }
  std::string_view header_b64 = token.substr(0, dot1);
  std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view signature_b64 = token.substr(dot2 + 1);
  if (base64url_decoded_size(header_b64.size()) > lim::kMaxTokenHeaderBytes ||
      base64url_decoded_size(payload_b64.size()) > lim::kMaxTokenPayloadBytes) {
    return TokenError::too_large;
  }

  Scratch& s = scratch();
  if (header_b64.empty() || !base64url_decode(header_b64, &s.header)) return TokenError::malformed;
  if (auto err = token_json::parse_header(s.header, &s.jose)) return *err;
  if (is_none(s.jose.alg)) return TokenError::alg_none;
  std::optional<JwtAlg> alg = parse_alg(s.jose.alg);
  if (!alg) return TokenError::alg_unsupported;

  auto selected = keys.select(*alg, s.jose.kid);
  if (auto* err = std::get_if<TokenError>(&selected)) return *err;
  const Key* key = std::get<const Key*>(selected);

  // Encoding errors are answered before any public-key operation (cheap refusals for
  // garbage); the claims are read only once the signature holds, so unauthenticated JSON never
  // reaches the claims reader. The signature covers the two encoded parts as sent.
  if (payload_b64.empty() || !base64url_decode(payload_b64, &s.payload) ||
      !base64url_decode(signature_b64, &s.signature)) {
    return TokenError::malformed;
  }
  if (!key->verify(*alg, token.substr(0, dot2), s.signature)) return TokenError::bad_signature;

  Claims claims;
  if (auto err = token_json::parse_claims(s.payload, &claims)) return *err;
  claims.kid = s.jose.kid;
  claims.alg = *alg;

  int64_t leeway = std::clamp<int64_t>(options.leeway_sec, 0, lim::kMaxTokenLeewaySec);
  int64_t now = options.now_sec >= 0 ? options.now_sec : int64_t(std::time(nullptr));
  if (claims.exp && now > saturating_add(*claims.exp, leeway)) return TokenError::expired;
  if (claims.nbf && saturating_add(now, leeway) < *claims.nbf) {
    return TokenError::not_yet_valid;
  }
  if (options.audience.empty()) {
    // RFC 7519 4.1.3: a token meant for named audiences is refused by a server that is none
    // of them, so a token minted for another service does not open this one.
    if (!claims.aud.empty()) return TokenError::bad_audience;
  } else if (std::find(claims.aud.begin(), claims.aud.end(), options.audience) ==
             claims.aud.end()) {
    return TokenError::bad_audience;
  }
  if (!options.issuer.empty() && claims.iss != options.issuer) return TokenError::bad_issuer;
  return claims;
}

std::string encode_claims(const Claims& c) {
  std::string out = "{";
  auto name = [&](std::string_view n) {
    if (out.size() > 1) out.push_back(',');
    proto::append_json_string(out, n);
    out.push_back(':');
  };
  auto string_list = [&](const std::vector<std::string>& list) {
    out.push_back('[');
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) out.push_back(',');
      proto::append_json_string(out, list[i]);
    }
    out.push_back(']');
  };
  if (!c.sub.empty()) {
    name("sub");
    proto::append_json_string(out, c.sub);
  }
  if (c.aud.size() == 1) {
    name("aud");
    proto::append_json_string(out, c.aud[0]);
  } else if (!c.aud.empty()) {
    name("aud");
    string_list(c.aud);
  }
  if (!c.iss.empty()) {
    name("iss");
    proto::append_json_string(out, c.iss);
  }
  const std::pair<std::string_view, const std::optional<int64_t>*> dates[] = {
      {"iat", &c.iat}, {"nbf", &c.nbf}, {"exp", &c.exp}};
  for (const auto& [n, v] : dates) {
    if (!*v) continue;
    name(n);
    out += std::to_string(**v);
  }
  if (!c.channels.empty()) {
    name("channels");
    string_list(c.channels);
  }
  if (!c.publish.empty()) {
    name("publish");
    string_list(c.publish);
  }
  if (!c.info.empty()) {
    name("info");
    out += c.info;
  }
  out.push_back('}');
  return out;
}

}  // namespace herald::jwt
