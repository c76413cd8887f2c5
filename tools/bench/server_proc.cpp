#include "server_proc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string_view>
#include <thread>
#include <vector>

#include "base/time.h"
#include "tools/netlab/netns.h"

namespace herald::bench {

namespace {

// How long one /health probe may block (a server that accepts but never answers).
constexpr int kHealthProbeMs = 1000;

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

bool probe(const ServerSpec& spec, int port) {
  if (spec.netns < 0) return server_healthy(spec.ip, port);
  netlab::InNetns in(spec.netns);
  return in.ok() && server_healthy(spec.ip, port);
}

}  // namespace

bool server_healthy(const std::string& ip, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
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

SpawnedServer spawn_server(const ServerSpec& spec) {
  SpawnedServer s;
  s.port = spec.netns >= 0 ? kLabServerPort : free_port();
  std::string listen = spec.ip + ":" + std::to_string(s.port);
  std::string threads = std::to_string(spec.threads);
  std::string history = std::to_string(spec.history_size);
  std::vector<const char*> argv = {spec.binary.c_str(), "serve",       "--listen",
                                   listen.c_str(),      "--log-level", "warn"};
  if (spec.history_size > 0) {
    argv.push_back("--history-size");
    argv.push_back(history.c_str());
  }
  if (spec.threads > 0) {
    argv.push_back("--threads");
    argv.push_back(threads.c_str());
  }
  for (size_t i = 1; i < argv.size(); ++i) s.desc += (i > 1 ? " " : "") + std::string(argv[i]);
  s.desc = spec.binary + " " + s.desc;
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // A bench that dies (a crash, a kill) must not leave its server behind holding our pipes.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    if (spec.netns >= 0 && setns(spec.netns, CLONE_NEWNET) != 0) _exit(126);
    dup2(2, 1);  // the server's banner must not mix into our table on stdout
    execv(spec.binary.c_str(), const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  if (pid < 0) return s;
  s.pid = pid;
  s.url = "http://" + spec.ip + ":" + std::to_string(s.port);
  uint64_t deadline = base::monotonic_ms() + kServerStartMs;
  while (base::monotonic_ms() < deadline) {
    if (probe(spec, s.port)) return s;
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

}  // namespace herald::bench
