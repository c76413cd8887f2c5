#include "server/server.h"

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include "access/tokens.h"
#include "base/log.h"
#include "base/time.h"
#include "net/listener.h"
#include "server/tls_setup.h"

namespace herald::server {

namespace {

// Binds tried with a kernel-chosen port before giving up (udp port number taken, see run()).
constexpr int kBindAttempts = 8;

std::string find_web_root(const std::string& configured) {
  namespace fs = std::filesystem;
  if (!configured.empty()) return configured;
  // Found from the binary, so that it does not depend on the working directory: installed as
  // PREFIX/bin/herald the assets are in PREFIX/share/herald/web (make install); built as
  // build/<kind>/herald in a source checkout they are web/ two levels up.
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path();
         dir = dir.parent_path()) {
      for (fs::path web : {dir / "share" / "herald" / "web", dir / "web"})
        if (fs::exists(web / "index.html", ec)) return web.string();
    }
  }
  return "web";
}

void raise_fd_limit() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

Server::Server(ServeOptions opts) : opts_(std::move(opts)) {
  settings_history_.push_back(std::make_unique<base::Settings>(opts_.settings));
  settings_.store(settings_history_.back().get());
  web_root_ = find_web_root(opts_.settings.web_root);
}

Server::~Server() = default;

void Server::reload_tls(const base::Settings& next) {
  // The certificate and key are read again even when their paths did not change: renewing a
  // certificate in place (certbot, cert-manager) and sending SIGHUP is the usual rotation.
  base::Settings with_listener = next;
  with_listener.tls_listen = settings_.load()->tls_listen;  // TLS stays on until a restart
  std::string why;
  auto fresh = load_tls(with_listener, why);
  if (!fresh.ok()) {
    HLOG_ERROR("SIGHUP: TLS certificate not reloaded, the previous one stays in use: %s",
               why.c_str());
    return;
  }
  tls_ctx_ = fresh.value();
  for (auto& w : workers_) {
    Worker* wp = w.get();
    wp->loop().post([wp, ctx = tls_ctx_] { wp->set_tls_context(ctx); });
  }
  HLOG_EVENT(base::LogLevel::info, "tls_reload", "SIGHUP: TLS certificate reloaded",
             {"cert_file", next.tls_cert_file});
}

hub::ChannelOptions Server::options_for(std::string_view channel) const {
  const base::Settings* s = settings_.load(std::memory_order_acquire);
  const auto& ns = s->namespace_for(channel);
  hub::ChannelOptions o;
  o.history_size = ns.history_size;
  o.history_ttl_ms = uint64_t(ns.history_ttl_sec) * 1000;
  return o;
}

bool Server::admit(const net::Address& peer, const base::Settings& s, bool per_ip) {
  std::lock_guard<std::mutex> lock(admit_mu_);
  if (total_connections_ >= s.max_connections) return false;
  if (per_ip) {
    size_t& n = per_ip_[peer.host()];
    if (n >= s.max_connections_per_ip) {
      if (n == 0) per_ip_.erase(peer.host());
      return false;
    }
    ++n;
  }
  ++total_connections_;
  return true;
}

bool Server::admit_ip(const net::Address& client, const base::Settings& s) {
  std::lock_guard<std::mutex> lock(admit_mu_);
  size_t& n = per_ip_[client.host()];
  if (n >= s.max_connections_per_ip) {
    if (n == 0) per_ip_.erase(client.host());
    return false;
  }
  ++n;
  return true;
}

void Server::release(const net::Address& peer, bool per_ip) {
  std::lock_guard<std::mutex> lock(admit_mu_);
  if (per_ip) {
    auto it = per_ip_.find(peer.host());
    if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  }
  if (total_connections_ > 0) --total_connections_;
}

void Server::disconnect(std::string user, std::string client, access::Outcome why,
                        std::function<void(size_t)> done) {
  struct State {
    size_t total = 0;
    size_t left;
    std::function<void(size_t)> done;
  };
  size_t me = executor_->current_loop();
  auto st = std::make_shared<State>();
  st->left = workers_.size();
  st->done = std::move(done);
  auto who = std::make_shared<const std::pair<std::string, std::string>>(std::move(user),
                                                                         std::move(client));
  for (size_t i = 0; i < workers_.size(); ++i) {
    executor_->post(i, [this, st, who, why, i, me] {
      size_t n = workers_[i]->gate().disconnect(who->first, who->second, why);
      executor_->post(me, [st, n] {
        st->total += n;
        if (--st->left == 0) st->done(st->total);
      });
    });
  }
}

void Server::gather(std::function<void(std::vector<LoopSnapshot>)> done) {
  struct State {
    std::vector<LoopSnapshot> snaps;
    size_t left;
    std::function<void(std::vector<LoopSnapshot>)> done;
  };
  size_t me = executor_->current_loop();
  auto st = std::make_shared<State>();
  st->snaps.resize(workers_.size());
  st->left = workers_.size();
  st->done = std::move(done);
  for (size_t i = 0; i < workers_.size(); ++i) {
    executor_->post(i, [this, st, i, me] {
      LoopSnapshot snap = workers_[i]->snapshot();
      executor_->post(me, [st, i, snap = std::move(snap)]() mutable {
        st->snaps[i] = std::move(snap);
        if (--st->left == 0) st->done(std::move(st->snaps));
      });
    });
  }
}

bool Server::prepare(const base::Settings& s, std::optional<net::Address>& plain_addr,
                     std::optional<net::Address>& tls_addr, int& code) {
  // Each listener is optional ("" turns it off), but one of them must be there.
  for (auto [text, into] : {std::pair{&s.listen, &plain_addr}, {&s.tls_listen, &tls_addr}}) {
    if (text->empty()) continue;
    auto a = net::Address::parse(*text);
    if (!a.ok()) {
      HLOG_ERROR("bad listen address '%s'", text->c_str());
      code = 2;
      return false;
    }
    *into = a.value();
  }
  if (!plain_addr && !tls_addr) {
    HLOG_ERROR("server.listen and tls.listen are both empty: nothing to listen on");
    code = 2;
    return false;
  }
  std::string why;
  auto tls = load_tls(s, why);
  if (!tls.ok()) {
    HLOG_ERROR("%s", why.c_str());
    code = 2;
    return false;
  }
  tls_ctx_ = tls.value();
  std::string access_error;
  if (!base::open_access_log(s.access_log, &access_error)) {
    HLOG_ERROR("%s", access_error.c_str());
    code = 2;
    return false;
  }
  std::string key_error;
  auto keys = access::load_keys(s, &key_error);
  if (!keys.ok()) {
    HLOG_ERROR("[auth]: %s", key_error.c_str());
    code = 1;
    return false;
  }
  access_.set_keys(keys.value());
  return true;
}

bool Server::ports_free(const base::Settings& s, const std::optional<net::Address>& plain_addr,
                        const std::optional<net::Address>& tls_addr) {
  for (const auto* a : {&plain_addr, &tls_addr}) {
    if (!*a) continue;
    if (auto ec = net::check_address_free(**a)) {
      HLOG_ERROR("listen %s: %s (another process listens on it)", (*a)->to_string().c_str(),
                 ec.message().c_str());
      return false;
    }
  }
  // UDP shares the plain listener's port number; without a plain listener it is off.
  if (s.udp_enabled && plain_addr) {
    if (auto ec = net::check_udp_free(*plain_addr)) {
      HLOG_ERROR("udp %s: %s (another process uses the port; udp.enabled = false serves TCP only)",
                 plain_addr->to_string().c_str(), ec.message().c_str());
      return false;
    }
  }
  return true;
}

int Server::check() {
  const base::Settings& s = *settings_.load();
  std::optional<net::Address> plain_addr, tls_addr;
  int code = 0;
  if (!prepare(s, plain_addr, tls_addr, code)) return code;
  if (!ports_free(s, plain_addr, tls_addr)) return 1;
  std::string where;
  if (plain_addr) where += " http://" + plain_addr->to_string() + "/";
  if (tls_addr) where += " https://" + tls_addr->to_string() + "/";
  if (!web_root_.empty()) where += " web_root " + web_root_;
  std::printf("herald serve --check: ok:%s\n", where.c_str());
  return 0;
}

int Server::run() {
  raise_fd_limit();
  const base::Settings& s = *settings_.load();
  std::optional<net::Address> plain_addr, tls_addr;
  int code = 0;
  if (!prepare(s, plain_addr, tls_addr, code)) return code;
  size_t threads =
      s.threads > 0 ? size_t(s.threads) : std::max(1u, std::thread::hardware_concurrency());
  std::shared_ptr<const jwt::KeySet> keys = access_.keys();
  if (!keys->empty()) HLOG_INFO("connection tokens: %s", keys->describe().c_str());
  for (const auto* a : {&plain_addr, &tls_addr}) {
    if (*a && !(*a)->is_loopback() && s.api_key.empty())
      HLOG_WARN(
          "listening on %s, not on loopback, without server.api_key: anyone who reaches "
          "it may use the HTTP API (publish, history, presence)",
          (*a)->to_string().c_str());
  }

  // The control loop runs on this thread; registering signals blocks them here, and the
  // worker threads created below inherit the mask, so only the signalfd sees them.
  loop::Loop control(-1);
  control.on_signal(SIGTERM, [this, &control] {
    HLOG_EVENT(base::LogLevel::info, "drain", "SIGTERM: draining", {"signal", "SIGTERM"},
               {"window_ms", settings_.load()->drain_ms});
    drain_and_stop();
    control.stop();
  });
  control.on_signal(SIGINT, [this, &control] {
    HLOG_EVENT(base::LogLevel::info, "drain", "SIGINT: draining", {"signal", "SIGINT"},
               {"window_ms", settings_.load()->drain_ms});
    drain_and_stop();
    control.stop();
  });
  control.on_signal(SIGHUP, [this] { reload(); });
  ::signal(SIGPIPE, SIG_IGN);

  for (size_t i = 0; i < threads; ++i)
    workers_.push_back(std::make_unique<Worker>(i, *this, settings_.load()));
  std::vector<loop::Loop*> loops;
  for (auto& w : workers_) loops.push_back(&w->loop());
  executor_ = std::make_unique<LoopExecutor>(loops);
  if (!make_engine(s, loops)) return 2;
  hub_ = std::make_unique<hub::Hub>(*executor_, *engine_);
  for (auto& w : workers_) w->attach(*hub_, access_, udp_admission_, udp_secret_);

  if (!ports_free(s, plain_addr, tls_addr)) return 1;
  if (plain_addr) {
    // With port 0 the kernel picks a free TCP port, whose number may be taken for UDP by
    // another program: then every socket is closed and the bind starts over with a new port.
    const net::Address requested = *plain_addr;
    for (int attempt = 1;; ++attempt) {
      std::string what;
      bool udp_busy = false;
      net::Address bound = requested;
      if (bind_workers(&bound, &what, &udp_busy)) {
        plain_addr = bound;
        break;
      }
      if (!(udp_busy && requested.port() == 0 && attempt < kBindAttempts)) {
        HLOG_ERROR("%s", what.c_str());
        return 1;
      }
      for (auto& w : workers_) w->unlisten();
    }
  }
  for (auto& w : workers_) {
    if (!tls_addr) break;
    // Port 0: every loop binds the port the first one got.
    auto r = w->listen_tls(*tls_addr, tls_ctx_);
    if (!r.ok()) {
      HLOG_ERROR("listen %s: %s", tls_addr->to_string().c_str(), r.error().message().c_str());
      return 1;
    }
    tls_addr = r.value();
  }
  start_ms_ = base::monotonic_ms();
  for (auto& w : workers_) w->start_thread();
  std::string where;
  if (plain_addr) where = "http://" + plain_addr->to_string();
  if (tls_addr) where += (where.empty() ? "https://" : " and https://") + tls_addr->to_string();
  if (base::log_enabled(base::LogLevel::info)) {
    char msg[512];
    std::snprintf(msg, sizeof msg, "herald %s listening on %s (%zu loop%s, web root %s)",
                  opts_.version.c_str(), where.c_str(), threads, threads == 1 ? "" : "s",
                  web_root_.c_str());
    std::string http = plain_addr ? plain_addr->to_string() : "";
    std::string https = tls_addr ? tls_addr->to_string() : "";
    base::log_event(base::LogLevel::info, "listen", msg,
                    {{"version", opts_.version},
                     {"http", http},
                     {"https", https},
                     {"loops", threads},
                     {"web_root", web_root_}});
  }
  // One line per listener on stdout: scripts (and the tests) read the ports from them.
  if (plain_addr)
    std::fprintf(stdout, "herald listening on http://%s/\n", plain_addr->to_string().c_str());
  if (tls_addr)
    std::fprintf(stdout, "herald listening on https://%s/\n", tls_addr->to_string().c_str());
  std::fflush(stdout);

  control.run();

  for (auto& w : workers_) w->loop().stop();
  for (auto& w : workers_) w->join();
  // The loops have stopped: close the Redis links without calling anything back.
  if (redis_) redis_->shutdown();
  hub_.reset();
  engine_.reset();
  workers_.clear();
  HLOG_EVENT(base::LogLevel::info, "stopped", "stopped");
  return 0;
}

bool Server::make_engine(const base::Settings& s, std::vector<loop::Loop*> loops) {
  auto options = [this](std::string_view ch) { return options_for(ch); };
  if (s.engine_type != "redis") {
    engine_ = std::make_unique<hub::MemoryEngine>(*executor_, options);
    return true;
  }
  cluster::RedisOptions ro;
  for (const std::string& a : s.redis_addresses) {
    auto addr = net::Address::parse(a);
    if (!addr.ok()) {
      HLOG_ERROR("redis.addresses: bad address '%s'", a.c_str());
      return false;
    }
    ro.addresses.push_back(addr.value());
  }
  if (ro.addresses.empty()) {
    HLOG_ERROR("engine.type = \"redis\" needs at least one address in redis.addresses");
    return false;
  }
  ro.cluster = s.redis_cluster;
  ro.prefix = s.redis_prefix;
  ro.password = s.redis_password;
  ro.db = s.redis_db;
  ro.timeout_ms = s.redis_timeout_ms;
  ro.pool_size = s.redis_pool_size;
  auto redis = std::make_unique<cluster::RedisEngine>(*executor_, std::move(loops), ro, options);
  redis_ = redis.get();
  engine_ = std::move(redis);
  HLOG_INFO("engine: redis, %zu %s, prefix \"%s\"", ro.addresses.size(),
            ro.cluster ? "cluster seed(s)" : (ro.addresses.size() > 1 ? "shards" : "server"),
            ro.prefix.c_str());
  return true;
}

bool Server::bind_workers(net::Address* bound, std::string* what, bool* udp_busy) {
  for (auto& w : workers_) {
    auto r = w->listen(*bound);
    if (!r.ok()) {
      *what = "listen " + bound->to_string() + ": " + r.error().message();
      return false;
    }
    *bound = r.value();  // port 0: every loop binds the port the first one got
  }
  // UDP on the same port number, one socket per loop (the first TCP bind fixed the number).
  for (auto& w : workers_) {
    auto r = w->listen_udp(*bound);
    if (!r.ok()) {
      *what = "udp " + bound->to_string() + ": " + r.error().message();
      *udp_busy = r.error() == std::errc::address_in_use;
      return false;
    }
  }
  return true;
}

void Server::drain_and_stop() {
  // Stop accepting, ask every client to reconnect (spread over the window so that they do not
  // all come back at once), give the window time, then close what is left.
  uint32_t window = settings_.load()->drain_ms;
  for (auto& w : workers_) {
    Worker* wp = w.get();
    wp->loop().post([wp, window] { wp->begin_drain(window); });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(window + 200));
  for (auto& w : workers_) {
    Worker* wp = w.get();
    wp->loop().post([wp] { wp->close_all(); });
  }
  // Let the loops flush the last writes.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

void Server::reload() {
  // First, and with or without a config file: logrotate renamed the access log and sends
  // SIGHUP so that herald writes to a fresh file at the same path.
  if (std::string why; !base::reopen_access_log(&why))
    HLOG_EVENT(base::LogLevel::error, "access_log_reopen", why, {"ok", false});
  if (!opts_.reload) {
    HLOG_WARN("SIGHUP: no config file to reload");
    return;
  }
  base::Settings next = opts_.settings;
  std::string errors;
  if (!opts_.reload(next, errors)) {
    HLOG_EVENT(base::LogLevel::error, "config_reload", "SIGHUP: config not reloaded:\n" + errors,
               {"ok", false});
    return;
  }
  // Keys are re-read too (a rotated JWKS); keys that do not load keep the old config whole.
  std::string key_error;
  auto keys = access::load_keys(next, &key_error);
  if (!keys.ok()) {
    HLOG_ERROR("SIGHUP: config not reloaded: [auth]: %s", key_error.c_str());
    return;
  }
  access_.set_keys(keys.value());
  const base::Settings& now = *settings_.load();
  if (next.listen != now.listen || next.threads != now.threads || next.tls_listen != now.tls_listen)
    HLOG_WARN("SIGHUP: listen, tls.listen and threads take effect only after a restart");
  if (next.access_log != now.access_log)
    HLOG_WARN("SIGHUP: server.access_log takes effect only after a restart");
  if (tls_ctx_) reload_tls(next);
  settings_history_.push_back(std::make_unique<base::Settings>(std::move(next)));
  const base::Settings* fresh = settings_history_.back().get();
  settings_.store(fresh, std::memory_order_release);
  if (base::LogLevel lvl; base::parse_log_level(fresh->log_level.c_str(), &lvl))
    base::set_log_level(lvl);
  if (base::LogFormat fmt; base::parse_log_format(fresh->log_format.c_str(), &fmt))
    base::set_log_format(fmt);
  for (auto& w : workers_) {
    Worker* wp = w.get();
    wp->loop().post([wp, fresh] { wp->set_settings(fresh); });
  }
  HLOG_EVENT(base::LogLevel::info, "config_reload", "SIGHUP: configuration reloaded", {"ok", true});
}

}  // namespace herald::server
