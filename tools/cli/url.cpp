#include "tools/cli/url.h"

namespace herald::cli {

std::string Url::authority() const {
  std::string out;
  if (host.find(':') != std::string::npos) {
    out = "[" + host + "]";
  } else {
    out = host;
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

base::Result<net::Address> Url::address() const {
  return net::Address::parse(authority());
}

base::Result<Url> parse_url(std::string_view text) {
  Url url;
  size_t scheme_end = text.find("://");
  if (scheme_end != std::string_view::npos) {
    std::string_view scheme = text.substr(0, scheme_end);
    if (scheme != "http" && scheme != "ws" && scheme != "https" && scheme != "wss")
      return base::Errc::bad_request;
    url.scheme = std::string(scheme);
    text.remove_prefix(scheme_end + 3);
    if (url.tls()) url.port = 443;
  }
  size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  url.path = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return base::Errc::bad_request;
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return base::Errc::bad_request;
      port = rest.substr(1);
      if (port.empty()) return base::Errc::bad_request;
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return base::Errc::bad_request;
    }
  }
  if (host.empty()) return base::Errc::bad_request;
  url.host = std::string(host);
  if (!port.empty()) {
    int p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || p > 65535) return base::Errc::bad_request;
      p = p * 10 + (c - '0');
    }
    if (p < 1 || p > 65535) return base::Errc::bad_request;
    url.port = p;
  }
  return url;
}

base::Result<std::shared_ptr<const tls::Context>> client_tls(const Url& url,
                                                             const std::string& ca_file,
                                                             std::string& why) {
  if (!url.tls()) return std::shared_ptr<const tls::Context>();
  tls::ClientConfig c;
  c.ca_file = ca_file;
  return tls::Context::client(c, why);
}

}  // namespace herald::cli

namespace herald::cli {

std::string query_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool plain = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

}  // namespace herald::cli
