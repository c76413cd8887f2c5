#pragma once
// The first handler of a connection from a trusted proxy when server.proxy_protocol is on: it
// reads the PROXY protocol header (v1 or v2), makes the client it names the connection's peer
// (counted against that client's per-IP limit), then hands the connection to HTTP. A header
// that is invalid, too slow to arrive (http.header_timeout_ms) or over the client's limit
// closes the connection: a proxy that is configured to send it always does.
#include <functional>
#include <memory>

#include "loop/timer.h"
#include "net/connection.h"

namespace herald::server {

class ProxyPreamble final : public net::ConnectionHandler {
 public:
  /// Called with the connection once its peer is the real client (or stays the proxy's
  /// address, for a LOCAL header); returns false to refuse it (answered 503 and closed).
  using Admit = std::function<bool(net::Connection&)>;
  /// Makes the handler that takes over (HTTP); it is started and fed the bytes after the header.
  using Next = std::function<std::unique_ptr<net::ConnectionHandler>(net::Connection&)>;

  ProxyPreamble(loop::Loop& loop, uint32_t timeout_ms, Admit admit, Next next);

  void on_data(net::Connection& conn) override;
  void on_close(net::Connection& conn, std::error_code ec) override;

  /// Arms the header-read timeout; call once after the connection starts.
  void start(net::Connection& conn);

 private:
  loop::Loop& loop_;
  uint32_t timeout_ms_;
  Admit admit_;
  Next next_;
  loop::Timer timer_;
  bool done_ = false;
};

}  // namespace herald::server
