#include "net/connection.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <unistd.h>
#include <cerrno>

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

// Records the output callbacks; on overflow it does what the test asks.
struct Probe : ConnectionHandler {
  enum class OnOverflow { nothing, close_dropping_output };
  int overflows = 0;
  int drained = 0;
  size_t pending_at_overflow = 0;
  OnOverflow action = OnOverflow::nothing;
  void on_data(Connection& c) override { c.consume(c.input().size()); }
  void on_drained(Connection&) override { ++drained; }
  void on_output_overflow(Connection& c) override {
    ++overflows;
    pending_at_overflow = c.pending_bytes();
    if (action == OnOverflow::close_dropping_output) c.close_dropping_output();
  }
};

struct Fixture {
  loop::Loop loop;
  std::unique_ptr<Listener> listener;
  ConnectionSet conns;
  int closes = 0;
  Probe* probe = nullptr;  // set: accepted connections get this handler (one connection)
  int server_sndbuf = 0;   // set: SO_SNDBUF of accepted connections
  explicit Fixture(bool use_probe = false) {
    auto addr = Address::parse("127.0.0.1:0");
    auto l =
        Listener::open(loop, addr.value(), true, [this, use_probe](int fd, const Address& peer) {
          if (server_sndbuf) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &server_sndbuf, sizeof(int));
          auto* c = new Connection(loop, fd, peer, 64 * 1024);
          conns.insert(c);
          if (use_probe) {
            auto p = std::make_unique<Probe>();
            probe = p.get();
            c->start(std::move(p));
          } else {
            c->start(std::make_unique<Echo>(&closes));
          }
        });
    listener = std::move(l.value());
  }
  int connect_client(int rcvbuf = 0) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    EXPECT_EQ(::connect(fd, listener->address().sa(), listener->address().len), 0);
    return fd;
  }
  void spin(int n = 5) {
    for (int i = 0; i < n; ++i) loop.run_once(10);
  }
  Connection* only() {
    Connection* c = nullptr;
    conns.for_each([&](Connection& x) { c = &x; });
    return c;
  }
};

// Reads everything until EOF while the loop runs; returns the byte count, or -1 on a reset.
long read_to_eof(Fixture& f, int fd) {
  long total = 0;
  char b[65536];
  for (int i = 0; i < 200000; ++i) {
    ssize_t r = ::recv(fd, b, sizeof b, MSG_DONTWAIT);
    if (r > 0) {
      total += r;
    } else if (r == 0) {
      return total;
    } else if (errno != EAGAIN) {
      return -1;
    }
    f.loop.run_once(0);
  }
  return -2;  // neither EOF nor reset
}

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

TEST(Connection, OverflowWhenTheKernelStopsTakingAndTooMuchIsLeft) {
  Fixture f(true);
  int fd = f.connect_client();
  f.spin();
  Connection* c = f.only();
  ASSERT_NE(c, nullptr);
  c->set_output_limit(256 * 1024);
  std::string big(32 << 20, 'x');  // the peer reads nothing: the kernel cannot take it all
  f.loop.post([&] { c->send(big); });
  f.spin(3);
  EXPECT_EQ(f.probe->overflows, 1);
  EXPECT_GT(f.probe->pending_at_overflow, 256u * 1024);
  ::close(fd);
  f.spin();
}

TEST(Connection, NoOverflowWithoutALimitOrWhenTheKernelTakesItAll) {
  {
    Fixture f(true);  // no limit set: never an overflow, however much waits
    int fd = f.connect_client();
    f.spin();
    std::string big(8 << 20, 'x');
    f.loop.post([&] { f.only()->send(big); });
    f.spin(3);
    EXPECT_GT(f.only()->pending_bytes(), 0u);
    EXPECT_EQ(f.probe->overflows, 0);
    ::close(fd);
    f.spin();
  }
  {
    // Queued past the limit within one iteration, but a roomy socket takes it in one writev:
    // a large write to a reader that keeps up is not a slow consumer.
    Fixture f(true);
    f.server_sndbuf = 1 << 20;
    int fd = f.connect_client(1 << 20);
    f.spin();
    Connection* c = f.only();
    c->set_output_limit(16 * 1024);
    std::string chunk(64 * 1024, 'y');
    f.loop.post([&] { c->send(chunk); });
    f.spin(2);
    EXPECT_EQ(c->pending_bytes(), 0u);
    EXPECT_EQ(f.probe->overflows, 0);
    EXPECT_EQ(read_to_eof(f, fd), -2);  // everything readable, connection still open
    ::close(fd);
    f.spin();
  }
}

TEST(Connection, SendingPastTheLimitWhileBlockedGivesTheVerdictWithoutEpollout) {
  Fixture f(true);
  f.server_sndbuf = 4096;
  int fd = f.connect_client(4096);
  f.spin();
  Connection* c = f.only();
  c->set_output_limit(1 << 20);
  std::string first(512 * 1024, 'a');  // blocks, but less than the limit is left
  f.loop.post([&] { c->send(first); });
  f.spin(3);
  ASSERT_GT(c->pending_bytes(), 0u);
  ASSERT_LT(c->pending_bytes(), size_t(1) << 20);
  EXPECT_EQ(f.probe->overflows, 0);
  std::string more(1 << 20, 'b');  // the peer still reads nothing: no EPOLLOUT will come
  f.loop.post([&] { c->send(more); });
  f.spin(3);
  EXPECT_EQ(f.probe->overflows, 1);
  EXPECT_FALSE(c->over_output_hard_cap());
  ::close(fd);
  f.spin();
}

TEST(Connection, HardCapIsFourTimesTheLimit) {
  Fixture f(true);
  int fd = f.connect_client();
  f.spin();
  Connection* c = f.only();
  c->set_output_limit(1000);
  std::string s(4000, 'z');
  c->send(s);  // queued, not flushed yet (no loop turn)
  EXPECT_FALSE(c->over_output_hard_cap());
  c->send(std::string_view("!"));
  EXPECT_TRUE(c->over_output_hard_cap());
  ::close(fd);
  f.spin();
}

TEST(Connection, NotifyWhenDrainedFiresOnceAfterTheFlush) {
  Fixture f(true);
  int fd = f.connect_client();
  f.spin();
  Connection* c = f.only();
  f.loop.post([&] {
    c->send(std::string_view("hello"));
    c->notify_when_drained();
  });
  f.spin(2);
  EXPECT_EQ(f.probe->drained, 1);
  EXPECT_EQ(read_some(fd), "hello");
  f.spin(2);
  EXPECT_EQ(f.probe->drained, 1);  // once per request
  ::close(fd);
  f.spin();
}

TEST(Connection, CloseDroppingOutputEndsWithFinAfterWhatTheKernelHeld) {
  Fixture f(true);
  int fd = f.connect_client();
  f.spin();
  Connection* c = f.only();
  c->set_output_limit(256 * 1024);
  f.probe->action = Probe::OnOverflow::close_dropping_output;
  std::string big(32 << 20, 'x');
  f.loop.post([&] { c->send(big); });
  f.spin(3);
  ASSERT_EQ(f.probe->overflows, 1);
  // The peer now reads: it gets what the kernel had accepted, then a FIN (not a reset).
  long got = read_to_eof(f, fd);
  EXPECT_GT(got, 0);
  EXPECT_LT(got, long(big.size()));
  ::close(fd);
  f.spin();
  EXPECT_EQ(f.conns.size(), 0u);
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
