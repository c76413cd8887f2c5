#include "net/connection.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/listener.h"

namespace herald::net {
namespace {

// Echoes what it reads; counts closes.
struct Echo : ConnectionHandler {
  int* closes;
  explicit Echo(int* c) : closes(c) {}
  void on_data(Connection& c) override {
    auto in = c.input().readable();
    if (in == "quit") {
      c.send(std::string_view("bye"));
      c.consume(in.size());
      c.close();
      return;
    }
    c.send(in);
    c.consume(in.size());
  }
  void on_close(Connection&, std::error_code) override { ++*closes; }
};

struct Fixture {
  loop::Loop loop;
  std::unique_ptr<Listener> listener;
  ConnectionSet conns;
  int closes = 0;
  Fixture() {
    auto addr = Address::parse("127.0.0.1:0");
    auto l = Listener::open(loop, addr.value(), true, [this](int fd, const Address& peer) {
      auto* c = new Connection(loop, fd, peer, 64 * 1024);
      conns.insert(c);
      c->start(std::make_unique<Echo>(&closes));
    });
    listener = std::move(l.value());
  }
  int connect_client() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(::connect(fd, listener->address().sa(), listener->address().len), 0);
    return fd;
  }
  void spin(int n = 5) {
    for (int i = 0; i < n; ++i) loop.run_once(10);
  }
};

std::string read_some(int fd) {
  char buf[4096];
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ssize_t r = ::read(fd, buf, sizeof buf);
  return r > 0 ? std::string(buf, size_t(r)) : std::string();
}

}  // namespace

TEST(Connection, EchoesAndClosesGracefully) {
  Fixture f;
  int fd = f.connect_client();
  f.spin();
  ASSERT_EQ(f.conns.size(), 1u);
  ASSERT_EQ(::write(fd, "hello", 5), 5);
  f.spin();
  EXPECT_EQ(read_some(fd), "hello");
  ASSERT_EQ(::write(fd, "quit", 4), 4);
  f.spin();
  EXPECT_EQ(read_some(fd), "bye");
  EXPECT_EQ(read_some(fd), "");  // FIN after the last bytes
  ::close(fd);
  f.spin();
  EXPECT_EQ(f.closes, 1);
  EXPECT_EQ(f.conns.size(), 0u);
}

TEST(Connection, PeerCloseIsNoticed) {
  Fixture f;
  int fd = f.connect_client();
  f.spin();
  ::close(fd);
  f.spin();
  EXPECT_EQ(f.closes, 1);
}

TEST(Connection, QueuedSendsGoOutInOneWritev) {
  Fixture f;
  int fd = f.connect_client();
  f.spin();
  Connection* c = nullptr;
  f.conns.for_each([&](Connection& x) { c = &x; });
  ASSERT_NE(c, nullptr);
  auto buf = base::SharedBuffer::copy_of("0123456789");
  f.loop.post([&] {
    for (int i = 0; i < 50; ++i) c->send(buf);
  });
  uint64_t before = c->stats().write_calls;
  f.spin(2);
  EXPECT_EQ(c->stats().write_calls - before, 1u);
  std::string got;
  while (got.size() < 500) {
    std::string s = read_some(fd);
    if (s.empty()) break;
    got += s;
  }
  EXPECT_EQ(got.size(), 500u);
  ::close(fd);
  f.spin();
}

TEST(Connection, BackpressureArmsEpolloutAndDrains) {
  Fixture f;
  int fd = f.connect_client();
  f.spin();
  Connection* c = nullptr;
  f.conns.for_each([&](Connection& x) { c = &x; });
  std::string big(32 << 20, 'x');
  f.loop.post([&] { c->send(big); });
  f.spin(3);
  EXPECT_GT(c->pending_bytes(), 0u);  // the kernel could not take 32 MiB at once
  size_t total = 0;
  char b[65536];
  for (int i = 0; i < 100000 && total < big.size(); ++i) {
    ssize_t r = ::recv(fd, b, sizeof b, MSG_DONTWAIT);
    if (r > 0) total += size_t(r);
    f.loop.run_once(0);
  }
  EXPECT_EQ(total, big.size());
  f.spin();
  EXPECT_EQ(c->pending_bytes(), 0u);
  ::close(fd);
  f.spin();
}

TEST(Address, ParsesAndPrints) {
  EXPECT_EQ(Address::parse("127.0.0.1:8080").value().to_string(), "127.0.0.1:8080");
  EXPECT_EQ(Address::parse("[::1]:9").value().to_string(), "[::1]:9");
  EXPECT_EQ(Address::parse("localhost:1").value().host(), "127.0.0.1");
  EXPECT_FALSE(Address::parse("127.0.0.1").ok());
  EXPECT_FALSE(Address::parse("127.0.0.1:70000").ok());
  EXPECT_FALSE(Address::parse("nohost:80").ok());
  EXPECT_TRUE(Address::parse("127.0.0.5:1").value().is_loopback());
}

}  // namespace herald::net
