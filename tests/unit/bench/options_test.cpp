#include <sched.h>

#include <gtest/gtest.h>

#include "tools/bench/bench.h"
#include "tools/bench/report.h"
#include "tools/bench/runner.h"

namespace herald::bench {
namespace {

TEST(LoopPinning, LoopsGoToTheAllowedCpusInOrder) {
  // `taskset -c 1`: the only allowed CPU is 1, so loop 0 must land there (not on CPU 0, where
  // the server under test was pinned).
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(1, &one);
  std::vector<int> allowed = cpus_in(one);
  ASSERT_EQ(allowed, std::vector<int>{1});
  EXPECT_EQ(cpu_for_loop(allowed, 0), 1);
  EXPECT_EQ(cpu_for_loop(allowed, 1), 1);

  cpu_set_t some;
  CPU_ZERO(&some);
  CPU_SET(2, &some);
  CPU_SET(5, &some);
  CPU_SET(7, &some);
  allowed = cpus_in(some);
  ASSERT_EQ(allowed, (std::vector<int>{2, 5, 7}));
  EXPECT_EQ(cpu_for_loop(allowed, 0), 2);
  EXPECT_EQ(cpu_for_loop(allowed, 1), 5);
  EXPECT_EQ(cpu_for_loop(allowed, 2), 7);
  EXPECT_EQ(cpu_for_loop(allowed, 3), 2);  // more loops than CPUs: wrap around
  EXPECT_EQ(cpu_for_loop({}, 0), -1);
}

BenchOptions ticker() {
  BenchOptions o;
  EXPECT_TRUE(apply_preset("ticker", o));
  o.transports = {"ws", "poll"};
  o.poll_interval = 1;
  return o;
}

TEST(PollHistory, TickerOutrunsTheDefaultHistoryAndSaysSo) {
  BenchOptions o = ticker();  // 5,000/s over 5 channels: 1,000 per channel per 1 s poll
  EXPECT_DOUBLE_EQ(messages_per_poll(o), 1000);
  std::string note = history_note(o);
  EXPECT_NE(note.find("~1000 messages"), std::string::npos) << note;
  EXPECT_NE(note.find("server default 100 assumed"), std::string::npos) << note;
  EXPECT_NE(note.find(">= 2000"), std::string::npos) << note;
  EXPECT_EQ(history_size_for(o), 2000);

  o.history_size = history_size_for(o);  // what compare gives the server it starts
  EXPECT_EQ(history_note(o), "");
  EXPECT_EQ(history_desc(o), "history_size 2000");
}

TEST(PollHistory, NoNoteWithoutPollsOrWhenTheHistoryIsDeepEnough) {
  BenchOptions o = ticker();
  o.transports = {"ws", "sse", "longpoll"};
  EXPECT_EQ(history_note(o), "");
  o = ticker();
  o.rate = 250;  // 50 per channel per poll
  EXPECT_EQ(history_note(o), "");
  EXPECT_EQ(history_size_for(o), 100);  // never below the server default
  o.rate = 0;                           // max rate: unknown in advance
  EXPECT_EQ(history_note(o), "");
  o.rate = 1e9;
  EXPECT_EQ(history_size_for(o), 1'000'000);  // the server's limit
}

}  // namespace
}  // namespace herald::bench
