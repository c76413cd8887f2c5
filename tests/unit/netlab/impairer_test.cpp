#include "tools/netlab/impairer.h"

#include <gtest/gtest.h>

#include <vector>

namespace herald::netlab {
namespace {

constexpr uint64_t kMs = 1'000'000;

// The fates of `n` packets of `bytes`, one every `gap_ns`, starting at t = 1 s.
std::vector<Fate> run(const Condition& c, uint64_t seed, int direction, int n, size_t bytes,
                      uint64_t gap_ns) {
  Impairer imp(c, seed, direction);
  std::vector<Fate> out;
  for (int i = 0; i < n; ++i) out.push_back(imp.admit(1000 * kMs + uint64_t(i) * gap_ns, bytes));
  return out;
}

bool same(const std::vector<Fate>& a, const std::vector<Fate>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].kind != b[i].kind || a[i].release_ns != b[i].release_ns) return false;
  return true;
}

size_t count(const std::vector<Fate>& v, Fate::Kind k) {
  size_t n = 0;
  for (const Fate& f : v) n += f.kind == k;
  return n;
}

TEST(Impairer, AnEmptyConditionPassesEveryPacketAtOnce) {
  auto fates = run(Condition{}, 1, 0, 1000, 1500, 10'000);
  for (size_t i = 0; i < fates.size(); ++i) {
    ASSERT_EQ(fates[i].kind, Fate::Kind::pass);
    EXPECT_EQ(fates[i].release_ns, 1000 * kMs + i * 10'000);
  }
}

TEST(Impairer, TheSameSeedDropsAndDelaysTheSamePackets) {
  Condition c{20, 5, 10, 0};
  auto a = run(c, 42, 0, 5000, 200, 100'000);
  auto b = run(c, 42, 0, 5000, 200, 100'000);
  EXPECT_TRUE(same(a, b));
  // Another seed, or the other direction, draws other numbers.
  EXPECT_FALSE(same(a, run(c, 43, 0, 5000, 200, 100'000)));
  EXPECT_FALSE(same(a, run(c, 42, 1, 5000, 200, 100'000)));
}

TEST(Impairer, LossIsTheAskedShareOfPackets) {
  auto fates = run(Condition{0, 0, 10, 0}, 7, 0, 20'000, 100, 1000);
  double lost = double(count(fates, Fate::Kind::lost)) / 20'000;
  // 10% of 20,000 draws: the binomial's standard deviation is 0.2%; 1% is five of them.
  EXPECT_GT(lost, 0.09);
  EXPECT_LT(lost, 0.11);
  EXPECT_EQ(count(run(Condition{0, 0, 0, 0}, 7, 0, 1000, 100, 1000), Fate::Kind::lost), 0u);
  EXPECT_EQ(count(run(Condition{0, 0, 100, 0}, 7, 0, 1000, 100, 1000), Fate::Kind::lost), 1000u);
}

TEST(Impairer, WhetherAPacketIsLostDoesNotDependOnWhenItCame) {
  // One draw per packet, lost or not: the n-th packet's fate is fixed by the seed alone,
  // whatever the gaps between packets were.
  Condition c{0, 0, 30, 0};
  auto a = run(c, 9, 0, 1000, 100, 1000);
  auto b = run(c, 9, 0, 1000, 100, 3 * kMs);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].kind, b[i].kind) << i;
}

TEST(Impairer, JitterWandersWithinItsBoundsAndNeverReorders) {
  Condition c{50, 20, 0, 0};
  // 100 s of packets 1 ms apart: the curve has a point every 80 ms, 1,250 in all.
  auto fates = run(c, 3, 0, 100'000, 100, kMs);
  uint64_t prev = 0, lo = UINT64_MAX, hi = 0, biggest_step = 0;
  for (size_t i = 0; i < fates.size(); ++i) {
    uint64_t d = fates[i].release_ns - (1000 * kMs + i * kMs);
    EXPECT_GT(fates[i].release_ns, prev);  // in order, without holding anyone back
    if (i > 0) {
      uint64_t prev_d = fates[i - 1].release_ns - (1000 * kMs + (i - 1) * kMs);
      biggest_step = std::max(biggest_step, d > prev_d ? d - prev_d : prev_d - d);
    }
    prev = fates[i].release_ns;
    EXPECT_GE(d, 30 * kMs);
    EXPECT_LE(d, 70 * kMs);
    lo = std::min(lo, d), hi = std::max(hi, d);
  }
  EXPECT_LT(lo, 33 * kMs);  // the curve does reach both ends of the range
  EXPECT_GT(hi, 67 * kMs);
  // Packets 1 ms apart see nearly the same delay: at most 40 ms over 80 ms of curve.
  EXPECT_LE(biggest_step, kMs / 2 + 1);
}

TEST(Impairer, TheJitterCurveIsFixedByTheSeed) {
  Impairer a(Condition{10, 5, 0, 0}, 8, 0), b(Condition{10, 5, 0, 0}, 8, 0);
  Impairer other(Condition{10, 5, 0, 0}, 9, 0);
  bool differs = false;
  for (uint64_t t = 0; t < 1000 * kMs; t += 7 * kMs) {
    EXPECT_EQ(a.jitter_at(t), b.jitter_at(t));
    differs = differs || a.jitter_at(t) != other.jitter_at(t);
  }
  EXPECT_TRUE(differs);
}

TEST(Impairer, TheRateCapSerialisesPacketsAndTailDropsPastTheBuffer) {
  // 1,000 kbit/s: a 1,250-byte packet occupies the link for 10 ms.
  Condition c{0, 0, 0, 1000};
  Impairer imp(c, 1, 0);
  uint64_t t = 1000 * kMs;
  Fate first = imp.admit(t, 1250);
  EXPECT_EQ(first.release_ns, t + 10 * kMs);
  EXPECT_EQ(first.queued_ns, 0u);
  Fate second = imp.admit(t, 1250);  // behind the first
  EXPECT_EQ(second.release_ns, t + 20 * kMs);
  EXPECT_EQ(second.queued_ns, 10 * kMs);
  // A burst at one instant: the link's buffer holds kLinkQueueMs of waiting, then drops.
  size_t passed = 2, dropped = 0;
  for (int i = 0; i < 100; ++i) {
    Fate f = imp.admit(t, 1250);
    if (f.kind == Fate::Kind::pass) {
      ++passed;
      EXPECT_LE(f.queued_ns, kLinkQueueMs * kMs);
    } else {
      EXPECT_EQ(f.kind, Fate::Kind::queue_full);
      ++dropped;
    }
  }
  EXPECT_EQ(passed, kLinkQueueMs / 10 + 1);  // waits of 0, 10, ..., 500 ms
  EXPECT_EQ(dropped, 102 - passed);
  // Once the link drained, a packet goes through with only its own transmission time.
  Fate later = imp.admit(t + 10'000 * kMs, 125);
  EXPECT_EQ(later.kind, Fate::Kind::pass);
  EXPECT_EQ(later.release_ns, t + 10'000 * kMs + 1 * kMs);
}

TEST(Impairer, DelayAddsAfterTheLinkAndAConditionChangeKeepsTheQueue) {
  Impairer imp(Condition{25, 0, 0, 8000}, 1, 1);  // 8 Mbit/s: 1,000 bytes = 1 ms
  uint64_t t = 1000 * kMs;
  EXPECT_EQ(imp.admit(t, 1000).release_ns, t + 1 * kMs + 25 * kMs);
  imp.set_condition(Condition{});
  // No more delay, but the order stays: nothing overtakes the packet still in flight.
  EXPECT_EQ(imp.admit(t, 1000).release_ns, t + 26 * kMs);
  EXPECT_EQ(imp.admit(t + 30 * kMs, 1000).release_ns, t + 30 * kMs);
}

}  // namespace
}  // namespace herald::netlab
