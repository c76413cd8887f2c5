#include "jwt/keys.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "base/limits.h"
#include "jwt/base64url.h"
#include "test_keys.h"
#include "token_util.h"

namespace herald::jwt {
namespace {

using namespace testing;
namespace tk = test_keys;

std::string q(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string rsa_jwk(std::string_view kid, std::string_view n = tk::kRsaAJwkN,
                    std::string_view extra = "") {
  return R"({"kty":"RSA","kid":)" + q(kid) + R"(,"n":)" + q(n) + R"(,"e":)" + q(tk::kRsaAJwkE) +
         std::string(extra) + "}";
}

std::string ec_jwk(std::string_view kid, std::string_view crv, std::string_view x,
                   std::string_view y, std::string_view extra = "") {
  return R"({"kty":"EC","kid":)" + q(kid) + R"(,"crv":)" + q(crv) + R"(,"x":)" + q(x) + R"(,"y":)" +
         q(y) + std::string(extra) + "}";
}

std::string oct_jwk(std::string_view kid, std::string_view secret, std::string_view extra = "") {
  return R"({"kty":"oct","kid":)" + q(kid) + R"(,"k":)" + q(base64url_encode(secret)) +
         std::string(extra) + "}";
}

std::string jwks(std::initializer_list<std::string> keys) {
  std::string out = R"({"keys":[)";
  for (const std::string& k : keys) {
    if (out.back() != '[') out += ',';
    out += k;
  }
  return out + "]}";
}

// A private temporary file that is removed with the object.
class TempFile {
 public:
  explicit TempFile(std::string_view content) {
    char name[] = "/tmp/herald-keys-test-XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    ::close(fd);
    path_ = name;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string rs256(std::string_view header, std::string_view private_pem = tk::kRsaAPrivate) {
  return mint(header, R"({"sub":"u"})", JwtAlg::rs256, private_pem);
}

}  // namespace

TEST(KeySetLoad, NothingConfiguredIsAnEmptySet) {
  auto keys = load_keys(KeyConfig{});
  EXPECT_TRUE(keys->empty());
  EXPECT_EQ(keys->size(), 0u);
}

TEST(KeySetLoad, HmacSecretMustBeLongEnough) {
  KeyConfig c;
  c.hmac_secret = std::string(base::limits::kMinHmacSecretBytes - 1, 's');
  EXPECT_NE(load_error(c).find("at least 32"), std::string::npos) << load_error(c);
  c.hmac_secret = std::string(base::limits::kMinHmacSecretBytes, 's');
  EXPECT_EQ(load_error(c), "");
}

TEST(KeySetLoad, HmacSecretFileLosesItsTrailingNewline) {
  TempFile f(std::string(kSecret) + "\n");
  KeyConfig c;
  c.hmac_secret_file = f.path();
  auto keys = load_keys(c);
  EXPECT_EQ(verdict(hs256(R"({"sub":"a"})"), *keys), "ok");
  TempFile crlf(std::string(kSecret) + "\r\n");
  c.hmac_secret_file = crlf.path();
  EXPECT_EQ(verdict(hs256(R"({"sub":"a"})"), *load_keys(c)), "ok");
}

TEST(KeySetLoad, UnreadableAndConflictingSources) {
  KeyConfig c;
  c.hmac_secret_file = "/nonexistent/herald-secret";
  EXPECT_NE(load_error(c).find("/nonexistent/herald-secret"), std::string::npos);
  c = KeyConfig{};
  c.public_key_file = "/nonexistent/key.pem";
  EXPECT_NE(load_error(c).find("/nonexistent/key.pem: cannot read"), std::string::npos);
  c = KeyConfig{};
  c.hmac_secret = kSecret;
  c.hmac_secret_file = "/dev/null";
  EXPECT_NE(load_error(c).find("both"), std::string::npos);
  TempFile empty("\n");
  c = KeyConfig{};
  c.hmac_secret_file = empty.path();
  EXPECT_NE(load_error(c).find("at least"), std::string::npos);
}

TEST(KeySetLoad, KeyFilesAreBounded) {
  TempFile huge(std::string(base::limits::kMaxKeyFileBytes + 1, 'a'));
  KeyConfig c;
  c.jwks_file = huge.path();
  EXPECT_NE(load_error(c).find("larger than"), std::string::npos) << load_error(c);
}

TEST(KeySetLoad, PublicKeyPemTypes) {
  KeyConfig c;
  for (std::string_view pem :
       {tk::kRsaAPublic, tk::kRsaAPublicPkcs1, tk::kEc256APublic, tk::kEc384Public}) {
    c.public_key_pem = pem;
    EXPECT_EQ(load_error(c), "") << pem;
  }
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256"})"), *pem_keys(tk::kRsaAPublicPkcs1)), "ok");
  TempFile file(tk::kEc256APublic);
  c = KeyConfig{};
  c.public_key_file = file.path();
  auto keys = load_keys(c);
  EXPECT_NE(keys->describe().find("EC P-256 public key from public_key_file"), std::string::npos)
      << keys->describe();
}

TEST(KeySetLoad, PublicKeyPemRefusals) {
  KeyConfig c;
  c.public_key_pem = tk::kRsaAPrivate;
  EXPECT_NE(load_error(c).find("private key"), std::string::npos) << load_error(c);
  c.public_key_pem = tk::kRsaSmallPublic;
  EXPECT_NE(load_error(c).find("1024 bits"), std::string::npos) << load_error(c);
  c.public_key_pem = tk::kEcK1Public;
  EXPECT_NE(load_error(c).find("secp256k1"), std::string::npos) << load_error(c);
  c.public_key_pem = tk::kEd25519Public;
  EXPECT_NE(load_error(c).find("ED25519"), std::string::npos) << load_error(c);
  c.public_key_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  EXPECT_NE(load_error(c), "");
  c.public_key_pem = "not a pem";
  EXPECT_NE(load_error(c), "");
}

TEST(KeySetLoad, JwksOfEveryType) {
  auto keys = jwks_keys(
      jwks({rsa_jwk("r"), ec_jwk("e", "P-256", tk::kEc256AJwkX, tk::kEc256AJwkY),
            ec_jwk("f", "P-384", tk::kEc384JwkX, tk::kEc384JwkY), oct_jwk("o", kSecret)}));
  EXPECT_EQ(keys->size(), 4u);
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256","kid":"r"})"), *keys), "ok");
  EXPECT_EQ(
      verdict(mint(R"({"alg":"ES256","kid":"e"})", "{}", JwtAlg::es256, tk::kEc256APrivate), *keys),
      "ok");
  EXPECT_EQ(
      verdict(mint(R"({"alg":"ES384","kid":"f"})", "{}", JwtAlg::es384, tk::kEc384Private), *keys),
      "ok");
  EXPECT_EQ(verdict(mint(R"({"alg":"HS512","kid":"o"})", "{}", JwtAlg::hs512), *keys), "ok");
  // Without kid, each type has exactly one key: it is used.
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256"})"), *keys), "ok");
  EXPECT_EQ(verdict(hs256("{}"), *keys), "ok");
}

TEST(KeySetLoad, JwksSkipsKeysItCannotUse) {
  std::string okp =
      R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
  std::string p521 = R"({"kty":"EC","crv":"P-521","x":"AA","y":"AA"})";
  std::string enc = rsa_jwk("enc", tk::kRsaBJwkN, R"(,"use":"enc")");
  std::string oaep = rsa_jwk("oaep", tk::kRsaBJwkN, R"(,"alg":"RSA-OAEP")");
  std::string unknown = R"({"kty":"XYZ"})";
  auto keys = jwks_keys(jwks({okp, p521, enc, oaep, unknown, rsa_jwk("r")}));
  EXPECT_EQ(keys->size(), 1u) << keys->describe();
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256"})"), *keys), "ok");
  KeyConfig c;
  c.jwks_json = jwks({okp, p521, enc});
  EXPECT_NE(load_error(c).find("no key herald can use"), std::string::npos) << load_error(c);
  c.jwks_json = R"({"keys":[]})";
  EXPECT_NE(load_error(c).find("no key herald can use"), std::string::npos) << load_error(c);
}

TEST(KeySetLoad, JwksErrors) {
  struct Case {
    std::string json;
    std::string_view expect;
  };
  const Case cases[] = {
      {"not json", "not a JSON object"},
      {"[]", "not a JSON object"},
      {R"({"keys":{}})", "no \"keys\" array"},
      {R"({"keys":[5]})", "keys[0] is not an object"},
      {R"({"keys":[{"kid":"a"}]})", "keys[0] has no \"kty\""},
      {R"({"keys":[{"kty":"RSA","kty":"RSA"}]})", "repeats a member name"},
      {R"({"keys":[{"kty":"RSA","kid":5}]})", "keys[0].kid is not a string"},
      {R"({"keys":[{"kty":"RSA","n":"a+b","e":"AQAB"}]})", "\"n\" is missing or not base64url"},
      {R"({"keys":[{"kty":"RSA","e":"AQAB"}]})", "\"n\" is missing"},
      {jwks({rsa_jwk("d", tk::kRsaAJwkN, R"(,"d":"AQAB")")}), "private key"},
      {jwks({ec_jwk("d", "P-256", tk::kEc256AJwkX, tk::kEc256AJwkY,
                    R"(,"d":)" + q(tk::kEc256AJwkD))}),
       "private key"},
      {jwks({ec_jwk("short", "P-256", tk::kEc256AJwkX, "AAAA")}), "32 bytes"},
      {jwks({ec_jwk("off", "P-256", tk::kEc256AJwkX, tk::kEc256BJwkY)}), "not on curve"},
      {jwks({ec_jwk("p384", "P-384", tk::kEc256AJwkX, tk::kEc256AJwkY)}), "48 bytes"},
      {jwks({oct_jwk("o", "short")}), "at least 32"},
      {jwks({rsa_jwk("a"), rsa_jwk("a", tk::kRsaBJwkN)}), "a second RSA key with kid \"a\""},
      {jwks({rsa_jwk("a", tk::kRsaAJwkN, R"(,"alg":"ES256")")}), "does not fit"},
      {jwks({oct_jwk("a", kSecret, R"(,"alg":"RS256")")}), "does not fit"},
      {jwks({rsa_jwk("small", tk::kRsaSmallJwkN)}), "1024 bits"},
  };
  for (const Case& c : cases) {
    KeyConfig config;
    config.jwks_json = c.json;
    std::string error = load_error(config);
    EXPECT_NE(error.find(c.expect), std::string::npos) << c.json << " -> " << error;
    EXPECT_NE(error.find("jwks_json"), std::string::npos) << error;
  }
  std::string many = R"({"keys":[)";
  for (size_t i = 0; i <= base::limits::kMaxJwksKeys; ++i) {
    many += (i ? "," : "") + rsa_jwk("k" + std::to_string(i));
  }
  KeyConfig config;
  config.jwks_json = many + "]}";
  EXPECT_NE(load_error(config).find("at most"), std::string::npos);
}

TEST(KeySetSelect, KidChoosesTheJwk) {
  auto keys = jwks_keys(jwks({rsa_jwk("a"), rsa_jwk("b", tk::kRsaBJwkN)}));
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256","kid":"a"})"), *keys), "ok");
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256","kid":"b"})", tk::kRsaBPrivate), *keys), "ok");
  // The kid decides which key; signed by the other one, it fails.
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256","kid":"b"})"), *keys), "bad_signature");
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256","kid":"c"})"), *keys), "unknown_kid");
  // Without kid and two RSA keys, herald does not try them in turn.
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256"})"), *keys), "unknown_kid");
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256","kid":""})"), *keys), "unknown_kid");
}

TEST(KeySetSelect, KidOfAnotherKeyTypeIsAMismatch) {
  auto keys =
      jwks_keys(jwks({rsa_jwk("r"), ec_jwk("e", "P-256", tk::kEc256AJwkX, tk::kEc256AJwkY)}));
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256","kid":"e"})"), *keys), "alg_key_mismatch");
  EXPECT_EQ(
      verdict(mint(R"({"alg":"ES256","kid":"r"})", "{}", JwtAlg::es256, tk::kEc256APrivate), *keys),
      "alg_key_mismatch");
}

TEST(KeySetSelect, OneKidMayNameKeysOfSeveralTypes) {
  auto keys =
      jwks_keys(jwks({rsa_jwk("k"), ec_jwk("k", "P-256", tk::kEc256AJwkX, tk::kEc256AJwkY)}));
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256","kid":"k"})"), *keys), "ok");
  EXPECT_EQ(
      verdict(mint(R"({"alg":"ES256","kid":"k"})", "{}", JwtAlg::es256, tk::kEc256APrivate), *keys),
      "ok");
}

TEST(KeySetSelect, JwkAlgRestrictsTheKey) {
  auto keys = jwks_keys(jwks({oct_jwk("o", kSecret, R"(,"alg":"HS256")")}));
  EXPECT_EQ(verdict(mint(R"({"alg":"HS256","kid":"o"})", "{}", JwtAlg::hs256), *keys), "ok");
  EXPECT_EQ(verdict(mint(R"({"alg":"HS384","kid":"o"})", "{}", JwtAlg::hs384), *keys),
            "alg_key_mismatch");
  EXPECT_EQ(verdict(mint(R"({"alg":"HS384"})", "{}", JwtAlg::hs384), *keys), "alg_key_mismatch");
}

TEST(KeySetSelect, ConfiguredKeysAndJwksTogether) {
  KeyConfig c;
  c.hmac_secret = kSecret;
  c.public_key_pem = tk::kRsaBPublic;
  c.jwks_json = jwks({rsa_jwk("a")});
  auto keys = load_keys(c);
  EXPECT_EQ(keys->size(), 3u);
  // kid names the JWK.
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256","kid":"a"})"), *keys), "ok");
  // No kid, or a kid no JWK has: the configured PEM key.
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256"})", tk::kRsaBPrivate), *keys), "ok");
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256","kid":"zz"})", tk::kRsaBPrivate), *keys), "ok");
  EXPECT_EQ(verdict(rs256(R"({"alg":"RS256"})"), *keys), "bad_signature");
  // HS* goes to the secret whatever the kid says.
  EXPECT_EQ(verdict(mint(R"({"alg":"HS256","kid":"zz"})", "{}", JwtAlg::hs256), *keys), "ok");
  EXPECT_EQ(verdict(mint(R"({"alg":"ES256"})", "{}", JwtAlg::es256, tk::kEc256APrivate), *keys),
            "alg_key_mismatch");
}

TEST(KeySetSelect, DescribeNamesNoSecret) {
  KeyConfig c;
  c.hmac_secret = kSecret;
  c.jwks_json =
      jwks({oct_jwk("o", kOtherSecret), rsa_jwk("r", tk::kRsaAJwkN, R"(,"alg":"RS256")")});
  std::string text = load_keys(c)->describe();
  EXPECT_NE(text.find("HMAC secret from hmac_secret"), std::string::npos) << text;
  EXPECT_NE(text.find("RSA public key kid=r alg=RS256 from jwks_json keys[1]"), std::string::npos)
      << text;
  EXPECT_EQ(text.find(kSecret), std::string::npos);
  EXPECT_EQ(text.find(base64url_encode(kOtherSecret)), std::string::npos);
}

}  // namespace herald::jwt
