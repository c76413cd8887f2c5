#include "hub/channel.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::hub {

TEST(Channel, ValidNamesFollowTheGrammar) {
  EXPECT_TRUE(valid_channel("a"));
  EXPECT_TRUE(valid_channel("public:chat.room_1@x#y=z-w"));
  EXPECT_TRUE(valid_channel(std::string(255, 'a')));
  EXPECT_FALSE(valid_channel(""));
  EXPECT_FALSE(valid_channel(std::string(256, 'a')));
  EXPECT_FALSE(valid_channel("has space"));
  EXPECT_FALSE(valid_channel("slash/no"));
  EXPECT_FALSE(valid_channel("caf\xc3\xa9"));
}

TEST(Channel, NamespaceIsTextBeforeFirstColon) {
  EXPECT_EQ(channel_namespace("chat:room:1"), "chat");
  EXPECT_EQ(channel_namespace("plain"), "");
  EXPECT_EQ(channel_namespace(":x"), "");
}

TEST(Channel, Fnv1aIsTheStandardHash) {
  // Reference values of 64-bit FNV-1a: ownership must not change between builds.
  EXPECT_EQ(fnv1a(""), 14695981039346656037ull);
  EXPECT_EQ(fnv1a("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a("foobar"), 0x85944171f73967e8ull);
}

TEST(Cursor, RoundTrips) {
  Cursor c{"AbC123xy", 42};
  EXPECT_EQ(c.str(), "AbC123xy:42");
  auto p = Cursor::parse("AbC123xy:42");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, c);
  auto big = Cursor::parse("E:18446744073709551615");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->offset, UINT64_MAX);
  EXPECT_EQ(Cursor::parse("E:0")->offset, 0u);
}

TEST(Cursor, RejectsMalformedText) {
  for (const char* bad :
       {"", ":", "E", "E:", ":5", "E:-1", "E:+1", "E:1x", "E:18446744073709551616",
        "E:99999999999999999999", "E F:1", "E:1:2", "E\x01:3", "E_x:1", "E:01"}) {
    EXPECT_FALSE(Cursor::parse(bad)) << bad;
  }
  EXPECT_FALSE(Cursor::parse(std::string(17, 'e') + ":1"));
  EXPECT_TRUE(Cursor::parse(std::string(16, 'e') + ":1"));
}

}  // namespace herald::hub
