#include "loop/uring.h"

#include <liburing.h>

#include <algorithm>
#include <cerrno>
#include <iterator>

namespace herald::loop {

std::unique_ptr<Uring> Uring::create(unsigned entries, int* error) {
  std::unique_ptr<Uring> u(new Uring);
  u->ring_ = std::make_unique<io_uring>();
  io_uring_params p{};
  // SUBMIT_ALL: one bad entry (a socket closed under it) does not stop the rest of the batch.
  // A larger completion queue: a batch submitted early (full submission queue) posts its
  // completions before the loop reaps.
  p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
  p.cq_entries = entries * 4;
  int r = io_uring_queue_init_params(entries, u->ring_.get(), &p);
  if (r == -EINVAL) {  // kernel older than 5.18: no SUBMIT_ALL
    p = io_uring_params{};
    r = io_uring_queue_init_params(entries, u->ring_.get(), &p);
  }
  if (r < 0) {
    if (error) *error = -r;
    u->ring_.reset();
    return nullptr;
  }
  return u;
}

Uring::~Uring() {
  if (ring_) io_uring_queue_exit(ring_.get());
}

int Uring::fd() const {
  return ring_->ring_fd;
}

void Uring::prep_sendmsg(int fd, const msghdr* msg, int flags, UringCompletion* c) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
  if (!sqe) [[unlikely]]
    return prep_sendmsg_after_submit(fd, msg, flags, c);
  io_uring_prep_sendmsg(sqe, fd, msg, static_cast<unsigned>(flags));
  io_uring_sqe_set_data(sqe, c);
  ++in_flight_;
}

void Uring::prep_send(int fd, const void* data, size_t len, int flags, UringCompletion* c) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
  if (!sqe) [[unlikely]]
    return prep_send_after_submit(fd, data, len, flags, c);
  io_uring_prep_send(sqe, fd, data, len, flags);
  io_uring_sqe_set_data(sqe, c);
  ++in_flight_;
}

void Uring::prep_sendmsg_after_submit(int fd, const msghdr* msg, int flags, UringCompletion* c) {
  // Submission queue full: send this batch now; the rest follows in the same phase.
  submit();
  if (!io_uring_sq_space_left(ring_.get())) return fail_later(c, EBUSY);
  prep_sendmsg(fd, msg, flags, c);
}

void Uring::prep_send_after_submit(int fd, const void* data, size_t len, int flags,
                                   UringCompletion* c) {
  submit();
  if (!io_uring_sq_space_left(ring_.get())) return fail_later(c, EBUSY);
  prep_send(fd, data, len, flags, c);
}

void Uring::fail_later(UringCompletion* c, int err) {
  failed_.emplace_back(c, -err);
  ++in_flight_;
}

bool Uring::has_unsubmitted() const {
  return io_uring_sq_ready(ring_.get()) > 0;
}

void Uring::submit() {
  if (!has_unsubmitted()) return;
  for (;;) {
    ++enters_;
    int r = io_uring_submit(ring_.get());
    if (r >= 0 || (r != -EINTR && r != -EAGAIN && r != -EBUSY)) return;
    // -EBUSY/-EAGAIN: completion queue overflowed; make room, then retry.
    if (r != -EINTR) reap();
  }
}

size_t Uring::reap() {
  size_t n = 0;
  if (!failed_.empty()) [[unlikely]] {
    auto failed = std::move(failed_);
    failed_.clear();
    in_flight_ -= failed.size();
    n += failed.size();
    for (auto [c, res] : failed) c->on_uring_complete(res);
  }
  for (;;) {
    // Completions are copied out and the queue's head moved once per batch, before any
    // callback runs: a callback may submit, and a submit may reap (a full completion queue),
    // which must not see these entries again.
    struct Done {
      UringCompletion* c;
      int res;
    } batch[64];
    // Indexed directly: the ring is made without IORING_SETUP_CQE32 (16-byte entries).
    io_uring& r = *ring_;
    unsigned got = std::min(io_uring_cq_ready(&r), static_cast<unsigned>(std::size(batch)));
    unsigned head = *r.cq.khead, mask = r.cq.ring_mask;
    const io_uring_cqe* cqes = r.cq.cqes;
    for (unsigned i = 0; i < got; ++i) {
      const io_uring_cqe& e = cqes[(head + i) & mask];
      batch[i] = {reinterpret_cast<UringCompletion*>(e.user_data), e.res};
    }
    if (got == 0) {
      // Empty. Completions can still wait only in the kernel's backlog (the queue overflowed)
      // or behind deferred task work; the kernel flags both in the submission ring, and only
      // then does io_uring_peek_cqe have anything to do (it enters the kernel to flush them
      // into the queue). Asked first here: the library call costs ~80 instructions even when
      // it finds nothing, and reap() runs at least twice per loop iteration.
      unsigned kflags = __atomic_load_n(r.sq.kflags, __ATOMIC_ACQUIRE);
      if (!(kflags & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN))) return n;
      io_uring_cqe* cqe = nullptr;
      if (io_uring_peek_cqe(ring_.get(), &cqe) == 0 && cqe) continue;
      return n;
    }
    io_uring_cq_advance(ring_.get(), got);
    in_flight_ -= got;
    n += got;
    for (unsigned i = 0; i < got; ++i)
      if (batch[i].c) batch[i].c->on_uring_complete(batch[i].res);
  }
}

void Uring::drain() {
  submit();
  reap();
  while (in_flight_ > 0) {
    io_uring_cqe* cqe = nullptr;
    ++enters_;
    int r = io_uring_wait_cqe(ring_.get(), &cqe);
    if (r < 0 && r != -EINTR) return;
    reap();
  }
}

}  // namespace herald::loop
