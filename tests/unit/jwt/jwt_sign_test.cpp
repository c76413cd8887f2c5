#include "jwt/jwt_sign.h"

#include <gtest/gtest.h>

#include <string>

#include "jwt/base64url.h"
#include "test_keys.h"
#include "token_util.h"

namespace herald::jwt {
namespace {

using namespace testing;
namespace tk = test_keys;

std::string sign_error(const Claims& claims, JwtAlg alg, std::string_view key) {
  std::string error;
  auto token = sign_token(claims, alg, key, &error);
  EXPECT_FALSE(token.ok()) << "signed: " << token.value();
  return error;
}

std::string part(const std::string& token, int index) {
  size_t d1 = token.find('.');
  size_t d2 = token.find('.', d1 + 1);
  std::string_view text = index == 0   ? std::string_view(token).substr(0, d1)
                          : index == 1 ? std::string_view(token).substr(d1 + 1, d2 - d1 - 1)
                                       : std::string_view(token).substr(d2 + 1);
  std::string out;
  EXPECT_TRUE(base64url_decode(text, &out));
  return out;
}

}  // namespace

TEST(SignToken, HeaderAndPayload) {
  Claims c;
  c.sub = "alice";
  c.kid = "k\"1";
  c.info = "{ \"a\" : 1 }";
  std::string error;
  auto token = sign_token(c, JwtAlg::hs256, kSecret, &error);
  ASSERT_TRUE(token.ok()) << error;
  EXPECT_EQ(part(*token, 0), R"({"alg":"HS256","typ":"JWT","kid":"k\"1"})");
  EXPECT_EQ(part(*token, 1), R"({"sub":"alice","info":{"a":1}})");
  EXPECT_EQ(part(*token, 2).size(), 32u);
}

TEST(SignToken, SignatureSizes) {
  std::string error;
  Claims c;
  auto rs = sign_token(c, JwtAlg::rs512, tk::kRsaAPrivate, &error);
  ASSERT_TRUE(rs.ok()) << error;
  EXPECT_EQ(part(*rs, 2).size(), 256u);  // the modulus size
  auto es256 = sign_token(c, JwtAlg::es256, tk::kEc256APrivate, &error);
  ASSERT_TRUE(es256.ok()) << error;
  EXPECT_EQ(part(*es256, 2).size(), 64u);  // r||s
  auto es384 = sign_token(c, JwtAlg::es384, tk::kEc384Private, &error);
  ASSERT_TRUE(es384.ok()) << error;
  EXPECT_EQ(part(*es384, 2).size(), 96u);
  auto hs512 = sign_token(c, JwtAlg::hs512, kSecret, &error);
  ASSERT_TRUE(hs512.ok()) << error;
  EXPECT_EQ(part(*hs512, 2).size(), 64u);
}

TEST(SignToken, EcdsaSignaturesVerifyManyTimes) {
  // r and s are padded to the curve size: about 1 in 256 signatures has a short r or s, which
  // an unpadded conversion would get wrong. 600 signatures make a miss here very unlikely.
  auto keys = pem_keys(tk::kEc256APublic);
  Claims c;
  std::string error;
  for (int i = 0; i < 600; ++i) {
    c.sub = std::to_string(i);
    auto token = sign_token(c, JwtAlg::es256, tk::kEc256APrivate, &error);
    ASSERT_TRUE(token.ok()) << error;
    ASSERT_EQ(verdict(*token, *keys), "ok") << i;
  }
}

TEST(SignToken, TraditionalPemPrivateKey) {
  std::string error;
  auto token = sign_token(Claims{}, JwtAlg::rs256, tk::kRsaAPrivateTraditional, &error);
  ASSERT_TRUE(token.ok()) << error;
  EXPECT_EQ(verdict(*token, *pem_keys(tk::kRsaAPublic)), "ok");
}

TEST(SignToken, KeyMustFitTheAlg) {
  Claims c;
  EXPECT_NE(sign_error(c, JwtAlg::rs256, tk::kEc256APrivate).find("RS256 needs an RSA key"),
            std::string::npos);
  EXPECT_NE(sign_error(c, JwtAlg::es256, tk::kEc384Private).find("EC P-256"), std::string::npos);
  EXPECT_NE(sign_error(c, JwtAlg::es384, tk::kRsaAPrivate).find("EC P-384"), std::string::npos);
  EXPECT_NE(sign_error(c, JwtAlg::rs256, tk::kRsaSmallPrivate).find("1024 bits"),
            std::string::npos);
  EXPECT_NE(sign_error(c, JwtAlg::es256, tk::kEcK1Private).find("secp256k1"), std::string::npos);
  EXPECT_NE(sign_error(c, JwtAlg::rs256, tk::kRsaAPublic), "");
  EXPECT_NE(sign_error(c, JwtAlg::rs256, tk::kRsaAPrivateEncrypted).find("encrypted"),
            std::string::npos);
  EXPECT_NE(sign_error(c, JwtAlg::rs256, "garbage"), "");
  EXPECT_NE(sign_error(c, JwtAlg::hs256, "short").find("at least 32"), std::string::npos);
}

TEST(SignToken, ClaimsMustBeValid) {
  Claims c;
  c.channels = {"ok", "no*pe"};
  EXPECT_NE(sign_error(c, JwtAlg::hs256, kSecret).find("no*pe"), std::string::npos);
  c = Claims{};
  c.publish = {""};
  EXPECT_NE(sign_error(c, JwtAlg::hs256, kSecret), "");
  c = Claims{};
  c.info = "[1]";
  EXPECT_NE(sign_error(c, JwtAlg::hs256, kSecret).find("object"), std::string::npos);
  c.info = "{";
  EXPECT_NE(sign_error(c, JwtAlg::hs256, kSecret).find("object"), std::string::npos);
}

}  // namespace herald::jwt
