#include "tls/session.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "unit/tls/test_pki.h"

namespace herald::tls {
namespace {

// Counts the TLS records in `wire` of content type `type` (23: application data).
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

class SessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new testing::TestPki(testing::TestPki::make()); }
  static void TearDownTestSuite() {
    pki_->remove();
    delete pki_;
  }

  static std::shared_ptr<const Context> server_ctx(ServerConfig c = {}) {
    if (c.cert_file.empty()) c.cert_file = pki_->cert_file;
    if (c.key_file.empty()) c.key_file = pki_->key_file;
    std::string why;
    auto r = Context::server(c, why);
    EXPECT_TRUE(r.ok()) << why;
    return r.value();
  }
  static std::shared_ptr<const Context> client_ctx(std::string ca = {}) {
    ClientConfig c;
    c.ca_file = ca.empty() ? pki_->ca_file : ca;
    std::string why;
    auto r = Context::client(c, why);
    EXPECT_TRUE(r.ok()) << why;
    return r.value();
  }

  // Two ends and the bytes in flight between them.
  struct Pair {
    std::unique_ptr<Session> client, server;
    base::ByteBuffer to_server, to_client;  // ciphertext
    base::ByteBuffer client_plain, server_plain;
    Status client_status = Status::ok, server_status = Status::ok;

    // Delivers what each side wrote until neither has more to say.
    void pump() {
      for (int i = 0; i < 20 && (!to_server.empty() || !to_client.empty()); ++i) {
        if (!to_server.empty() && server_status == Status::ok) {
          std::string in(to_server.readable());
          to_server.clear();
          server_status = server->receive(in, server_plain, to_client);
        } else {
          to_server.clear();
        }
        if (!to_client.empty() && client_status == Status::ok) {
          std::string in(to_client.readable());
          to_client.clear();
          client_status = client->receive(in, client_plain, to_server);
        } else {
          to_client.clear();
        }
      }
    }
  };

  static Pair connect(const Context& server, const Context& client,
                      std::string_view host = "127.0.0.1") {
    Pair p;
    p.server = Session::accept(server);
    p.client = Session::connect(client, host);
    EXPECT_EQ(p.server->start(p.to_client), Status::ok);
    EXPECT_TRUE(p.to_client.empty());  // a server waits for the ClientHello
    EXPECT_EQ(p.client->start(p.to_server), Status::ok);
    EXPECT_FALSE(p.to_server.empty());
    p.pump();
    return p;
  }

  static testing::TestPki* pki_;
};
testing::TestPki* SessionTest::pki_ = nullptr;

TEST_F(SessionTest, HandshakeNegotiatesHttp11AndCarriesDataBothWays) {
  auto s = server_ctx();
  auto c = client_ctx();
  Pair p = connect(*s, *c);
  ASSERT_TRUE(p.client->established());
  ASSERT_TRUE(p.server->established());
  EXPECT_TRUE(p.server->is_server());
  EXPECT_FALSE(p.client->is_server());
  EXPECT_EQ(p.server->alpn(), "http/1.1");
  EXPECT_EQ(p.client->alpn(), "http/1.1");
  EXPECT_EQ(p.server->version(), "TLSv1.3");

  ASSERT_EQ(p.client->seal("GET / HTTP/1.1\r\n\r\n", p.to_server), Status::ok);
  p.pump();
  EXPECT_EQ(p.server_plain.readable(), "GET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.server->seal("HTTP/1.1 200 OK\r\n\r\n", p.to_client), Status::ok);
  p.pump();
  EXPECT_EQ(p.client_plain.readable(), "HTTP/1.1 200 OK\r\n\r\n");
}

TEST_F(SessionTest, OneSealIsOneRecordAndPlaintextIsNotOnTheWire) {
  auto s = server_ctx();
  auto c = client_ctx();
  Pair p = connect(*s, *c);
  base::ByteBuffer wire;
  std::string msgs = "{\"channel\":\"a\",\"data\":1}{\"channel\":\"a\",\"data\":2}";
  ASSERT_EQ(p.server->seal(msgs, wire), Status::ok);
  EXPECT_EQ(count_records(wire.readable(), 23), 1);
  EXPECT_EQ(wire.readable().find("channel"), std::string_view::npos);
  // A full record's worth is still one record.
  ASSERT_EQ(p.server->seal(std::string(kMaxRecordPlaintext, 'x'), wire), Status::ok);
  EXPECT_EQ(count_records(wire.readable(), 23), 2);
  std::string in(wire.readable());
  ASSERT_EQ(p.client->receive(in, p.client_plain, p.to_server), Status::ok);
  EXPECT_EQ(p.client_plain.size(), msgs.size() + kMaxRecordPlaintext);
}

TEST_F(SessionTest, RecordsSplitAcrossReadsAreReassembled) {
  auto s = server_ctx();
  auto c = client_ctx();
  Pair p = connect(*s, *c);
  base::ByteBuffer wire;
  ASSERT_EQ(p.client->seal("hello, split world", wire), Status::ok);
  std::string bytes(wire.readable());
  for (char b : bytes) {
    ASSERT_EQ(p.server->receive(std::string_view(&b, 1), p.server_plain, p.to_client), Status::ok);
  }
  EXPECT_EQ(p.server_plain.readable(), "hello, split world");
}

TEST_F(SessionTest, CloseNotifyEndsThePeersStream) {
  auto s = server_ctx();
  auto c = client_ctx();
  Pair p = connect(*s, *c);
  p.server->close_notify(p.to_client);
  ASSERT_FALSE(p.to_client.empty());
  std::string in(p.to_client.readable());
  p.to_client.clear();
  EXPECT_EQ(p.client->receive(in, p.client_plain, p.to_server), Status::closed);
}

TEST_F(SessionTest, AnUntrustedCertificateIsRejectedByTheClientAndTheServerLearnsWhy) {
  ServerConfig rogue;
  rogue.cert_file = pki_->rogue_cert;
  rogue.key_file = pki_->rogue_key;
  auto s = server_ctx(rogue);
  auto c = client_ctx();
  Pair p = connect(*s, *c);
  EXPECT_EQ(p.client_status, Status::error);
  EXPECT_EQ(&p.client->error().category(), &verify_category());
  EXPECT_EQ(p.client->error().value(), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_NE(p.client->error().message().find("certificate rejected"), std::string::npos);
  EXPECT_EQ(p.server_status, Status::error);
  EXPECT_EQ(&p.server->error().category(), &tls_category());
  EXPECT_EQ(p.server->error().message(), "TLS: tlsv1 alert unknown ca");
}

TEST_F(SessionTest, TheCertificateMustNameTheHost) {
  auto s = server_ctx();
  auto c = client_ctx();
  Pair ok = connect(*s, *c, "localhost");
  EXPECT_TRUE(ok.client->established());
  Pair wrong_ip = connect(*s, *c, "127.0.0.2");
  EXPECT_EQ(wrong_ip.client_status, Status::error);
  EXPECT_EQ(wrong_ip.client->error().value(), X509_V_ERR_IP_ADDRESS_MISMATCH);
  Pair wrong_name = connect(*s, *c, "example.com");
  EXPECT_EQ(wrong_name.client_status, Status::error);
  EXPECT_EQ(wrong_name.client->error().value(), X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_F(SessionTest, Tls11IsRefusedByDefaultAndTls12ByMinVersion13) {
  auto s = server_ctx();
  auto c = client_ctx();
  // An old client: offers at most TLS 1.1 (security level 0, or OpenSSL would not even try).
  SSL_CTX_set_security_level(c->native(), 0);
  SSL_CTX_set_min_proto_version(c->native(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(c->native(), TLS1_1_VERSION);
  Pair p = connect(*s, *c);
  EXPECT_EQ(p.server_status, Status::error);
  EXPECT_EQ(p.server->error().message(), "TLS: unsupported protocol");
  EXPECT_EQ(p.client_status, Status::error);
  EXPECT_FALSE(p.client->established());

  auto c12 = client_ctx();
  SSL_CTX_set_max_proto_version(c12->native(), TLS1_2_VERSION);
  Pair p12 = connect(*s, *c12);
  ASSERT_TRUE(p12.client->established());
  EXPECT_EQ(p12.server->version(), "TLSv1.2");
  EXPECT_EQ(p12.server->alpn(), "http/1.1");

  ServerConfig only13;
  only13.min_version = Version::tls1_3;
  auto s13 = server_ctx(only13);
  Pair refused = connect(*s13, *c12);
  EXPECT_EQ(refused.server_status, Status::error);
  EXPECT_FALSE(refused.client->established());
}

TEST_F(SessionTest, RenegotiationIsRefused) {
  // A TLS 1.2 client driven through OpenSSL directly (memory BIOs), since only such a client
  // can ask for a second handshake (SSL_renegotiate, RFC 5746) on an open connection.
  auto s = server_ctx();
  auto c = client_ctx();
  SSL_CTX_set_max_proto_version(c->native(), TLS1_2_VERSION);
  SSL* raw = SSL_new(c->native());
  BIO* c_in = BIO_new(BIO_s_mem());
  BIO* c_out = BIO_new(BIO_s_mem());
  SSL_set_bio(raw, c_in, c_out);
  SSL_set_connect_state(raw);
  SSL_clear_options(raw, SSL_OP_NO_RENEGOTIATION);  // herald's client refuses it too
  auto server = Session::accept(*s);
  base::ByteBuffer to_client, plain;
  Status server_status = Status::ok;
  std::string client_error;  // why the raw client's handshake failed, if it did
  auto shuttle = [&] {
    for (int i = 0; i < 20; ++i) {
      int hr = SSL_do_handshake(raw);
      if (hr != 1 && SSL_get_error(raw, hr) == SSL_ERROR_SSL && client_error.empty()) {
        const char* why = ERR_reason_error_string(ERR_peek_error());
        client_error = why ? why : "?";
      }
      ERR_clear_error();
      char buf[16384];
      int n;
      std::string out;
      while ((n = BIO_read(c_out, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
      if (!out.empty() && server_status == Status::ok)
        server_status = server->receive(out, plain, to_client);
      if (!to_client.empty()) {
        BIO_write(c_in, to_client.readable().data(), int(to_client.size()));
        to_client.clear();
      }
    }
  };
  shuttle();
  ASSERT_TRUE(SSL_is_init_finished(raw));
  ASSERT_EQ(server->version(), "TLSv1.2");
  ASSERT_EQ(SSL_renegotiate(raw), 1);
  shuttle();
  // The server refuses the new ClientHello with a no_renegotiation alert; OpenSSL's client
  // takes that as fatal and says so, and the server's session ends on the client's alert.
  // The renegotiation never completes.
  EXPECT_EQ(client_error, "no renegotiation");
  EXPECT_EQ(server_status, Status::error);
  EXPECT_EQ(server->error().message(), "TLS: sslv3 alert handshake failure");
  EXPECT_EQ(SSL_renegotiate_pending(raw), 1);
  SSL_free(raw);
}

TEST_F(SessionTest, GarbageBeforeTheClientHelloIsAnError) {
  auto s = server_ctx();
  auto server = Session::accept(*s);
  base::ByteBuffer plain, wire;
  EXPECT_EQ(server->receive(std::string("\x01\x02\x03\x04\x05garbage\r\n", 14), plain, wire),
            Status::error);
  EXPECT_EQ(server->error().message(), "TLS: wrong version number");
  EXPECT_TRUE(plain.empty());
  EXPECT_FALSE(server->established());
}

TEST_F(SessionTest, AFailureLeavesTheThreadsErrorQueueEmpty) {
  auto s = server_ctx();
  auto server = Session::accept(*s);
  base::ByteBuffer plain, wire;
  server->receive("\x16\x03\x01\x00\x01\xff", plain, wire);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace herald::tls
