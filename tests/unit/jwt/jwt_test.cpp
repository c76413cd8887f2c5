#include "jwt/jwt.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "base/limits.h"
#include "jwt/base64url.h"
#include "test_keys.h"
#include "token_util.h"

namespace herald::jwt {
namespace {

using namespace testing;
namespace tk = test_keys;

// Replaces the part `index` (0 header, 1 payload, 2 signature) of a compact token.
std::string with_part(std::string_view token, int index, std::string_view part) {
  size_t d1 = token.find('.');
  size_t d2 = token.find('.', d1 + 1);
  std::string parts[3] = {std::string(token.substr(0, d1)),
                          std::string(token.substr(d1 + 1, d2 - d1 - 1)),
                          std::string(token.substr(d2 + 1))};
  parts[index] = part;
  return parts[0] + "." + parts[1] + "." + parts[2];
}

std::string header_for(JwtAlg alg) {
  return R"({"alg":")" + std::string(alg_name(alg)) + R"(","typ":"JWT"})";
}

}  // namespace

TEST(JwtAlgNames, RoundTripAndCaseSensitive) {
  for (JwtAlg a : {JwtAlg::hs256, JwtAlg::hs384, JwtAlg::hs512, JwtAlg::rs256, JwtAlg::rs384,
                   JwtAlg::rs512, JwtAlg::es256, JwtAlg::es384}) {
    EXPECT_EQ(parse_alg(alg_name(a)), a);
  }
  EXPECT_EQ(alg_name(JwtAlg::es384), "ES384");
  EXPECT_FALSE(parse_alg("hs256"));
  EXPECT_FALSE(parse_alg("HS256 "));
  EXPECT_FALSE(parse_alg("PS256"));
  EXPECT_FALSE(parse_alg("ES512"));
  EXPECT_FALSE(parse_alg("none"));
}

TEST(TokenErrorNames, StableSnakeCase) {
  EXPECT_EQ(token_error_name(TokenError::malformed), "malformed");
  EXPECT_EQ(token_error_name(TokenError::alg_key_mismatch), "alg_key_mismatch");
  EXPECT_EQ(token_error_name(TokenError::bad_signature), "bad_signature");
  EXPECT_EQ(token_error_name(TokenError::not_yet_valid), "not_yet_valid");
  EXPECT_EQ(token_error_name(TokenError::bad_claims), "bad_claims");
}

TEST(VerifyToken, HmacTokenRoundTripsEveryClaim) {
  Claims in;
  in.sub = "alice";
  in.exp = kNow + 60;
  in.nbf = kNow - 60;
  in.iat = kNow - 60;
  in.aud = {"herald", "other"};
  in.iss = "https://issuer.example";
  in.channels = {"chat:*", "news"};
  in.publish = {"chat:lobby"};
  in.info = R"({"name":"Alice","n":1.0})";
  in.kid = "k1";
  in.alg = JwtAlg::hs384;
  std::string error;
  auto token = sign_token(in, JwtAlg::hs384, kSecret, &error);
  ASSERT_TRUE(token.ok()) << error;
  VerifyOptions o = at();
  o.audience = "herald";
  o.issuer = "https://issuer.example";
  EXPECT_EQ(claims_of(token.value(), *secret_keys(), o), in);
}

TEST(VerifyToken, EveryAlgorithmVerifiesWithItsKey) {
  struct Case {
    JwtAlg alg;
    std::string_view private_key, public_key;
  };
  const Case cases[] = {{JwtAlg::hs256, kSecret, ""},
                        {JwtAlg::hs384, kSecret, ""},
                        {JwtAlg::hs512, kSecret, ""},
                        {JwtAlg::rs256, tk::kRsaAPrivate, tk::kRsaAPublic},
                        {JwtAlg::rs384, tk::kRsaAPrivate, tk::kRsaAPublic},
                        {JwtAlg::rs512, tk::kRsaAPrivate, tk::kRsaAPublic},
                        {JwtAlg::es256, tk::kEc256APrivate, tk::kEc256APublic},
                        {JwtAlg::es384, tk::kEc384Private, tk::kEc384Public}};
  for (const Case& c : cases) {
    auto keys = c.public_key.empty() ? secret_keys() : pem_keys(c.public_key);
    std::string token = mint(header_for(c.alg), R"({"sub":"bob"})", c.alg, c.private_key);
    Claims claims = claims_of(token, *keys);
    EXPECT_EQ(claims.sub, "bob") << alg_name(c.alg);
    EXPECT_EQ(claims.alg, c.alg);
  }
}

TEST(VerifyToken, WrongKeyIsBadSignature) {
  EXPECT_EQ(verdict(hs256(R"({"sub":"a"})", kOtherSecret), *secret_keys()), "bad_signature");
  std::string rs = mint(header_for(JwtAlg::rs256), "{}", JwtAlg::rs256, tk::kRsaBPrivate);
  EXPECT_EQ(verdict(rs, *pem_keys(tk::kRsaAPublic)), "bad_signature");
  std::string es = mint(header_for(JwtAlg::es256), "{}", JwtAlg::es256, tk::kEc256BPrivate);
  EXPECT_EQ(verdict(es, *pem_keys(tk::kEc256APublic)), "bad_signature");
}

TEST(VerifyToken, AnyChangedByteIsBadSignature) {
  std::string token = hs256(R"({"sub":"alice","channels":["a"]})");
  auto keys = secret_keys();
  ASSERT_EQ(verdict(token, *keys), "ok");
  // Another payload under the original signature.
  EXPECT_EQ(
      verdict(with_part(token, 1, base64url_encode(R"({"sub":"alice","channels":["*"]})")), *keys),
      "bad_signature");
  // The last byte of the MAC flipped (the constant-time comparison still has to see it).
  std::string sig;
  ASSERT_TRUE(base64url_decode(token.substr(token.rfind('.') + 1), &sig));
  sig.back() ^= 1;
  EXPECT_EQ(verdict(with_part(token, 2, base64url_encode(sig)), *keys), "bad_signature");
  sig.pop_back();
  EXPECT_EQ(verdict(with_part(token, 2, base64url_encode(sig)), *keys), "bad_signature");
  EXPECT_EQ(verdict(with_part(token, 2, ""), *keys), "bad_signature");
}

TEST(VerifyToken, AlgNoneInAnyCaseIsRefused) {
  auto keys = secret_keys();
  for (std::string_view alg : {"none", "None", "NONE", "nOnE"}) {
    std::string header = R"({"alg":")" + std::string(alg) + R"("})";
    std::string unsecured = base64url_encode(header) + "." + base64url_encode(R"({"sub":"a"})");
    EXPECT_EQ(verdict(unsecured + ".", *keys), "alg_none") << alg;
    // ... and with a signature, which a careless verifier would simply ignore.
    std::string signed_none = mint(header, R"({"sub":"a"})", JwtAlg::hs256);
    EXPECT_EQ(verdict(signed_none, *keys), "alg_none") << alg;
  }
}

TEST(VerifyToken, UnknownAlgorithmsAreUnsupported) {
  auto keys = secret_keys();
  for (std::string_view alg : {"hs256", "PS256", "ES512", "EdDSA", "HS1", ""}) {
    std::string header = R"({"alg":")" + std::string(alg) + R"("})";
    EXPECT_EQ(verdict(mint(header, "{}", JwtAlg::hs256), *keys), "alg_unsupported") << alg;
  }
}

TEST(VerifyToken, AlgorithmConfusionWithThePublicKeyAsHmacSecretFails) {
  // The classic attack: an RS256 server's public key is public, so an attacker signs an
  // HS256 token with the PEM text as the HMAC secret. herald only takes HS* when an HMAC
  // secret is configured.
  std::string forged = mint(header_for(JwtAlg::hs256), R"({"sub":"admin","channels":["*"]})",
                            JwtAlg::hs256, tk::kRsaAPublic);
  EXPECT_EQ(verdict(forged, *pem_keys(tk::kRsaAPublic)), "alg_key_mismatch");
  std::string jwks = R"({"keys":[{"kty":"RSA","kid":"r","n":")" + std::string(tk::kRsaAJwkN) +
                     R"(","e":")" + std::string(tk::kRsaAJwkE) + R"("}]})";
  std::string forged_kid =
      mint(R"({"alg":"HS256","kid":"r"})", R"({"sub":"admin"})", JwtAlg::hs256, tk::kRsaAPublic);
  EXPECT_EQ(verdict(forged_kid, *jwks_keys(jwks)), "alg_key_mismatch");
  EXPECT_EQ(verdict(forged, *jwks_keys(jwks)), "alg_key_mismatch");
}

TEST(VerifyToken, EachAsymmetricAlgNeedsItsKeyType) {
  std::string rs = mint(header_for(JwtAlg::rs256), "{}", JwtAlg::rs256, tk::kRsaAPrivate);
  std::string es256 = mint(header_for(JwtAlg::es256), "{}", JwtAlg::es256, tk::kEc256APrivate);
  std::string es384 = mint(header_for(JwtAlg::es384), "{}", JwtAlg::es384, tk::kEc384Private);
  EXPECT_EQ(verdict(rs, *pem_keys(tk::kEc256APublic)), "alg_key_mismatch");
  EXPECT_EQ(verdict(es256, *pem_keys(tk::kRsaAPublic)), "alg_key_mismatch");
  EXPECT_EQ(verdict(es256, *pem_keys(tk::kEc384Public)), "alg_key_mismatch");
  EXPECT_EQ(verdict(es384, *pem_keys(tk::kEc256APublic)), "alg_key_mismatch");
  EXPECT_EQ(verdict(rs, *secret_keys()), "alg_key_mismatch");
  EXPECT_EQ(verdict(hs256("{}"), *pem_keys(tk::kEc256APublic)), "alg_key_mismatch");
}

TEST(VerifyToken, NoKeyConfigured) {
  KeySet empty;
  EXPECT_EQ(verdict(hs256("{}"), empty), "no_key");
}

TEST(VerifyToken, EcdsaSignatureMustBeRawRConcatS) {
  auto keys = pem_keys(tk::kEc256APublic);
  std::string token =
      mint(header_for(JwtAlg::es256), R"({"sub":"a"})", JwtAlg::es256, tk::kEc256APrivate);
  std::string raw;
  ASSERT_TRUE(base64url_decode(token.substr(token.rfind('.') + 1), &raw));
  EXPECT_EQ(raw.size(), 64u);
  // The same signing input signed by OpenSSL directly gives DER, which JWS does not use.
  std::string input = token.substr(0, token.rfind('.'));
  BIO* bio = BIO_new_mem_buf(tk::kEc256APrivate.data(), int(tk::kEc256APrivate.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(pkey, nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char der[128];
  size_t der_len = sizeof der;
  ASSERT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey), 1);
  ASSERT_EQ(EVP_DigestSign(ctx, der, &der_len, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()),
            1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  std::string der_token =
      input + "." + base64url_encode({reinterpret_cast<const char*>(der), der_len});
  EXPECT_EQ(verdict(der_token, *keys), "bad_signature");
  EXPECT_EQ(verdict(token, *keys), "ok");
  // r and s swapped: same length, wrong value.
  std::string swapped = raw.substr(32) + raw.substr(0, 32);
  EXPECT_EQ(verdict(with_part(token, 2, base64url_encode(swapped)), *keys), "bad_signature");
  EXPECT_EQ(verdict(with_part(token, 2, base64url_encode(std::string(64, '\0'))), *keys),
            "bad_signature");
}

TEST(VerifyToken, MalformedShapes) {
  auto keys = secret_keys();
  std::string good = hs256(R"({"sub":"a"})");
  for (std::string_view t : {"", ".", "..", "...", "a.b", "a.b.c.d", "abc"}) {
    EXPECT_EQ(verdict(t, *keys), "malformed") << t;
  }
  EXPECT_EQ(verdict(good + ".x.y", *keys), "malformed");  // a JWE's five parts
  // Padding, the standard alphabet or stray bytes in any part.
  std::string padded_header = base64url_encode(R"({"alg":"HS256"})") + "=";
  EXPECT_EQ(verdict(with_part(good, 0, padded_header), *keys), "malformed");
  EXPECT_EQ(verdict(good + "=", *keys), "malformed");
  EXPECT_EQ(verdict(" " + good, *keys), "malformed");
  std::string payload_plus = good;
  payload_plus[good.find('.') + 2] = '+';
  EXPECT_EQ(verdict(payload_plus, *keys), "malformed");
}

TEST(VerifyToken, MalformedHeaders) {
  auto keys = secret_keys();
  for (std::string_view header : {
           R"(not json)",
           R"(["HS256"])",
           R"({"alg":"HS256")",
           R"({"typ":"JWT"})",
           R"({"alg":256})",
           R"({"alg":"HS256","alg":"HS256"})",
           R"({"alg":"HS256","kid":7})",
           R"({"alg":"HS256","typ":"JOSE"})",
           R"({"alg":"HS256","typ":7})",
           R"({"alg":"HS256","crit":["exp"],"exp":1})",
           "{\"alg\":\"HS256\",\"typ\":\"JWT\x01\"}",
       }) {
    EXPECT_EQ(verdict(mint(header, "{}", JwtAlg::hs256), *keys), "malformed") << header;
  }
  EXPECT_EQ(verdict(mint(R"({"alg":"HS256","typ":"jwt"})", "{}", JwtAlg::hs256), *keys), "ok");
  EXPECT_EQ(verdict(mint(R"({"typ":"application/JWT","alg":"HS256","x":[1]})", "{}", JwtAlg::hs256),
                    *keys),
            "ok");
}

TEST(VerifyToken, MalformedPayloadsAfterAValidSignature) {
  auto keys = secret_keys();
  for (std::string_view payload : {"", "null", "[]", "\"sub\"", "{", "{\"sub\":\"a\"} x"}) {
    EXPECT_EQ(verdict(hs256(payload), *keys), "malformed") << payload;
  }
}

TEST(VerifyToken, EmbeddedKeysInTheHeaderAreIgnored) {
  // A "jwk" header naming the attacker's own key must not be the key that verifies.
  std::string header = R"({"alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":")" +
                       std::string(tk::kEc256BJwkX) + R"(","y":")" + std::string(tk::kEc256BJwkY) +
                       R"("},"jku":"http://evil.example/k"})";
  std::string token = mint(header, R"({"sub":"admin"})", JwtAlg::es256, tk::kEc256BPrivate);
  EXPECT_EQ(verdict(token, *pem_keys(tk::kEc256APublic)), "bad_signature");
}

TEST(VerifyToken, SizeLimits) {
  auto keys = secret_keys();
  namespace lim = base::limits;
  std::string big_claim(lim::kMaxTokenBytes, 'x');
  EXPECT_EQ(verdict(hs256(R"({"x":")" + big_claim + "\"}"), *keys), "too_large");
  // The whole token fits, but a part is past its own cap.
  std::string long_kid(lim::kMaxTokenHeaderBytes, 'k');
  EXPECT_EQ(
      verdict(mint(R"({"alg":"HS256","kid":")" + long_kid + "\"}", "{}", JwtAlg::hs256), *keys),
      "too_large");
  std::string near_cap(lim::kMaxTokenPayloadBytes - 16, 'p');
  EXPECT_EQ(verdict(hs256(R"({"p":")" + near_cap + "\"}"), *keys), "ok");
  std::string past_cap(lim::kMaxTokenPayloadBytes, 'p');
  EXPECT_EQ(verdict(hs256(R"({"p":")" + past_cap + "\"}"), *keys), "too_large");
  EXPECT_EQ(verdict(std::string(lim::kMaxTokenBytes + 1, 'a'), *keys), "too_large");
}

TEST(VerifyToken, ClaimTypes) {
  auto keys = secret_keys();
  for (std::string_view payload : {
           R"({"sub":1})",
           R"({"sub":null})",
           R"({"iss":["a"]})",
           R"({"jti":5})",
           R"({"exp":"1700000100"})",
           R"({"exp":true})",
           R"({"exp":-1})",
           R"({"exp":1700000100000})",  // milliseconds
           R"({"exp":1e300})",
           R"({"exp":18446744073709551615})",
           R"({"nbf":{}})",
           R"({"iat":[1]})",
           R"({"aud":5})",
           R"({"aud":["a",5]})",
           R"({"channels":"chat:*"})",
           R"({"channels":["chat:*",5]})",
           R"({"channels":["ch*at"]})",
           R"({"channels":[""]})",
           R"({"publish":["**"]})",
           R"({"publish":{"a":1}})",
           R"({"info":"alice"})",
           R"({"info":["alice"]})",
           R"({"info":null})",
       }) {
    EXPECT_EQ(verdict(hs256(payload), *keys), "bad_claims") << payload;
  }
}

TEST(VerifyToken, RepeatedClaimsAreRefused) {
  auto keys = secret_keys();
  EXPECT_EQ(verdict(hs256(R"({"sub":"a","sub":"admin"})"), *keys), "bad_claims");
  EXPECT_EQ(verdict(hs256(R"({"channels":[],"channels":["*"]})"), *keys), "bad_claims");
  // The same name spelled with an escape is the same name.
  EXPECT_EQ(verdict(hs256(R"({"sub":"a","s\u0075b":"admin"})"), *keys), "bad_claims");
  EXPECT_EQ(verdict(hs256(R"({"x":1,"x":2})"), *keys), "bad_claims");
}

TEST(VerifyToken, UnknownClaimsAreIgnoredAndFractionalDatesFloor) {
  auto keys = secret_keys();
  Claims c = claims_of(hs256(R"({"sub":"a","scope":["x"],"exp":1700000100.9,"n":null})"), *keys);
  EXPECT_EQ(c.sub, "a");
  EXPECT_EQ(c.exp, 1700000100);
}

TEST(VerifyToken, InfoIsKeptAsMinifiedText) {
  auto keys = secret_keys();
  Claims c = claims_of(
      hs256("{\"info\" : { \"name\" : \"A b\", \"n\" : [1.0, 1e2, \"\\u00e9\"] }}"), *keys);
  EXPECT_EQ(c.info, R"({"name":"A b","n":[1.0,1e2,"\u00e9"]})");
  EXPECT_EQ(claims_of(hs256(R"({"info":{}})"), *keys).info, "{}");
  EXPECT_EQ(claims_of(hs256(R"({"sub":"x"})"), *keys).info, "");
}

TEST(VerifyToken, AudienceStringOrArray) {
  auto keys = secret_keys();
  VerifyOptions o = at();
  o.audience = "herald";
  EXPECT_EQ(verdict(hs256(R"({"aud":"herald"})"), *keys, o), "ok");
  EXPECT_EQ(verdict(hs256(R"({"aud":["x","herald"]})"), *keys, o), "ok");
  EXPECT_EQ(verdict(hs256(R"({"aud":"other"})"), *keys, o), "bad_audience");
  EXPECT_EQ(verdict(hs256(R"({"aud":[]})"), *keys, o), "bad_audience");
  EXPECT_EQ(verdict(hs256(R"({"sub":"a"})"), *keys, o), "bad_audience");
  EXPECT_EQ(verdict(hs256(R"({"aud":"HERALD"})"), *keys, o), "bad_audience");
  // A token meant for someone is not for a server that names no audience.
  EXPECT_EQ(verdict(hs256(R"({"aud":"herald"})"), *keys), "bad_audience");
  EXPECT_EQ(verdict(hs256(R"({"aud":""})"), *keys), "bad_audience");
  EXPECT_EQ(verdict(hs256(R"({"aud":[]})"), *keys), "ok");
}

TEST(VerifyToken, Issuer) {
  auto keys = secret_keys();
  VerifyOptions o = at();
  o.issuer = "https://id.example";
  EXPECT_EQ(verdict(hs256(R"({"iss":"https://id.example"})"), *keys, o), "ok");
  EXPECT_EQ(verdict(hs256(R"({"iss":"https://id.example/"})"), *keys, o), "bad_issuer");
  EXPECT_EQ(verdict(hs256(R"({"sub":"a"})"), *keys, o), "bad_issuer");
  EXPECT_EQ(verdict(hs256(R"({"iss":"anyone"})"), *keys), "ok");
}

TEST(VerifyToken, ExpiryWithLeeway) {
  auto keys = secret_keys();
  std::string token = hs256(R"({"exp":1700000000})");
  EXPECT_EQ(verdict(token, *keys, at(kNow)), "ok");  // now == exp is still valid
  EXPECT_EQ(verdict(token, *keys, at(kNow + 1)), "expired");
  VerifyOptions o = at(kNow + 30);
  o.leeway_sec = 30;
  EXPECT_EQ(verdict(token, *keys, o), "ok");
  o.now_sec = kNow + 31;
  EXPECT_EQ(verdict(token, *keys, o), "expired");
  // A leeway past the cap is clamped to it.
  o.leeway_sec = INT64_MAX;
  o.now_sec = kNow + base::limits::kMaxTokenLeewaySec + 1;
  EXPECT_EQ(verdict(token, *keys, o), "expired");
  o.leeway_sec = -100;
  o.now_sec = kNow;
  EXPECT_EQ(verdict(token, *keys, o), "ok");
}

TEST(VerifyToken, WithoutNowTheSystemClockJudges) {
  auto keys = secret_keys();
  VerifyOptions o;  // now_sec not set
  EXPECT_EQ(verdict(hs256(R"({"exp":1700000000})"), *keys, o), "expired");
  int64_t soon = int64_t(std::time(nullptr)) + 3600;
  EXPECT_EQ(verdict(hs256(R"({"exp":)" + std::to_string(soon) + "}"), *keys, o), "ok");
  EXPECT_EQ(verdict(hs256(R"({"nbf":)" + std::to_string(soon) + "}"), *keys, o), "not_yet_valid");
}

TEST(VerifyToken, NotBeforeWithLeeway) {
  auto keys = secret_keys();
  std::string token = hs256(R"({"nbf":1700000010,"iat":1800000000})");  // iat is not judged
  EXPECT_EQ(verdict(token, *keys, at(kNow)), "not_yet_valid");
  EXPECT_EQ(verdict(token, *keys, at(kNow + 10)), "ok");
  VerifyOptions o = at(kNow);
  o.leeway_sec = 10;
  EXPECT_EQ(verdict(token, *keys, o), "ok");
  o.leeway_sec = 9;
  EXPECT_EQ(verdict(token, *keys, o), "not_yet_valid");
}

TEST(VerifyToken, ChecksInOrder) {
  // The signature is judged before the claims: a forged token with broken claims reads as
  // bad_signature, never as a hint about which claim was wrong.
  auto keys = secret_keys();
  EXPECT_EQ(verdict(hs256(R"({"sub":5})", kOtherSecret), *keys), "bad_signature");
  EXPECT_EQ(verdict(hs256(R"({"exp":1})", kOtherSecret), *keys), "bad_signature");
  VerifyOptions o = at();
  o.audience = "herald";
  EXPECT_EQ(verdict(hs256(R"({"exp":1,"aud":"x"})"), *keys, o), "expired");
}

TEST(VerifyToken, OneKeySetServesManyThreads) {
  // Every loop verifies with the same read-only KeySet; each verification copies the key's
  // prepared OpenSSL context. Good and forged tokens interleave on four threads.
  KeyConfig c;
  c.hmac_secret = kSecret;
  c.jwks_json = R"({"keys":[{"kty":"RSA","kid":"r","n":")" + std::string(tk::kRsaAJwkN) +
                R"(","e":")" + std::string(tk::kRsaAJwkE) + R"("},{"kty":"EC","kid":"e",)" +
                R"("crv":"P-256","x":")" + std::string(tk::kEc256AJwkX) + R"(","y":")" +
                std::string(tk::kEc256AJwkY) + R"("}]})";
  auto keys = load_keys(c);
  const std::string good[] = {
      hs256(R"({"sub":"h"})"),
      mint(R"({"alg":"RS256","kid":"r"})", R"({"sub":"r"})", JwtAlg::rs256, tk::kRsaAPrivate),
      mint(R"({"alg":"ES256","kid":"e"})", R"({"sub":"e"})", JwtAlg::es256, tk::kEc256APrivate)};
  const std::string forged[] = {
      hs256(R"({"sub":"h"})", kOtherSecret),
      mint(R"({"alg":"RS256","kid":"r"})", R"({"sub":"r"})", JwtAlg::rs256, tk::kRsaBPrivate),
      mint(R"({"alg":"ES256","kid":"e"})", R"({"sub":"e"})", JwtAlg::es256, tk::kEc256BPrivate)};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        size_t k = size_t(i + t) % 3;
        if (verdict(good[k], *keys) != "ok") ++wrong;
        if (verdict(forged[k], *keys) != "bad_signature") ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(EncodeClaims, Shape) {
  Claims c;
  c.sub = "a\"b";
  c.aud = {"x"};
  c.iss = "i";
  c.iat = 1;
  c.exp = 3;
  c.channels = {"c:*"};
  c.info = R"({"k":1})";
  EXPECT_EQ(encode_claims(c),
            R"({"sub":"a\"b","aud":"x","iss":"i","iat":1,"exp":3,"channels":["c:*"],)"
            R"("info":{"k":1}})");
  EXPECT_EQ(encode_claims(Claims{}), "{}");
  c = Claims{};
  c.aud = {"x", "y"};
  c.publish = {"p"};
  EXPECT_EQ(encode_claims(c), R"({"aud":["x","y"],"publish":["p"]})");
}

}  // namespace herald::jwt
