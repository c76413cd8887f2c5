#pragma once
// The event loop (docs/design.md "One iteration"). One Loop per thread; everything a
// loop owns is touched only from its thread, and `post()` is the only cross-thread door.
//
// One iteration, in order (run_once() reads like this list):
//   1. wait     epoll_wait, with a timeout up to the next timer tick (0 if work is pending)
//   2. now      refresh the cached clock
//   3. io       dispatch ready fds to their IoHandlers (lag = now - wake, per event); after
//               every 64 of them, phases 6 and 7 run for what those queued, so a batch of
//               thousands (a reconnect storm) never has all its work in flight at once
//   4. posted   run closures posted from other threads (and this one)
//   5. timers   expire due timers from the wheel
//   6. deferred run closures deferred during this iteration
//   7. flush    write queued output of every Flushable that asked (writev), EPOLLOUT on EAGAIN;
//               with io_uring: each prepares a send entry, then one submit carries them all.
//               One that asks again from inside its own flush() is flushed next iteration
//   8. reap     free objects whose deletion was deferred (closed connections, old sessions)
//   9. log      write the log lines buffered by this thread (base::log_flush; worker loops)
#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "base/histogram.h"
#include "base/task.h"
#include "loop/timer.h"
#include "loop/uring.h"

namespace herald::loop {

/// Reacts to what the kernel reports about one fd: its readiness, and the completion of each
/// io_uring operation it submitted (Loop::uring()). Registered with Loop::add; the Loop does
/// not own it. One interface for both, so an object that does both (a connection: one per
/// socket) carries one vtable pointer for them.
class IoHandler : public UringCompletion {
 public:
  /// `events` is the epoll bit set (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP).
  virtual void on_io(uint32_t events) = 0;
  /// Default: nothing (a handler that submits no io_uring operation never gets here).
  void on_uring_complete(int res) override {}

 protected:
  ~IoHandler() = default;
};

/// Has queued output. `Loop::request_flush` puts it on the flush list once per iteration;
/// the loop calls `flush()` in phase 7, before it sleeps.
class Flushable {
 public:
  virtual void flush() = 0;

 protected:
  ~Flushable() = default;

 private:
  friend class Loop;
  bool flush_queued_ = false;
};

class Loop {
 public:
  /// `index` identifies the loop among the process's loops (0..N-1).
  explicit Loop(int index = 0);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  int index() const { return index_; }
  /// The clock cached at the start of this iteration's dispatch (monotonic).
  uint64_t now_ms() const { return now_ns_ / 1'000'000u; }
  uint64_t now_ns() const { return now_ns_; }

  // --- fds ---------------------------------------------------------------------------------
  /// Registers `fd`; `handler` must outlive the registration (remove() before deleting it).
  void add(int fd, uint32_t events, IoHandler* handler);
  void modify(int fd, uint32_t events, IoHandler* handler);
  void remove(int fd);

  // --- work ordering -----------------------------------------------------------------------
  /// Thread-safe: runs `fn` on this loop's thread in phase 4 of a later (or this) iteration.
  /// Closures posted by one thread run in the order they were posted.
  void post(base::Task fn);
  /// Same thread only: runs `fn` in phase 6 of this iteration.
  void defer(base::Task fn);
  /// Same thread only: `f->flush()` runs in phase 7 of this iteration (once, however often
  /// this is called); when called from inside `f->flush()` itself, in phase 7 of the next
  /// iteration (which then does not sleep).
  void request_flush(Flushable* f) {  // inline: called once per queued write
    if (f->flush_queued_) return;
    f->flush_queued_ = true;
    // Why: a handler that queues the next batch of a paced replay when the last one went out
    // (on_drained) asks from inside the flush; served in the same phase, a reader that keeps
    // up would hold the loop here for the whole replay, and every other connection and
    // cross-loop request of this loop would wait for it (seconds on a busy machine).
    (f == flushing_ ? next_flush_ : flush_list_).push_back(f);
  }
  /// Same thread only: forgets a pending flush of `f` (it is being destroyed).
  void cancel_flush(Flushable* f);
  /// Same thread only: `obj` is deleted (as a T) in phase 8 of this iteration, so that a
  /// handler may close its own connection and return safely.
  template <typename T>
  void defer_delete(T* obj) {
    reap_list_.push_back({obj, [](void* p) { delete static_cast<T*>(p); }});
  }
  /// Same thread only: runs `fn` when `signo` arrives (signalfd; the signal is blocked for
  /// the calling thread, so call this before spawning other threads or block it there too).
  void on_signal(int signo, std::function<void()> fn);

  TimerWheel& timers() { return timers_; }

  // --- io_uring (server.io_uring) ----------------------------------------------------------
  /// Creates this loop's ring (call before run(), on any thread). On failure logs a warning
  /// and returns false: the loop keeps using writev. Idempotent.
  bool enable_io_uring(unsigned entries = kUringEntries);
  /// The ring, or nullptr when writes use writev.
  Uring* uring() const { return uring_.get(); }
  static constexpr unsigned kUringEntries = 4096;

  // --- running -----------------------------------------------------------------------------
  /// Runs iterations until stop(). Returns when stopped.
  void run();
  /// Thread-safe: makes run() return after the current iteration.
  void stop();
  /// One iteration; waits at most `max_wait_ms` (-1: until the next timer or event).
  void run_once(int max_wait_ms = -1);

  /// Ready→handled delay of io events and posted work, in microseconds.
  const base::Histogram& lag_us() const { return lag_us_; }
  uint64_t iterations() const { return iterations_; }

  /// Bytes this loop's connections read and wrote (net::Connection adds to them), for
  /// /metrics. Only this loop's thread touches them.
  struct IoCounters {
    uint64_t bytes_read = 0;
    uint64_t bytes_written = 0;
    // Write system calls for the loop's connections (writev, send, an io_uring send each
    // count one): what tests of write coalescing compare.
    uint64_t write_calls = 0;
  };
  IoCounters& io_counters() { return io_counters_; }
  const IoCounters& io_counters() const { return io_counters_; }

 private:
  void wait(int max_wait_ms);
  void dispatch_io();
  void run_posted();
  void run_deferred();
  void flush_pending();
  void reap();
  void drain_wakeup();
  void handle_signals();

  class SignalHandler;
  class WakeHandler;
  class RingHandler;

  int index_;
  int epfd_ = -1;
  int wakefd_ = -1;
  int sigfd_ = -1;
  uint64_t now_ns_ = 0;
  uint64_t wake_ns_ = 0;
  uint64_t iterations_ = 0;
  bool stopping_ = false;
  std::vector<epoll_event> events_;
  int ready_ = 0;

  std::mutex post_mu_;
  std::vector<base::Task> posted_;   // guarded by post_mu_
  std::vector<base::Task> running_;  // swapped out of posted_ each iteration
  // Written under post_mu_; read without it by run_posted() to skip the lock when nothing was
  // posted (a post racing that read wakes the loop again through the eventfd).
  std::atomic<bool> wake_pending_{false};

  std::vector<base::Task> deferred_;
  std::vector<base::Task> deferred_running_;  // the round run_deferred() runs
  std::vector<Flushable*> flush_list_;
  std::vector<Flushable*> next_flush_;  // asked from inside their own flush: next iteration
  Flushable* flushing_ = nullptr;       // the one whose flush() runs now (phase 7)
  // What defer_delete() was given, with the function that deletes it as its own type: the
  // objects need no common base (a connection had one more vtable pointer for it).
  struct Doomed {
    void* obj;
    void (*destroy)(void*);
  };
  std::vector<Doomed> reap_list_;
  std::vector<std::pair<int, std::function<void()>>> signal_handlers_;
  std::unique_ptr<SignalHandler> sig_handler_;
  std::unique_ptr<WakeHandler> wake_handler_;
  std::unique_ptr<Uring> uring_;
  std::unique_ptr<RingHandler> ring_handler_;

  TimerWheel timers_;
  base::Histogram lag_us_;
  IoCounters io_counters_;
};

}  // namespace herald::loop
