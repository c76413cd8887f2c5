#include "loop/timer.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace herald::loop {

TEST(TimerWheel, FiresInDeadlineOrderAndNotEarly) {
  TimerWheel w(1000);
  std::vector<int> fired;
  Timer a, b, c;
  a.start(w, 50, [&] { fired.push_back(1); });
  b.start(w, 10, [&] { fired.push_back(2); });
  c.start(w, 30'000, [&] { fired.push_back(3); });  // more than one lap of the wheel
  w.advance(1005);
  EXPECT_TRUE(fired.empty());
  w.advance(1012);
  EXPECT_EQ(fired, std::vector<int>({2}));
  w.advance(1060);
  EXPECT_EQ(fired, std::vector<int>({2, 1}));
  w.advance(20'000);
  EXPECT_EQ(fired.size(), 2u);
  w.advance(31'010);
  EXPECT_EQ(fired, std::vector<int>({2, 1, 3}));
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, StopAndDestroyCancel) {
  TimerWheel w(0);
  int n = 0;
  Timer a;
  a.start(w, 10, [&] { ++n; });
  {
    Timer b;
    b.start(w, 10, [&] { ++n; });
  }
  a.stop();
  w.advance(100);
  EXPECT_EQ(n, 0);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, CallbackMayRearmAndStopOthers) {
  TimerWheel w(0);
  int a_runs = 0, b_runs = 0;
  Timer a, b;
  a.start(w, 8, [&] {
    ++a_runs;
    b.stop();
    if (a_runs < 3) a.restart(8);
  });
  b.start(w, 12, [&] { ++b_runs; });  // due after a's first run, which stops it
  for (uint64_t t = 0; t <= 100; t += 4) w.advance(t);
  EXPECT_EQ(a_runs, 3);
  EXPECT_EQ(b_runs, 0);
}

TEST(TimerWheel, NextTimeoutIsNeverLate) {
  TimerWheel w(0);
  EXPECT_EQ(w.next_timeout_ms(0), -1);
  Timer a;
  a.start(w, 100, [] {});
  int64_t t = w.next_timeout_ms(0);
  EXPECT_GE(t, 0);
  EXPECT_LE(t, 100 + int64_t(TimerWheel::kTickMs));
}

}  // namespace herald::loop

namespace herald::loop {

// next_timeout_ms() (a bitmap walk) agrees with the earliest armed deadline, wherever the
// wheel stands and however the timers wrap around it.
TEST(TimerWheel, NextTimeoutMatchesEarliestDeadline) {
  uint64_t seed = 12345;
  auto rnd = [&] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return seed >> 33;
  };
  for (int round = 0; round < 200; ++round) {
    uint64_t now = rnd() % 100000;
    TimerWheel w(now);
    std::vector<std::unique_ptr<Timer>> timers;
    uint64_t earliest = UINT64_MAX;
    int n = 1 + int(rnd() % 5);
    for (int i = 0; i < n; ++i) {
      uint64_t delay = rnd() % 20000;
      timers.push_back(std::make_unique<Timer>());
      timers.back()->start(w, delay, [] {});
      earliest = std::min(earliest, now + delay);
    }
    int64_t t = w.next_timeout_ms(now);
    ASSERT_GE(t, 0);
    // Never later than the earliest deadline (rounded up to its tick), and within one lap.
    uint64_t earliest_tick_end = (earliest / TimerWheel::kTickMs + 1) * TimerWheel::kTickMs;
    EXPECT_LE(now + uint64_t(t), earliest_tick_end) << "round " << round;
  }
}

}  // namespace herald::loop
