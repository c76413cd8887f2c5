#pragma once
// hub::Executor over the server's loops: post() to another loop goes through its MPSC queue
// (eventfd wake-up); posting to the calling loop is a Loop::defer, which keeps FIFO order
// without a wake-up syscall.
#include <vector>

#include "hub/executor.h"
#include "loop/loop.h"

namespace herald::server {

class LoopExecutor final : public hub::Executor {
 public:
  explicit LoopExecutor(std::vector<loop::Loop*> loops) : loops_(std::move(loops)) {}
  /// Marks the calling thread as loop `index` (call first thing on each loop thread).
  static void bind_current(size_t index);

  size_t loop_count() const override { return loops_.size(); }
  size_t current_loop() const override;
  void post(size_t loop, std::function<void()> fn) override;
  uint64_t now_ms() const override;

 private:
  std::vector<loop::Loop*> loops_;
};

}  // namespace herald::server
