#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

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

// The count is the identity's own: the last pointer to go deletes it (ASan reports a leak or a
// double delete), and a copied Identity is a new object with its own count.
TEST(IdentityPtr, TheLastHolderDeletesAcrossThreads) {
  auto made = std::make_unique<Identity>();
  made->user = "alice";
  IdentityPtr a(std::move(made));
  IdentityPtr b = a, c;
  c = b;
  EXPECT_EQ(a.get(), c.get());
  IdentityPtr d = std::move(b);
  EXPECT_TRUE(b == nullptr);
  EXPECT_FALSE(b);
  a = nullptr;
  c = c;  // self-assignment keeps it
  EXPECT_EQ(c->user, "alice");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([held = c] {
      for (int i = 0; i < 10000; ++i) IdentityPtr copy = held;
    });
  for (std::thread& t : threads) t.join();
  Identity copy = *d;  // a plain copy: not shared
  EXPECT_EQ(copy.user, "alice");
  c = nullptr;
  EXPECT_EQ(d->user, "alice");
  IdentityPtr e(std::make_unique<Identity>(copy));
  EXPECT_NE(e.get(), d.get());
}

}  // namespace
}  // namespace herald::access
