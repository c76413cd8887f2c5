#pragma once
// A deterministic Executor for hub tests: N loops, one FIFO queue per (target, producer) pair,
// run only when the test says so. Per-producer queues model the weakest ordering the real
// loops promise (FIFO per producer), so random runs interleave producers arbitrarily.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <utility>
#include <vector>

#include "hub/executor.h"

namespace herald::hub::testing {

class FakeExecutor final : public Executor {
 public:
  explicit FakeExecutor(size_t loops) : n_(loops), queues_(loops * loops) {}

  size_t loop_count() const override { return n_; }
  size_t current_loop() const override { return current_; }
  void post(size_t loop, base::Task fn) override {
    queues_[loop * n_ + current_].push_back(std::move(fn));
  }
  uint64_t now_ms() const override { return now_; }

  void set_now(uint64_t ms) { now_ = ms; }
  void advance(uint64_t ms) { now_ += ms; }

  /// Runs `fn` as if on loop `loop` (test code acting as that loop's sessions).
  template <typename F>
  void on(size_t loop, F&& fn) {
    size_t saved = current_;
    current_ = loop;
    fn();
    current_ = saved;
  }

  /// Closures waiting anywhere.
  size_t pending() const {
    size_t n = 0;
    for (const auto& q : queues_) n += q.size();
    return n;
  }

  /// Closures waiting to run on `target`.
  size_t queued_for(size_t target) const {
    size_t n = 0;
    for (size_t p = 0; p < n_; ++p) n += queues_[target * n_ + p].size();
    return n;
  }

  /// Runs the oldest closure of queue (target, producer). False when it is empty.
  bool run_one(size_t target, size_t producer) {
    auto& q = queues_[target * n_ + producer];
    if (q.empty()) return false;
    base::Task fn = std::move(q.front());
    q.pop_front();
    on(target, fn);
    return true;
  }

  /// Runs one closure from a random non-empty queue. False when all are empty.
  bool run_random(std::mt19937_64& rng) {
    std::vector<size_t> ready;
    for (size_t i = 0; i < queues_.size(); ++i) {
      if (!queues_[i].empty()) ready.push_back(i);
    }
    if (ready.empty()) return false;
    size_t q = ready[rng() % ready.size()];
    return run_one(q / n_, q % n_);
  }

  /// Runs everything, round-robin over queues, until nothing is left.
  void drain() {
    bool any = true;
    while (any) {
      any = false;
      for (size_t i = 0; i < queues_.size(); ++i) any |= run_one(i / n_, i % n_);
    }
  }

  void drain_random(std::mt19937_64& rng) {
    while (run_random(rng)) {
    }
  }

 private:
  size_t n_;
  size_t current_ = 0;
  uint64_t now_ = 1'000'000;
  std::vector<std::deque<base::Task>> queues_;
};

}  // namespace herald::hub::testing
