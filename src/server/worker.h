#pragma once
// Worker: one loop thread and everything it owns for life (shared-nothing): its SO_REUSEPORT
// listeners (plain and TLS), its connections, its HTTP context (settings pointer, counters,
// Date cache), its access gate to the hub and its routes. Other threads reach it only through
// its loop's post().
#include <atomic>
#include <memory>
#include <thread>

#include "access/gate.h"
#include "access/shared.h"
#include "base/metrics.h"
#include "base/settings.h"
#include "hook/client.h"
#include "http/context.h"
#include "http_codec/response.h"
#include "loop/loop.h"
#include "loop/timer.h"
#include "net/connection.h"
#include "net/listener.h"
#include "server/routes.h"
#include "tls/context.h"
#include "udp/admission.h"
#include "udp/cookie.h"
#include "udp/transport.h"

namespace herald::server {

class Server;

/// A snapshot of one loop's state, taken on its thread, for /metrics and /admin.
struct LoopSnapshot {
  base::Metrics metrics;
  base::Histogram lag_us;
  uint64_t iterations = 0;
  size_t connections = 0;
  loop::Loop::IoCounters io;
  bool io_uring = false;  // writes through io_uring (false: writev)
};

class Worker {
 public:
  Worker(size_t index, Server& server, const base::Settings* settings);
  ~Worker();

  loop::Loop& loop() { return loop_; }
  size_t index() const { return index_; }
  http::Context& context() { return ctx_; }
  /// Connects the worker to the hub (its gate and routes) and, when udp.enabled, makes its
  /// UDP transport; call once, before start_thread.
  void attach(hub::Hub& hub, access::Shared& shared, udp::Admission& udp_admission,
              const udp::CookieSecret& udp_secret);

  /// Opens this worker's listener (before the thread starts). Returns the bound address.
  base::Result<net::Address> listen(const net::Address& addr);
  /// Opens this worker's TLS listener (before the thread starts); its connections handshake
  /// with `ctx` (replaced by set_tls_context). Returns the bound address.
  base::Result<net::Address> listen_tls(const net::Address& addr,
                                        std::shared_ptr<const tls::Context> ctx);
  /// Opens this worker's UDP socket on `addr` (the listener's address and port), when the
  /// transport exists. Returns the bound address.
  base::Result<net::Address> listen_udp(const net::Address& addr);
  /// Closes the listener and the UDP socket (a bind retry with another port).
  void unlisten();
  void start_thread();
  void join();

  // Called on this worker's loop (post them):
  void set_settings(const base::Settings* s);
  /// SIGHUP with a new certificate: new handshakes use `ctx`; open connections keep theirs.
  void set_tls_context(std::shared_ptr<const tls::Context> ctx);
  /// SIGTERM: ask every client to reconnect elsewhere, one at a time, evenly over `window_ms`;
  /// new connections are still accepted meanwhile and answered 503 (`/health`: draining).
  void begin_drain(uint32_t window_ms);
  /// Stops accepting and closes what is left (end of the drain window).
  void close_all();
  LoopSnapshot snapshot() const;
  /// This loop's access gate (after attach).
  access::Gate& gate() { return *gate_; }

 private:
  void run();
  void on_accept(int fd, const net::Address& peer, bool secure);
  void tick();
  /// After a burst of connections, once it is over: gives free heap pages back to the system.
  void trim_after_burst();
  void drain_step();

  size_t index_;
  Server& server_;
  loop::Loop loop_;
  std::unique_ptr<net::Listener> listener_;
  std::unique_ptr<net::Listener> tls_listener_;
  std::shared_ptr<const tls::Context> tls_ctx_;
  net::ConnectionSet connections_;
  net::ConnectionSet to_drain_;  // SIGTERM: open when the drain began, not asked yet
  net::ConnectionSet drained_;   // asked to reconnect elsewhere (SIGTERM), not closed yet
  http::DateCache date_;
  base::Metrics metrics_;
  http::Context ctx_;
  access::Shared* shared_ = nullptr;
  std::unique_ptr<access::Gate> gate_;
  std::unique_ptr<Routes> routes_;
  std::unique_ptr<udp::Transport> udp_;
  std::unique_ptr<hook::Client> hooks_;  // backend hook requests of this loop's gate
  loop::Timer tick_timer_;
  // Accepted connections counted at the last tick and at the last memory trim.
  uint64_t accepted_at_tick_ = 0;
  uint64_t accepted_at_trim_ = 0;
  loop::Timer drain_timer_;
  size_t drain_total_ = 0;  // connections open when the drain began
  size_t drain_asked_ = 0;  // of those, asked to reconnect so far
  uint64_t drain_start_ms_ = 0;
  uint32_t drain_window_ms_ = 0;
  std::thread thread_;
};

}  // namespace herald::server
