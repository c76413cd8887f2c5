#pragma once
// The addresses the CLI and bench accept: "host:port" or a URL "http://127.0.0.1:8080/path"
// (schemes http and ws; https/wss are refused: the clients speak plain TCP). The host must be
// numeric or "localhost" (net::Address does no DNS).
#include <string>
#include <string_view>

#include "base/error.h"
#include "net/address.h"

namespace herald::cli {

struct Url {
  std::string scheme = "http";  // "http" or "ws"
  std::string host;             // "127.0.0.1", "localhost", "::1" (without brackets)
  int port = 80;
  std::string path = "/";  // always starts with '/'; may carry a query

  /// "host:port" as sent in the Host header ("[::1]:8080" for IPv6).
  std::string authority() const;
  /// The socket address (numeric host or localhost).
  base::Result<net::Address> address() const;
};

/// Parses "http://host[:port][/path]", "ws://...", or a bare "host:port[/path]" (scheme http).
/// Default port 80. Errc::bad_request for an empty host, a bad port, or another scheme.
base::Result<Url> parse_url(std::string_view text);

}  // namespace herald::cli

namespace herald::cli {

/// Percent-encodes `s` for a query string value: everything but [A-Za-z0-9-._~] becomes %XX.
std::string query_escape(std::string_view s);

}  // namespace herald::cli
