#pragma once
// A real redis-server for the cluster tests: started on a free loopback port without
// persistence (--save '' --appendonly no), killed when the object goes. The tests talk to it
// through the engine and, to break things on purpose, through redis-cli.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "net/address.h"

namespace herald::cluster::testing {

class RedisServer {
 public:
  RedisServer() {
    // A port that was free a moment ago; a lost race is retried with another one.
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_port();
      start();
    }
    if (pid_ <= 0) throw std::runtime_error("redis-server did not start");
  }
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  net::Address address() const {
    return net::Address::parse("127.0.0.1:" + std::to_string(port_)).value();
  }

  /// Starts the server on its port (again, after stop(): empty, as a restart without
  /// persistence is). Waits until it accepts connections.
  void start() {
    if (pid_ > 0) return;
    std::string port = std::to_string(port_);
    pid_t pid = fork();
    if (pid == 0) {
      execlp("redis-server", "redis-server", "--bind", "127.0.0.1", "--port", port.c_str(),
             "--save", "", "--appendonly", "no", "--loglevel", "warning", "--logfile", "/dev/null",
             static_cast<char*>(nullptr));
      _exit(127);
    }
    pid_ = pid;
    for (int i = 0; i < 500; ++i) {
      if (accepts()) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) break;  // exited: port taken?
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
  }

  /// SIGKILL, as a crash or a lost machine.
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  /// Runs redis-cli against the server; returns its output (trailing newline removed).
  std::string cli(const std::vector<std::string>& args) const {
    std::string cmd = "redis-cli -p " + std::to_string(port_);
    for (const std::string& a : args) cmd += " '" + a + "'";
    std::string out;
    if (FILE* f = popen(cmd.c_str(), "r")) {
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
      pclose(f);
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

 private:
  static int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }
  bool accepts() const {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  }

  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace herald::cluster::testing
