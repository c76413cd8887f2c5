// net::Connection, its output side: the queue of slices that send() fills, the gather into
// iovecs (small frames copied into one per-thread buffer), the writev flush and the io_uring
// send with its completion, the slow-consumer verdict and the end of a write (drained, or
// the graceful close's shutdown). Reading, closing and lingering are in connection.cpp, the
// TLS record layer in connection_tls.cpp.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "net/connection.h"
#include "net/raw_syscalls.h"

namespace herald::net {

namespace {
// A queue that outgrows its inline slice takes an array of this many from a per-thread pool,
// and gives it back when it drains. Growing a vector 1 -> 2 -> ... -> 64 and freeing it after
// every flush cost each subscriber of a burst five malloc/free pairs per writev, the last one a
// 1 KiB chunk that sent glibc into malloc_consolidate (~9% of the server's CPU in perf).
constexpr size_t kPooledOutputSlices = 64;
constexpr size_t kOutputPoolMax = 256;  // arrays kept per thread (1 KiB each)
constexpr int kMaxIov = 64;
// Small slices are copied into one per-thread buffer at write time, so a writev carries one
// iovec for a run of small frames instead of one per frame. Measured with bench/floor
// (100 sockets, 31 messages of 164 B per write): the kernel's per-iovec cost in
// _copy_from_iter and vfs_writev made 31 iovecs ~13% more writer CPU per message than one
// contiguous buffer, user-space copy included. Past kCoalesceMaxSlice a slice goes by
// reference (the copy would cost more than the iovec it saves; see docs/benchmarks.md).
constexpr size_t kCoalesceMaxSlice = 1024;
constexpr size_t kCoalesceBytes = 64 * 1024;
// An io_uring send of several slices copies its small ones into a buffer of its own record
// (the send completes after other connections' gathers, so the per-thread buffer cannot
// serve). A burst has one record per subscriber in flight at once, so the buffers are
// smaller and counted: at most kUringJoinedMax records per thread hold one (2 MiB); a send
// past that references its slices, as before. Buffers stay with pooled records (no malloc
// per send in a steady burst).
constexpr size_t kUringCoalesceBytes = 8 * 1024;
constexpr size_t kUringJoinedMax = 256;
// The subscribers of a channel receive the same frames in the same iteration: a queue that
// holds exactly the slices of the last joined copy still in flight sends from that copy
// instead of making its own (see SharedRun). Runs up to this many slices are remembered.
constexpr size_t kSharedRunSlices = 64;

// Written by the writev that follows a gather and by nothing else before it: the kernel has
// copied the bytes when writev returns, so one buffer per thread serves every connection.
char* writev_joined() {
  static thread_local char joined[kCoalesceBytes];
  return joined;
}
}  // namespace

void Connection::send(std::string_view bytes) {
  if (bytes.empty()) return;
  send(base::SharedBuffer::copy_of(bytes));
}

void Connection::send(base::SharedBuffer buf) {
  // The fan-out path: one call per delivery, so no detour through the ranged overload.
  uint32_t len = static_cast<uint32_t>(buf.size());
  if (len == 0 || state_ == State::closed || state_ == State::lingering) return;
  out_.push_back(std::move(buf), 0, len);
  pending_bytes_ += len;
  after_queue();
}

void Connection::send(base::SharedBuffer buf, size_t offset, size_t len) {
  if (len == 0 || state_ == State::closed || state_ == State::lingering) return;
  out_.push_back(std::move(buf), static_cast<uint32_t>(offset), static_cast<uint32_t>(len));
  pending_bytes_ += len;
  after_queue();
}

namespace {
std::vector<std::unique_ptr<std::vector<OutputSlice>>>& output_pool() {
  static thread_local std::vector<std::unique_ptr<std::vector<OutputSlice>>> pool;
  return pool;
}
}  // namespace

void OutputQueue::push_slow(OutputSlice s) {
  if (!many_) {
    if (head_ == one_used_) {  // everything consumed, not cleared yet: start over inline
      one_ = std::move(s);
      one_used_ = 1;
      head_ = 0;
      return;
    }
    // A batch is forming: take a large array from the pool.
    auto& pool = output_pool();
    if (!pool.empty()) {
      many_ = pool.back().release();
      pool.pop_back();
    } else {
      many_ = new std::vector<OutputSlice>();
      many_->reserve(kPooledOutputSlices);
    }
    many_->push_back(std::move(one_));  // head_ is 0: the inline slice is unconsumed
    one_used_ = 0;
  }
  many_->push_back(std::move(s));
}

void OutputQueue::clear() {
  head_ = 0;
  if (many_) [[unlikely]] {
    // A pooled array goes back to the pool; one that grew past it (vector doubling) is freed.
    many_->clear();
    auto& pool = output_pool();
    if (many_->capacity() == kPooledOutputSlices && pool.size() < kOutputPoolMax) {
      pool.emplace_back(many_);
    } else {
      delete many_;
    }
    many_ = nullptr;
    return;
  }
  one_.buf.reset();
  one_used_ = 0;
}

void Connection::after_queue() {
  if (!want_write_) {
    loop_.request_flush(this);
  } else if (output_limit_ != 0 && pending_bytes_ > output_limit_ && state_ == State::open) {
    // Blocked and now past the limit: try the write again in phase 7 rather than wait for
    // EPOLLOUT, which a peer that stopped reading never causes. If the kernel still takes
    // nothing, that flush gives the overflow verdict.
    loop_.request_flush(this);
  }
}

void Connection::notify_when_drained() {
  if (state_ != State::open) return;
  drain_wanted_ = true;
  // When blocked, the EPOLLOUT flush that empties the queue notifies; otherwise phase 7 does.
  if (!want_write_) loop_.request_flush(this);
}

// A submitted send: its msghdr and iovecs must not move until the completion. The slices it
// covers stay at the front of out_ (their buffers are held there; later sends only append),
// unless the queue is dropped meanwhile, which moves their buffers into `kept`.
struct Connection::InFlight {
  msghdr msg;
  iovec iov[kMaxIov];
  bool dropped = false;
  std::vector<base::SharedBuffer> kept;
  // Small slices copied together (gather): made on first use while fewer than
  // kUringJoinedMax exist on this thread, kept while the record is pooled. Refcounted: other
  // records' sends may read it (`borrowed`); it is written only while this record is its
  // only holder.
  base::SharedBuffer joined;
  char* joined_data = nullptr;
  // Another record's `joined` this send reads from (SharedRun), held until the completion.
  base::SharedBuffer borrowed;

  static size_t& joined_count() {
    static thread_local size_t n = 0;
    return n;
  }
  char* take_joined() {
    if (joined && joined.use_count() > 1) {
      // Still being sent from by records that borrowed it: theirs now; take a fresh one.
      drop_joined();
    }
    if (!joined && joined_count() < kUringJoinedMax) {
      joined = base::SharedBuffer::allocate(kUringCoalesceBytes, &joined_data);
      ++joined_count();
    }
    return joined_data;
  }
  void drop_joined() {
    if (!joined) return;
    joined.reset();
    joined_data = nullptr;
    --joined_count();
  }

  // Records are reused per thread: a fan-out flush to 1,000 subscribers would otherwise
  // allocate 1,000 of them per iteration.
  static std::vector<std::unique_ptr<InFlight>>& pool() {
    static thread_local std::vector<std::unique_ptr<InFlight>> free;
    return free;
  }
  static InFlight* acquire() {
    auto& free = pool();
    if (free.empty()) return new InFlight;
    InFlight* f = free.back().release();
    free.pop_back();
    return f;
  }
};

namespace {
// The last joined copy that covered a whole queue: which slices it holds, in order, and the
// buffer that holds it (an in-flight record's `joined`). A queue with exactly these slices (the
// same buffers at the same offsets) has the same bytes, since buffers are immutable; the comparison
// is sound only while those buffers cannot be freed and their addresses reused, i.e. while the
// record's send is in flight (its slices stay in its connection's queue, or in `kept`). So the
// record forgets the run when its completion is handled and when it is released.
struct SharedRun {
  const base::SharedBuffer* copy = nullptr;  // the in-flight record's `joined`; null: no run
  size_t count = 0;
  size_t bytes = 0;
  const char* at[kSharedRunSlices];
  uint32_t len[kSharedRunSlices];
};

SharedRun& shared_run() {
  static thread_local SharedRun run;
  return run;
}

void forget_shared_run(const base::SharedBuffer& copy) {
  SharedRun& r = shared_run();
  if (r.copy == &copy) r.copy = nullptr;
}
}  // namespace

void Connection::InFlightDeleter::operator()(InFlight* f) const {
  constexpr size_t kPoolMax = 1024;
  forget_shared_run(f->joined);
  f->kept.clear();
  f->borrowed.reset();
  f->dropped = false;
  auto& free = InFlight::pool();
  if (free.size() < kPoolMax) {
    free.emplace_back(f);
  } else {
    f->drop_joined();
    delete f;
  }
}

void Connection::flush() {
  if (state_ == State::closed || state_ == State::connecting) return;
  if (loop_.uring()) {
    flush_uring();
  } else {
    flush_writev();
  }
}

namespace {
// gather() past its one-slice case, out of line so that the fan-out path (one frame per
// subscriber) does not pay this loop's register saves.
[[gnu::noinline]] int gather_slices(const OutputQueue& q, iovec* iov, char* joined,
                                    size_t joined_cap) {
  const OutputSlice* out = q.data();
  size_t head = q.head();
  size_t end = q.end();
  size_t used = 0;
  int n = 0;
  bool in_run = false;  // iov[n - 1] points into `joined` and ends at joined + used
  for (size_t i = head; i < end; ++i) {
    const OutputSlice& s = out[i];
    const char* p = s.buf.data() + s.off;
    if (joined && s.len <= kCoalesceMaxSlice && used + s.len <= joined_cap) {
      std::memcpy(joined + used, p, s.len);
      if (in_run) {
        iov[n - 1].iov_len += s.len;
      } else {
        if (n == kMaxIov) break;
        iov[n].iov_base = joined + used;
        iov[n].iov_len = s.len;
        ++n;
        in_run = true;
      }
      used += s.len;
      continue;
    }
    if (n == kMaxIov) break;
    iov[n].iov_base = const_cast<char*>(p);
    iov[n].iov_len = s.len;
    ++n;
    in_run = false;
  }
  return n;
}
}  // namespace

int Connection::gather(iovec* iov, char* joined, size_t joined_cap) {
  if (const Slice* s = out_.single(); s && !tls_) {  // the fan-out case: one frame, referenced
    iov[0].iov_base = const_cast<char*>(s->buf.data() + s->off);
    iov[0].iov_len = s->len;
    return 1;
  }
  if (tls_) return tls_gather(iov);
  return gather_slices(out_, iov, joined, joined_cap);
}

void Connection::flush_writev() {
  for (;;) {
    // Plain: an empty queue ends the loop without a gather. TLS: gather may have records to
    // write with no plaintext queued (handshake, close_notify), so it is always asked.
    if (!tls_ && out_.empty()) break;
    iovec iov[kMaxIov];
    int n = gather(iov, writev_joined(), kCoalesceBytes);
    if (n == 0) break;
    ssize_t w = raw_writev(fd_, iov, n);
    ++loop_.io_counters().write_calls;
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        on_blocked();
        return;
      }
      abort(std::error_code(errno, std::system_category()));
      return;
    }
    advance(static_cast<size_t>(w));
  }
  if (tls_) {
    if (std::error_code ec = tls_failure(); ec && state_ == State::open) return abort(ec);
    // A TLS client's plaintext may wait for the handshake: not written, not blocked either.
    if (has_output()) return;
  }
  on_written_all();
}

bool Connection::output_full() {
  if (!over_output_hard_cap()) return false;
  if (state_ == State::open && !sending_ && !loop_.uring()) write_now();
  return over_output_hard_cap();
}

void Connection::write_now() {
  for (;;) {
    if (!tls_ && out_.empty()) break;  // as in flush_writev
    iovec iov[kMaxIov];
    int n = gather(iov, writev_joined(), kCoalesceBytes);
    if (n == 0) break;
    ssize_t w = raw_writev(fd_, iov, n);
    ++loop_.io_counters().write_calls;
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && !want_write_) {
        want_write_ = true;
        update_interest();
      }
      // Other errors: phase 7's flush meets them again and aborts there.
      return;
    }
    advance(static_cast<size_t>(w));
  }
  // Everything went: phase 7 (already requested when this was queued) finds the queue empty
  // and runs on_written_all.
}

namespace {
// MSG_DONTWAIT: a full socket completes with -EAGAIN (as writev fails) instead of being polled
// inside the kernel, so EPOLLOUT and the slow-consumer verdict work as before.
constexpr int kUringSendFlags = MSG_DONTWAIT | MSG_NOSIGNAL;
}  // namespace

void Connection::flush_uring() {
  // One send at a time: what was queued meanwhile goes out after the completion, in order.
  if (sending_) return;
  if (const Slice* s = out_.single(); s && !tls_) {
    // The fan-out case (one message per subscriber per iteration): a plain send of the slice,
    // which stays at the front of the queue until the completion; no record needed.
    loop_.uring()->prep_send(fd_, s->buf.data() + s->off, s->len, kUringSendFlags, this);
    sending_ = true;
    ++loop_.io_counters().write_calls;
    return;
  }
  flush_uring_slices();
}

const char* Connection::borrow_shared_run(InFlight& f) const {
  const SharedRun& r = shared_run();
  size_t count = out_.end() - out_.head();
  if (!r.copy || r.count != count || r.bytes != pending_bytes_) return nullptr;
  const OutputSlice* s = out_.data() + out_.head();
  for (size_t i = 0; i < count; ++i) {
    if (s[i].buf.data() + s[i].off != r.at[i] || s[i].len != r.len[i]) return nullptr;
  }
  f.borrowed = *r.copy;
  return f.borrowed.data();
}

void Connection::remember_shared_run(const InFlight& f) const {
  SharedRun& r = shared_run();
  size_t count = out_.end() - out_.head();
  if (count > kSharedRunSlices) return;
  const OutputSlice* s = out_.data() + out_.head();
  for (size_t i = 0; i < count; ++i) {
    r.at[i] = s[i].buf.data() + s[i].off;
    r.len[i] = s[i].len;
  }
  r.count = count;
  r.bytes = pending_bytes_;
  r.copy = &f.joined;
}

void Connection::flush_uring_slices() {
  inflight_.reset(InFlight::acquire());
  InFlight& f = *inflight_;
  int n;
  if (const char* run = tls_ ? nullptr : borrow_shared_run(f)) {
    // Another subscriber's copy of these very frames is in flight: send from it.
    f.iov[0].iov_base = const_cast<char*>(run);
    f.iov[0].iov_len = pending_bytes_;
    n = 1;
  } else {
    char* joined = tls_ ? nullptr : f.take_joined();
    n = gather(f.iov, joined, joined ? kUringCoalesceBytes : 0);
    if (n == 1 && joined && f.iov[0].iov_base == joined && f.iov[0].iov_len == pending_bytes_)
      remember_shared_run(f);  // the whole queue went into one copy: others may send from it
  }
  if (n == 0) {
    inflight_.reset();
    if (std::error_code ec = tls_failure(); ec && state_ == State::open) return abort(ec);
    if (!has_output()) on_written_all();
    return;
  }
  if (n == 1) {
    loop_.uring()->prep_send(fd_, f.iov[0].iov_base, f.iov[0].iov_len, kUringSendFlags, this);
  } else {
    f.msg = msghdr{};
    f.msg.msg_iov = f.iov;
    f.msg.msg_iovlen = static_cast<size_t>(n);
    loop_.uring()->prep_sendmsg(fd_, &f.msg, kUringSendFlags, this);
  }
  sending_ = true;
  ++loop_.io_counters().write_calls;
}

void Connection::on_uring_complete(int res) {
  sending_ = false;
  if (!inflight_ && !tls_ && state_ == State::open && res > 0 &&
      static_cast<size_t>(res) == pending_bytes_) {
    // The fan-out case: one plain slice, all of it written; advance() and the checks in
    // on_uring_result reduce to this.
    stats_.bytes_out += static_cast<uint64_t>(res);
    loop_.io_counters().bytes_written += static_cast<uint64_t>(res);
    pending_bytes_ = 0;
    return on_written_all();  // which releases the queue
  }
  on_uring_result(res);
}

void Connection::on_uring_result(int res) {
  std::unique_ptr<InFlight, InFlightDeleter> done = std::move(inflight_);
  // Its slices may be released below (advance): no queue may match them from now on.
  if (done) forget_shared_run(done->joined);
  if (tls_ && state_ == State::open) update_interest();  // reads again (see update_interest)
  if (state_ == State::closed) {
    // Closed while the send was in flight: the fd and this object waited for this moment.
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    loop_.defer_delete(this);
    return;
  }
  if (done && done->dropped) {
    // close_dropping_output() ran meanwhile: the queue is gone and the write side shut.
    return;
  }
  if (res == -EINTR) {
    loop_.request_flush(this);
    return;
  }
  if (res == -EAGAIN) {
    on_blocked();
    return;
  }
  if (res < 0) {
    abort(std::error_code(-res, std::system_category()));
    return;
  }
  advance(static_cast<size_t>(res));
  if (has_output()) {
    // Partial write, more than one send's worth, or queued meanwhile: like the writev loop,
    // try again (a full socket then answers -EAGAIN).
    loop_.request_flush(this);
    return;
  }
  on_written_all();
}

bool Connection::has_output() const {
  return !out_.empty() || (tls_ && tls_wire_pending());
}

void Connection::advance(size_t w) {
  stats_.bytes_out += static_cast<uint64_t>(w);
  loop_.io_counters().bytes_written += static_cast<uint64_t>(w);
  pending_bytes_ -= w;
  if (tls_) {
    tls_advance(w);
    return;
  }
  // Plain: pending_bytes_ is what the queue holds, so zero means every slice went out.
  if (pending_bytes_ == 0) {
    out_.clear();
    return;
  }
  consume_slices(w);
}

void Connection::consume_slices(size_t n) {
  size_t left = n;
  while (left > 0) {
    Slice& s = out_[out_.head()];
    if (left >= s.len) {
      left -= s.len;
      out_.pop_front();
    } else {
      s.off += static_cast<uint32_t>(left);
      s.len -= static_cast<uint32_t>(left);
      left = 0;
    }
  }
}

void Connection::on_blocked() {
  if (!want_write_) {
    want_write_ = true;
    update_interest();
  }
  // The kernel took what it could: only now is a long queue a slow consumer (a large
  // write to a fast reader is not).
  if (output_limit_ != 0 && pending_bytes_ > output_limit_ && state_ == State::open && handler_)
    handler_->on_output_overflow(*this);
}

void Connection::on_written_all() {
  release_output();
  if (tls_) tls_idle();
  bool was_blocked = want_write_;
  want_write_ = false;
  // Disarm EPOLLOUT, or resume reading if it paused on output volume; neither is the common
  // case (a write that went out at once), which skips the call.
  if (was_blocked || !(interest_ & EPOLLIN)) update_interest();
  if (state_ == State::draining) {
    ::shutdown(fd_, SHUT_WR);
    start_linger();
    return;
  }
  bool notify = was_blocked || drain_wanted_;
  drain_wanted_ = false;
  if (notify && handler_ && state_ == State::open) handler_->on_drained(*this);
}

void Connection::drop_output() {
  if (sending_ && !(inflight_ && inflight_->dropped)) {
    // The kernel may still read the in-flight slices: their buffers live until completion.
    if (!inflight_) inflight_.reset(InFlight::acquire());
    inflight_->dropped = true;
    for (size_t i = out_.head(); i < out_.end(); ++i)
      inflight_->kept.push_back(std::move(out_[i].buf));
  }
  release_output();
  pending_bytes_ = 0;
  drain_wanted_ = false;
  if (tls_) tls_drop_wire();
}

}  // namespace herald::net
