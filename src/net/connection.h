#pragma once
// A TCP connection on one loop: bounded input, a queue of output slices flushed with writev
// once per iteration (EPOLLOUT only after EAGAIN), graceful close with lingering, abort, and
// deferred deletion. When the loop has an io_uring, the flush prepares one sendmsg entry
// instead (submitted with every other connection's in one syscall) and the same queue logic
// runs on its completion. The protocol logic lives in a ConnectionHandler that the connection owns
// and that can be replaced (HTTP -> WebSocket upgrade).
//
// A connection may speak TLS (use_tls): it then decrypts what it reads before the handler sees
// it, and at flush time seals the queued plaintext into records (several messages per record,
// up to 16 KiB each) and writes the ciphertext with the same writev or io_uring send. Handlers
// see the same plaintext API either way (connection_tls.cpp). The output side (queue, gather,
// writev and io_uring flushes) is in connection_output.cpp.
#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/byte_buffer.h"
#include "base/intrusive_list.h"
#include "base/shared_buffer.h"
#include "base/slab_pool.h"
#include "loop/loop.h"
#include "loop/timer.h"
#include "net/address.h"

namespace herald::tls {
class Session;
}

namespace herald::net {

class Connection;
class ConnectionSet;

/// Protocol logic of a connection. Called on the connection's loop only.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  /// New bytes are in conn.input(); consume() what was used. Not called after close().
  virtual void on_data(Connection& conn) = 0;
  /// The peer shut down its sending side (read returned 0). Default: close after flushing.
  virtual void on_eof(Connection& conn);
  /// All queued output was written after a flush had hit EAGAIN (backpressure released), or
  /// after notify_when_drained() asked for it. Called from the flush, so what the handler
  /// sends here is written in the same flush phase.
  virtual void on_drained(Connection& conn) {}
  /// Slow consumer: a flush hit EAGAIN (the kernel took all it could) and more than the
  /// connection's output limit is still queued. Called from the flush, at most once per flush,
  /// only while the connection is open. The handler evicts the peer (close, or
  /// close_dropping_output, or abort). Default: abort.
  virtual void on_output_overflow(Connection& conn);
  /// An outgoing connect() finished (client side only).
  virtual void on_connected(Connection& conn) {}
  /// Last call: the connection is closed (by either side). `ec` says why (empty: normal close).
  /// The handler is deleted at the end of the iteration.
  virtual void on_close(Connection& conn, std::error_code ec) {}
};

/// How a connection speaks TLS (Connection::use_tls).
struct TlsOptions {
  /// A handshake not finished this long after start() aborts the connection (0: no limit). A
  /// client that opens a connection and never completes the handshake holds nothing for long.
  uint32_t handshake_timeout_ms = 0;
  /// Server side: when the first bytes are not a TLS record but start like a plain-text request
  /// (an `http://` client on the TLS port), these bytes are written unencrypted and the
  /// connection is closed, so the client reads a clear answer instead of hanging on a
  /// handshake. Empty: such a connection is dropped like any other bad handshake. The bytes
  /// must outlive the connection (static storage).
  std::string_view plaintext_reply;
};

// Per connection, for its conn_close log line. (Write calls are counted per loop:
// Loop::IoCounters.)
struct ConnectionStats {
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
};

/// One queued output range of a connection.
struct OutputSlice {
  base::SharedBuffer buf;
  uint32_t off;
  uint32_t len;
};

/// A connection's queue of output slices, consumed from the front. The first slice is held
/// inline: an idle connection keeps no heap block for its queue, and one that gets a frame per
/// flush (a subscriber in a fan-out) allocates nothing per delivery. A second slice moves the
/// queue into an array from a per-thread pool (connection_output.cpp), given back by clear().
class OutputQueue {
 public:
  OutputQueue() = default;
  OutputQueue(const OutputQueue&) = delete;
  OutputQueue& operator=(const OutputQueue&) = delete;
  ~OutputQueue() { clear(); }

  /// Index of the first slice not consumed yet, and one past the last queued.
  size_t head() const { return head_; }
  size_t end() const { return many_ ? many_->size() : one_used_; }
  /// Nothing left to write.
  bool empty() const { return head_ == end(); }
  /// The slices, [head(), end()) unconsumed; valid until the next push_back or clear.
  OutputSlice* data() { return many_ ? many_->data() : &one_; }
  const OutputSlice* data() const { return many_ ? many_->data() : &one_; }
  OutputSlice& operator[](size_t i) { return data()[i]; }
  /// The one unconsumed slice when it is all the queue holds inline (the fan-out case), else
  /// nullptr.
  const OutputSlice* single() const {
    return !many_ && one_used_ == 1 && head_ == 0 ? &one_ : nullptr;
  }
  void push_back(base::SharedBuffer&& buf, uint32_t off, uint32_t len) {
    if (!many_ && one_used_ == 0) {
      one_.buf = std::move(buf);
      one_.off = off;
      one_.len = len;
      one_used_ = 1;
      return;
    }
    push_slow(OutputSlice{std::move(buf), off, len});
  }
  /// Consumes the front slice (its buffer is released).
  void pop_front() {
    data()[head_].buf.reset();
    ++head_;
  }
  /// Drops every slice; a pooled array goes back to the pool.
  void clear();

 private:
  void push_slow(OutputSlice s);

  OutputSlice one_;
  std::vector<OutputSlice>* many_ = nullptr;  // from the second slice until clear()
  uint32_t head_ = 0;
  uint32_t one_used_ = 0;  // one_ holds a slice (consumed or not)
};

// Memory: one Connection per open socket (200 bytes in a 208-byte slot of the loop thread's
// base::SlabPool: connections made together in a connect storm sit together, not between the
// handshake's short-lived blocks in malloc's heap, which can then give those back). Two vtable
// pointers (readiness and io_uring completions through IoHandler, the flush), the flags and
// the 16-bit epoll mask in the tail of the Flushable base, the peer packed in 20 bytes,
// 32-bit limits, a 24-byte input buffer, and what only some connections use (TLS, a send in
// flight, the linger or handshake timer) behind pointers.
class Connection final : public loop::IoHandler,
                         public loop::Flushable,
                         public base::SlabAllocated<Connection> {
 public:
  /// Takes ownership of the connected non-blocking `fd`. Call start() to begin reading.
  Connection(loop::Loop& loop, int fd, const Address& peer, size_t max_input);
  ~Connection();

  /// Begins (or, client side, waits for the connect to finish and then begins) reading.
  void start(std::unique_ptr<ConnectionHandler> handler, bool connecting = false);
  /// Makes the connection speak TLS through `session` (server or client end). Call before
  /// start(). Handlers see plaintext only; on_data runs once the handshake produced some, and a
  /// client's on_connected runs when the handshake (not the TCP connect) completes.
  void use_tls(std::unique_ptr<tls::Session> session, const TlsOptions& options);
  /// The connection speaks TLS.
  bool secure() const { return tls_ != nullptr; }
  /// The TLS session (nullptr on a plain connection), e.g. for its ALPN protocol.
  const tls::Session* tls_session() const;
  /// Replaces the handler (protocol upgrade). The old one is deleted after the iteration.
  void replace_handler(std::unique_ptr<ConnectionHandler> handler);
  ConnectionHandler* handler() const { return handler_.get(); }

  loop::Loop& loop() const { return loop_; }
  /// The peer's IP address and port (an IPv6 scope id or flow label is not kept).
  Address peer() const { return peer_.address(); }
  /// The client behind a proxy that said so (PROXY protocol): from now on peer() is it.
  void set_peer(const Address& a) { peer_ = PackedAddress(a); }
  int fd() const { return fd_; }

  // --- input -------------------------------------------------------------------------------
  base::ByteBuffer& input() { return input_; }
  void consume(size_t n) { input_.consume(n); }
  /// Stops/resumes delivering on_data (e.g. while a response is pending).
  void pause_reading();
  void resume_reading();

  // --- output ------------------------------------------------------------------------------
  /// Queues bytes (copied) / a shared buffer (referenced); written before the loop sleeps.
  void send(std::string_view bytes);
  void send(base::SharedBuffer buf);
  void send(base::SharedBuffer buf, size_t offset, size_t len);
  /// Bytes queued and not yet accepted by the kernel (on a TLS connection: the plaintext not
  /// sealed yet plus the ciphertext not written yet; both count toward the output limit).
  size_t pending_bytes() const { return pending_bytes_; }
  /// The slow-consumer threshold (0: none, the default): when a flush hits EAGAIN with more
  /// than `bytes` still queued, the handler's on_output_overflow runs. Queueing past the limit
  /// while the connection is blocked retries the write in this iteration's flush, so the
  /// verdict never waits for an EPOLLOUT that a peer who stopped reading would never cause.
  void set_output_limit(size_t bytes) {
    output_limit_ = static_cast<uint32_t>(bytes < kMaxOutputLimit ? bytes : kMaxOutputLimit);
  }
  /// Output limits are held in 32 bits: a larger one is this.
  static constexpr size_t kMaxOutputLimit = UINT32_MAX;
  size_t output_limit() const { return output_limit_; }
  /// Hard cap on what may be queued between two flushes: kOutputHardCapFactor x the limit.
  /// The overflow verdict waits for a flush; a session checks this before queueing more, so
  /// a burst within one iteration cannot grow memory without bound either.
  static constexpr size_t kOutputHardCapFactor = 4;
  bool over_output_hard_cap() const {
    return output_limit_ != 0 && pending_bytes_ > output_limit_ * kOutputHardCapFactor;
  }
  /// What a session asks before queueing more: true when the queue is past the hard cap even
  /// after the kernel took what it could now. At the cap this writes at once (writev, until
  /// EAGAIN) instead of waiting for phase 7, so a burst that reaches one loop in a single
  /// iteration (its thread was descheduled while publications piled up) is handed to a
  /// reader that keeps up, and only a reader whose socket is full is judged slow. Calls no
  /// handler callback (safe inside a delivery). With a send in flight (io_uring) nothing can
  /// be written now and the cap alone decides.
  bool output_full();
  /// Asks for one on_drained call as soon as everything queued so far has been written (in
  /// this iteration's flush when the kernel takes it all). Used to pace a large write, such as
  /// a replay, instead of queueing it whole.
  void notify_when_drained();

  // --- closing -----------------------------------------------------------------------------
  /// Graceful: stop reading, write what is queued, shut down the write side, wait briefly
  /// for the peer's FIN (lingering close, so the peer sees our last response instead of an
  /// RST), then close. on_close runs when the fd is closed.
  void close();
  /// Graceful, for a peer that is not reading: drops the output the kernel has not taken
  /// yet (the peer may see a truncated last message), shuts down the write side at once and
  /// lingers as close() does. Whatever the kernel already accepted still reaches the peer.
  void close_dropping_output();
  /// Immediate: drop queued output and reset the connection.
  void abort(std::error_code ec = {});
  bool closing() const { return state_ != State::open && state_ != State::connecting; }
  bool closed() const { return state_ == State::closed; }

  const ConnectionStats& stats() const { return stats_; }
  /// A send entry is submitted (io_uring) and its completion has not been handled yet.
  bool write_in_flight() const { return sending_; }

  // Bit-fields: one byte for the three flags seldom touched, so the mask and the fd fit in
  // the Flushable base's tail with the rest (see "Memory" above).
  // The server counted this connection against its peer's per-IP limit (not done for a
  // connection from a trusted proxy until it says whom it forwards); released with it.
  bool counted_per_ip : 1 = false;
  // peer() came from a trusted proxy's PROXY protocol header (set_peer): it is the client.
  bool peer_from_proxy_header : 1 = false;

 private:
  bool drain_wanted_ : 1 = false;  // notify_when_drained() was called
  enum class State : uint8_t { connecting, open, draining, lingering, closed };
  State state_ = State::open;
  bool reading_ = true;
  bool want_write_ = false;  // EPOLLOUT armed
  bool sending_ = false;     // an io_uring send is submitted and not yet complete
  // The epoll mask registered: EPOLLIN, EPOLLOUT and EPOLLRDHUP all fit in 16 bits.
  uint16_t interest_ = 0;
  int fd_;
  PackedAddress peer_;

 public:
  // Intrusive links for ConnectionSet.
  base::ListHook<Connection> set_hook_;
  ConnectionSet* set_ = nullptr;

 private:
  using Slice = OutputSlice;

  // What a submitted send needs beyond one slice of the queue: the msghdr and iovecs of a send
  // of several slices, and the buffers kept alive when the queue is dropped under it.
  struct InFlight;
  struct InFlightDeleter {
    void operator()(InFlight* f) const;
  };
  struct Tls;  // the TLS session and its ciphertext buffer (connection_tls.cpp)
  struct TlsDeleter {
    void operator()(Tls* t) const;
  };

  void on_io(uint32_t events) override;
  /// After queueing: asks for a flush this iteration (or retries a blocked one past the limit).
  void after_queue();
  /// The queue drained: a pooled array goes back to the pool.
  void release_output() { out_.clear(); }
  void flush() override;
  void flush_writev();
  /// Writes what the kernel takes now; on EAGAIN arms EPOLLOUT without a verdict.
  void write_now();
  void flush_uring();
  // flush_uring past one plain slice: a send of several slices, or TLS (out of line, as
  // on_uring_result).
  [[gnu::noinline]] void flush_uring_slices();
  /// The io_uring send of a queue that holds exactly the slices of another connection's
  /// joined copy still in flight: that copy, now also held by `f`; else null.
  const char* borrow_shared_run(InFlight& f) const;
  /// Makes `f`'s joined copy of the whole queue the one later queues may borrow.
  void remember_shared_run(const InFlight& f) const;
  void on_uring_complete(int res) override;
  // Every completion but a whole plain send of one slice (out of line: the fast path then
  // saves no registers).
  [[gnu::noinline]] void on_uring_result(int res);
  /// Fills `iov` (up to 64 entries) with what to write next; 0 when nothing can be written
  /// now. TLS: seals queued plaintext into the connection's ciphertext buffer first. Plain:
  /// runs of small slices are copied into `joined` (one iovec a run, at most `joined_cap`
  /// bytes in all), which must stay valid until the write completes: writev uses one
  /// per-thread buffer, an io_uring send its in-flight record's. Large slices stay referenced.
  int gather(iovec* iov, char* joined, size_t joined_cap);
  /// Something is queued (plaintext or, with TLS, ciphertext).
  bool has_output() const;
  /// The kernel accepted `n` bytes: drop them from the front of the queue.
  void advance(size_t n);
  /// Drops `n` bytes of plaintext slices from the front of out_ (pending_bytes_ untouched).
  void consume_slices(size_t n);
  // TLS (connection_tls.cpp).
  void tls_start();
  void tls_connected();
  /// Feeds bytes read from the socket to the session; false when the caller must stop reading.
  bool tls_receive(const char* data, size_t n);
  void tls_established();
  int tls_gather(iovec* iov);
  void tls_seal();
  void tls_drop_plaintext();
  /// Ciphertext is waiting to be written.
  bool tls_wire_pending() const;
  /// The kernel took `n` bytes of ciphertext.
  void tls_advance(size_t n);
  /// Everything was written: frees the ciphertext buffer.
  void tls_idle();
  /// drop_output() for the ciphertext (kept while a submitted send points into it).
  void tls_drop_wire();
  /// A TLS session failed (a fatal alert, a bad record): the reason, else empty.
  std::error_code tls_failure() const;
  /// The kernel could take no more (EAGAIN): arm EPOLLOUT, give the slow-consumer verdict.
  void on_blocked();
  /// The queue is empty: disarm EPOLLOUT, finish a graceful close, notify the handler.
  void on_written_all();
  void handle_readable();
  void handle_writable();
  void update_interest();
  void finish_close(std::error_code ec);
  void drop_output();
  void start_linger();
  void linger_read();

  loop::Loop& loop_;
  uint32_t max_input_;
  uint32_t output_limit_ = 0;
  std::unique_ptr<ConnectionHandler> handler_;
  base::ByteBuffer input_;
  OutputQueue out_;
  size_t pending_bytes_ = 0;
  // Only while lingering, or while a TLS handshake may time out (saves 56 B when idle).
  std::unique_ptr<loop::Timer> timer_;
  std::unique_ptr<InFlight, InFlightDeleter> inflight_;  // only while sending_, when needed
  std::unique_ptr<Tls, TlsDeleter> tls_;                 // only on TLS connections
  ConnectionStats stats_;
};

/// The connections of one loop, for counting, draining and shutdown. Not owning: a
/// connection removes itself when it closes.
class ConnectionSet {
 public:
  /// Called when a connection leaves the set (it closed), e.g. to release a per-IP slot.
  std::function<void(Connection&)> on_erase;

  void insert(Connection* c);
  void erase(Connection* c);
  /// Moves `c` to `to` without calling on_erase (it stays open).
  void transfer(Connection* c, ConnectionSet& to);
  Connection* front() const { return list_.front(); }
  size_t size() const { return size_; }
  /// Calls fn on every connection; fn may close connections (they stay linked until closed).
  template <typename Fn>
  void for_each(Fn fn) {
    list_.for_each(fn);
  }

 private:
  base::IntrusiveList<Connection, &Connection::set_hook_> list_;
  size_t size_ = 0;
};

}  // namespace herald::net
