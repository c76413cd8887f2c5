#include "loop/uring.h"

#include <liburing.h>

#include <cerrno>

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
  if (!sqe) {
    // Submission queue full: send this batch now; the rest follows in the same phase.
    submit();
    sqe = io_uring_get_sqe(ring_.get());
  }
  io_uring_prep_sendmsg(sqe, fd, msg, static_cast<unsigned>(flags));
  io_uring_sqe_set_data(sqe, c);
  ++in_flight_;
}

void Uring::prep_send(int fd, const void* data, size_t len, int flags, UringCompletion* c) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
  if (!sqe) {
    submit();
    sqe = io_uring_get_sqe(ring_.get());
  }
  io_uring_prep_send(sqe, fd, data, len, flags);
  io_uring_sqe_set_data(sqe, c);
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
  io_uring_cqe* cqe = nullptr;
  // io_uring_peek_cqe enters the kernel only when the queue overflowed; an empty queue is
  // one load of the tail index.
  while (io_uring_peek_cqe(ring_.get(), &cqe) == 0 && cqe) {
    auto* c = static_cast<UringCompletion*>(io_uring_cqe_get_data(cqe));
    int res = cqe->res;
    io_uring_cqe_seen(ring_.get(), cqe);
    --in_flight_;
    ++n;
    if (c) c->on_uring_complete(res);
  }
  return n;
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
