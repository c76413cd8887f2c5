#include "ws/channel_list.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::ws {
namespace {

TEST(ChannelList, AddsFindsAndRemovesNames) {
  ChannelList l;
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.size(), 0u);
  l.add("news");
  l.add("a-channel-name-longer-than-fifteen-bytes");
  l.add("n");
  EXPECT_EQ(l.size(), 3u);
  EXPECT_TRUE(l.contains("news"));
  EXPECT_TRUE(l.contains("n"));
  EXPECT_TRUE(l.contains("a-channel-name-longer-than-fifteen-bytes"));
  // A prefix, or a name that spans two entries, is not a member.
  EXPECT_FALSE(l.contains("new"));
  EXPECT_FALSE(l.contains("newsa"));
  EXPECT_FALSE(l.contains(""));
  l.remove("news");
  EXPECT_FALSE(l.contains("news"));
  EXPECT_TRUE(l.contains("n"));
  EXPECT_EQ(l.size(), 2u);
  l.remove("absent");
  EXPECT_EQ(l.size(), 2u);
  l.remove("n");
  l.remove("a-channel-name-longer-than-fifteen-bytes");
  EXPECT_TRUE(l.empty());
}

TEST(ChannelList, HoldsTheLongestChannelName) {
  ChannelList l;
  std::string longest(ChannelList::kMaxName, 'x');
  std::string other(ChannelList::kMaxName, 'y');
  l.add(longest);
  l.add(other);
  EXPECT_TRUE(l.contains(longest));
  EXPECT_TRUE(l.contains(other));
  EXPECT_FALSE(l.contains(longest.substr(1)));
  l.remove(longest);
  EXPECT_FALSE(l.contains(longest));
  EXPECT_TRUE(l.contains(other));
  l.clear();
  EXPECT_TRUE(l.empty());
}

}  // namespace
}  // namespace herald::ws
