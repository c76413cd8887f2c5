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

TEST(Channel, AChannelNameIsMadeOnlyOfAValidName) {
  base::ChannelName none;
  EXPECT_TRUE(none.empty());
  std::string text = "chat:room-1";
  base::ChannelName name = base::ChannelName::check(text);
  ASSERT_FALSE(name.empty());
  EXPECT_EQ(name.view(), text);
  EXPECT_EQ(name.view().data(), text.data());  // a view of the caller's bytes
  for (std::string bad : {std::string(), std::string(256, 'x'), std::string("a b"),
                          std::string("dm:alice,bob"), std::string("caf\xc3\xa9")}) {
    EXPECT_TRUE(base::ChannelName::check(bad).empty()) << bad;
  }
}

TEST(Channel, AnEpochIsOneToSixteenLettersOrDigits) {
  EXPECT_FALSE(base::valid_epoch(""));
  EXPECT_TRUE(base::valid_epoch("aZ09"));
  EXPECT_TRUE(base::valid_epoch(std::string(16, 'e')));
  EXPECT_FALSE(base::valid_epoch(std::string(17, 'e')));
  for (size_t len : {1u, 8u, 16u}) {
    for (size_t at = 0; at < len; ++at) {
      for (int c = 0; c < 256; ++c) {
        std::string epoch(len, 'E');
        epoch[at] = static_cast<char>(c);
        bool want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        ASSERT_EQ(base::valid_epoch(epoch), want) << "byte " << c << " at " << at;
      }
    }
  }
}

TEST(Channel, NamespaceIsTheTextBeforeTheFirstColon) {
  EXPECT_EQ(channel_namespace("chat:room:1"), "chat");
  EXPECT_EQ(channel_namespace("news"), "");
  EXPECT_EQ(channel_namespace(":x"), "");
  EXPECT_EQ(channel_namespace("public:"), "public");
}

}  // namespace herald::proto
