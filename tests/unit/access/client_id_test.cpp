#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

#include "access/identity.h"

namespace herald::access {
namespace {

TEST(ClientId, SpelledAsLoopAndCount) {
  ClientId none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.text(), "");
  ClientId a = ClientId::next(3), b = ClientId::next(3);
  EXPECT_FALSE(a.empty());
  EXPECT_NE(a, b);
  std::string ta = a.text(), tb = b.text();
  ASSERT_EQ(ta.rfind("c3-", 0), 0u) << ta;
  EXPECT_EQ(std::stoull(tb.substr(3)), std::stoull(ta.substr(3)) + 1);
  // Loop 0's first id is not "no id".
  std::thread([] {
    ClientId first = ClientId::next(0);
    EXPECT_FALSE(first.empty());
    EXPECT_EQ(first.text(), "c0-1");
  }).join();
}

TEST(ClientId, ParseIsTheInverseOfText) {
  ClientId a = ClientId::next(65535);
  ASSERT_TRUE(ClientId::parse(a.text()).has_value());
  EXPECT_EQ(*ClientId::parse(a.text()), a);
  std::set<std::string> seen;
  for (int loop : {0, 1, 7}) {
    ClientId id = ClientId::next(loop);
    EXPECT_TRUE(seen.insert(id.text()).second);
    EXPECT_EQ(ClientId::parse(id.text()), id);
  }
  for (const char* bad : {"", "c", "c0", "c0-", "c-1", "c0-0", "c00-1", "c0-01", "c0-+1", "c0-1x",
                          "x0-1", "c65536-1", "c0-281474976710656", "C0-1", "c0--1", " c0-1"})
    EXPECT_FALSE(ClientId::parse(bad).has_value()) << bad;
}

}  // namespace
}  // namespace herald::access
