#include "tools/bench/runner.h"

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

// Accepts one connection, reads the request, then does `act` with the accepted fd.
bool alive_with(const std::function<void(int)>& act) {
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
  bool alive = server_alive(p.endpoint());
  server.join();
  return alive;
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

}  // namespace
}  // namespace herald::bench
