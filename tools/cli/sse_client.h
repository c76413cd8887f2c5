#pragma once
// Server-Sent Events client on the event loop: GET with Accept: text/event-stream (and
// Last-Event-ID when resuming), the body streamed through proto::SseParser, one callback per event.
// Reconnecting with last_event_id() is the caller's decision (e.g. after `event: reconnect`).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "proto/sse_parser.h"
#include "tools/cli/client.h"

namespace herald::cli {

class SseClient final : private SocketEvents, private proto::SseSink {
 public:
  struct Callbacks {
    /// The server answered 200 with text/event-stream.
    std::function<void()> on_open;
    std::function<void(const proto::SseEvent& event)> on_event;
    /// An id: field moved the resume point (optional).
    std::function<void(std::string_view id)> on_id;
    /// Called once at the end: `error` empty when the server ended the stream; otherwise what
    /// went wrong ("HTTP 400: {...}", "connection refused", "not an event stream"...).
    /// `http_status` is the response status (0 when none arrived).
    std::function<void(int http_status, std::string_view error)> on_close;
  };

  SseClient(loop::Loop& loop, Callbacks callbacks);
  ~SseClient();

  /// GET `target` (path and query) on `addr` with Host `authority`; `last_event_id` non-empty
  /// adds the Last-Event-ID header.
  std::error_code connect(const net::Address& addr, std::string_view authority,
                          std::string_view target, std::string_view last_event_id = {});
  /// Speak TLS (https://; see ClientSocket::use_tls); call before connect().
  void use_tls(std::shared_ptr<const tls::Context> ctx, std::string host) {
    socket_.use_tls(std::move(ctx), std::move(host));
  }
  /// Drops the stream; on_close is not called for a close asked for here.
  void close();

  const std::string& last_event_id() const { return sse_.last_event_id(); }
  uint32_t retry_ms() const { return sse_.retry_ms(); }
  bool is_open() const { return streaming_ && !ended_; }

 private:
  static constexpr size_t kMaxErrorBody = 4096;
  void on_data(net::Connection& conn) override;
  void on_eof(net::Connection& conn) override;
  void on_closed(std::error_code ec) override;
  void on_event(const proto::SseEvent& event) override;
  void on_id(std::string_view id) override;
  void handle(net::Connection& conn, bool eof);
  /// Passes decoded body bytes on; false when the stream failed.
  bool take_body();
  void end(std::string_view error);

  Callbacks cb_;
  ClientSocket socket_;
  http::ResponseParser parser_;
  proto::SseParser sse_;
  int status_ = 0;
  bool streaming_ = false;  // 200 text/event-stream: the body is events
  bool ended_ = false;
  std::string error_body_;
};

}  // namespace herald::cli
