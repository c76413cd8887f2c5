#pragma once
// HttpSession: HTTP/1.1 on one connection. Parses requests (pipelined, keep-alive), hands each
// complete one to a RequestHandler, and writes responses in request order. A handler answers
// at once (respond), later (hold, then respond: long-poll, asynchronous publish), or takes the
// connection over (WebSocket upgrade, SSE stream). Timeouts: header read (slowloris) -> 408 and
// close; idle keep-alive -> close. Parser errors get their status (400/413/414/431/501/505) and
// the connection is closed after the answer.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "http/context.h"
#include "http/parser.h"
#include "loop/timer.h"
#include "net/connection.h"

namespace herald::http {

class HttpSession;

/// The address of a held response that stays safe to keep after its session is gone:
/// HttpSession::resolve() then answers nullptr. Eight trivially copyable bytes, so a callback
/// that captures it fits in std::function's inline storage (no allocation per request).
/// Resolve it only on the loop that made it.
struct HeldRef {
  uint32_t slot = 0;
  uint32_t generation = 0;
};

/// Routes requests. `req` and its views are valid only during the call: copy what a held
/// response needs.
class RequestHandler {
 public:
  virtual void handle(HttpSession& session, Request& req) = 0;

 protected:
  ~RequestHandler() = default;
};

class HttpSession final : public net::ConnectionHandler {
 public:
  HttpSession(LoopContext& ctx, RequestHandler& handler, net::Connection& conn);
  ~HttpSession() override;

  /// Starts the keep-alive/header timer; call once after the connection starts.
  void start();

  // --- answering the current request -------------------------------------------------------
  /// Writes the response to the current request (status line, Date, Content-Length...).
  void respond(int status, std::string_view content_type, std::string_view body,
               std::span<const Header> extra = {});
  /// A JSON body with Content-Type application/json.
  void respond_json(int status, std::string_view json, std::span<const Header> extra = {});
  /// `{"error":{"code":STATUS,"message":"..."}}` (the HTTP API's error shape).
  void respond_error(int status, std::string_view message, std::span<const Header> extra = {});
  /// The response comes later: reading pauses (pipelined requests wait), `on_abort` runs if the
  /// connection closes first. Call respond() exactly once afterwards.
  void hold(std::function<void()> on_abort);
  /// The same hold without an abort callback: the answer's callback finds the session with
  /// resolve(), which is nullptr once the connection closed.
  HeldRef hold_ref();
  /// The session `ref` was made by, or nullptr when it has closed since.
  static HttpSession* resolve(HeldRef ref);
  bool holding() const { return holding_; }
  /// Hands the connection to `next` (WebSocket, SSE). Bytes after the current request are left
  /// in the input for it. This session is deleted after the iteration.
  void take_over(std::unique_ptr<net::ConnectionHandler> next);
  /// Closes after the current response (e.g. an error that leaves the stream unusable).
  void close_after_response() { close_after_ = true; }

  net::Connection& connection() { return conn_; }
  LoopContext& context() { return ctx_; }
  const net::Address& peer() const { return conn_.peer(); }

  // net::ConnectionHandler
  void on_data(net::Connection& conn) override;
  void on_close(net::Connection& conn, std::error_code ec) override;

 private:
  void process();
  void fail(int status, std::string_view reason);
  void finish_response();
  void arm_idle_timer();
  /// Makes every HeldRef of this session resolve to nullptr and frees its slot.
  void release_slot();

  LoopContext& ctx_;
  RequestHandler& handler_;
  net::Connection& conn_;
  RequestParser parser_;
  loop::Timer timer_;        // header-read timeout while a request arrives, idle otherwise
  bool in_request_ = false;  // bytes of a request seen, not complete yet
  bool responded_ = false;   // the current request has its response
  bool holding_ = false;
  bool taken_over_ = false;
  bool close_after_ = false;
  bool continue_sent_ = false;  // the interim 100 of the current request went out
  bool head_request_ = false;
  bool keep_alive_ = true;
  int version_minor_ = 1;
  std::function<void()> on_abort_;
  bool has_slot_ = false;  // slot_ is this session's entry in the loop's held-response table
  uint32_t slot_ = 0;
};

}  // namespace herald::http
