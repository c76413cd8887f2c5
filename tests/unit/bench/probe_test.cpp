#include "tools/bench/probe.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "tools/bench/engine.h"

namespace herald::bench {
namespace {

// A loopback socket bound to a port the kernel picked; listening unless told otherwise.
struct Peer {
  int fd = -1;
  int port = 0;
  explicit Peer(bool listening) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    if (listening) {
      EXPECT_EQ(::listen(fd, 8), 0);
    }
  }
  ~Peer() { ::close(fd); }
  Endpoint endpoint() const { return *parse_url("http://127.0.0.1:" + std::to_string(port)); }
};

// Accepts one connection, reads the request, then does `act` with the accepted fd; returns
// what the probe found.
ProbeResult probe_with(const std::function<void(int)>& act) {
  Peer p(true);
  std::thread server([&] {
    int c = ::accept(p.fd, nullptr, nullptr);
    char buf[1024];
    ssize_t n = ::recv(c, buf, sizeof buf, 0);
    EXPECT_GT(n, 0);
    EXPECT_EQ(std::string(buf, size_t(n)).rfind("GET /health HTTP/1.1\r\n", 0), 0u);
    act(c);
    ::close(c);
  });
  ProbeResult r = probe_server(p.endpoint(), 1000);
  server.join();
  return r;
}

bool alive_with(const std::function<void(int)>& act) {
  Probe p = probe_with(act).what;
  return p == Probe::answered || p == Probe::answer_silent;
}

TEST(ServerAlive, RefusedIsGone) {
  Peer p(false);  // bound, not listening: connections are refused
  EXPECT_FALSE(server_alive(p.endpoint()));
}

TEST(ServerAlive, AnAnswerIsAlive) {
  EXPECT_TRUE(alive_with([](int c) {
    const char* r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    ::send(c, r, std::strlen(r), MSG_NOSIGNAL);
  }));
}

// What a client sees from a process being killed: its listener still completed the handshake,
// then the socket goes without an answer.
TEST(ServerAlive, AConnectionClosedBeforeAnyAnswerIsGone) {
  EXPECT_FALSE(alive_with([](int) {}));
}

TEST(ServerAlive, AConnectionResetBeforeAnyAnswerIsGone) {
  EXPECT_FALSE(alive_with([](int c) {
    linger l{1, 0};
    ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }));
}

TEST(ServerAlive, NoAnswerWithinTheProbeIsABusyServerNotAGoneOne) {
  // Accepted by the kernel, never read or answered while the probe waits.
  Peer p(true);
  EXPECT_TRUE(server_alive(p.endpoint()));
}

// Before a run: the cause is named, in the words an error line prints.
TEST(UnusableServer, NothingListeningIsConnectionRefused) {
  Peer p(false);
  EXPECT_EQ(unusable_server(p.endpoint(), 1000), "connection refused");
  EXPECT_EQ(probe_server(p.endpoint(), 1000).what, Probe::refused);
}

TEST(UnusableServer, AResetBeforeAnyAnswerIsNamed) {
  ProbeResult r = probe_with([](int c) {
    linger l{1, 0};
    ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  });
  EXPECT_EQ(r.what, Probe::reset);
  EXPECT_EQ(r.cause, "connection reset by peer before any answer");
}

TEST(UnusableServer, ACloseBeforeAnyAnswerIsNamed) {
  ProbeResult r = probe_with([](int) {});
  EXPECT_EQ(r.what, Probe::closed);
  EXPECT_EQ(r.cause, "connection closed before any answer");
}

TEST(UnusableServer, AnAnsweringOrSlowServerIsUsable) {
  Peer p(true);  // accepted by the kernel, never answered: slow, not dead
  EXPECT_EQ(unusable_server(p.endpoint(), 300), "");
}

}  // namespace
}  // namespace herald::bench
