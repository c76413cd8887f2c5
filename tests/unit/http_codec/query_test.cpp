#include "http_codec/query.h"

#include <gtest/gtest.h>

namespace herald::http {
namespace {

TEST(PercentDecode, DecodesEscapesAndPlus) {
  EXPECT_EQ(*percent_decode("a%20b%2Fc%2f", false), "a b/c/");
  EXPECT_EQ(*percent_decode("a+b", true), "a b");
  EXPECT_EQ(*percent_decode("a+b", false), "a+b");
  EXPECT_EQ(*percent_decode("%e2%82%AC", false), "\xe2\x82\xac");
  EXPECT_EQ(*percent_decode("", false), "");
  EXPECT_EQ(percent_decode("%00", false)->size(), 1u);
}

TEST(PercentDecode, RejectsInvalidEscapes) {
  for (std::string_view bad : {"%", "%4", "a%zz", "%g0", "abc%2", "%%41"}) {
    auto r = percent_decode(bad, true);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error(), base::Errc::bad_request);
  }
}

TEST(QueryParams, KeepsOrderAndRepeats) {
  auto q = QueryParams::parse("channel=a&since=E%3A41&channel=b&wait=0&channel=c+d");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->items().size(), 5u);
  EXPECT_EQ(q->items()[1].name, "since");
  EXPECT_EQ(q->items()[1].value, "E:41");
  std::vector<std::string_view> channels = q->all("channel");
  ASSERT_EQ(channels.size(), 3u);
  EXPECT_EQ(channels[0], "a");
  EXPECT_EQ(channels[1], "b");
  EXPECT_EQ(channels[2], "c d");
  EXPECT_EQ(q->get("wait"), "0");
  bool found = true;
  EXPECT_EQ(q->get("token", &found), "");
  EXPECT_FALSE(found);
  EXPECT_TRUE(q->has("since"));
  EXPECT_TRUE(q->all("nothing").empty());
}

TEST(QueryParams, EmptyPairsAndBareNames) {
  auto q = QueryParams::parse("&a=1&&flag&b=&=v&");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->items().size(), 4u);
  EXPECT_EQ(q->get("a"), "1");
  bool found = false;
  EXPECT_EQ(q->get("flag", &found), "");
  EXPECT_TRUE(found);
  EXPECT_TRUE(q->has("b"));
  EXPECT_EQ(q->get(""), "v");
  EXPECT_TRUE(QueryParams::parse("")->empty());
}

TEST(QueryParams, ValueMayContainEquals) {
  auto q = QueryParams::parse("token=abc.def==&x=1");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->get("token"), "abc.def==");
}

TEST(QueryParams, InvalidEscapeIsAnError) {
  EXPECT_EQ(QueryParams::parse("channel=a&since=%zz").error(), base::Errc::bad_request);
  EXPECT_EQ(QueryParams::parse("chan%4=a").error(), base::Errc::bad_request);
}

TEST(FirstUnknownParam, NamesTheFirstNameOutsideTheList) {
  constexpr std::string_view kKnown[] = {"channel", "since", "wait"};
  EXPECT_EQ(first_unknown_param("", kKnown), "");
  EXPECT_EQ(first_unknown_param("channel=a&channel=b&since=E:1&wait=0", kKnown), "");
  EXPECT_EQ(first_unknown_param("channel=a&cursor=E:1", kKnown), "cursor");
  EXPECT_EQ(first_unknown_param("channel=a&Since=E:1&wait", kKnown), "Since");  // exact case
  EXPECT_EQ(first_unknown_param("channel=a&&wait&x&y=1", kKnown), "x");
  // Names are compared decoded, as QueryParams::parse decodes them.
  EXPECT_EQ(first_unknown_param("%73ince=E:1&channel=a", kKnown), "");
  EXPECT_EQ(first_unknown_param("chan+nel=a", kKnown), "chan nel");
  EXPECT_EQ(first_unknown_param("=a", kKnown), "");
  // A name that does not decode is QueryParams::parse's error, not this one's.
  EXPECT_EQ(first_unknown_param("ch%zz=a&channel=b", kKnown), "");
  EXPECT_EQ(first_unknown_param("channel=a", {}), "channel");
}

}  // namespace
}  // namespace herald::http

namespace herald::http {
namespace {

TEST(RedactedTarget, CredentialValuesNeverReachALog) {
  EXPECT_EQ(redacted_target("/health", ""), "/health");
  EXPECT_EQ(redacted_target("/sse", "channel=a&token=eyJ.x.y"), "/sse?channel=a&token=REDACTED");
  EXPECT_EQ(redacted_target("/ws", "token=a&token=b"), "/ws?token=REDACTED&token=REDACTED");
  // Any case, percent-encoded names, the usual other names.
  EXPECT_EQ(redacted_target("/p", "TOKEN=1&%74oken=2&access_token=3&api_key=4&password=5"),
            "/p?TOKEN=REDACTED&%74oken=REDACTED&access_token=REDACTED&api_key=REDACTED&"
            "password=REDACTED");
  // Other parameters, empty pairs and a bare name stay as sent.
  EXPECT_EQ(redacted_target("/p", "since=E:1&&token&x=%zz"), "/p?since=E:1&&token&x=%zz");
  EXPECT_EQ(redacted_target("/p", "tokens=1&my_token=2"), "/p?tokens=1&my_token=2");
}

}  // namespace
}  // namespace herald::http
