#include "loop/timer.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
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

// A lambda that captures only `this` (or one pointer) is stored in the timer; a larger one
// goes to the heap. Both run, and a callback may replace its own callback or destroy its timer
// while it runs (the running callable stays alive to its end).
TEST(TimerWheel, InlineAndBoxedCallbacks) {
  static_assert(sizeof(Timer) <= 56, "one per idle connection");
  TimerWheel w(0);
  int n = 0;
  int* p = &n;
  Timer a;
  a.start(w, 10, [p] { *p += 1; });  // inline
  std::string big(100, 'x');
  std::string seen;
  Timer b;
  b.start(w, 10, [&seen, big] { seen = big; });  // boxed
  w.advance(20);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(seen, big);

  // A boxed callback replacing itself: its captures must outlive the replacement.
  std::vector<std::string> log;
  Timer c;
  c.start(w, 10, [&log, &c, &w, tag = std::string(64, 'a')] {
    c.start(w, 10, [&log] { log.push_back("second"); });
    log.push_back(tag);  // reads a capture of the replaced callable
  });
  w.advance(40);
  w.advance(60);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0], std::string(64, 'a'));
  EXPECT_EQ(log[1], "second");

  // A callback destroying its own timer.
  auto d = std::make_unique<Timer>();
  std::string after;
  d->start(w, 10, [&d, &after, tag = std::string(64, 'b')] {
    d.reset();
    after = tag;
  });
  w.advance(80);
  EXPECT_EQ(d, nullptr);
  EXPECT_EQ(after, std::string(64, 'b'));

  // restart() keeps the callback of the last start(); a new start() replaces a boxed one.
  int boxed_runs = 0;
  Timer e;
  e.start(w, 10, [&boxed_runs, pad = std::string(64, 'c')] { boxed_runs += pad.empty() ? 0 : 1; });
  w.advance(100);
  e.restart(10);
  w.advance(120);
  EXPECT_EQ(boxed_runs, 2);
  e.start(w, 10, [p] { *p += 10; });
  w.advance(140);
  EXPECT_EQ(boxed_runs, 2);
  EXPECT_EQ(n, 11);
  EXPECT_EQ(w.size(), 0u);
}

// An object that is its own entry (as sessions are): one deadline at a time, re-arming moves
// it, cancel disarms it, and on_timer() may destroy the object.
class Deadline final : public TimerEntry {
 public:
  explicit Deadline(TimerWheel& w, std::vector<int>& log, int name)
      : w_(w), log_(log), name_(name) {}
  ~Deadline() {
    if (armed()) w_.cancel(*this);
  }
  std::function<void()> then;  // runs inside on_timer(), after the log entry
  bool delete_self = false;    // on_timer() ends by deleting the object

 private:
  void on_timer() override {
    log_.push_back(name_);
    if (then) then();
    if (delete_self) delete this;
  }
  TimerWheel& w_;
  std::vector<int>& log_;
  int name_;
};

TEST(TimerWheel, AnEntryHasOneDeadlineAndMayGoInItsCallback) {
  TimerWheel w(0);
  std::vector<int> fired;
  Deadline a(w, fired, 1), b(w, fired, 2);
  w.arm(a, 100);
  w.arm(a, 20);  // moves it: one deadline, the last one armed
  w.arm(b, 10);
  EXPECT_EQ(w.size(), 2u);
  w.cancel(b);
  w.cancel(b);  // not armed: nothing
  EXPECT_FALSE(b.armed());
  w.advance(16);
  EXPECT_TRUE(fired.empty());
  w.advance(24);
  EXPECT_EQ(fired, std::vector<int>({1}));
  EXPECT_FALSE(a.armed());
  w.advance(200);
  EXPECT_EQ(fired, std::vector<int>({1}));  // the first deadline (100) was replaced

  // Re-armed from its own callback with no delay: due at the next tick, not the one running.
  int rounds = 0;
  a.then = [&] {
    if (++rounds < 3) w.arm(a, 0);
  };
  w.arm(a, 4);
  w.advance(204);
  EXPECT_EQ(rounds, 1);
  w.advance(204);
  EXPECT_EQ(rounds, 1);
  w.advance(208);
  w.advance(212);
  EXPECT_EQ(rounds, 3);
  EXPECT_EQ(w.size(), 0u);

  // Destroyed in its own callback, with another entry due in the same tick.
  auto* c = new Deadline(w, fired, 3);
  c->delete_self = true;
  w.arm(b, 8);
  w.arm(*c, 8);  // a slot runs its newest entry first: c goes before b runs
  w.advance(300);
  EXPECT_EQ(fired, std::vector<int>({1, 1, 1, 1, 3, 2}));
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, DestroyingTheWheelDisarmsItsEntries) {
  std::vector<int> fired;
  auto w = std::make_unique<TimerWheel>(0);
  Deadline a(*w, fired, 1);
  w->arm(a, 50);
  Timer t;
  t.start(*w, 50, [&] { fired.push_back(2); });
  // What is left armed when a loop ends is forgotten, not run, and its owner may still go.
  EXPECT_TRUE(a.armed());
  w.reset();
  EXPECT_FALSE(a.armed());
  EXPECT_FALSE(t.active());
  EXPECT_TRUE(fired.empty());
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
