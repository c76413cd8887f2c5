#pragma once
// herald's client side on the event loop (used by `herald pub`/`sub` and by `herald bench`).
// One object per connection, all on one loop thread:
//   ClientSocket  the client end of one TCP connection: connect, forward events, detach safely
//   HttpClient    keep-alive HTTP/1.1 with a queue of requests (pipelining allowed)
// WsClient (ws_client.h), SseClient (sse_client.h) and Poller (poller.h) build on these.
//
// Callbacks run on the loop thread. A callback may send more requests or close the client; it
// must not destroy the client object itself (defer that with Loop::defer).
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "base/error.h"
#include "http_codec/parser.h"
#include "http_codec/response_parser.h"
#include "loop/loop.h"
#include "net/address.h"
#include "net/connection.h"
#include "tls/context.h"

namespace herald::cli {

/// What a ClientSocket reports to its owner.
class SocketEvents {
 public:
  virtual void on_connected() {}
  /// New bytes are in conn.input(); consume() what was used.
  virtual void on_data(net::Connection& conn) = 0;
  /// The server shut down its side. Default: close.
  virtual void on_eof(net::Connection& conn) { conn.close(); }
  /// The connection is gone (`ec` empty: orderly close). The socket can connect() again.
  virtual void on_closed(std::error_code ec) = 0;

 protected:
  ~SocketEvents() = default;
};

/// Owns the client end of one TCP connection. The net::Connection deletes itself after it
/// closes (deferred to the end of the loop iteration); destroying the ClientSocket first
/// aborts the connection and detaches from it, so no event reaches a dead owner.
class ClientSocket {
 public:
  ClientSocket(loop::Loop& loop, SocketEvents& events);
  ~ClientSocket();
  ClientSocket(const ClientSocket&) = delete;
  ClientSocket& operator=(const ClientSocket&) = delete;

  /// Makes every later connect() speak TLS with `ctx`, verifying the server's certificate for
  /// `host` (https://, wss://). A certificate the context does not trust closes the
  /// connection before on_connected, with a tls::verify_category() error.
  void use_tls(std::shared_ptr<const tls::Context> ctx, std::string host);
  /// Starts a non-blocking connect. Bytes sent before it completes are queued and written
  /// once it does (with TLS: once the handshake is done). Errors from the connect arrive later
  /// through on_closed.
  std::error_code connect(const net::Address& addr, size_t max_input = 1024 * 1024);
  /// The open (or connecting) connection, or nullptr.
  net::Connection* conn() const { return conn_; }
  bool connected() const { return conn_ != nullptr && connected_; }
  /// Graceful close (queued output is written first, then FIN). Detaches at once: no event of
  /// this connection reaches the owner any more (on_closed reports only closes the owner did
  /// not ask for), and connect() may be called again right away.
  void close();
  /// Immediate reset; detaches like close().
  void abort();

 private:
  class Handler;
  /// Forgets the open connection (no more events reach the owner) and returns it.
  net::Connection* detach();

  loop::Loop& loop_;
  SocketEvents& events_;
  net::Connection* conn_ = nullptr;
  Handler* handler_ = nullptr;  // owned by conn_
  bool connected_ = false;
  std::shared_ptr<const tls::Context> tls_;  // null: plain TCP
  std::string tls_host_;
  // Connections closed gracefully and still lingering: reset when the socket is destroyed,
  // so none outlives its owner (the loop then frees it).
  net::ConnectionSet closing_;
};

/// One HTTP response as the callback sees it: `res` points into the connection's input and is
/// valid during the callback only; `error` is set (and `res` null) when the request failed
/// (connection refused or closed before the answer, malformed response).
struct HttpResult {
  const http::Response* res = nullptr;
  std::error_code error;
  std::string_view error_text;  // a short description for humans when `error` is set
};

/// Keep-alive HTTP/1.1 client for one server. Requests are written at once and may pipeline;
/// answers come back in order, one callback each. The connection is opened on the first
/// request and again after the server closed it (requests in flight at that moment fail: they
/// are never replayed, since a publish must not run twice).
class HttpClient final : private SocketEvents {
 public:
  using ResponseFn = std::function<void(const HttpResult&)>;

  /// `authority` is the Host header value ("127.0.0.1:8080").
  HttpClient(loop::Loop& loop, const net::Address& addr, std::string authority,
             http::ResponseLimits limits = {});
  ~HttpClient();

  /// Sends `method target` with `body` (Content-Length set when the body is not empty or the
  /// method is POST/PUT), `content_type` (if not empty) and `headers`. `fn` gets the answer.
  void request(std::string_view method, std::string_view target, std::string_view body,
               ResponseFn fn, std::string_view content_type = {},
               std::span<const http::Header> headers = {});
  /// Requests written and not yet answered.
  size_t in_flight() const { return pending_.size(); }
  /// Closes the connection; requests in flight fail with Errc::closed.
  void close();
  /// Speak TLS (see ClientSocket::use_tls); call before the first request.
  void use_tls(std::shared_ptr<const tls::Context> ctx, std::string host) {
    socket_.use_tls(std::move(ctx), std::move(host));
  }

 private:
  struct Pending {
    ResponseFn fn;
    bool head = false;
  };
  void on_data(net::Connection& conn) override;
  void on_eof(net::Connection& conn) override;
  void on_closed(std::error_code ec) override;
  void fail_all(std::error_code ec, std::string_view why);
  /// Delivers complete responses from `conn`'s input; `eof` means the server closed.
  void drain(net::Connection& conn, bool eof);

  loop::Loop& loop_;
  net::Address addr_;
  std::string authority_;
  ClientSocket socket_;
  http::ResponseParser parser_;
  std::deque<Pending> pending_;
  std::string scratch_;  // request bytes, reused
};

}  // namespace herald::cli
