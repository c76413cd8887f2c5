#include "sse/request.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "proto/cursor.h"

namespace herald::sse {
namespace {

base::Settings open_settings() {
  base::Settings s;
  base::NamespaceSettings pub;
  pub.name = "public";
  pub.anonymous = true;
  s.namespaces.push_back(pub);
  s.poll_max_channels = 3;
  return s;
}

struct Parsed {
  bool ok;
  ChannelRequest req;
  RequestError err;
};

Parsed parse(std::string_view query, std::string_view cursor = {},
             const base::Settings& s = open_settings()) {
  Parsed p;
  auto q = http::QueryParams::parse(query);
  EXPECT_TRUE(q.ok());
  p.ok = parse_channel_request(*q, cursor, s, &p.req, &p.err);
  return p;
}

TEST(ChannelRequest, ChannelsInOrderWithoutDuplicates) {
  Parsed p = parse("channel=public:b&channel=public:a&channel=public:b");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.req.channels, (std::vector<std::string>{"public:b", "public:a"}));
  ASSERT_EQ(p.req.since.size(), 2u);
  EXPECT_FALSE(p.req.since[0]);
  EXPECT_FALSE(p.req.has_cursor);
}

TEST(ChannelRequest, MissingChannelIs400) {
  Parsed p = parse("since=abc:1");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.err.status, 400);
  EXPECT_EQ(p.err.message, "missing channel");
}

TEST(ChannelRequest, BadNameIs400) {
  Parsed p = parse("channel=public:a%20b");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.err.status, 400);
  EXPECT_EQ(p.err.message, "bad channel name");
  EXPECT_FALSE(parse("channel=").ok);
}

TEST(ChannelRequest, TooManyChannelsIs400ButRepeatsDoNotCount) {
  Parsed p = parse("channel=public:a&channel=public:b&channel=public:c&channel=public:d");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.err.status, 400);
  EXPECT_EQ(p.err.message, "too many channels");
  EXPECT_TRUE(parse("channel=public:a&channel=public:b&channel=public:c&channel=public:a").ok);
}

TEST(ChannelRequest, PermissionIsNotDecidedHere) {
  // Whether the client may subscribe is the access layer's decision, made with its identity.
  EXPECT_TRUE(parse("channel=public:a&channel=private:x").ok);
}

TEST(ChannelRequest, PlainCursorNamesTheOnlyChannel) {
  Parsed p = parse("channel=public:a", "Ep0ch:41");
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.req.has_cursor);
  ASSERT_TRUE(p.req.since[0]);
  EXPECT_EQ(p.req.since[0]->str(), "Ep0ch:41");
}

TEST(ChannelRequest, PlainCursorWithTwoChannelsIs400) {
  Parsed p = parse("channel=public:a&channel=public:b", "E:1");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.err.status, 400);
  EXPECT_EQ(p.err.message, "bad cursor");
}

TEST(ChannelRequest, MalformedCursorsAre400) {
  for (std::string_view c : {"nocolon", "E:-1", "E:01", ":5", "m1.!!", "m1.", "E:1:2"}) {
    Parsed p = parse("channel=public:a", c);
    if (c == "m1.") {
      // An empty multi-cursor is well formed: no channel resumes.
      EXPECT_TRUE(p.ok) << c;
      continue;
    }
    EXPECT_FALSE(p.ok) << c;
    EXPECT_EQ(p.err.status, 400) << c;
  }
}

TEST(ChannelRequest, MultiCursorKeepsOnlyRequestedChannels) {
  std::string m = proto::encode_multi_cursor(
      {{"public:a", {"Aa", 3}}, {"public:gone", {"Aa", 9}}, {"public:b", {"Bb", 0}}});
  Parsed p = parse("channel=public:b&channel=public:c&channel=public:a", m);
  ASSERT_TRUE(p.ok);
  ASSERT_EQ(p.req.since.size(), 3u);
  ASSERT_TRUE(p.req.since[0]);
  EXPECT_EQ(p.req.since[0]->str(), "Bb:0");
  EXPECT_FALSE(p.req.since[1]);  // not in the cursor: from now
  ASSERT_TRUE(p.req.since[2]);
  EXPECT_EQ(p.req.since[2]->str(), "Aa:3");
}

TEST(ChooseCursor, LastEventIdWinsOverSince) {
  EXPECT_EQ(choose_cursor("A:5", true, "A:1"), "A:5");
  EXPECT_EQ(choose_cursor("", true, "A:1"), "A:1");
  EXPECT_EQ(choose_cursor("", false, "A:1"), "A:1");
  EXPECT_EQ(choose_cursor("", false, ""), "");
}

TEST(WaitParam, SecondsToMillisecondsCapped) {
  EXPECT_EQ(parse_wait_ms("0", 120), 0u);
  EXPECT_EQ(parse_wait_ms("25", 120), 25000u);
  EXPECT_EQ(parse_wait_ms("0.5", 120), 500u);
  EXPECT_EQ(parse_wait_ms("1.25", 120), 1250u);
  EXPECT_EQ(parse_wait_ms("007", 120), 7000u);
  EXPECT_EQ(parse_wait_ms("121", 120), 120000u);
  EXPECT_EQ(parse_wait_ms("99999999999999999999999999", 120), 120000u);
  EXPECT_EQ(parse_wait_ms("120.999", 120), 120000u);
}

TEST(WaitParam, GarbageIsRefused) {
  for (std::string_view w : {"", "-1", "+1", "1e3", "abc", "1.", ".5", "0.1234", "1 ", "1,5"})
    EXPECT_FALSE(parse_wait_ms(w, 120)) << "'" << w << "'";
}

TEST(Cors, AnyOriginWhenNoListElseEchoListed) {
  std::vector<std::string> none;
  EXPECT_EQ(cors_allow_origin("https://a.example", none), "*");
  EXPECT_EQ(cors_allow_origin("", none), "*");
  std::vector<std::string> list{"https://a.example", "https://b.example"};
  EXPECT_EQ(cors_allow_origin("https://b.example", list), "https://b.example");
  EXPECT_EQ(cors_allow_origin("https://evil.example", list), "");
  EXPECT_EQ(cors_allow_origin("", list), "");
  std::vector<std::string> star{"*"};
  EXPECT_EQ(cors_allow_origin("https://x.example", star), "*");
}

}  // namespace
}  // namespace herald::sse
