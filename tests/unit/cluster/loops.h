#pragma once
// N real loops driven by the test's thread: an Executor whose current loop is the one being
// run, so the engine's per-loop state, cross-loop posts and real sockets are all exercised
// without threads.
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "base/time.h"
#include "hub/executor.h"
#include "loop/loop.h"

namespace herald::cluster::testing {

class Loops final : public hub::Executor {
 public:
  explicit Loops(size_t n) {
    for (size_t i = 0; i < n; ++i) loops_.push_back(std::make_unique<loop::Loop>(int(i)));
  }

  size_t loop_count() const override { return loops_.size(); }
  size_t current_loop() const override { return current_; }
  void post(size_t loop, base::Task fn) override {
    if (loop == current_) {
      loops_[loop]->defer(std::move(fn));
    } else {
      loops_[loop]->post(std::move(fn));
    }
  }
  uint64_t now_ms() const override { return loops_[current_]->now_ms(); }

  std::vector<loop::Loop*> all() {
    std::vector<loop::Loop*> out;
    for (auto& l : loops_) out.push_back(l.get());
    return out;
  }

  /// Runs `fn` as loop `i` (an engine call from that loop's sessions).
  void on(size_t i, const std::function<void()>& fn) {
    size_t saved = current_;
    current_ = i;
    fn();
    current_ = saved;
  }

  /// One short iteration of every loop.
  void spin() {
    for (size_t i = 0; i < loops_.size(); ++i) {
      current_ = i;
      loops_[i]->run_once(1);
    }
    current_ = 0;
  }

  /// Spins until `done()` or `ms` pass; returns done().
  bool run_until(const std::function<bool()>& done, uint64_t ms = 5000) {
    uint64_t deadline = base::monotonic_ms() + ms;
    while (!done()) {
      if (base::monotonic_ms() > deadline) return false;
      spin();
    }
    return true;
  }

  /// Spins for about `ms`.
  void run_for(uint64_t ms) {
    uint64_t deadline = base::monotonic_ms() + ms;
    while (base::monotonic_ms() < deadline) spin();
  }

 private:
  std::vector<std::unique_ptr<loop::Loop>> loops_;
  size_t current_ = 0;
};

}  // namespace herald::cluster::testing
