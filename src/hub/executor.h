#pragma once
// The hub's view of the loops (docs/design.md, shared-nothing). The server implements it over
// loop::Loop::post; tests use a deterministic fake that queues closures and runs them when the
// test says so. The hub does not include loop headers, so it can be tested without threads.
#include <cstddef>
#include <cstdint>

#include "base/task.h"

namespace herald::hub {

class Executor {
 public:
  virtual ~Executor() = default;
  /// Number of loops; loops are numbered 0..loop_count()-1 and never change while running.
  virtual size_t loop_count() const = 0;
  /// Index of the calling thread's loop.
  virtual size_t current_loop() const = 0;
  /// Thread-safe: runs `fn` later on `loop`. Closures posted by one loop to another run in
  /// the order they were posted (FIFO per producer). Posting to the current loop must also
  /// run later (never inside post), in FIFO order; it should be cheap (no wake-up syscall).
  virtual void post(size_t loop, base::Task fn) = 0;
  /// The calling loop's cached clock, in milliseconds (monotonic; used for history TTL).
  virtual uint64_t now_ms() const = 0;
};

}  // namespace herald::hub
