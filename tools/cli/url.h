#pragma once
// The addresses the CLI and bench accept: "host:port" or a URL "http://127.0.0.1:8080/path"
// (schemes http, ws, and https, wss for TLS). The host must be numeric or "localhost"
// (net::Address does no DNS).
#include <string>
#include <string_view>

#include "base/error.h"
#include "net/address.h"
#include "tls/context.h"

namespace herald::cli {

struct Url {
  std::string scheme = "http";  // "http", "ws", "https" or "wss"
  std::string host;             // "127.0.0.1", "localhost", "::1" (without brackets)
  int port = 80;                // 443 by default for https and wss
  std::string path = "/";       // always starts with '/'; may carry a query

  /// "host:port" as sent in the Host header ("[::1]:8080" for IPv6).
  std::string authority() const;
  /// The socket address (numeric host or localhost).
  base::Result<net::Address> address() const;
  /// https or wss: the connection speaks TLS.
  bool tls() const { return scheme == "https" || scheme == "wss"; }
};

/// Parses "http://host[:port][/path]", "ws://...", "https://...", "wss://...", or a bare
/// "host:port[/path]" (scheme http). Default port 80 (443 with TLS). Errc::bad_request for an
/// empty host, a bad port, or another scheme.
base::Result<Url> parse_url(std::string_view text);

/// The TLS client context for `url` (nullptr when it is plain): it trusts `ca_file` (PEM), or
/// the system's store when `ca_file` is empty. Errc::config_error with `why` when the file
/// cannot be used.
base::Result<std::shared_ptr<const tls::Context>> client_tls(const Url& url,
                                                             const std::string& ca_file,
                                                             std::string& why);

}  // namespace herald::cli

namespace herald::cli {

/// Percent-encodes `s` for a query string value: everything but [A-Za-z0-9-._~] becomes %XX.
std::string query_escape(std::string_view s);

}  // namespace herald::cli
