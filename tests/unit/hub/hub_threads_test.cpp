// The hub on real threads: one thread per loop, a mutex-protected queue per loop. The
// deterministic tests prove the ordering argument; this one checks that nothing in the hub or
// the memory engine is shared between loops except through Executor::post (run it under TSan
// to be sure; under ASan it catches lifetime mistakes across threads).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "hub/hub.h"
#include "hub/memory_engine.h"
#include "unit/hub/fake_subscriber.h"

namespace herald::hub {
namespace {

thread_local size_t t_loop = 0;

class ThreadExecutor final : public Executor {
 public:
  explicit ThreadExecutor(size_t n) : queues_(n) {}
  size_t loop_count() const override { return queues_.size(); }
  size_t current_loop() const override { return t_loop; }
  void post(size_t loop, base::Task fn) override {
    Queue& q = queues_[loop];
    {
      std::lock_guard lock(q.mu);
      q.fns.push_back(std::move(fn));
    }
    q.cv.notify_one();
  }
  uint64_t now_ms() const override { return 1'000'000; }

  void start() {
    for (size_t i = 0; i < queues_.size(); ++i) {
      threads_.emplace_back([this, i] {
        t_loop = i;
        Queue& q = queues_[i];
        for (;;) {
          std::unique_lock lock(q.mu);
          q.cv.wait(lock, [&] { return !q.fns.empty() || stop_; });
          if (q.fns.empty()) return;
          base::Task fn = std::move(q.fns.front());
          q.fns.pop_front();
          lock.unlock();
          fn();
        }
      });
    }
  }
  void stop() {
    for (Queue& q : queues_) {
      std::lock_guard lock(q.mu);
      stop_ = true;
      q.cv.notify_all();
    }
    for (auto& t : threads_) t.join();
  }

 private:
  struct Queue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<base::Task> fns;
  };
  std::vector<Queue> queues_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

TEST(HubThreads, EverySubscriberGetsEveryPublicationInOrder) {
  constexpr size_t kLoops = 3;
  constexpr int kPerLoop = 300;
  ThreadExecutor ex(kLoops);
  MemoryEngine engine(
      ex, [](std::string_view) { return ChannelOptions{}; }, 5);
  Hub hub(ex, engine);
  std::vector<std::unique_ptr<testing::FakeSubscriber>> subs;
  for (size_t i = 0; i < kLoops * 2; ++i)
    subs.push_back(std::make_unique<testing::FakeSubscriber>());
  std::atomic<int> subscribed{0}, acked{0};
  ex.start();
  for (size_t i = 0; i < subs.size(); ++i) {
    ex.post(i % kLoops, [&, i] {
      hub.subscribe(subs[i].get(), "c", std::nullopt, [&](SubscribeResult r) {
        EXPECT_FALSE(r.error);
        EXPECT_EQ(r.cursor.offset, 0u);
        subscribed++;
      });
    });
  }
  while (subscribed.load() < int(subs.size()))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (size_t l = 0; l < kLoops; ++l) {
    ex.post(l, [&] {
      for (int k = 0; k < kPerLoop; ++k) {
        hub.publish(base::ChannelName::check("c"), base::SharedBuffer::copy_of("{}"),
                    [&](base::Result<PublishResult> r) { acked += r.ok(); });
      }
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (acked.load() < int(kLoops * kPerLoop) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // Deliveries are posted before the acks of later publishes but may still be queued: let
  // every loop finish by posting a last closure to each and waiting for it.
  std::atomic<int> flushed{0};
  for (int round = 0; round < 3; ++round) {
    for (size_t l = 0; l < kLoops; ++l) ex.post(l, [&] { flushed++; });
    while (flushed.load() < int(kLoops) * (round + 1))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::atomic<int> released{0};
  for (size_t i = 0; i < subs.size(); ++i) {
    ex.post(i % kLoops, [&, i] {
      hub.unsubscribe_all(subs[i].get());
      released++;
    });
  }
  while (released.load() < int(subs.size()))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ex.stop();

  ASSERT_EQ(acked.load(), int(kLoops * kPerLoop));
  std::vector<uint64_t> expect(kLoops * kPerLoop);
  for (size_t i = 0; i < expect.size(); ++i) expect[i] = i + 1;
  for (auto& s : subs) EXPECT_EQ(s->got, expect);
}

}  // namespace
}  // namespace herald::hub
