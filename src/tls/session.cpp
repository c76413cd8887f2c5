#include "tls/session.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <string>

namespace herald::tls {

namespace {

class TlsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string message(int code) const override {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(code));
    return reason ? std::string("TLS: ") + reason : "TLS error " + std::to_string(code);
  }
};

class VerifyCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "certificate"; }
  std::string message(int code) const override {
    return std::string("certificate rejected: ") + X509_verify_cert_error_string(code);
  }
};

long bio_ctrl(BIO*, int cmd, long, void*) {
  // OpenSSL flushes after each flight; our writes are already in the caller's buffer.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

const std::error_category& tls_category() {
  static TlsCategory c;
  return c;
}

const std::error_category& verify_category() {
  static VerifyCategory c;
  return c;
}

int Session::bio_read(bio_st* b, char* out, int len) {
  auto* io = static_cast<Io*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (io->in_len == 0) {
    BIO_set_retry_read(b);  // SSL_ERROR_WANT_READ: wait for the next read of the socket
    return -1;
  }
  size_t n = io->in_len < size_t(len) ? io->in_len : size_t(len);
  std::memcpy(out, io->in, n);
  io->in += n;
  io->in_len -= n;
  return static_cast<int>(n);
}

int Session::bio_write(bio_st* b, const char* data, int len) {
  auto* io = static_cast<Io*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (!io->out) {
    // Written outside a call that names a buffer: cannot happen with the calls this class
    // makes; refuse rather than lose bytes silently.
    BIO_set_retry_write(b);
    return -1;
  }
  io->out->append(data, static_cast<size_t>(len));
  return len;
}

// One BIO method for the process; OpenSSL keeps a pointer to it in every BIO.
BIO_METHOD* Session::bio_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "herald buffers");
    BIO_meth_set_write(m, [](BIO* b, const char* d, int n) { return Session::bio_write(b, d, n); });
    BIO_meth_set_read(m, [](BIO* b, char* d, int n) { return Session::bio_read(b, d, n); });
    BIO_meth_set_ctrl(m, bio_ctrl);
    return m;
  }();
  return method;
}

Session::Session(ssl_st* ssl, bio_st* bio) : ssl_(ssl) {
  BIO_set_data(bio, &io_);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);  // one BIO for both directions; the SSL owns it
}

Session::~Session() {
  SSL_free(ssl_);
}

std::unique_ptr<Session> Session::accept(const Context& ctx) {
  SSL* ssl = SSL_new(ctx.native());
  if (!ssl) return nullptr;
  SSL_set_accept_state(ssl);
  return std::unique_ptr<Session>(new Session(ssl, BIO_new(bio_method())));
}

std::unique_ptr<Session> Session::connect(const Context& ctx, std::string_view host_view) {
  SSL* ssl = SSL_new(ctx.native());
  if (!ssl) return nullptr;
  std::string host(host_view);
  SSL_set_connect_state(ssl);
  if (is_ip_literal(host)) {
    // RFC 6066 §3: no SNI for an IP address; the certificate must name it in subjectAltName.
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
  }
  return std::unique_ptr<Session>(new Session(ssl, BIO_new(bio_method())));
}

Status Session::fail(int ret) {
  int e = SSL_get_error(ssl_, ret);
  if (e == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    return Status::closed;
  }
  long verify = SSL_get_verify_result(ssl_);
  unsigned long err = ERR_peek_error();
  if (verify != X509_V_OK && !SSL_is_server(ssl_)) {
    error_ = std::error_code(static_cast<int>(verify), verify_category());
  } else if (err != 0 && ERR_SYSTEM_ERROR(err)) {
    error_ = std::error_code(ERR_GET_REASON(err), std::system_category());
  } else if (err != 0) {
    error_ = std::error_code(static_cast<int>(err & 0x7fffffffUL), tls_category());
  } else {
    error_ = std::error_code(EPROTO, std::system_category());
  }
  // The error queue is per thread and shared by every connection of this loop: leave it empty.
  ERR_clear_error();
  return Status::error;
}

Status Session::start(base::ByteBuffer& wire) {
  if (SSL_is_server(ssl_)) return Status::ok;
  io_.out = &wire;
  int r = SSL_do_handshake(ssl_);
  io_.out = nullptr;
  if (r == 1) return Status::ok;
  int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ) return Status::ok;
  return fail(r);
}

Status Session::receive(std::string_view cipher, base::ByteBuffer& plain, base::ByteBuffer& wire) {
  // SSL_get_error reads the thread's error queue: start from an empty one, whatever other code
  // on this thread left there.
  ERR_clear_error();
  io_ = Io{cipher.data(), cipher.size(), &wire};
  Status st = Status::ok;
  // SSL_read runs the handshake first while it is not finished, then returns application data;
  // it stops with WANT_READ once every byte fed was taken (a partial record stays inside).
  for (;;) {
    char buf[kMaxRecordPlaintext];
    size_t n = 0;
    int r = SSL_read_ex(ssl_, buf, sizeof buf, &n);
    if (r == 1) {
      plain.append(buf, n);
      continue;
    }
    if (SSL_get_error(ssl_, r) == SSL_ERROR_WANT_READ) {
      // A warning the session answered by itself (a refused renegotiation) may have left an
      // entry: the queue is the thread's, so leave it empty for the next connection.
      ERR_clear_error();
      break;
    }
    st = fail(r);
    break;
  }
  io_ = Io{};
  return st;
}

Status Session::seal(std::string_view plain, base::ByteBuffer& wire) {
  io_.out = &wire;
  size_t n = 0;
  int r = SSL_write_ex(ssl_, plain.data(), plain.size(), &n);
  io_.out = nullptr;
  return r == 1 ? Status::ok : fail(r);
}

void Session::close_notify(base::ByteBuffer& wire) {
  if (!established()) return;
  io_.out = &wire;
  SSL_shutdown(ssl_);  // 0: our close_notify is written, the peer's has not arrived (fine)
  io_.out = nullptr;
  ERR_clear_error();
}

bool Session::established() const {
  return SSL_is_init_finished(ssl_);
}

bool Session::is_server() const {
  return SSL_is_server(ssl_) == 1;
}

std::string_view Session::alpn() const {
  const unsigned char* p = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &p, &len);
  return p ? std::string_view(reinterpret_cast<const char*>(p), len) : std::string_view();
}

std::string_view Session::version() const {
  return SSL_get_version(ssl_);
}

}  // namespace herald::tls
