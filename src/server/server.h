#pragma once
// Server: the composition root of `herald serve`. Owns the settings, the engine and hub, one
// Worker per loop thread, and a control loop on the main thread that handles signals
// (signalfd): SIGTERM/SIGINT drain and exit 0, SIGHUP reloads the config file.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "access/shared.h"
#include "base/settings.h"
#include "cluster/redis_engine.h"
#include "hub/hub.h"
#include "hub/memory_engine.h"
#include "net/address.h"
#include "server/loop_executor.h"
#include "server/worker.h"
#include "tls/context.h"
#include "udp/admission.h"
#include "udp/cookie.h"

namespace herald::server {

struct ServeOptions {
  base::Settings settings;
  /// Reapplied on SIGHUP: the config file, then env and flags again (same precedence).
  std::function<bool(base::Settings&, std::string&)> reload;
  std::string version;
};

class Server {
 public:
  explicit Server(ServeOptions opts);
  ~Server();

  /// Binds, starts the loops, serves until SIGTERM/SIGINT; returns the exit code.
  int run();
  /// `herald serve --check`: everything run() validates before serving (listen addresses, the
  /// TLS certificate and key, the [auth] keys) and that the TCP ports, and the UDP port when
  /// UDP is on, can be bound now; prints one line and returns 0, or logs the problem and
  /// returns run()'s exit code for it. Serves nothing, connects nowhere (not to Redis).
  int check();

  hub::Hub& hub() { return *hub_; }
  size_t worker_count() const { return workers_.size(); }
  Worker& worker(size_t i) { return *workers_[i]; }
  const std::string& web_root() const { return web_root_; }
  const std::string& version() const { return opts_.version; }
  uint64_t start_ms() const { return start_ms_; }
  /// The settings in force (the last successful reload's), from any thread.
  const base::Settings& settings() const { return *settings_.load(std::memory_order_acquire); }

  /// Connection admission (total, and per IP unless `per_ip` is false: a trusted proxy's
  /// connection is counted per IP once it says whom it forwards), from any loop.
  bool admit(const net::Address& peer, const base::Settings& s, bool per_ip = true);
  /// Counts a proxied connection against its real client's per-IP limit (PROXY protocol).
  bool admit_ip(const net::Address& client, const base::Settings& s);
  void release(const net::Address& peer, bool per_ip);

  /// The Redis engine when `engine.type = "redis"`, else nullptr (its stats are thread-safe).
  const cluster::RedisEngine* redis() const { return redis_; }
  /// Whether the engine can serve: always with the memory engine; with Redis, while every
  /// link is up (thread-safe). /health?ready reports it.
  bool engine_ready() const { return !redis_ || redis_->ready(); }

  /// Ends, with `why`, the WebSocket and SSE connections of `user` (or the one with client id
  /// `client`) on every loop (access::Gate::disconnect); `done(n)` runs on the calling loop.
  void disconnect(std::string user, std::string client, access::Outcome why,
                  std::function<void(size_t)> done);

  /// Takes a snapshot of every loop (posting to each); `done` runs on the calling loop.
  void gather(std::function<void(std::vector<LoopSnapshot>)> done);

 private:
  /// Binds every worker's listener, then its UDP socket, on `*bound` (updated to the real
  /// port). False with the message in `*what`; `*udp_busy` when the UDP port number was taken.
  bool bind_workers(net::Address* bound, std::string* what, bool* udp_busy);
  /// The checks before serving shared by run() and check(): parses the listen addresses,
  /// loads the TLS context and the [auth] keys; false (logged, `code` set) on a problem.
  bool prepare(const base::Settings& s, std::optional<net::Address>& plain_addr,
               std::optional<net::Address>& tls_addr, int& code);
  /// Whether the listen ports can be bound now (TCP, and UDP beside the plain one); logs why not.
  bool ports_free(const base::Settings& s, const std::optional<net::Address>& plain_addr,
                  const std::optional<net::Address>& tls_addr);
  void drain_and_stop();
  void reload();
  /// SIGHUP: a new TLS context from `next`'s certificate and key, posted to every loop; on
  /// failure the previous one stays.
  void reload_tls(const base::Settings& next);
  /// Builds the engine `settings` ask for; false (logged) when its settings cannot work.
  bool make_engine(const base::Settings& s, std::vector<loop::Loop*> loops);
  hub::ChannelOptions options_for(std::string_view channel) const;

  ServeOptions opts_;
  std::vector<std::unique_ptr<base::Settings>> settings_history_;  // kept alive for readers
  std::atomic<const base::Settings*> settings_{nullptr};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<LoopExecutor> executor_;
  std::unique_ptr<hub::Engine> engine_;
  cluster::RedisEngine* redis_ = nullptr;  // engine_, when it is the Redis engine
  std::unique_ptr<hub::Hub> hub_;
  access::Shared access_;                        // per-user counters shared by every loop's gate
  std::shared_ptr<const tls::Context> tls_ctx_;  // null without TLS; control thread only
  udp::Admission udp_admission_;                 // UDP leases per process and per IP, all loops
  udp::CookieSecret udp_secret_ = udp::CookieSecret::random();  // cookie master key
  std::string web_root_;
  uint64_t start_ms_ = 0;

  std::mutex admit_mu_;
  size_t total_connections_ = 0;                    // guarded by admit_mu_
  std::unordered_map<std::string, size_t> per_ip_;  // guarded by admit_mu_
};

}  // namespace herald::server
