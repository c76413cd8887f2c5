#include "jwt/base64url.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace herald::jwt {
namespace {

std::string decoded(std::string_view text) {
  std::string out;
  EXPECT_TRUE(base64url_decode(text, &out)) << text;
  return out;
}

bool refused(std::string_view text) {
  std::string out;
  return !base64url_decode(text, &out);
}

}  // namespace

TEST(Base64url, Rfc4648Vectors) {
  // RFC 4648 section 10, without the padding.
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base64url_encode(plain), encoded);
    EXPECT_EQ(decoded(encoded), plain);
  }
}

TEST(Base64url, UsesTheUrlAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(decoded("-_8"), "\xfb\xff");
  EXPECT_TRUE(refused("+/8"));  // the standard alphabet's spelling of the same bytes
}

TEST(Base64url, RoundTripsEveryLength) {
  std::mt19937 rng(7);
  for (size_t len = 0; len < 200; ++len) {
    std::string bytes(len, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string text = base64url_encode(bytes);
    EXPECT_EQ(text.size(), base64url_encoded_size(len));
    EXPECT_EQ(base64url_decoded_size(text.size()), len);
    EXPECT_EQ(decoded(text), bytes) << len;
  }
}

TEST(Base64url, RefusesPaddingAndForeignBytes) {
  EXPECT_TRUE(refused("Zg=="));
  EXPECT_TRUE(refused("Zm8="));
  EXPECT_TRUE(refused("Zm9v "));
  EXPECT_TRUE(refused("Zm\n9v"));
  EXPECT_TRUE(refused(std::string_view("Zm\0v", 4)));
  EXPECT_TRUE(refused("Zm9v."));
  EXPECT_TRUE(refused("Zm9\xc3\xa9"));
}

TEST(Base64url, RefusesImpossibleLengths) {
  EXPECT_TRUE(refused("Z"));
  EXPECT_TRUE(refused("Zm9vY"));
  EXPECT_FALSE(refused("Zm9vYg"));
}

TEST(Base64url, RefusesNonZeroTrailingBits) {
  // "Zg" is the only spelling of "f"; "Zh".."Zv" carry the same byte plus stray bits, and a
  // decoder that took them would give one signed token many spellings.
  EXPECT_EQ(decoded("Zg"), "f");
  EXPECT_TRUE(refused("Zh"));
  EXPECT_TRUE(refused("Zv"));
  EXPECT_EQ(decoded("Zm8"), "fo");
  EXPECT_TRUE(refused("Zm9"));
}

}  // namespace herald::jwt
