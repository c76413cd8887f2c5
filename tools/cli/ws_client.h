#pragma once
// WebSocket client on the event loop: connect, upgrade (subprotocol herald.v1 by default),
// masked text frames out, one callback per message in, ping answered with pong, closing
// handshake. Used by `herald sub --transport ws` and by `herald bench`.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "loop/timer.h"
#include "tools/cli/client.h"
#include "ws_codec/handshake.h"
#include "ws_codec/message.h"

namespace herald::cli {

class WsClient final : private SocketEvents {
 public:
  struct Callbacks {
    /// The upgrade succeeded; send_text() may be used from now on (it may be used earlier:
    /// frames are queued behind the handshake).
    std::function<void()> on_open;
    /// One text message. The view is valid during the call.
    std::function<void(std::string_view text)> on_text;
    /// One binary message (herald.v1: a binary publication); ignored when not set.
    std::function<void(std::string_view bytes)> on_binary;
    /// Called once when the connection is over: the server's close code and reason, or 1006
    /// and a description (refused connect, failed handshake "HTTP 403: ...", reset, timeout).
    std::function<void(uint16_t code, std::string_view reason)> on_close;
  };

  WsClient(loop::Loop& loop, Callbacks callbacks, size_t max_message = ws::WsLimits{}.max_message);
  ~WsClient();

  /// Starts connecting to `addr` and asks for `path` with Host `authority`, offering
  /// `protocols` (comma-separated; empty offers none). Errors come through on_close, except a
  /// socket that cannot even be created (returned here).
  std::error_code connect(const net::Address& addr, std::string_view authority,
                          std::string_view path, std::string_view protocols = ws::kHeraldProtocol);
  /// Speak TLS (wss://; see ClientSocket::use_tls); call before connect().
  void use_tls(std::shared_ptr<const tls::Context> ctx, std::string host) {
    socket_.use_tls(std::move(ctx), std::move(host));
  }
  /// Queues a masked text frame (one allocation: header and payload in one buffer).
  void send_text(std::string_view text);
  void send_ping(std::string_view data = {});
  /// Starts the closing handshake; the connection is dropped if the server does not answer
  /// within kCloseTimeoutMs. on_close follows.
  void close(uint16_t code = ws::close_code::kNormal, std::string_view reason = {});

  bool is_open() const { return state_ == State::open; }
  /// The subprotocol the server chose (empty when none).
  const std::string& protocol() const { return protocol_; }
  uint64_t messages_received() const { return messages_in_; }

  static constexpr uint64_t kCloseTimeoutMs = 2000;

 private:
  enum class State { idle, handshake, open, closing, closed };
  void on_data(net::Connection& conn) override;
  void on_eof(net::Connection& conn) override;
  void on_closed(std::error_code ec) override;
  bool finish_handshake(net::Connection& conn);
  void read_frames(net::Connection& conn);
  void send_frame(ws::Opcode op, std::string_view payload);
  void fail(uint16_t code, std::string_view reason);
  void report_close(uint16_t code, std::string_view reason);
  void next_mask(uint8_t key[4]);

  loop::Loop& loop_;
  Callbacks cb_;
  ClientSocket socket_;
  http::ResponseParser parser_;
  ws::WsReader reader_;
  std::vector<ws::WsEvent> events_;
  State state_ = State::idle;
  std::string key_;
  std::string offered_;
  std::string protocol_;
  loop::Timer close_timer_;
  uint64_t rng_;
  uint64_t messages_in_ = 0;
};

}  // namespace herald::cli
