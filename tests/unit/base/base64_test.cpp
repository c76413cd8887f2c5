#include "base/base64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace herald::base {
namespace {

std::string encoded(std::string_view bytes, Base64Form form) {
  std::string out = "prefix:";
  append_base64(out, bytes, form);
  return out.substr(7);
}

// Decodes after a prefix, to check that the bytes are appended and a refusal restores it.
bool decodes(std::string_view text, Base64Form form, std::string* bytes = nullptr) {
  std::string out = "prefix:";
  bool ok = decode_base64(text, &out, form);
  EXPECT_EQ(out.substr(0, 7), "prefix:");
  if (!ok) {
    EXPECT_EQ(out, "prefix:") << text;
  }
  if (bytes) *bytes = out.substr(7);
  return ok;
}

TEST(Base64, Rfc4648VectorsInBothForms) {
  // RFC 4648 section 10; the url form is the same text without its padding.
  const std::pair<std::string_view, std::string_view> vectors[] = {{"", ""},
                                                                   {"f", "Zg=="},
                                                                   {"fo", "Zm8="},
                                                                   {"foo", "Zm9v"},
                                                                   {"foob", "Zm9vYg=="},
                                                                   {"fooba", "Zm9vYmE="},
                                                                   {"foobar", "Zm9vYmFy"}};
  for (auto [plain, text] : vectors) {
    std::string unpadded(text.substr(0, text.find('=')));
    EXPECT_EQ(encoded(plain, Base64Form::standard), text);
    EXPECT_EQ(encoded(plain, Base64Form::url), unpadded);
    std::string got;
    EXPECT_TRUE(decodes(text, Base64Form::standard, &got));
    EXPECT_EQ(got, plain);
    EXPECT_TRUE(decodes(unpadded, Base64Form::url, &got));
    EXPECT_EQ(got, plain);
  }
}

TEST(Base64, EachFormHasItsOwnAlphabetAndPadding) {
  EXPECT_EQ(encoded("\xfb\xff", Base64Form::standard), "+/8=");
  EXPECT_EQ(encoded("\xfb\xff", Base64Form::url), "-_8");
  EXPECT_FALSE(decodes("-_8=", Base64Form::standard));
  EXPECT_FALSE(decodes("+/8", Base64Form::url));
  EXPECT_FALSE(decodes("Zg==", Base64Form::url));     // padding the url form does not have
  EXPECT_FALSE(decodes("Zg", Base64Form::standard));  // padding the standard form needs
}

TEST(Base64, OneSpellingPerByteString) {
  for (Base64Form form : {Base64Form::standard, Base64Form::url}) {
    bool std_form = form == Base64Form::standard;
    EXPECT_FALSE(decodes(std_form ? "Zh==" : "Zh", form));   // unused bits set after 2 chars
    EXPECT_FALSE(decodes(std_form ? "Zm9=" : "Zm9", form));  // ... after 3 chars
    EXPECT_FALSE(decodes("Zm9v\n", form));
    EXPECT_FALSE(decodes("Zm 9v", form));
    EXPECT_FALSE(decodes("Z", form));  // a length no encoder writes
  }
  EXPECT_FALSE(decodes("Z===", Base64Form::standard));
  EXPECT_FALSE(decodes("====", Base64Form::standard));
  EXPECT_FALSE(decodes("Zg=a", Base64Form::standard));
  EXPECT_FALSE(decodes("Zm9vY", Base64Form::standard));
}

TEST(Base64, RoundTripsEveryLengthAndByte) {
  std::mt19937 rng(11);
  for (size_t len = 0; len < 200; ++len) {
    std::string bytes(len, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    for (Base64Form form : {Base64Form::standard, Base64Form::url}) {
      std::string text = encoded(bytes, form);
      EXPECT_EQ(text.size(), base64_encoded_size(len, form));
      std::string back;
      EXPECT_TRUE(decodes(text, form, &back)) << text;
      EXPECT_EQ(back, bytes) << len;
    }
  }
}

}  // namespace
}  // namespace herald::base
