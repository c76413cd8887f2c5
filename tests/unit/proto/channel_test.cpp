#include "proto/channel.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::proto {

TEST(Channel, AcceptsEveryAllowedCharacter) {
  EXPECT_TRUE(valid_channel("a"));
  EXPECT_TRUE(valid_channel("chat:room-1"));
  EXPECT_TRUE(valid_channel("ABCxyz019_.:@#=-"));
  EXPECT_TRUE(valid_channel(std::string(255, 'x')));
}

TEST(Channel, RejectsEmptyLongAndForeignBytes) {
  EXPECT_FALSE(valid_channel(""));
  EXPECT_FALSE(valid_channel(std::string(256, 'x')));
  for (char c : std::string(" /?&%+,;!\"'\\$*()[]{}<>|^`~\t\n")) {
    EXPECT_FALSE(valid_channel(std::string("a") + c + "b")) << "char " << int(c);
  }
  EXPECT_FALSE(valid_channel(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_channel("caf\xc3\xa9"));
}

TEST(Channel, CountsEveryByteOnlyOnce) {
  int allowed = 0;
  for (int c = 0; c < 256; ++c) allowed += is_channel_char(static_cast<char>(c));
  EXPECT_EQ(allowed, 26 + 26 + 10 + 7);
}

TEST(Channel, CommaOnlyInTheUserListOfAUserLimitedChannel) {
  EXPECT_TRUE(valid_channel("dm:#alice,bob"));
  EXPECT_TRUE(valid_channel("#a,b,c"));
  EXPECT_FALSE(valid_channel("dm:alice,bob"));
  EXPECT_FALSE(valid_channel(",a"));
  EXPECT_FALSE(valid_channel("a,#b"));
}

TEST(Channel, NamespaceIsTheTextBeforeTheFirstColon) {
  EXPECT_EQ(channel_namespace("chat:room:1"), "chat");
  EXPECT_EQ(channel_namespace("news"), "");
  EXPECT_EQ(channel_namespace(":x"), "");
  EXPECT_EQ(channel_namespace("public:"), "public");
}

}  // namespace herald::proto
