#pragma once
// TLS configuration shared by every connection of a process: one OpenSSL SSL_CTX per role.
// A server context holds the certificate chain and key (tls.cert_file, tls.key_file), the
// lowest protocol version and the cipher choice; a client context holds the trust anchors.
// Contexts are immutable once built and shared by every loop thread (OpenSSL lets many threads
// create sessions from one SSL_CTX). A reload builds a new context; sessions made from the old
// one keep it alive through OpenSSL's own reference until they end, so a certificate swap
// never touches a connection that is already open.
//
// This is start-up / SIGHUP code, off the data path.
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

struct ssl_ctx_st;

namespace herald::tls {

/// The lowest protocol version a context accepts.
enum class Version { tls1_2, tls1_3 };

/// "1.2" or "1.3" (also "TLSv1.2", "TLSv1.3"). False for anything else (1.0 and 1.1 are not
/// offered: they lack the AEAD ciphers and are deprecated by RFC 8996).
bool parse_version(std::string_view text, Version* out);

/// The ALPN protocol herald speaks over TLS (RFC 7301): HTTP/1.1 carries every transport.
inline constexpr std::string_view kAlpnHttp11 = "http/1.1";

struct ServerConfig {
  std::string cert_file;  // PEM: the certificate, then its intermediates
  std::string key_file;   // PEM: the private key of that certificate
  Version min_version = Version::tls1_2;
  /// OpenSSL cipher names separated by ':'. Names starting with "TLS_" choose TLS 1.3 suites,
  /// the others the TLS 1.2 cipher list; a group left empty keeps OpenSSL's default for it.
  std::string ciphers;
};

struct ClientConfig {
  /// PEM file of the certificates to trust; empty: the system's trust store.
  std::string ca_file;
  Version min_version = Version::tls1_2;
};

class Context {
 public:
  /// Loads the certificate and key and checks that they belong together. On failure returns
  /// Errc::config_error and sets `why` to one sentence that names the file and the cause
  /// ("tls.key_file /etc/k.pem: does not match the certificate in tls.cert_file").
  static base::Result<std::shared_ptr<const Context>> server(const ServerConfig& config,
                                                             std::string& why);
  /// A client context that verifies the server's certificate against `config.ca_file` (or the
  /// system store) and offers ALPN http/1.1.
  static base::Result<std::shared_ptr<const Context>> client(const ClientConfig& config,
                                                             std::string& why);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  bool is_server() const { return server_; }
  ssl_ctx_st* native() const { return ctx_; }

 private:
  Context(ssl_ctx_st* ctx, bool server) : ctx_(ctx), server_(server) {}

  ssl_ctx_st* ctx_;
  bool server_;
};

/// The text of the oldest error in OpenSSL's error queue of this thread (empty when none),
/// and clears the queue: "no such file", "key values mismatch", ...
std::string take_openssl_error();

}  // namespace herald::tls
