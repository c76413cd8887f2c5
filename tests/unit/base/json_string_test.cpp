// base::append_json_string: whatever bytes come in (a client's user agent, a channel name), the
// output is one valid JSON string literal.
#include "base/json_string.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::base {
namespace {

std::string quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonString, PlainAsciiIsCopiedInQuotes) {
  EXPECT_EQ(quoted(""), "\"\"");
  EXPECT_EQ(quoted("conn_open c0-1"), "\"conn_open c0-1\"");
}

TEST(JsonString, QuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
}

TEST(JsonString, ControlCharactersBecomeUnicodeEscapes) {
  EXPECT_EQ(quoted(std::string("a\nb\r\t\x01\x1f", 7)),
            "\"a\\u000ab\\u000d\\u0009\\u0001\\u001f\"");
  EXPECT_EQ(quoted(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
}

TEST(JsonString, ValidUtf8IsKept) {
  EXPECT_EQ(quoted("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(JsonString, InvalidUtf8IsReplacedByteByByte) {
  const std::string kFffd = "\xEF\xBF\xBD";
  EXPECT_EQ(quoted("a\xFF"
                   "b"),
            "\"a" + kFffd + "b\"");
  EXPECT_EQ(quoted("\xC3"), "\"" + kFffd + "\"");                          // truncated sequence
  EXPECT_EQ(quoted("\xC0\xAF"), "\"" + kFffd + kFffd + "\"");              // overlong '/'
  EXPECT_EQ(quoted("\xED\xA0\x80"), "\"" + kFffd + kFffd + kFffd + "\"");  // surrogate
  EXPECT_EQ(quoted("\xF4\x90\x80\x80"), "\"" + kFffd + kFffd + kFffd + kFffd + "\"");
}

}  // namespace
}  // namespace herald::base
