#include "tls/context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace herald::tls {

namespace {

// Session ids are scoped to this string: a session from another program's cache is not resumed.
constexpr unsigned char kSessionContext[] = "herald";

int version_number(Version v) {
  return v == Version::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

// ALPN (RFC 7301): pick http/1.1 when the client offers it. A client that offers only other
// protocols (h2 alone) gets no ALPN answer rather than a fatal alert, as most servers do: it may
// still speak HTTP/1.1, and if it does not, it learns so from the response.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  for (unsigned int i = 0; i < inlen;) {
    unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    std::string_view proto(reinterpret_cast<const char*>(in + i + 1), len);
    if (proto == kAlpnHttp11) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// The ALPN list in wire form: a length byte, then the name.
std::string alpn_wire() {
  std::string w(1, static_cast<char>(kAlpnHttp11.size()));
  w += kAlpnHttp11;
  return w;
}

// A file that cannot be opened is the most common mistake: say so with the system's words
// before OpenSSL reports it as a PEM error.
std::string check_readable(const char* key, const std::string& path) {
  if (path.empty()) return std::string(key) + ": not set";
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return std::string(key) + " " + path + ": " + std::strerror(errno);
  std::fclose(f);
  return {};
}

// Every connection sets these, server and client alike.
void common_options(SSL_CTX* ctx, Version min) {
  SSL_CTX_set_min_proto_version(ctx, version_number(min));
  // Renegotiation is off: a TLS 1.2 client cannot make the server redo a handshake (a CPU cost
  // it could repeat at will, and a source of past vulnerabilities). Compression is off (CRIME).
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // OpenSSL's read and write buffers (about 34 KiB) are freed while a connection is idle, so
  // 10,000 idle TLS subscribers do not hold 340 MB of empty buffers.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
}

std::string set_ciphers(SSL_CTX* ctx, const std::string& list) {
  if (list.empty()) return {};
  std::string tls13, tls12;
  for (size_t at = 0; at <= list.size();) {
    size_t colon = list.find(':', at);
    if (colon == std::string::npos) colon = list.size();
    std::string name = list.substr(at, colon - at);
    at = colon + 1;
    if (name.empty()) continue;
    std::string& into = name.rfind("TLS_", 0) == 0 ? tls13 : tls12;
    if (!into.empty()) into += ':';
    into += name;
  }
  if (!tls13.empty() && SSL_CTX_set_ciphersuites(ctx, tls13.c_str()) != 1)
    return "tls.ciphers: no TLS 1.3 suite in \"" + tls13 + "\" is known to OpenSSL";
  if (!tls12.empty() && SSL_CTX_set_cipher_list(ctx, tls12.c_str()) != 1)
    return "tls.ciphers: no cipher in \"" + tls12 + "\" is known to OpenSSL";
  ERR_clear_error();
  return {};
}

}  // namespace

bool parse_version(std::string_view text, Version* out) {
  if (text == "1.2" || text == "TLSv1.2") {
    *out = Version::tls1_2;
  } else if (text == "1.3" || text == "TLSv1.3") {
    *out = Version::tls1_3;
  } else {
    return false;
  }
  return true;
}

std::string take_openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return {};
  const char* reason = ERR_reason_error_string(e);
  if (reason) return reason;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

base::Result<std::shared_ptr<const Context>> Context::server(const ServerConfig& c,
                                                             std::string& why) {
  ERR_clear_error();
  if (why = check_readable("tls.cert_file", c.cert_file); !why.empty())
    return base::Errc::config_error;
  if (why = check_readable("tls.key_file", c.key_file); !why.empty())
    return base::Errc::config_error;
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    why = "tls: cannot create an OpenSSL context: " + take_openssl_error();
    return base::Errc::config_error;
  }
  auto context = std::shared_ptr<const Context>(new Context(ctx, true));
  common_options(ctx, c.min_version);
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
  if (why = set_ciphers(ctx, c.ciphers); !why.empty()) return base::Errc::config_error;
  if (SSL_CTX_use_certificate_chain_file(ctx, c.cert_file.c_str()) != 1) {
    why = "tls.cert_file " + c.cert_file + ": not a PEM certificate (" + take_openssl_error() + ")";
    return base::Errc::config_error;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, c.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    unsigned long e = ERR_peek_error();
    std::string detail = take_openssl_error();
    if (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH) {
      why = "tls.key_file " + c.key_file + ": does not match the certificate in tls.cert_file " +
            c.cert_file;
    } else {
      why = "tls.key_file " + c.key_file + ": not a PEM private key (" + detail + ")";
    }
    return base::Errc::config_error;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    why = "tls.key_file " + c.key_file + ": does not match the certificate in tls.cert_file " +
          c.cert_file;
    return base::Errc::config_error;
  }
  return context;
}

base::Result<std::shared_ptr<const Context>> Context::client(const ClientConfig& c,
                                                             std::string& why) {
  ERR_clear_error();
  if (!c.ca_file.empty())
    if (why = check_readable("CA file", c.ca_file); !why.empty()) return base::Errc::config_error;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) {
    why = "tls: cannot create an OpenSSL context: " + take_openssl_error();
    return base::Errc::config_error;
  }
  auto context = std::shared_ptr<const Context>(new Context(ctx, false));
  common_options(ctx, c.min_version);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  int ok = c.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                             : SSL_CTX_load_verify_locations(ctx, c.ca_file.c_str(), nullptr);
  if (ok != 1) {
    why = "CA file " + c.ca_file + ": no PEM certificate in it (" + take_openssl_error() + ")";
    return base::Errc::config_error;
  }
  std::string alpn = alpn_wire();
  // Unlike most OpenSSL calls, this one returns 0 on success.
  if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(alpn.data()),
                              static_cast<unsigned>(alpn.size())) != 0) {
    why = "tls: cannot set ALPN: " + take_openssl_error();
    return base::Errc::config_error;
  }
  return context;
}

Context::~Context() {
  SSL_CTX_free(ctx_);
}

}  // namespace herald::tls
