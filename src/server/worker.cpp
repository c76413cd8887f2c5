#include "server/worker.h"

#include <malloc.h>
#include <unistd.h>

#include <cstring>

#include "base/log.h"
#include "base/time.h"
#include "http/session.h"
#include "server/loop_executor.h"
#include "server/proxy_preamble.h"
#include "server/server.h"
#include "server/tls_setup.h"
#include "sse/transports.h"
#include "tls/session.h"
#include "ws/session.h"

namespace herald::server {

namespace {
constexpr uint64_t kTickMs = 1000;  // Date header, hub maintenance, memory trim
// A burst of at least this many accepted connections is followed by a trim once it is over,
// that is once a tick saw fewer than kBurstOverAccepts.
constexpr uint64_t kTrimAfterAccepts = 1000;
constexpr uint64_t kBurstOverAccepts = 100;
}  // namespace

Worker::Worker(size_t index, Server& server, const base::Settings* settings)
    : index_(index), server_(server), loop_(static_cast<int>(index)) {
  ctx_.loop = &loop_;
  ctx_.settings = settings;
  ctx_.metrics = &metrics_;
  ctx_.date = &date_;
  ctx_.connections = &connections_;
  connections_.on_erase = [this](net::Connection& c) {
    server_.release(c.peer(), c.counted_per_ip);
  };
  drained_.on_erase = connections_.on_erase;
  to_drain_.on_erase = connections_.on_erase;
  // Read once: a reload cannot swap how a running loop writes.
  if (settings->io_uring) loop_.enable_io_uring();
}

Worker::~Worker() {
  // Hook requests still in flight are dropped (their connections reset).
  if (gate_) gate_->set_hooks(nullptr);
  hooks_.reset();
  // The leases were dropped by close_all (SIGTERM); this closes the socket.
  if (udp_) udp_->close();
  // Connections still open at exit are closed by their owner set; deletion is deferred, so
  // run the loop's reap once.
  connections_.for_each([](net::Connection& c) { c.abort(); });
  drained_.for_each([](net::Connection& c) { c.abort(); });
  to_drain_.for_each([](net::Connection& c) { c.abort(); });
  loop_.run_once(0);
}

base::Result<net::Address> Worker::listen(const net::Address& addr) {
  auto l = net::Listener::open(
      loop_, addr, /*reuse_port=*/true,
      [this](int fd, const net::Address& peer) { on_accept(fd, peer, /*secure=*/false); });
  if (!l.ok()) return l.error();
  listener_ = std::move(l.value());
  return listener_->address();
}

base::Result<net::Address> Worker::listen_tls(const net::Address& addr,
                                              std::shared_ptr<const tls::Context> ctx) {
  auto l = net::Listener::open(
      loop_, addr, /*reuse_port=*/true,
      [this](int fd, const net::Address& peer) { on_accept(fd, peer, /*secure=*/true); });
  if (!l.ok()) return l.error();
  tls_listener_ = std::move(l.value());
  tls_ctx_ = std::move(ctx);
  return tls_listener_->address();
}

void Worker::attach(hub::Hub& hub, access::Shared& shared, udp::Admission& udp_admission,
                    const udp::CookieSecret& udp_secret) {
  shared_ = &shared;
  gate_ = std::make_unique<access::Gate>(hub, shared, metrics_, ctx_.settings);
  hooks_ = std::make_unique<hook::Client>(loop_, ctx_.settings);
  gate_->set_hooks(hooks_.get());
  routes_ = std::make_unique<Routes>(server_, *gate_);
  if (ctx_.settings->udp_enabled)
    udp_ = std::make_unique<udp::Transport>(loop_, *gate_, udp_admission, udp_secret, metrics_,
                                            ctx_.settings);
}

base::Result<net::Address> Worker::listen_udp(const net::Address& addr) {
  if (!udp_) return addr;
  return udp_->open(addr);
}

void Worker::unlisten() {
  if (listener_) listener_.reset();
  if (udp_) udp_->close();
}

void Worker::start_thread() {
  thread_ = std::thread([this] { run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run() {
  LoopExecutor::bind_current(index_);
  date_.update(static_cast<int64_t>(base::wall_us() / 1'000'000));
  tick_timer_.start(loop_.timers(), kTickMs, [this] { tick(); });
  // Lines of this loop are written once per iteration (a connect storm logs one line per
  // connection), and the last ones when the loop ends.
  base::log_buffer_thread();
  loop_.run();
  base::log_flush(/*final=*/true);
}

void Worker::tick() {
  date_.update(static_cast<int64_t>(base::wall_us() / 1'000'000));
  server_.hub().maintain();
  if (index_ == 0) shared_->prune(loop_.now_ms());
  trim_after_burst();
  tick_timer_.restart(kTickMs);
}

// Thousands of handshakes at once (a connect storm: clients coming back after a restart or a
// drain elsewhere) leave their short-lived blocks (requests, responses, replies) freed between
// one another in malloc's heap, and malloc keeps those pages. Connections and sessions live in
// slab pools of their own, so once the burst is over most of that is whole free pages:
// malloc_trim gives them back. Measured (docs/benchmarks.md §5), 4,000 WebSockets opened at
// once: 671 bytes of RSS per connection (547..778 over three runs) without it, 560 (535..567)
// with it. It walks the heap once, and only after a burst.
void Worker::trim_after_burst() {
  uint64_t accepted = metrics_.connections_accepted;
  bool burst_over = accepted - accepted_at_tick_ < kBurstOverAccepts;
  accepted_at_tick_ = accepted;
  if (!burst_over || accepted - accepted_at_trim_ < kTrimAfterAccepts) return;
  accepted_at_trim_ = accepted;
  ::malloc_trim(0);
  ++metrics_.memory_trims;
}

void Worker::on_accept(int fd, const net::Address& peer, bool secure) {
  const base::Settings& s = *ctx_.settings;
  // A trusted proxy's connection counts against its client's per-IP limit, once known (PROXY
  // protocol), not against the proxy's.
  bool via_proxy = gate_->trusted_proxies().contains(peer);
  // While draining, new connections are still accepted: their requests are answered 503
  // (`/health?ready` says so), which a load balancer or client understands, where a refused
  // TCP connection says nothing.
  if (!server_.admit(peer, s, !via_proxy)) {
    // Over a connection limit: a short 503 instead of a silent drop, so the client knows. A TLS
    // client could not read it (and a handshake just to refuse would spend what the limit
    // protects): it is closed at once.
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: "
        "24\r\nConnection: close\r\nRetry-After: 1\r\n\r\nconnection limit reached";
    if (!secure) {
      ssize_t w = ::write(fd, kBusy.data(), kBusy.size());
      (void)w;
    }
    ::close(fd);
    ++metrics_.connections_rejected;
    return;
  }
  std::unique_ptr<tls::Session> tls_session;
  if (secure) {
    tls_session = tls::Session::accept(*tls_ctx_);
    if (!tls_session) {  // out of memory in OpenSSL
      server_.release(peer, !via_proxy);
      ::close(fd);
      return;
    }
  }
  ++metrics_.connections_accepted;
  // The slack over one maximal request leaves room for chunk framing: HttpSession answers 413
  // at max_header_bytes + max_body + 2048 (kChunkFramingSlack), before this input is full.
  auto* conn = new net::Connection(loop_, fd, peer, s.max_header_bytes + s.max_body + 4096);
  conn->counted_per_ip = !via_proxy;
  if (tls_session) {
    net::TlsOptions o;
    o.handshake_timeout_ms = s.tls_handshake_timeout_ms;
    o.plaintext_reply = plaintext_on_tls_port();
    conn->use_tls(std::move(tls_session), o);
  }
  connections_.insert(conn);
  // The PROXY header precedes any TLS bytes, so it is read on the plain listener only: a proxy
  // that passes TLS through to herald's TLS port is named by the address it connects from.
  if (via_proxy && s.proxy_protocol && !secure) {
    auto pre = std::make_unique<ProxyPreamble>(
        loop_, s.header_timeout_ms,
        [this](net::Connection& c) {
          // A LOCAL header (the proxy's own health check) keeps the proxy's address.
          if (gate_->trusted_proxies().contains(c.peer())) return true;
          if (!server_.admit_ip(c.peer(), *ctx_.settings)) {
            ++metrics_.connections_rejected;
            return false;
          }
          c.counted_per_ip = true;
          return true;
        },
        [this](net::Connection& c) {
          auto session = std::make_unique<http::HttpSession>(ctx_, *routes_, c);
          session->start();
          return session;
        });
    ProxyPreamble* raw = pre.get();
    conn->start(std::move(pre));
    raw->start(*conn);
    return;
  }
  auto session = std::make_unique<http::HttpSession>(ctx_, *routes_, *conn);
  http::HttpSession* raw = session.get();
  conn->start(std::move(session));
  raw->start();
}

void Worker::set_settings(const base::Settings* s) {
  ctx_.settings = s;
  gate_->set_settings(s);
  hooks_->set_settings(s);
  if (udp_) udp_->set_settings(s);
}

void Worker::set_tls_context(std::shared_ptr<const tls::Context> ctx) {
  tls_ctx_ = std::move(ctx);
}

void Worker::begin_drain(uint32_t window_ms) {
  ctx_.draining = true;
  ctx_.drain_end_ms = loop_.now_ms() + window_ms;
  // Why spread by time and not in batches of a fixed count: the connections asked to reconnect
  // come back to the other nodes at the rate they are asked, so the k-th of n is asked at
  // k/n of the window, whatever n is (a batch every 10 ms asked 100 connections within the
  // first second of a 2 s window). The listener stays open meanwhile (see on_accept).
  // The connections open now wait their turn in to_drain_; those accepted later stay in
  // connections_ and close after their 503.
  for (net::Connection* c = connections_.front(); c; c = connections_.front())
    connections_.transfer(c, to_drain_);
  drain_total_ = to_drain_.size();
  drain_asked_ = 0;
  drain_start_ms_ = loop_.now_ms();
  drain_window_ms_ = window_ms;
  if (udp_) udp_->begin_drain();
  drain_step();
}

void Worker::drain_step() {
  uint64_t elapsed = loop_.now_ms() - drain_start_ms_;
  // Connection k (0-based) is due at k * window / total.
  while (drain_asked_ < drain_total_ &&
         (drain_window_ms_ == 0 ||
          drain_asked_ * uint64_t(drain_window_ms_) <= elapsed * drain_total_)) {
    net::Connection* c = to_drain_.front();
    if (!c) break;
    ++drain_asked_;
    to_drain_.transfer(c, drained_);
    if (c->closing()) continue;
    if (ws::drain(*c) || sse::drain(*c)) continue;
    if (auto* h = dynamic_cast<http::HttpSession*>(c->handler()); h && !h->holding()) c->close();
  }
  if (drain_asked_ >= drain_total_ || !to_drain_.front()) return;
  // The next one is due at ceil(asked * window / total).
  uint64_t due = (drain_asked_ * uint64_t(drain_window_ms_) + drain_total_ - 1) / drain_total_;
  drain_timer_.start(loop_.timers(), due > elapsed ? due - elapsed : 1, [this] { drain_step(); });
}

void Worker::close_all() {
  if (udp_) udp_->close();
  // The end of the drain window: nothing more is accepted.
  if (listener_) listener_->close();
  if (tls_listener_) tls_listener_->close();
  drain_timer_.stop();
  connections_.for_each([](net::Connection& c) { c.close(); });
  drained_.for_each([](net::Connection& c) { c.close(); });
  to_drain_.for_each([](net::Connection& c) { c.close(); });
  tick_timer_.stop();
}

LoopSnapshot Worker::snapshot() const {
  LoopSnapshot s;
  s.metrics = metrics_;
  s.lag_us = loop_.lag_us();
  s.iterations = loop_.iterations();
  s.io = loop_.io_counters();
  s.io_uring = loop_.uring() != nullptr;
  s.connections = connections_.size() + drained_.size() + to_drain_.size();
  return s;
}

}  // namespace herald::server
