#include "net/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "base/error.h"
#include "base/log.h"
#include "net/raw_syscalls.h"
#include "tls/session.h"

namespace herald::net {

namespace {
constexpr size_t kReadChunk = 64 * 1024;
// Input buffer capacity an idle connection may keep: none (a drained buffer is freed; one
// malloc per read is noise next to the read syscall).
constexpr size_t kIdleInputKeep = 0;
// ...unless the read that drained it was at least this large: such a connection (a publisher
// pipelining requests) reads again at once, and freeing and re-allocating its multi-KiB
// buffer per read sent glibc into malloc_consolidate (2-3% of the server's CPU in a burst).
constexpr size_t kBusyReadBytes = 4096;
constexpr uint64_t kLingerMs = 2000;
// Output past this stops reading: a client that pipelines requests without reading the
// responses cannot make us buffer without bound.
constexpr size_t kReadPauseOutputBytes = 1024 * 1024;
}  // namespace

void ConnectionHandler::on_eof(Connection& conn) {
  conn.close();
}

void ConnectionHandler::on_output_overflow(Connection& conn) {
  conn.abort(base::Errc::slow_consumer);
}

// One per open socket: keep it within a 208-byte slab slot (docs/benchmarks.md §5).
static_assert(sizeof(Connection) <= 200, "net::Connection grew past 200 bytes");

Connection::Connection(loop::Loop& loop, int fd, const Address& peer, size_t max_input)
    : fd_(fd),
      peer_(peer),
      loop_(loop),
      max_input_(static_cast<uint32_t>(max_input < UINT32_MAX ? max_input : UINT32_MAX)) {}

Connection::~Connection() {
  // A flush carried over to the next iteration must not reach a deleted connection.
  loop_.cancel_flush(this);
  if (fd_ >= 0) {
    loop_.remove(fd_);
    ::close(fd_);
  }
}

void Connection::start(std::unique_ptr<ConnectionHandler> handler, bool connecting) {
  handler_ = std::move(handler);
  state_ = connecting ? State::connecting : State::open;
  interest_ = static_cast<uint16_t>(connecting ? EPOLLOUT : EPOLLIN | EPOLLRDHUP);
  want_write_ = connecting;
  loop_.add(fd_, interest_, this);
  if (tls_) tls_start();
}

void Connection::replace_handler(std::unique_ptr<ConnectionHandler> handler) {
  if (handler_) loop_.defer_delete(handler_.release());
  handler_ = std::move(handler);
}

void Connection::pause_reading() {
  if (!reading_) return;
  reading_ = false;
  update_interest();
}

void Connection::resume_reading() {
  if (reading_) return;
  reading_ = true;
  update_interest();
  // Bytes may already be buffered (pipelined requests): deliver them in this iteration.
  if (!input_.empty() && state_ == State::open) {
    loop_.defer([this] {
      if (state_ == State::open && reading_ && !input_.empty() && handler_)
        handler_->on_data(*this);
    });
  }
}

void Connection::update_interest() {
  if (state_ == State::closed) return;
  uint32_t want = 0;
  // A TLS connection does not read while a send is in flight: the session may write records
  // (handshake, alerts) into the ciphertext buffer that the submitted send points into.
  bool read = (state_ == State::open && reading_ && pending_bytes_ < kReadPauseOutputBytes &&
               !(tls_ && sending_)) ||
              state_ == State::lingering;
  if (read) want |= EPOLLIN | EPOLLRDHUP;
  // Paused (a held long-poll, say): still watch for the peer going away, so a client that
  // disconnects while we wait is noticed at once instead of when the wait ends.
  if (state_ == State::open && !reading_) want |= EPOLLRDHUP;
  if (want_write_) want |= EPOLLOUT;
  static_assert((EPOLLIN | EPOLLOUT | EPOLLRDHUP) <= UINT16_MAX, "interest_ is 16 bits");
  if (want != interest_) {
    interest_ = static_cast<uint16_t>(want);
    loop_.modify(fd_, want, this);
  }
}

void Connection::start_linger() {
  state_ = State::lingering;
  reading_ = false;
  update_interest();                         // reads (and discards) until the peer's FIN
  timer_ = std::make_unique<loop::Timer>();  // replaces a handshake timer, if any
  timer_->start(loop_.timers(), kLingerMs, [this] { finish_close({}); });
}

void Connection::on_io(uint32_t events) {
  if (state_ == State::closed) return;
  if (state_ == State::connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
      abort(std::error_code(err ? err : ECONNREFUSED, std::system_category()));
      return;
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    state_ = State::open;
    want_write_ = false;
    update_interest();
    if (tls_) {
      tls_connected();  // writes the ClientHello; on_connected waits for the handshake
      return;
    }
    if (handler_) handler_->on_connected(*this);
    if (!out_.empty() && state_ == State::open) loop_.request_flush(this);
    return;
  }
  if (events & EPOLLOUT) handle_writable();
  if (state_ == State::closed) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    if (state_ == State::lingering) {
      linger_read();
    } else if (state_ == State::open && !reading_) {
      if (events & (EPOLLHUP | EPOLLERR)) {
        abort(std::error_code(ECONNRESET, std::system_category()));
      } else if (events & EPOLLRDHUP) {
        if (handler_) {
          handler_->on_eof(*this);
        } else {
          close();
        }
      }
    } else if (state_ == State::open) {
      if (tls_ && sending_) {
        update_interest();  // no reads until the completion (see update_interest)
        return;
      }
      handle_readable();
    } else if (events & (EPOLLHUP | EPOLLERR)) {
      finish_close(std::error_code(ECONNRESET, std::system_category()));
    }
  }
}

void Connection::handle_writable() {
  if (loop_.uring()) {
    loop_.request_flush(this);  // joins this iteration's batch in phase 7
  } else {
    flush();
  }
}

void Connection::handle_readable() {
  // Read what is there, up to the input limit; one or two reads per readiness keeps a
  // flood from one client from starving the others (epoll is level-triggered).
  for (int round = 0; round < 4 && state_ == State::open && reading_; ++round) {
    size_t room = max_input_ > input_.size() ? max_input_ - input_.size() : 0;
    if (room == 0) {
      // The handler did not consume a full buffer: it is over its limit and must have
      // answered already; nothing more can be accepted.
      if (handler_) handler_->on_data(*this);
      if (state_ == State::open && input_.size() >= max_input_) abort(base::Errc::limit_exceeded);
      return;
    }
    // Read into the loop thread's scratch buffer and keep only what arrived: an idle
    // connection then holds no read buffer of its own (a few hundred bytes at most instead of
    // a 16 KiB one), which is what lets 10,000 idle subscribers stay within 1 KiB each.
    static thread_local char scratch[kReadChunk];
    size_t chunk = room < kReadChunk ? room : kReadChunk;
    ssize_t r = raw_read(fd_, scratch, chunk);
    if (r > 0) {
      stats_.bytes_in += static_cast<uint64_t>(r);
      loop_.io_counters().bytes_read += static_cast<uint64_t>(r);
      if (tls_) {
        // Decrypts into input_, answers the handshake, delivers on_data / on_eof itself.
        if (!tls_receive(scratch, static_cast<size_t>(r))) return;
        if (input_.empty() && static_cast<size_t>(r) < kBusyReadBytes)
          input_.shrink_if_idle(kIdleInputKeep);
        if (static_cast<size_t>(r) < chunk) return;
        continue;
      }
      // Nothing buffered and no storage: the handler reads the scratch buffer in place, and
      // only what it leaves (a partial request or frame) is copied, by settle(), into the
      // connection's own storage. A whole request read at once costs no allocation and no copy.
      bool lent = input_.capacity() == 0 && input_.empty();
      if (lent)
        input_.lend(scratch, static_cast<size_t>(r));
      else
        input_.append(scratch, static_cast<size_t>(r));
      if (handler_) handler_->on_data(*this);
      if (lent) input_.settle();
      if (input_.empty() && static_cast<size_t>(r) < kBusyReadBytes)
        input_.shrink_if_idle(kIdleInputKeep);
      if (static_cast<size_t>(r) < chunk) return;
      continue;
    }
    if (r == 0) {
      if (handler_) {
        handler_->on_eof(*this);
      } else {
        close();
      }
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return;
    abort(std::error_code(errno, std::system_category()));
    return;
  }
}

void Connection::linger_read() {
  char sink[4096];
  for (;;) {
    ssize_t r = ::read(fd_, sink, sizeof sink);
    if (r > 0) continue;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return;
    finish_close({});
    return;
  }
}

void Connection::close() {
  if (state_ == State::closed || state_ == State::draining || state_ == State::lingering) return;
  if (state_ == State::connecting) {
    finish_close({});
    return;
  }
  state_ = State::draining;
  reading_ = false;
  update_interest();
  loop_.request_flush(this);  // phase 7 writes what is left, then shuts down the write side
}

void Connection::close_dropping_output() {
  if (state_ == State::closed || state_ == State::lingering) return;
  if (state_ == State::connecting) {
    finish_close({});
    return;
  }
  // What the kernel holds is already on its way; the queue behind it would never drain.
  drop_output();
  want_write_ = false;
  ::shutdown(fd_, SHUT_WR);
  start_linger();
}

void Connection::abort(std::error_code ec) {
  if (state_ == State::closed) return;
  if (fd_ >= 0) {
    linger l{1, 0};  // RST instead of FIN: the peer learns at once that data was lost
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  finish_close(ec);
}

void Connection::finish_close(std::error_code ec) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  timer_.reset();
  if (!ec) ec = tls_failure();
  loop_.remove(fd_);
  // A send in flight still names the fd: closing it now could let a new socket take the
  // number before the kernel reads the entry. The completion closes it and frees us.
  bool in_flight = sending_;
  if (!in_flight) {
    ::close(fd_);
    fd_ = -1;
  }
  drop_output();
  if (set_) set_->erase(this);
  if (handler_) handler_->on_close(*this, ec);
  if (!in_flight) loop_.defer_delete(this);
}

void ConnectionSet::insert(Connection* c) {
  c->set_ = this;
  list_.push_front(*c);
  ++size_;
}

void ConnectionSet::transfer(Connection* c, ConnectionSet& to) {
  if (c->set_ != this) return;
  auto hook = std::move(on_erase);
  erase(c);
  on_erase = std::move(hook);
  to.insert(c);
}

void ConnectionSet::erase(Connection* c) {
  if (c->set_ != this) return;
  list_.erase(*c);
  c->set_ = nullptr;
  --size_;
  if (on_erase) on_erase(*c);
}

}  // namespace herald::net