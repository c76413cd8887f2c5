// The TLS half of net::Connection (connection.h): the same connection, with a tls::Session
// between the socket and the handler.
//
// Reading: bytes read from the socket go to the session, which returns plaintext into input_
// (what the handler reads) and queues what the protocol answers by itself (handshake flights,
// session tickets, alerts) as ciphertext.
//
// Writing keeps the batching of the plain path. Handlers queue plaintext slices in out_ as
// always (shared, encode-once buffers); at flush time tls_gather() seals them into records of
// up to 16 KiB, copying several small messages into one record (one header, one tag, one
// encryption call for all of them), and appends the records to one ciphertext buffer (wire).
// That buffer is what writev (or the io_uring send) writes: one syscall per flush, however many
// messages it carries. At most kSealAhead bytes are sealed ahead of the socket, so a slow
// reader's backlog stays as shared plaintext instead of private ciphertext; both count in
// pending_bytes_, so the slow-consumer limit and output_full() see the whole queue.
//
// Kernel TLS (SSL_OP_ENABLE_KTLS) would let the kernel encrypt and keep even the iovecs of the
// plain path, but it needs the kernel's "tls" ULP, which this machine lacks; sealing here works
// everywhere, and the batching above is what keeps it within a few percent of plain output.
#include <cstring>

#include "base/log.h"
#include "net/connection.h"
#include "tls/session.h"

namespace herald::net {

namespace {
// Ciphertext sealed ahead of what the kernel took: up to 4 records, then the flush writes
// before it seals more.
constexpr size_t kSealAhead = 4 * tls::kMaxRecordPlaintext;
}  // namespace

struct Connection::Tls {
  std::unique_ptr<tls::Session> session;
  TlsOptions options;
  base::ByteBuffer wire;    // ciphertext not written yet
  std::error_code failure;  // the session failed: no more seal(); close with this reason
  bool server = false;
  bool first_bytes_seen = false;
  bool close_notify_sent = false;
};

void Connection::TlsDeleter::operator()(Tls* t) const {
  delete t;
}

void Connection::use_tls(std::unique_ptr<tls::Session> session, const TlsOptions& options) {
  tls_.reset(new Tls);
  tls_->server = session->is_server();
  tls_->session = std::move(session);
  tls_->options = options;
}

namespace {
// A connection that never got past the TLS handshake ends here, before any session exists to
// log it: conn_close with reason tls_handshake (info; the client's address as connected).
void log_tls_failure(const Address& peer, std::string_view error) {
  if (!base::log_enabled(base::LogLevel::info)) return;
  std::string remote = peer.to_string();
  base::log_event(
      base::LogLevel::info, "conn_close", {},
      {{"remote", remote}, {"transport", "http"}, {"reason", "tls_handshake"}, {"error", error}});
}
}  // namespace

const tls::Session* Connection::tls_session() const {
  return tls_ ? tls_->session.get() : nullptr;
}

void Connection::tls_start() {
  if (tls_->options.handshake_timeout_ms != 0) {
    timer_ = std::make_unique<loop::Timer>();
    timer_->start(loop_.timers(), tls_->options.handshake_timeout_ms, [this] {
      log_tls_failure(peer(), "handshake timeout");
      abort(base::Errc::timeout);
    });
  }
}

void Connection::tls_connected() {
  size_t before = tls_->wire.size();
  if (tls_->session->start(tls_->wire) != tls::Status::ok) {
    abort(tls_->session->error());
    return;
  }
  pending_bytes_ += tls_->wire.size() - before;
  loop_.request_flush(this);
}

bool Connection::tls_receive(const char* data, size_t n) {
  Tls& t = *tls_;
  if (!t.first_bytes_seen) {
    t.first_bytes_seen = true;
    // An HTTP request starts with an upper-case method; a TLS connection with a handshake
    // record. Answer the former in its own language rather than with a TLS alert it cannot read.
    auto first = static_cast<unsigned char>(data[0]);
    if (t.server && first != tls::kHandshakeRecord && first >= 'A' && first <= 'Z' &&
        !t.options.plaintext_reply.empty()) {
      t.failure = base::Errc::bad_request;
      t.wire.append(t.options.plaintext_reply);
      pending_bytes_ += t.options.plaintext_reply.size();
      close();
      return false;
    }
  }
  bool was_established = t.session->established();
  size_t wire_before = t.wire.size();
  size_t plain_before = input_.size();
  tls::Status st = t.session->receive(std::string_view(data, n), input_, t.wire);
  if (t.wire.size() != wire_before) {
    pending_bytes_ += t.wire.size() - wire_before;
    loop_.request_flush(this);
  }
  if (st == tls::Status::error) {
    t.failure = t.session->error();
    if (!was_established)
      log_tls_failure(peer(), t.failure.message());
    else
      HLOG_DEBUG("tls: %s: %s", peer().to_string().c_str(), t.failure.message().c_str());
    // Send the alert the session wrote (the peer then knows why), else reset.
    if (t.wire.empty()) {
      abort(t.failure);
    } else {
      close();
    }
    return false;
  }
  if (!was_established && t.session->established()) {
    tls_established();
    if (state_ != State::open) return false;
  }
  if (input_.size() > plain_before && handler_) {
    handler_->on_data(*this);
    if (state_ != State::open || !reading_) return false;
  }
  if (st == tls::Status::closed) {
    // The peer's close_notify: the end of its stream, as a read of 0 on a plain socket.
    if (handler_) {
      handler_->on_eof(*this);
    } else {
      close();
    }
    return false;
  }
  return state_ == State::open && reading_;
}

void Connection::tls_established() {
  timer_.reset();  // the handshake timer (lingering has not started: we are reading)
  // Plaintext a client queued while the handshake ran can go now.
  if (!out_.empty()) loop_.request_flush(this);
  if (!tls_->server && handler_) handler_->on_connected(*this);
}

int Connection::tls_gather(iovec* iov) {
  Tls& t = *tls_;
  if (t.failure) {
    tls_drop_plaintext();  // cannot be sealed any more; the alert (if any) still goes out
  } else if (t.session->established()) {
    tls_seal();
    if (state_ == State::draining && out_.empty() && !t.close_notify_sent && !t.failure) {
      size_t before = t.wire.size();
      t.session->close_notify(t.wire);
      t.close_notify_sent = true;
      pending_bytes_ += t.wire.size() - before;
    }
  } else if (state_ == State::draining) {
    tls_drop_plaintext();  // closing before the handshake finished: nothing can be sealed
  }
  if (t.wire.empty()) return 0;
  std::string_view w = t.wire.readable();
  iov[0].iov_base = const_cast<char*>(w.data());
  iov[0].iov_len = w.size();
  return 1;
}

void Connection::tls_seal() {
  Tls& t = *tls_;
  // One record per call to seal(): the queued slices are copied into a record-sized stage,
  // unless one slice alone fills a record (or is all there is), which is sealed in place.
  static thread_local char stage[tls::kMaxRecordPlaintext];
  while (!out_.empty() && t.wire.size() < kSealAhead) {
    const Slice& first = out_[out_.head()];
    std::string_view chunk;
    if (first.len >= tls::kMaxRecordPlaintext || out_.head() + 1 == out_.end()) {
      size_t take = first.len < tls::kMaxRecordPlaintext ? first.len : tls::kMaxRecordPlaintext;
      chunk = std::string_view(first.buf.data() + first.off, take);
    } else {
      size_t used = 0;
      for (size_t i = out_.head(); i < out_.end() && used < sizeof stage; ++i) {
        size_t take = out_[i].len < sizeof stage - used ? out_[i].len : sizeof stage - used;
        std::memcpy(stage + used, out_[i].buf.data() + out_[i].off, take);
        used += take;
      }
      chunk = std::string_view(stage, used);
    }
    size_t before = t.wire.size();
    if (t.session->seal(chunk, t.wire) != tls::Status::ok) {
      // Cannot happen while the session is healthy (the output buffer takes every byte); the
      // flush that called this closes the connection with the reason.
      t.failure = t.session->error();
      tls_drop_plaintext();
      return;
    }
    pending_bytes_ += t.wire.size() - before;
    pending_bytes_ -= chunk.size();
    consume_slices(chunk.size());
  }
}

void Connection::tls_drop_plaintext() {
  size_t n = 0;
  for (size_t i = out_.head(); i < out_.end(); ++i) n += out_[i].len;
  consume_slices(n);
  pending_bytes_ -= n;
}

bool Connection::tls_wire_pending() const {
  return !tls_->wire.empty();
}

void Connection::tls_advance(size_t n) {
  tls_->wire.consume(n);
}

void Connection::tls_idle() {
  tls_->wire.shrink_if_idle(0);
}

void Connection::tls_drop_wire() {
  // A submitted send still points into the buffer: it stays until this connection is freed
  // (which waits for the completion); nothing is sealed or written after a drop.
  if (!sending_) {
    tls_->wire.clear();
    tls_->wire.shrink_if_idle(0);
  }
}

std::error_code Connection::tls_failure() const {
  return tls_ ? tls_->failure : std::error_code{};
}

}  // namespace herald::net
