#pragma once
// The transport half of a WebSocket session, shared by the herald.v1 session and the echo
// endpoint: bytes in through WsReader, control frames (ping/pong/close) answered here, protocol
// errors closed with their code, keepalive pings with a pong deadline, and a bounded closing
// handshake. Subclasses only see complete data messages (on_message).
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "access/conn_log.h"
#include "base/metrics.h"
#include "base/shared_buffer.h"
#include "http/context.h"
#include "loop/timer.h"
#include "net/connection.h"
#include "ws_codec/deflate.h"
#include "ws_codec/extension.h"
#include "ws_codec/message.h"

namespace herald::ws {

/// Close codes of the herald.v1 protocol (docs/protocol.md): 4000-4499 mean "reconnect".
namespace app_close {
inline constexpr uint16_t kShutdown = 4001;      // SIGTERM drain
inline constexpr uint16_t kSlowConsumer = 4008;  // output queue past max_output_bytes
inline constexpr uint16_t kNoPong = 4010;        // no pong within ws_pong_timeout_ms
}  // namespace app_close

/// After we send a close frame, how long the connection may take to flush it and finish the
/// close; then it is reset. Bounds a peer that never reads (a slow consumer's close frame sits
/// behind megabytes of queued pushes).
inline constexpr uint32_t kCloseTimeoutMs = 3000;

// The session is its own timer entry, armed for the sooner of two deadlines: its own (the
// keepalive, then the pong deadline, then the close deadline) and the subclass's (a token's
// expiry). A Timer for each took 56 bytes and, for the expiry, a heap block.
class WsSessionBase : public net::ConnectionHandler, private loop::TimerEntry {
 public:
  /// Counts the connection in `connections_open[transport]`, sets the connection's output limit
  /// (settings.max_output_bytes, see net::Connection::set_output_limit) and arms the keepalive.
  /// `deflate` is what the handshake agreed for permessage-deflate (RSV1 is then accepted on
  /// the first frame of a message, which is inflated before on_message).
  WsSessionBase(http::Context& ctx, net::Connection& conn, base::Transport transport,
                WsLimits limits, DeflateParams deflate = {});
  ~WsSessionBase() override;

  /// Sends a close frame with `code` and `reason`, then closes the connection gracefully (reset
  /// after kCloseTimeoutMs if it cannot finish). Nothing is read or sent afterwards. Idempotent.
  void close_with(uint16_t code, std::string_view reason);
  /// True once a close frame was sent or the connection closed.
  bool closing() const { return closing_; }
  /// Why the connection ended (or is ending); `none` while open, and when the client closed.
  access::CloseReason close_reason() const { return close_reason_; }

  // net::ConnectionHandler
  void on_data(net::Connection& conn) override;
  void on_close(net::Connection& conn, std::error_code ec) override;
  /// The connection's output stayed over max_output_bytes after the kernel took what it
  /// could: on_slow_consumer().
  void on_output_overflow(net::Connection& conn) override;

 protected:
  /// Evicts a slow consumer: counts it and closes with 4008 (the close frame queues behind
  /// what is pending; close_with resets after kCloseTimeoutMs if it cannot get out). A
  /// subclass drops its subscriptions first, then calls this.
  virtual void on_slow_consumer();

  /// A complete text or binary message (e.kind is text or binary); e.payload may be moved from.
  virtual void on_message(WsEvent& e) = 0;
  /// The connection closed; the subclass drops every reference the hub holds to it.
  virtual void on_closed() {}

  /// Queues one unfragmented frame (payload copied). A data frame is compressed (RSV1) when
  /// permessage-deflate was agreed and compress_message() finds it worth it.
  void send_frame(Opcode op, std::string_view payload);
  /// What the handshake agreed for permessage-deflate.
  const DeflateParams& deflate_params() const { return deflate_; }

  /// A deadline of the subclass's own (a token's expiry), kept on the session's one timer
  /// entry beside the keepalive: milliseconds until it passes (0: it has), -1 for none.
  /// Asked whenever the entry is re-armed; call rearm() when the answer changes.
  virtual int64_t ms_until_deadline() const { return -1; }
  /// The subclass's deadline passed (never once closing).
  virtual void on_deadline() {}
  /// Arms the session's timer entry for the sooner of its own deadline (keepalive, pong,
  /// close) and the subclass's.
  void rearm();

  http::Context& ctx_;
  net::Connection& conn_;

 private:
  /// One of the two deadlines passed (or both): the session's own, then the subclass's.
  void on_timer() override;
  /// Sets the session's own deadline `delay_ms` from now and re-arms.
  void set_due(uint64_t delay_ms);
  /// The session's own deadline passed: keepalive check, pong deadline or close deadline.
  void on_due();
  void arm_keepalive();
  /// After our close frame (or our answer to the peer's): the connection is reset if it has
  /// not finished closing within kCloseTimeoutMs.
  void arm_close_deadline();
  /// Replaces a compressed message's payload by its inflated form; false when the connection
  /// was failed instead (1009 past ws_max_message, 1007 bad DEFLATE data or bad UTF-8).
  bool inflate_message(WsEvent& e);

  WsLimits reader_limits() const;

  // What reading keeps between reads, when anything: the frame reader while a frame or a
  // fragmented message is open (WsReader::idle() is false; a read that holds whole frames
  // uses one on the stack, ~240 bytes an idle connection does not keep), and the inflater of
  // a client that keeps its compression context, from its first compressed message on. An
  // idle subscriber has neither and pays one pointer.
  struct ReadState {
    std::optional<WsReader> reader;
    std::unique_ptr<Inflater> inflater;
  };
  std::unique_ptr<ReadState> read_;
  ReadState& read_state();
  /// Frees the read state once it holds nothing.
  void release_read_state();
  // Times are the low 32 bits of the loop clock (ms), compared modulo 2^32: an idle time is
  // never a day past the ping interval (the pong deadline closes it first), and the
  // deadline is at most a day ahead (the longest interval or timeout the settings allow).
  uint32_t last_rx_ms_ = 0;
  uint32_t due_ms_ = 0;  // the session's own deadline, while due_set_
  // 32 bits (websocket.max_message is at most 1 GiB) and the one-byte fields after it fill
  // what would be padding: the session stays in a smaller malloc size class.
  uint32_t max_message_;
  base::Transport transport_;
  DeflateParams deflate_;
  Role role_;
  bool awaiting_pong_ = false;
  bool closing_ = false;
  bool counted_ = false;
  bool due_set_ = false;
  access::CloseReason close_reason_ = access::CloseReason::none;
};

/// Builds an unfragmented server frame (header + payload) in one shared buffer; `rsv1` marks a
/// payload that is already compressed (permessage-deflate).
base::SharedBuffer make_frame(Opcode op, std::string_view payload, bool rsv1 = false);

/// A data frame for a client that agreed `deflate`: compressed (RSV1) when compress_message()
/// finds it worth it, else plain.
base::SharedBuffer make_data_frame(Opcode op, std::string_view payload,
                                   const DeflateParams& deflate);

}  // namespace herald::ws
