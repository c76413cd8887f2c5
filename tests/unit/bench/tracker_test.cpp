#include "tools/bench/tracker.h"

#include <gtest/gtest.h>

namespace herald::bench {
namespace {

TEST(SeqTracker, InOrderRunIsCompleteAndClean) {
  SeqTracker t;
  t.start(40);
  for (uint64_t o = 41; o <= 50; ++o) EXPECT_EQ(t.record(o), SeqTracker::Outcome::next);
  auto c = t.finish(41, 50);
  EXPECT_EQ(c.delivered, 10u);
  EXPECT_EQ(c.missing, 0u);
  EXPECT_EQ(c.duplicates, 0u);
  EXPECT_EQ(c.out_of_order, 0u);
  EXPECT_EQ(c.unexpected, 0u);
}

TEST(SeqTracker, EveryTenthDroppedIsTenPercentMissing) {
  SeqTracker t;
  for (uint64_t o = 1; o <= 100; ++o)
    if (o % 10 != 0) t.record(o);
  auto c = t.finish(1, 100);
  EXPECT_EQ(c.delivered, 90u);
  EXPECT_EQ(c.missing, 10u);
  EXPECT_EQ(c.duplicates, 0u);
}

TEST(SeqTracker, TailNeverArrivedIsMissing) {
  SeqTracker t;
  for (uint64_t o = 1; o <= 7; ++o) t.record(o);
  auto c = t.finish(1, 10);
  EXPECT_EQ(c.delivered, 7u);
  EXPECT_EQ(c.missing, 3u);
}

TEST(SeqTracker, LateArrivalIsOutOfOrderNotDuplicate) {
  SeqTracker t;
  EXPECT_EQ(t.record(1), SeqTracker::Outcome::next);
  EXPECT_EQ(t.record(4), SeqTracker::Outcome::ahead);
  EXPECT_EQ(t.record(3), SeqTracker::Outcome::late);
  EXPECT_EQ(t.record(2), SeqTracker::Outcome::late);
  EXPECT_EQ(t.record(3), SeqTracker::Outcome::duplicate);
  EXPECT_EQ(t.record(4), SeqTracker::Outcome::duplicate);
  auto c = t.finish(1, 4);
  EXPECT_EQ(c.delivered, 4u);
  EXPECT_EQ(c.missing, 0u);
  EXPECT_EQ(c.out_of_order, 2u);
  EXPECT_EQ(c.duplicates, 2u);
}

TEST(SeqTracker, LateArrivalSplitsAGap) {
  SeqTracker t;
  t.record(1);
  t.record(10);  // gap 2..9
  t.record(5);   // splits it into 2..4 and 6..9
  EXPECT_EQ(t.record(5), SeqTracker::Outcome::duplicate);
  EXPECT_EQ(t.record(9), SeqTracker::Outcome::late);
  EXPECT_EQ(t.record(2), SeqTracker::Outcome::late);
  auto c = t.finish(1, 10);
  EXPECT_EQ(c.delivered, 5u);  // 1, 2, 5, 9, 10
  EXPECT_EQ(c.missing, 5u);    // 3, 4, 6, 7, 8
}

TEST(SeqTracker, OffsetsOutsideThePublishedRangeAreUnexpected) {
  SeqTracker t;
  t.start(0);
  // The channel already had 1..20 (an older run); this run published 21..25, someone else 26.
  for (uint64_t o = 21; o <= 26; ++o) t.record(o);
  auto c = t.finish(21, 25);
  EXPECT_EQ(c.delivered, 5u);
  EXPECT_EQ(c.missing, 0u);
  EXPECT_EQ(c.unexpected, 1u);
}

TEST(SeqTracker, StaleOffsetsAtOrBeforeTheStartAreNotDelivered) {
  SeqTracker t;
  t.start(5);
  EXPECT_EQ(t.record(5), SeqTracker::Outcome::stale);
  EXPECT_EQ(t.record(6), SeqTracker::Outcome::next);
  auto c = t.finish(6, 6);
  EXPECT_EQ(c.delivered, 1u);
  EXPECT_EQ(c.unexpected, 1u);
}

TEST(SeqTracker, NothingPublishedNothingExpected) {
  SeqTracker t;
  auto c = t.finish(1, 0);
  EXPECT_EQ(c.delivered, 0u);
  EXPECT_EQ(c.missing, 0u);
}

TEST(SeqTracker, ManyGapsStayBoundedAndStillCountMissing) {
  SeqTracker t;
  // Every other offset lost, more gaps than are remembered.
  uint64_t n = 2 * (kMaxTrackedGaps + 100);
  for (uint64_t o = 1; o <= n; o += 2) t.record(o);
  auto c = t.finish(1, n);
  EXPECT_EQ(c.delivered + c.missing, n);
  EXPECT_EQ(c.missing, n / 2);
}

}  // namespace
}  // namespace herald::bench
