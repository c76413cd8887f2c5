// base::append_json_string: whatever bytes come in (a client's user agent, a channel name), the
// output is one valid JSON string literal.
#include "base/json_string.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::base {
namespace {

std::string json_of(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonString, PlainAsciiIsCopiedInQuotes) {
  EXPECT_EQ(json_of(""), "\"\"");
  EXPECT_EQ(json_of("conn_open c0-1"), "\"conn_open c0-1\"");
}

TEST(JsonString, QuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(json_of("a\"b\\c"), "\"a\\\"b\\\\c\"");
}

TEST(JsonString, ControlCharactersBecomeUnicodeEscapes) {
  EXPECT_EQ(json_of(std::string("a\nb\r\t\x01\x1f", 7)),
            "\"a\\u000ab\\u000d\\u0009\\u0001\\u001f\"");
  EXPECT_EQ(json_of(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
}

TEST(JsonString, ValidUtf8IsKept) {
  EXPECT_EQ(json_of("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(JsonString, InvalidUtf8IsReplacedByteByByte) {
  const std::string kFffd = "\xEF\xBF\xBD";
  EXPECT_EQ(json_of("a\xFF"
                    "b"),
            "\"a" + kFffd + "b\"");
  EXPECT_EQ(json_of("\xC3"), "\"" + kFffd + "\"");                          // truncated sequence
  EXPECT_EQ(json_of("\xC0\xAF"), "\"" + kFffd + kFffd + "\"");              // overlong '/'
  EXPECT_EQ(json_of("\xED\xA0\x80"), "\"" + kFffd + kFffd + kFffd + "\"");  // surrogate
  EXPECT_EQ(json_of("\xF4\x90\x80\x80"), "\"" + kFffd + kFffd + kFffd + kFffd + "\"");
}

}  // namespace
}  // namespace herald::base
