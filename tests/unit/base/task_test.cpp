#include "base/task.h"

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace herald::base {
namespace {

TEST(Task, ASmallPlainClosureRunsAndCanRunAgain) {
  int n = 0;
  Task t([&n] { ++n; });  // one reference: kept in place
  ASSERT_TRUE(t);
  t();
  t();
  EXPECT_EQ(n, 2);
}

TEST(Task, ALargeClosureKeepsEveryCapturedByte) {
  std::array<char, 200> big{};
  for (size_t i = 0; i < big.size(); ++i) big[i] = char(i);
  std::string seen;
  Task t([big, &seen] { seen.assign(big.begin(), big.end()); });
  t();
  EXPECT_EQ(seen, std::string(big.begin(), big.end()));
}

TEST(Task, AClosureLargerThanABlockIsHeldToo) {
  std::array<char, BlockCache::kSmallBlock * 2> huge{};
  huge.back() = 'z';
  char last = 0;
  Task t([huge, &last] { last = huge.back(); });
  t();
  EXPECT_EQ(last, 'z');
}

TEST(Task, AMoveOnlyCaptureIsOwnedAndReleasedWithTheTask) {
  auto owned = std::make_unique<int>(7);
  std::weak_ptr<int> watch;
  auto shared = std::make_shared<int>(9);
  watch = shared;
  int got = 0;
  {
    Task t([p = std::move(owned), s = std::move(shared), &got] { got = *p + *s; });
    EXPECT_FALSE(watch.expired());
    t();
  }
  EXPECT_EQ(got, 16);
  EXPECT_TRUE(watch.expired());  // the capture died with the task
}

TEST(Task, MovingLeavesTheSourceEmptyAndTheTargetWorking) {
  auto shared = std::make_shared<int>(1);
  std::weak_ptr<int> watch = shared;
  int runs = 0;
  Task a([s = std::move(shared), &runs] { runs += *s; });
  Task b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the state after a move is the contract
  b();
  Task c;
  c = std::move(b);
  EXPECT_FALSE(b);  // NOLINT(bugprone-use-after-move)
  c();
  EXPECT_EQ(runs, 2);
  c = Task([] {});  // assigning over a task releases what it held
  EXPECT_TRUE(watch.expired());
}

TEST(Task, AnEmptyStdFunctionIsNoTask) {
  std::function<void()> none;
  Task t(none);
  EXPECT_FALSE(t);
  Task n(nullptr);
  EXPECT_FALSE(n);
  int calls = 0;
  std::function<void()> some = [&calls] { ++calls; };
  Task s(some);
  ASSERT_TRUE(s);
  s();
  EXPECT_EQ(calls, 1);
}

TEST(Task, ATaskMadeOnOneThreadRunsAndDiesOnAnother) {
  // What Loop::post does: the block comes from the maker's cache and goes back to the runner's.
  std::vector<Task> tasks;
  auto shared = std::make_shared<int>(3);
  std::weak_ptr<int> watch = shared;
  int sum = 0;
  for (int i = 0; i < 100; ++i) tasks.emplace_back([s = shared, i, &sum] { sum += *s + i; });
  shared.reset();
  std::thread([&tasks] {
    for (Task& t : tasks) t();
    tasks.clear();
  }).join();
  EXPECT_EQ(sum, 100 * 3 + 99 * 100 / 2);
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace herald::base
