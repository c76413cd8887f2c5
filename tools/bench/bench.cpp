// run_bench and run_compare: option checks, the runs, the reports, and for compare a server of
// our own when no --url is given.
#include "bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "base/limits.h"
#include "base/time.h"
#include "engine.h"
#include "report.h"
#include "runner.h"

namespace herald::bench {

namespace {

// How long a spawned server gets to answer /health.
constexpr uint64_t kServerStartMs = 10'000;
// How long one /health probe may block (a server that accepts but never answers).
constexpr int kHealthProbeMs = 1000;
// The server's upper bound for channel.history_size (its config key's max).
constexpr int kMaxHistorySize = 1'000'000;

// A server that goes away turns our writes into EPIPE: without this, SIGPIPE would kill the
// bench silently instead of letting it report the lost server.
void ignore_sigpipe() {
  ::signal(SIGPIPE, SIG_IGN);
}

int finish(const RunReport& rep, const std::string& json, const std::string& svg, bool decision) {
  print_table(stdout, rep);
  if (decision) print_decision_table(stdout, rep);
  std::fflush(stdout);
  print_verdict(stderr, rep);
  if (!json.empty() && !write_file(json, to_json(rep))) return 2;
  if (!svg.empty() && !write_file(svg, to_svg(rep))) return 2;
  return exit_code(rep);
}

void report_unreachable(const RunReport& rep, const std::string& url) {
  for (const auto& r : rep.runs) {
    if (r.server_gone) {
      std::fprintf(stderr,
                   "herald bench: the server at %s went away during the %s run (connection "
                   "refused); the figures above are partial\n",
                   url.c_str(), r.transport.c_str());
      return;
    }
  }
  if (rep.runs.size() > 1) {
    std::fprintf(stderr, "herald bench: the server at %s went away before the %s run\n",
                 url.c_str(), rep.runs.back().transport.c_str());
    return;
  }
  std::fprintf(stderr, "herald bench: the server at %s could not be used\n", url.c_str());
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// True once GET /health answers 200 (blocking, on this thread: no loop runs yet).
bool healthy(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(uint16_t(port));
  bool ok = false;
  timeval tv{kHealthProbeMs / 1000, (kHealthProbeMs % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const char req[] = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (::write(fd, req, sizeof req - 1) == ssize_t(sizeof req - 1)) {
      char buf[64];
      ssize_t n = ::read(fd, buf, sizeof buf - 1);
      ok = n > 12 && std::string_view(buf, size_t(n)).substr(9, 3) == "200";
    }
  }
  ::close(fd);
  return ok;
}

struct Spawned {
  pid_t pid = -1;
  int port = 0;
};

Spawned spawn_server(const CompareOptions& c, int history_size) {
  Spawned s;
  s.port = free_port();
  std::string listen = "127.0.0.1:" + std::to_string(s.port);
  std::string threads = std::to_string(c.server_threads);
  std::string history = std::to_string(history_size);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // A bench that dies (a crash, a kill) must not leave its server behind holding our pipes.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    dup2(2, 1);  // the server's banner must not mix into our table on stdout
    std::vector<const char*> argv = {c.server_binary.c_str(), "serve",        "--listen",
                                     listen.c_str(),          "--log-level",  "warn",
                                     "--history-size",        history.c_str()};
    if (c.server_threads > 0) {
      argv.push_back("--threads");
      argv.push_back(threads.c_str());
    }
    argv.push_back(nullptr);
    execv(c.server_binary.c_str(), const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  if (pid < 0) return s;
  s.pid = pid;
  uint64_t deadline = base::monotonic_ms() + kServerStartMs;
  while (base::monotonic_ms() < deadline) {
    if (healthy(s.port)) return s;
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) {
      s.pid = -1;
      return s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  s.pid = -1;
  return s;
}

void stop_server(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 500; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace

double messages_per_poll(const BenchOptions& o) {
  if (o.rate <= 0) return 0;
  return o.rate / double(std::max(1, o.channels)) * o.poll_interval;
}

int history_size_for(const BenchOptions& o) {
  double want = std::ceil(2 * messages_per_poll(o));
  if (want > kMaxHistorySize) return kMaxHistorySize;
  return std::max(int(base::limits::kDefaultHistorySize), int(want));
}

int run_bench(const BenchOptions& opts) {
  ignore_sigpipe();
  std::string err = validate(opts);
  if (!err.empty()) {
    std::fprintf(stderr, "herald bench: %s\n", err.c_str());
    return 2;
  }
  bool unreachable = false;
  RunReport rep = run_all(opts, &unreachable);
  int rc = finish(rep, opts.json_path, opts.svg_path, false);
  if (unreachable) {
    report_unreachable(rep, opts.url);
    return 2;
  }
  return rc;
}

int run_compare(const CompareOptions& c) {
  ignore_sigpipe();
  BenchOptions o;
  if (!c.preset.empty() && !apply_preset(c.preset, o)) {
    std::fprintf(stderr, "herald bench compare: unknown preset %s\n", c.preset.c_str());
    return 2;
  }
  o.preset = c.preset;
  o.target = c.target;
  o.transports = {"ws", "sse", "longpoll", "poll"};
  if (c.target == "nchan") o.transports = {"ws", "sse", "longpoll"};
  o.duration = c.duration;
  if (c.subscribers > 0) o.subscribers = c.subscribers;
  if (c.rate >= 0) o.rate = c.rate;
  if (c.payload > 0) o.payload = c.payload;
  if (c.channels > 0) o.channels = c.channels;
  o.poll_interval = c.poll_interval;
  o.longpoll_wait = c.longpoll_wait;
  o.threads = c.threads;
  o.server_pid = c.server_pid;
  o.quiet = c.quiet;
  Spawned server;
  std::string server_desc;
  if (c.url.empty()) {
    if (c.target != "herald") {
      std::fprintf(stderr, "herald bench compare: --url is required for --target %s\n",
                   c.target.c_str());
      return 2;
    }
    // Enough history that a short poll a little late is still recoverable: with the default
    // 100, ticker's 1,000 messages per channel per poll came back recovered:false every time.
    o.history_size = c.history_size > 0 ? c.history_size : history_size_for(o);
    server = spawn_server(c, o.history_size);
    if (server.pid <= 0) {
      std::fprintf(stderr, "herald bench compare: could not start %s serve\n",
                   c.server_binary.c_str());
      return 2;
    }
    o.url = "http://127.0.0.1:" + std::to_string(server.port);
    o.server_pid = server.pid;
    server_desc = "spawned: " + c.server_binary +
                  " serve --listen 127.0.0.1:" + std::to_string(server.port) + " --history-size " +
                  std::to_string(o.history_size);
  } else {
    o.url = c.url;
    o.history_size = c.history_size;
    server_desc = c.url;
  }
  std::string err = validate(o);
  if (!err.empty()) {
    stop_server(server.pid);
    std::fprintf(stderr, "herald bench compare: %s\n", err.c_str());
    return 2;
  }
  bool unreachable = false;
  RunReport rep = run_all(o, &unreachable);
  rep.compare = true;
  rep.server = server_desc;
  stop_server(server.pid);
  int rc = finish(rep, c.json_path, c.svg_path, true);
  if (unreachable) {
    report_unreachable(rep, o.url);
    return 2;
  }
  return rc;
}

}  // namespace herald::bench
