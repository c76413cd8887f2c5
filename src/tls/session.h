#pragma once
// One TLS connection's protocol state, with no I/O of its own: the connection reads ciphertext
// from its socket and hands it to receive(), which returns the plaintext; what the connection
// queues is sealed into records with seal(), and the connection writes the ciphertext with the
// same writev (or io_uring send) as plain output. Like the other codecs, it takes bytes and
// returns bytes, so it is tested and fuzzed without sockets.
//
// Why not give OpenSSL the fd: SSL_write on a socket costs one write syscall per record and
// cannot join the loop's batched flush (one writev, or one io_uring submit for every
// connection); SSL_read would do its own small reads. Over a custom BIO that reads from the
// caller's buffer and appends to the caller's output buffer, the connection keeps all its
// syscalls, and the only copy is OpenSSL's record buffer into the output buffer (a memory BIO
// pair would add a second one in each direction).
#include <memory>
#include <string_view>
#include <system_error>

#include "base/byte_buffer.h"
#include "tls/context.h"

struct ssl_st;
struct bio_st;
struct bio_method_st;

namespace herald::tls {

/// Largest plaintext of one TLS record (RFC 8446 §5.1, RFC 5246 §6.2.1).
inline constexpr size_t kMaxRecordPlaintext = 16384;
/// The content type byte that starts every TLS handshake record (a ClientHello included).
inline constexpr unsigned char kHandshakeRecord = 0x16;

/// How a Session call ended.
enum class Status {
  ok,      // all input was taken; more may follow
  closed,  // the peer sent close_notify: no more plaintext will come
  error,   // the connection is unusable (bad record, failed handshake, fatal alert): error()
};

/// OpenSSL's errors as error codes: the value is OpenSSL's packed error, the message its reason
/// ("wrong version number", "tlsv1 alert unknown ca").
const std::error_category& tls_category();
/// A rejected peer certificate: the value is the X.509 verification result, the message
/// OpenSSL's text for it ("self-signed certificate", "hostname mismatch").
const std::error_category& verify_category();

class Session {
 public:
  /// The server end of a connection made from a server context.
  static std::unique_ptr<Session> accept(const Context& ctx);
  /// The client end: `host` is sent as SNI (when it is a name) and the server's certificate
  /// must be valid for it (a name, or an IP address for a numeric host).
  static std::unique_ptr<Session> connect(const Context& ctx, std::string_view host);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Begins the handshake: a client appends its ClientHello to `wire`; a server has nothing to
  /// say until the ClientHello arrives.
  Status start(base::ByteBuffer& wire);
  /// Takes all of `cipher` (bytes read from the peer): advances the handshake, appends the
  /// decrypted application data to `plain` and what the protocol answers by itself (handshake
  /// messages, session tickets, alerts) to `wire`. `plain` grows by at most the size of
  /// `cipher` plus one record that an earlier call left incomplete.
  Status receive(std::string_view cipher, base::ByteBuffer& plain, base::ByteBuffer& wire);
  /// After the handshake: encrypts `plain` (at most kMaxRecordPlaintext bytes) as ONE record
  /// appended to `wire`. The caller coalesces small messages into one call, so that several of
  /// them share a record (and its header, tag and encryption call).
  Status seal(std::string_view plain, base::ByteBuffer& wire);
  /// After the handshake: appends a close_notify alert to `wire` (the graceful end).
  void close_notify(base::ByteBuffer& wire);

  /// The handshake finished: seal() may be called.
  bool established() const;
  /// This is the server end (made by accept()).
  bool is_server() const;
  /// The negotiated ALPN protocol ("" when none).
  std::string_view alpn() const;
  /// The negotiated protocol version ("TLSv1.3").
  std::string_view version() const;
  /// Why the last call answered Status::error.
  std::error_code error() const { return error_; }

 private:
  // What the BIO reads from and appends to during one call.
  struct Io {
    const char* in = nullptr;
    size_t in_len = 0;
    base::ByteBuffer* out = nullptr;
  };
  Session(ssl_st* ssl, bio_st* bio);
  Status fail(int ret);
  static int bio_read(bio_st* b, char* out, int len);
  /// The process's one BIO method (reads from io_.in, appends to io_.out).
  static bio_method_st* bio_method();
  static int bio_write(bio_st* b, const char* data, int len);

  ssl_st* ssl_;
  Io io_;
  std::error_code error_;
};

}  // namespace herald::tls
