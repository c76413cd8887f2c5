#include "udp_codec/tracker.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace herald::udp_codec {

using V = StreamTracker::Verdict;
using Range = StreamTracker::Range;

TEST(StreamTracker, IgnoresPublicationsBeforeItStarts) {
  StreamTracker t;
  EXPECT_FALSE(t.started());
  EXPECT_EQ(t.add("E", 1), V::old);
  t.reset("E", 10);
  EXPECT_EQ(t.add("E", 10), V::old);
  EXPECT_EQ(t.add("E", 11), V::fresh);
  EXPECT_EQ(t.add("E", 11), V::duplicate);
  EXPECT_EQ(t.add("F", 12), V::other_epoch);
  EXPECT_TRUE(t.complete());
  EXPECT_EQ(t.contiguous(), 11u);
}

TEST(StreamTracker, AGapIsAskedForAfterTheReorderWait) {
  StreamTracker t;
  t.reset("E", 0);
  EXPECT_EQ(t.add("E", 1), V::fresh);
  EXPECT_EQ(t.add("E", 4), V::fresh);  // 2 and 3 missing
  EXPECT_EQ(t.missing(), 2u);
  std::vector<Range> out;
  EXPECT_EQ(t.due_resends(1000, 50, 200, 256, 8, &out), 0u);  // just seen: may be reordered
  EXPECT_EQ(t.due_resends(1049, 50, 200, 256, 8, &out), 0u);
  ASSERT_EQ(t.due_resends(1050, 50, 200, 256, 8, &out), 1u);
  EXPECT_EQ(out[0].after, 1u);
  EXPECT_EQ(out[0].count, 2u);
  out.clear();
  EXPECT_EQ(t.due_resends(1100, 50, 200, 256, 8, &out), 0u);  // asked recently
  EXPECT_EQ(t.due_resends(1250, 50, 200, 256, 8, &out), 1u);  // asked again after retry_ms
  EXPECT_EQ(t.add("E", 3), V::fresh);
  EXPECT_EQ(t.add("E", 2), V::fresh);
  EXPECT_TRUE(t.complete());
  EXPECT_EQ(t.contiguous(), 4u);
  out.clear();
  EXPECT_EQ(t.due_resends(5000, 50, 200, 256, 8, &out), 0u);
}

TEST(StreamTracker, TailLossIsFoundThroughExtend) {
  StreamTracker t;
  t.reset("E", 5);
  t.extend(8);  // e.g. a resent reply's cursor: 6..8 exist, none arrived
  EXPECT_EQ(t.missing(), 3u);
  std::vector<Range> out;
  t.due_resends(0, 0, 100, 256, 8, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].after, 5u);
  EXPECT_EQ(out[0].count, 3u);
}

TEST(StreamTracker, SeveralGapsAndTheCountLimit) {
  StreamTracker t;
  t.reset("E", 0);
  for (uint64_t o : {1, 5, 6, 400}) t.add("E", o);
  std::vector<Range> out;
  EXPECT_EQ(t.due_resends(0, 0, 100, 256, 8, &out), 2u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].after, 1u);
  EXPECT_EQ(out[0].count, 3u);
  EXPECT_EQ(out[1].after, 6u);
  EXPECT_EQ(out[1].count, 256u);  // 7..399 is 393: the first 256 now, the rest later
  out.clear();
  EXPECT_EQ(t.due_resends(0, 0, 100, 256, 1, &out), 0u);    // both asked at 0
  EXPECT_EQ(t.due_resends(100, 0, 100, 256, 1, &out), 1u);  // max_ranges 1
}

TEST(StreamTracker, SkipToGivesUpAPrefix) {
  StreamTracker t;
  t.reset("E", 0);
  t.add("E", 3);
  t.add("E", 9);
  t.skip_to(5);
  EXPECT_EQ(t.contiguous(), 5u);
  EXPECT_EQ(t.missing(), 3u);  // 6, 7, 8
  EXPECT_EQ(t.add("E", 4), V::duplicate);
}

// Whatever order and loss, acting only on `fresh` gives each offset once, and asking for what
// due_resends says (served here from a perfect history) fills every gap.
TEST(StreamTracker, ExactlyOnceUnderSeededLossAndReordering) {
  std::mt19937 rng(7);
  StreamTracker t;
  t.reset("E", 0);
  const uint64_t n = 2000;
  std::vector<int> seen(n + 1, 0);
  std::vector<uint64_t> order;
  for (uint64_t o = 1; o <= n; ++o) order.push_back(o);
  for (size_t i = 0; i + 1 < order.size(); i += 2) {
    if (rng() % 4 == 0) std::swap(order[i], order[i + 1]);
  }
  auto arrive = [&](uint64_t o) {
    if (rng() % 10 == 0) return;  // 10% lost
    if (t.add("E", o) == V::fresh) ++seen[o];
    if (rng() % 50 == 0 && t.add("E", o) == V::fresh) ++seen[o];  // duplicated
  };
  for (uint64_t o : order) arrive(o);
  t.extend(n);
  uint64_t now = 0;
  for (int round = 0; round < 100 && !t.complete(); ++round) {
    now += 100;
    std::vector<Range> asks;
    t.due_resends(now, 20, 50, 256, 16, &asks);
    for (const Range& r : asks) {
      for (uint64_t o = r.after + 1; o <= r.after + r.count && o <= n; ++o) arrive(o);
    }
  }
  ASSERT_TRUE(t.complete());
  for (uint64_t o = 1; o <= n; ++o) ASSERT_EQ(seen[o], 1) << o;
}

}  // namespace herald::udp_codec
