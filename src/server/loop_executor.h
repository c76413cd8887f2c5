#pragma once
// hub::Executor over the server's loops. Posting to the calling loop is a Loop::defer (FIFO,
// no wake-up syscall). Posting to another loop is batched: closures for loop B made during one
// iteration of loop A wait in A's outbox for B and leave as ONE Loop::post at the end of A's
// iteration (phase 6). A burst of publications that loop A handled together therefore reaches
// loop B together, and B writes them to each subscriber with one writev instead of one per
// message; it also costs one eventfd wake-up per batch instead of one per publication.
#include <functional>
#include <vector>

#include "hub/executor.h"
#include "loop/loop.h"

namespace herald::server {

class LoopExecutor final : public hub::Executor {
 public:
  explicit LoopExecutor(std::vector<loop::Loop*> loops);
  /// Marks the calling thread as loop `index` (call first thing on each loop thread).
  static void bind_current(size_t index);

  size_t loop_count() const override { return loops_.size(); }
  size_t current_loop() const override;
  void post(size_t loop, base::Task fn) override;
  uint64_t now_ms() const override;

 private:
  using Batch = std::vector<base::Task>;
  /// Sends every non-empty outbox of loop `from` (runs on `from`).
  void send_outboxes(size_t from);

  std::vector<loop::Loop*> loops_;
  // outboxes_[from][to]: closures made on loop `from` for loop `to`, touched only by `from`.
  std::vector<std::vector<Batch>> outboxes_;
  std::vector<char> send_scheduled_;  // per `from`: a send_outboxes is deferred
};

}  // namespace herald::server
