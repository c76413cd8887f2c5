// net::Connection over TLS: the server end is herald's connection; the client is a plain socket
// driven by a tls::Session (so the test sees the records on the wire), or herald's own client
// connection. Every test runs with the writev flush and the io_uring flush.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "net/connection.h"
#include "net/listener.h"
#include "tls/session.h"
#include "unit/tls/test_pki.h"

namespace herald::net {
namespace {

constexpr std::string_view kPlainReply = "HTTP/1.1 400 Bad Request\r\n\r\nthis port speaks TLS\n";

// What the handlers of a test saw; outlives them (a closed connection's handler is deleted).
struct Record {
  int overflows = 0, eofs = 0, closes = 0, connected = 0;
  std::error_code close_ec;
  std::string got;
};

struct Handler : ConnectionHandler {
  enum class Mode { echo, sink };
  Handler(Record* r, Mode m) : rec(r), mode(m) {}
  Record* rec;
  Mode mode;
  void on_data(Connection& c) override {
    auto in = c.input().readable();
    rec->got.append(in);
    if (mode == Mode::echo) c.send(in);
    c.consume(in.size());
  }
  void on_eof(Connection& c) override {
    ++rec->eofs;
    c.close();
  }
  void on_connected(Connection&) override { ++rec->connected; }
  void on_output_overflow(Connection&) override { ++rec->overflows; }
  void on_close(Connection&, std::error_code ec) override {
    ++rec->closes;
    rec->close_ec = ec;
  }
};

// Counts records of `type` in raw TLS bytes (23: application data).
int count_records(std::string_view wire, unsigned char type) {
  int n = 0;
  while (wire.size() >= 5) {
    size_t len =
        (size_t(static_cast<unsigned char>(wire[3])) << 8) | static_cast<unsigned char>(wire[4]);
    if (static_cast<unsigned char>(wire[0]) == type) ++n;
    if (wire.size() < 5 + len) break;
    wire.remove_prefix(5 + len);
  }
  return n;
}

class TlsConnectionTest : public ::testing::TestWithParam<bool> {
 protected:
  static void SetUpTestSuite() { pki_ = new testing::TestPki(testing::TestPki::make()); }
  static void TearDownTestSuite() {
    pki_->remove();
    delete pki_;
  }

  void SetUp() override {
    if (GetParam()) {
      ASSERT_TRUE(loop.enable_io_uring());
    }
    std::string why;
    tls::ServerConfig sc;
    sc.cert_file = pki_->cert_file;
    sc.key_file = pki_->key_file;
    server_ctx = tls::Context::server(sc, why).value();
    tls::ClientConfig cc;
    cc.ca_file = pki_->ca_file;
    client_ctx = tls::Context::client(cc, why).value();
    auto l = Listener::open(loop, Address::parse("127.0.0.1:0").value(), true,
                            [this](int fd, const Address& peer) {
                              auto* c = new Connection(loop, fd, peer, 64 * 1024);
                              conns.insert(c);
                              TlsOptions o;
                              o.handshake_timeout_ms = handshake_timeout_ms;
                              o.plaintext_reply = kPlainReply;
                              c->use_tls(tls::Session::accept(*server_ctx), o);
                              c->start(std::make_unique<Handler>(&srv, mode));
                            });
    listener = std::move(l.value());
  }
  void TearDown() override {
    for (int fd : fds) ::close(fd);
    conns.for_each([](Connection& c) { c.abort(); });
    loop.run_once(0);
  }

  int connect_plain() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(::connect(fd, listener->address().sa(), listener->address().len), 0);
    fds.push_back(fd);
    return fd;
  }
  void spin(int n = 5) {
    for (int i = 0; i < n; ++i) loop.run_once(5);
  }
  Connection* only() {
    Connection* c = nullptr;
    conns.for_each([&](Connection& x) { c = &x; });
    return c;
  }
  // Runs the loop until `done` or about 10 s (generous: the machine may be busy).
  template <typename Fn>
  bool spin_until(Fn done) {
    for (int i = 0; i < 2000 && !done(); ++i) loop.run_once(5);
    return done();
  }

  // The client end: a socket and a tls::Session, with every byte received kept for counting.
  struct Peer {
    Peer(TlsConnectionTest& test, int sock, std::unique_ptr<tls::Session> session)
        : t(test), fd(sock), s(std::move(session)) {}
    TlsConnectionTest& t;
    int fd;
    std::unique_ptr<tls::Session> s;
    base::ByteBuffer plain;
    std::string raw;  // every byte received
    tls::Status status = tls::Status::ok;
    bool eof = false;

    void write_wire(base::ByteBuffer& w) {
      std::string_view v = w.readable();
      while (!v.empty()) {
        ssize_t n = ::send(fd, v.data(), v.size(), MSG_NOSIGNAL);
        if (n <= 0) break;
        v.remove_prefix(size_t(n));
      }
      w.clear();
    }
    // Receives what is there (non-blocking) while the server loop runs once.
    void poll() {
      t.loop.run_once(1);
      char buf[65536];
      ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN)) eof = true;
      if (n <= 0) return;
      raw.append(buf, size_t(n));
      base::ByteBuffer wire;
      if (status == tls::Status::ok)
        status = s->receive(std::string_view(buf, size_t(n)), plain, wire);
      write_wire(wire);
    }
    bool handshake() {
      base::ByteBuffer wire;
      s->start(wire);
      write_wire(wire);
      for (int i = 0; i < 2000 && !s->established() && status == tls::Status::ok && !eof; ++i)
        poll();
      // Let the session tickets that follow the handshake arrive too.
      for (int i = 0; i < 20; ++i) poll();
      return s->established();
    }
    void send(std::string_view text) {
      base::ByteBuffer wire;
      s->seal(text, wire);
      write_wire(wire);
    }
    bool read_until(size_t n) {
      for (int i = 0; i < 4000 && plain.size() < n && !eof; ++i) poll();
      return plain.size() >= n;
    }
  };
  Peer peer() {
    int fd = connect_plain();
    return Peer(*this, fd, tls::Session::connect(*client_ctx, "127.0.0.1"));
  }

  static testing::TestPki* pki_;
  loop::Loop loop;
  std::shared_ptr<const tls::Context> server_ctx, client_ctx;
  std::unique_ptr<Listener> listener;
  ConnectionSet conns;
  Record srv;
  Record* server = &srv;
  Handler::Mode mode = Handler::Mode::echo;
  uint32_t handshake_timeout_ms = 0;
  std::vector<int> fds;
};
testing::TestPki* TlsConnectionTest::pki_ = nullptr;

TEST_P(TlsConnectionTest, HandshakesAndEchoesPlaintextToTheHandler) {
  Peer p = peer();
  ASSERT_TRUE(p.handshake());
  Connection* c = only();
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->secure());
  EXPECT_EQ(c->tls_session()->alpn(), "http/1.1");
  EXPECT_TRUE(server->got.empty());  // the handshake is not the handler's business
  p.send("hello over tls");
  ASSERT_TRUE(p.read_until(14));
  EXPECT_EQ(p.plain.readable(), "hello over tls");
  EXPECT_EQ(server->got, "hello over tls");
  EXPECT_EQ(p.raw.find("hello"), std::string::npos);  // encrypted on the wire
}

TEST_P(TlsConnectionTest, MessagesQueuedInOneIterationShareOneRecordAndOneWrite) {
  mode = Handler::Mode::sink;
  Peer p = peer();
  ASSERT_TRUE(p.handshake());
  Connection* c = only();
  size_t raw_before = p.raw.size();
  uint64_t writes_before = loop.io_counters().write_calls;  // the only connection writing
  auto msg = base::SharedBuffer::copy_of("{\"channel\":\"a\",\"offset\":1,\"data\":\"x\"}\n");
  loop.post([&] {
    for (int i = 0; i < 50; ++i) c->send(msg);
  });
  ASSERT_TRUE(p.read_until(50 * msg.size()));
  EXPECT_EQ(loop.io_counters().write_calls - writes_before, 1u);
  EXPECT_EQ(count_records(std::string_view(p.raw).substr(raw_before), 23), 1);
  EXPECT_EQ(c->pending_bytes(), 0u);
}

TEST_P(TlsConnectionTest, LargeOutputGoesOutInFullRecordsInOrder) {
  mode = Handler::Mode::sink;
  Peer p = peer();
  ASSERT_TRUE(p.handshake());
  Connection* c = only();
  size_t raw_before = p.raw.size();
  std::string big;
  for (int i = 0; big.size() < 100000; ++i) big += std::to_string(i) + ",";
  std::string small = "tail";
  loop.post([&] {
    c->send(big);
    c->send(small);
  });
  ASSERT_TRUE(p.read_until(big.size() + small.size()));
  EXPECT_EQ(p.plain.readable(), big + small);
  size_t records =
      (big.size() + small.size() + tls::kMaxRecordPlaintext - 1) / tls::kMaxRecordPlaintext;
  EXPECT_EQ(count_records(std::string_view(p.raw).substr(raw_before), 23), int(records));
}

TEST_P(TlsConnectionTest, ASlowConsumerIsJudgedOnPlaintextPlusCiphertext) {
  mode = Handler::Mode::sink;
  Peer p = peer();
  ASSERT_TRUE(p.handshake());
  Connection* c = only();
  c->set_output_limit(256 * 1024);
  // The peer stops reading; the server keeps queueing until the kernel is full.
  std::string chunk(64 * 1024, 'z');
  bool full = false;
  for (int i = 0; i < 400 && server->overflows == 0; ++i) {
    loop.post([&] {
      c->send(chunk);
      full = full || c->output_full();
    });
    loop.run_once(1);
  }
  EXPECT_GE(server->overflows, 1);
  EXPECT_GT(c->pending_bytes(), c->output_limit());
}

TEST_P(TlsConnectionTest, AHandshakeThatNeverFinishesIsAbortedAfterTheTimeout) {
  handshake_timeout_ms = 50;
  int fd = connect_plain();
  ASSERT_EQ(::send(fd, "\x16\x03\x01", 3, 0), 3);  // the start of a ClientHello, then silence
  ASSERT_TRUE(spin_until([&] { return server->closes == 1; }));
  EXPECT_EQ(server->close_ec, base::Errc::timeout);
  char b[16];
  ssize_t r = ::recv(fd, b, sizeof b, 0);
  EXPECT_LE(r, 0);  // a reset (or EOF), never a reply
}

TEST_P(TlsConnectionTest, APlainHttpRequestGetsThePlainReply) {
  int fd = connect_plain();
  std::string req = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), ssize_t(req.size()));
  std::string got;
  char b[256];
  for (int i = 0; i < 2000; ++i) {
    loop.run_once(1);
    ssize_t r = ::recv(fd, b, sizeof b, MSG_DONTWAIT);
    if (r > 0) got.append(b, size_t(r));
    if (r == 0) break;
  }
  EXPECT_EQ(got, kPlainReply);
  EXPECT_TRUE(server->got.empty());
}

TEST_P(TlsConnectionTest, GarbageBeforeTheClientHelloClosesTheConnection) {
  int fd = connect_plain();
  ASSERT_EQ(::send(fd, "\x01\x02garbage\r\n\r\n", 13, 0), 13);
  ASSERT_TRUE(spin_until([&] { return server->closes == 1; }));
  EXPECT_EQ(&server->close_ec.category(), &tls::tls_category());
  EXPECT_TRUE(server->got.empty());
}

TEST_P(TlsConnectionTest, CloseSendsCloseNotifyAndPeerCloseNotifyIsEof) {
  mode = Handler::Mode::sink;
  Peer p = peer();
  ASSERT_TRUE(p.handshake());
  Connection* c = only();
  loop.post([&] {
    c->send(std::string_view("last words"));
    c->close();
  });
  ASSERT_TRUE(p.read_until(10));
  for (int i = 0; i < 100 && p.status == tls::Status::ok; ++i) p.poll();
  EXPECT_EQ(p.plain.readable(), "last words");
  EXPECT_EQ(p.status, tls::Status::closed);  // close_notify, not just a FIN

  Peer q = peer();
  ASSERT_TRUE(q.handshake());
  base::ByteBuffer wire;
  q.s->close_notify(wire);
  q.write_wire(wire);
  ASSERT_TRUE(spin_until([&] { return server->eofs == 1; }));
}

TEST_P(TlsConnectionTest, HeraldsClientConnectionReportsConnectedAfterTheHandshake) {
  int fd = connect_tcp(listener->address()).value();
  auto* client = new Connection(loop, fd, listener->address(), 64 * 1024);
  client->use_tls(tls::Session::connect(*client_ctx, "127.0.0.1"), TlsOptions{});
  Record cli;
  Record* ch = &cli;
  client->start(std::make_unique<Handler>(ch, Handler::Mode::sink), /*connecting=*/true);
  client->send(std::string_view("queued before the handshake"));
  ASSERT_TRUE(spin_until([&] { return ch->connected == 1; }));
  EXPECT_EQ(client->tls_session()->alpn(), "http/1.1");
  ASSERT_TRUE(spin_until([&] { return ch->got.size() == 27; }));
  EXPECT_EQ(ch->got, "queued before the handshake");  // echoed by the server
  client->close();
  ASSERT_TRUE(spin_until([&] { return ch->closes == 1; }));
}

TEST_P(TlsConnectionTest, AClientRejectingTheCertificateClosesWithTheReason) {
  std::string why;
  tls::ClientConfig cc;
  cc.ca_file = pki_->rogue_ca;
  auto untrusting = tls::Context::client(cc, why).value();
  int fd = connect_tcp(listener->address()).value();
  auto* client = new Connection(loop, fd, listener->address(), 64 * 1024);
  client->use_tls(tls::Session::connect(*untrusting, "127.0.0.1"), TlsOptions{});
  Record cli;
  Record* ch = &cli;
  client->start(std::make_unique<Handler>(ch, Handler::Mode::sink), /*connecting=*/true);
  ASSERT_TRUE(spin_until([&] { return ch->closes == 1; }));
  EXPECT_EQ(ch->connected, 0);
  EXPECT_EQ(&ch->close_ec.category(), &tls::verify_category()) << ch->close_ec.message();
  ASSERT_TRUE(spin_until([&] { return server->closes == 1; }));
  EXPECT_EQ(server->close_ec.message(), "TLS: tlsv1 alert unknown ca");
}

INSTANTIATE_TEST_SUITE_P(Flush, TlsConnectionTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "io_uring" : "writev";
                         });

}  // namespace
}  // namespace herald::net
