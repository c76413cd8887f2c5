#include "ws/channel_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

// One heap block that grows as names come and goes with the last one: the names stay intact
// across every move.
TEST(ChannelList, KeepsItsNamesAsItsBlockGrowsAndGoes) {
  static_assert(sizeof(ChannelList) == 8);
  ChannelList l;
  EXPECT_TRUE(l.empty());
  l.add(std::string(14, 'a'));
  EXPECT_FALSE(l.empty());
  EXPECT_TRUE(l.contains(std::string(14, 'a')));
  l.add("b");
  EXPECT_TRUE(l.contains(std::string(14, 'a')));
  EXPECT_TRUE(l.contains("b"));
  std::vector<std::string> names;
  for (int i = 0; i < 1000; ++i) {
    names.push_back("channel-" + std::to_string(i));
    l.add(names.back());
  }
  EXPECT_EQ(l.size(), 1002u);
  for (const std::string& n : names) EXPECT_TRUE(l.contains(n)) << n;
  for (size_t i = 0; i < names.size(); i += 2) l.remove(names[i]);
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(l.contains(names[i]), i % 2 == 1) << i;
  for (size_t i = 1; i < names.size(); i += 2) l.remove(names[i]);
  l.remove(std::string(14, 'a'));
  EXPECT_EQ(l.size(), 1u);
  EXPECT_TRUE(l.contains("b"));
  l.add("c");
  EXPECT_TRUE(l.contains("c"));
  EXPECT_EQ(l.size(), 2u);
  l.remove("b");
  l.remove("c");
  EXPECT_TRUE(l.empty());
  l.remove("c");  // not there: nothing happens
  EXPECT_TRUE(l.empty());
  l.add(std::string(ChannelList::kMaxName, 'z'));  // a new block for the longest name
  EXPECT_TRUE(l.contains(std::string(ChannelList::kMaxName, 'z')));
  EXPECT_EQ(l.size(), 1u);
}

}  // namespace
}  // namespace herald::ws
