#pragma once
// One io_uring per loop, used by the flush phase (docs/benchmarks.md, docs/design.md "io_uring
// flush"): during phase 7 each connection with queued output prepares one send entry; the loop then
// submits them all with ONE io_uring_enter instead of one writev per connection. Sends are
// issued with MSG_DONTWAIT, so the kernel tries each inline and posts its completion before
// the submit returns (a full socket completes with -EAGAIN, as writev would fail); the loop
// reaps those completions right after the submit, without another syscall. A completion
// that arrives later wakes the loop through the ring fd, which is registered in epoll.
#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

struct io_uring;

namespace herald::loop {

/// Receives the result of one submitted operation, on the loop thread.
class UringCompletion {
 public:
  /// `res`: bytes transferred, or -errno.
  virtual void on_uring_complete(int res) = 0;

 protected:
  ~UringCompletion() = default;
};

class Uring {
 public:
  /// A ring with room for `entries` submissions per batch (a full queue is submitted early).
  /// nullptr and *error = errno when the kernel refuses (old kernel, io_uring disabled,
  /// seccomp): the caller falls back to writev.
  static std::unique_ptr<Uring> create(unsigned entries, int* error);
  ~Uring();
  Uring(const Uring&) = delete;
  Uring& operator=(const Uring&) = delete;

  /// Readable (EPOLLIN) while completions wait in the completion queue.
  int fd() const;
  /// Queues a sendmsg of `msg` on `fd`; `msg`, its iovecs and their buffers must stay valid
  /// until `c->on_uring_complete` runs. Not submitted until submit().
  void prep_sendmsg(int fd, const msghdr* msg, int flags, UringCompletion* c);
  /// Queues a send of one contiguous buffer (cheaper for the kernel than a sendmsg: no
  /// msghdr to copy). Same lifetime rule for `data`.
  void prep_send(int fd, const void* data, size_t len, int flags, UringCompletion* c);
  /// True when prepared entries wait for submit().
  bool has_unsubmitted() const;
  /// Submits every prepared entry with one syscall (none when nothing is prepared).
  void submit();
  /// Runs the handlers of completions already posted; no syscall. Returns how many ran.
  size_t reap();
  /// Submitted (or prepared) operations whose completion has not been reaped yet.
  size_t in_flight() const { return in_flight_; }
  /// Blocks until every operation completed, running their handlers (loop shutdown).
  void drain();
  /// io_uring_enter calls made (submits and waits), for tests and metrics.
  size_t enters() const { return enters_; }

 private:
  Uring() = default;
  // A full submission queue is submitted first; out of line (reached by a tail call) so that
  // the common case saves no registers.
  [[gnu::noinline]] void prep_sendmsg_after_submit(int fd, const msghdr* msg, int flags,
                                                   UringCompletion* c);
  [[gnu::noinline]] void prep_send_after_submit(int fd, const void* data, size_t len, int flags,
                                                UringCompletion* c);
  /// An entry that could not be queued (the submit failed and the queue stayed full): its
  /// completion is `-err`, run by the next reap() like any other.
  void fail_later(UringCompletion* c, int err);

  std::unique_ptr<io_uring> ring_;
  std::vector<std::pair<UringCompletion*, int>> failed_;  // see fail_later
  size_t in_flight_ = 0;
  size_t enters_ = 0;
};

}  // namespace herald::loop
