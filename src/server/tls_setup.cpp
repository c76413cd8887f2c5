#include "server/tls_setup.h"

namespace herald::server {

base::Result<std::shared_ptr<const tls::Context>> load_tls(const base::Settings& s,
                                                           std::string& why) {
  if (s.tls_listen.empty()) return std::shared_ptr<const tls::Context>();
  tls::ServerConfig c;
  c.cert_file = s.tls_cert_file;
  c.key_file = s.tls_key_file;
  c.ciphers = s.tls_ciphers;
  if (!tls::parse_version(s.tls_min_version, &c.min_version)) {
    why = "tls.min_version: expected \"1.2\" or \"1.3\", got \"" + s.tls_min_version + "\"";
    return base::Errc::config_error;
  }
  return tls::Context::server(c, why);
}

std::string_view plaintext_on_tls_port() {
  // nginx answers the same mistake with a 400 ("The plain HTTP request was sent to HTTPS
  // port"); a client then sees why instead of a hang or a TLS alert it cannot read.
  static const std::string reply = [] {
    std::string body = "This port speaks TLS: use https:// (or wss://) URLs.\n";
    return "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }();
  return reply;
}

}  // namespace herald::server
