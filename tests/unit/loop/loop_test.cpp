#include "loop/loop.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

namespace herald::loop {

TEST(Loop, PostFromOtherThreadsRunsInOrderPerProducer) {
  Loop loop;
  std::vector<int> seen;
  constexpr int kN = 2000;
  std::thread t([&] {
    for (int i = 0; i < kN; ++i) loop.post([&seen, i] { seen.push_back(i); });
    loop.post([&] { loop.stop(); });
  });
  loop.run();
  t.join();
  ASSERT_EQ(seen.size(), size_t(kN));
  for (int i = 0; i < kN; ++i) EXPECT_EQ(seen[i], i);
}

TEST(Loop, TimerWakesTheLoop) {
  Loop loop;
  Timer t;
  bool fired = false;
  t.start(loop.timers(), 20, [&] {
    fired = true;
    loop.stop();
  });
  uint64_t start = loop.now_ms();
  loop.run();
  EXPECT_TRUE(fired);
  EXPECT_GE(loop.now_ms() - start, 16u);
}

namespace {
struct Flusher : Flushable {
  int flushes = 0;
  void flush() override { ++flushes; }
};
struct Victim {
  bool* deleted;
  explicit Victim(bool* d) : deleted(d) {}
  ~Victim() { *deleted = true; }
};
}  // namespace

TEST(Loop, FlushOncePerIterationAndDeleteAfterIt) {
  Loop loop;
  Flusher f;
  bool deleted = false;
  auto* v = new Victim(&deleted);
  loop.post([&] {
    loop.request_flush(&f);
    loop.request_flush(&f);
    loop.defer_delete(v);
    EXPECT_FALSE(deleted);  // still alive for the rest of the iteration
  });
  loop.run_once(100);
  EXPECT_EQ(f.flushes, 1);
  EXPECT_TRUE(deleted);
}

namespace {
// Asks for another flush from inside its flush, `more` times: a handler that writes the next
// batch of a paced replay when the last one went out.
struct Repump : Flushable {
  Loop* loop = nullptr;
  int flushes = 0;
  int more = 0;
  void flush() override {
    ++flushes;
    if (more-- > 0) loop->request_flush(this);
  }
};
}  // namespace

TEST(Loop, AFlushAskedFromInsideItselfRunsNextIterationAfterOtherWork) {
  Loop loop;
  Repump f;
  f.loop = &loop;
  f.more = 3;
  loop.post([&] { loop.request_flush(&f); });
  loop.run_once(100);
  EXPECT_EQ(f.flushes, 1);  // not four in one phase 7
  // What other threads posted meanwhile runs before the next batch.
  int flushes_seen_by_post = -1;
  std::thread t([&] { loop.post([&] { flushes_seen_by_post = f.flushes; }); });
  t.join();
  // The carried flush makes the next wait 0: the loop does not sleep the minute asked here.
  auto t0 = std::chrono::steady_clock::now();
  loop.run_once(60'000);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
  EXPECT_EQ(flushes_seen_by_post, 1);
  EXPECT_EQ(f.flushes, 2);
  loop.run_once(60'000);
  loop.run_once(60'000);
  EXPECT_EQ(f.flushes, 4);
  loop.run_once(0);
  EXPECT_EQ(f.flushes, 4);  // it stopped asking
}

TEST(Loop, ACancelledCarriedFlushDoesNotRun) {
  Loop loop;
  Repump f;
  f.loop = &loop;
  f.more = 1;
  loop.post([&] { loop.request_flush(&f); });
  loop.run_once(100);
  ASSERT_EQ(f.flushes, 1);
  loop.cancel_flush(&f);  // what a connection's destructor does
  loop.run_once(0);
  EXPECT_EQ(f.flushes, 1);
}

TEST(Loop, SignalsArriveThroughSignalfd) {
  Loop loop;
  bool got = false;
  loop.on_signal(SIGUSR1, [&] {
    got = true;
    loop.stop();
  });
  ::raise(SIGUSR1);
  loop.run();
  EXPECT_TRUE(got);
}

TEST(Loop, LagIsMeasured) {
  Loop loop;
  loop.post([] {});
  Timer t;
  t.start(loop.timers(), 5, [&] { loop.stop(); });
  loop.run();
  EXPECT_GE(loop.iterations(), 1u);
  EXPECT_GE(loop.lag_us().count(), 1u);  // the wakeup eventfd counts as an io event
}

}  // namespace herald::loop

namespace herald::loop {

// A timer armed by an io handler right after a long idle sleep must count from the wake-up,
// not from the last time timers ran (the header-read timeout depends on it).
TEST(Loop, TimerArmedAfterIdleSleepCountsFromWakeup) {
  Loop loop;
  loop.run_once(0);
  uint64_t armed_at = 0, fired_at = 0;
  Timer t;
  std::thread poster([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    loop.post([&] {
      armed_at = loop.now_ms();
      t.start(loop.timers(), 200, [&] {
        fired_at = loop.now_ms();
        loop.stop();
      });
    });
  });
  loop.run();
  poster.join();
  EXPECT_GE(fired_at - armed_at, 196u);
}

}  // namespace herald::loop

namespace herald::loop {

namespace {
// A readable eventfd whose on_io queues a deferred closure and asks for a flush, as a
// connection does with a handshake (the subscribe's work, then the answer). It notes what
// had run, all handlers together, when it was read.
struct Counters {
  int handled = 0, deferred = 0, flushed = 0;
};
struct Busy : IoHandler, Flushable {
  Loop* loop = nullptr;
  Counters* c = nullptr;
  int fd = -1;
  int order = -1;  // 0 for the first handler read
  int deferred_seen = -1, flushed_seen = -1;
  void on_io(uint32_t) override {
    uint64_t v;
    ASSERT_EQ(read(fd, &v, sizeof v), ssize_t(sizeof v));
    order = c->handled++;
    deferred_seen = c->deferred;
    flushed_seen = c->flushed;
    loop->defer([c = c] { ++c->deferred; });
    loop->request_flush(this);
  }
  void flush() override { ++c->flushed; }
};
}  // namespace

// A batch of hundreds of ready fds (a reconnect storm's handshakes) is not read to its end
// before any of their work runs: after every 64 handlers, what they deferred runs and their
// output is flushed; all of it within the one iteration.
TEST(Loop, ALargeBatchRunsItsQueuedWorkAfterEverySixtyFourHandlers) {
  Loop loop;
  constexpr int kHandlers = 200;
  Counters c;
  std::vector<Busy> busy(kHandlers);
  for (Busy& b : busy) {
    b.loop = &loop;
    b.c = &c;
    b.fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT_GE(b.fd, 0);
    loop.add(b.fd, EPOLLIN, &b);
  }
  loop.run_once(1000);
  EXPECT_EQ(c.handled, kHandlers);
  EXPECT_EQ(c.deferred, kHandlers);
  EXPECT_EQ(c.flushed, kHandlers);
  for (const Busy& b : busy) {
    int done_before = b.order / 64 * 64;  // the handlers of the chunks before this one
    EXPECT_EQ(b.deferred_seen, done_before) << "handler read " << b.order << "th";
    EXPECT_EQ(b.flushed_seen, done_before) << "handler read " << b.order << "th";
  }
  for (Busy& b : busy) {
    loop.remove(b.fd);
    close(b.fd);
  }
}

}  // namespace herald::loop
