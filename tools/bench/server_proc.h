#pragma once
// A herald server of the bench's own: `herald serve` started as a child process, on a free
// loopback port or inside the lab's server namespace, and stopped at the end. The child asks
// for SIGTERM when the bench dies (PR_SET_PDEATHSIG), so a crashed or killed bench never leaves
// its server behind.
#include <sys/types.h>

#include <string>

namespace herald::bench {

/// How long a spawned server gets to answer /health.
inline constexpr uint64_t kServerStartMs = 10'000;
/// Port of a server started inside the lab: the namespace is the bench's own, so it is free.
inline constexpr int kLabServerPort = 8080;

struct ServerSpec {
  std::string binary = "/proc/self/exe";
  int threads = 0;       // --threads; 0: the server's default
  int history_size = 0;  // --history-size; 0: the server's default
  /// Network namespace to start the server in (setns before exec) and to probe it from; -1:
  /// this process's, on a free loopback port.
  int netns = -1;
  std::string ip = "127.0.0.1";  // address to listen on
};

struct SpawnedServer {
  pid_t pid = -1;  // -1: it did not start (or never answered /health)
  int port = 0;
  std::string url;   // http://IP:PORT
  std::string desc;  // the command line, for the report
};

/// Starts the server and waits until its /health answers (kServerStartMs at most).
SpawnedServer spawn_server(const ServerSpec& spec);

/// SIGTERM, then SIGKILL if it has not exited within 10 s; reaps it. No-op for pid <= 0.
void stop_server(pid_t pid);

/// True once GET /health at ip:port answers 200 (one blocking probe, from this thread's
/// network namespace).
bool server_healthy(const std::string& ip, int port);

}  // namespace herald::bench
