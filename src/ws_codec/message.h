#pragma once
// Message level of RFC 6455: fragmentation, interleaved control frames, UTF-8 of text messages,
// close payloads, message size. WsReader puts FrameParser and MessageAssembler together behind
// one call per read, which is what a session wants:
//
//   std::vector<WsEvent> events;
//   reader.feed(bytes_read, events);   // consumes every byte unless an error event was produced
//   for (auto& e : events) ...         // text / binary / ping / pong / close / error
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.h"
#include "ws_codec/frame.h"
#include "ws_codec/utf8.h"

namespace herald::ws {

/// Bytes of spare capacity guaranteed after a text/binary event's payload, so that a JSON parser
/// needing padding (simdjson: SIMDJSON_PADDING = 64) can parse it in place without a copy.
inline constexpr size_t kPayloadPadding = 64;

struct WsLimits {
  Role role = Role::server;
  /// Largest message (sum of its frames' payloads) and largest frame; crossing it fails with
  /// 1009, decided from frame headers before the payload is buffered.
  size_t max_message = base::limits::kMaxWsMessage;
  /// permessage-deflate negotiated: RSV1 is accepted on a message's first frame and the message
  /// is reported with `compressed` set (see WsEvent).
  bool allow_rsv1 = false;
};

struct WsEvent {
  enum Kind : uint8_t { text, binary, ping, pong, close, error };
  Kind kind = error;
  /// RSV1 was set on the message's first frame: the payload is still deflated, its size was
  /// bounded by max_message before inflation, and a text payload was NOT checked for UTF-8 (the
  /// caller inflates, then validates with Utf8Validator / is_valid_utf8).
  bool compressed = false;
  /// close: the peer's code (1005 when its close frame had no payload);
  /// error: the code to close the connection with (1002, 1007 or 1009).
  uint16_t close_code = 0;
  /// text/binary: the message; ping/pong: their data; close: the reason (valid UTF-8);
  /// error: a short description, fit to be used as the close reason.
  std::string payload;
};

/// True for codes a peer may put in a close frame (RFC 6455 §7.4): 1000-1003, 1007-1014 and
/// 3000-4999. 1004-1006, 1015 and the other unregistered ranges are refused.
bool is_valid_close_code(uint16_t code);

/// Checks a received close frame's payload. Returns 0 and sets `code` (1005 when empty) and
/// `reason`, or returns the close code to fail with: 1002 (1-byte payload, invalid code) or 1007
/// (reason is not UTF-8). `reason` points into `payload`.
uint16_t parse_close_payload(std::string_view payload, uint16_t& code, std::string_view& reason);

/// A rule broken at the message level: the close code to send and a description.
struct Violation {
  uint16_t code = 0;
  const char* what = "";
  explicit operator bool() const { return code != 0; }
};

/// Assembles frames into messages. Driven by WsReader (or any frame source) in this order per
/// frame: on_header(), then payload bytes appended to sink() with on_payload() after each
/// append, then on_frame(). The first Violation ends the connection; stop calling after it.
class MessageAssembler {
 public:
  explicit MessageAssembler(WsLimits limits) : limits_(limits) {}

  /// A frame header is complete: checks sequencing (continuation without a message, a new data
  /// message inside a fragmented one) and the running message size.
  Violation on_header(const FrameHeader& h);
  /// Where the current frame's payload goes: the message being assembled for data frames (so
  /// fragments are joined without a second copy), a small buffer for control frames.
  std::string& sink() { return control_frame_ ? control_ : message_; }
  /// Payload bytes were appended to sink(): validates the new text bytes at once, so invalid
  /// UTF-8 fails on the read that brought it, not at the end of the message.
  Violation on_payload();
  /// The current frame is complete: appends an event if it was a control frame or the last
  /// fragment of a message.
  Violation on_frame(std::vector<WsEvent>& out);
  /// True while a fragmented message is open.
  bool in_message() const { return in_message_; }
  void reset();

 private:
  WsLimits limits_;
  bool control_frame_ = false;
  FrameHeader frame_;
  std::string control_;
  // The open message.
  bool in_message_ = false;
  bool text_ = false;
  bool compressed_ = false;
  std::string message_;
  Utf8Validator utf8_;
  size_t validated_ = 0;  // bytes of message_ already fed to utf8_
};

/// Bytes in, events out: a FrameParser and a MessageAssembler for one connection.
class WsReader {
 public:
  explicit WsReader(WsLimits limits = {});

  /// Consumes what it can from `in` and appends the resulting events to `out`; returns the
  /// bytes consumed. Without an error that is all of `in` (a partial frame is kept inside the
  /// reader, with its payload already unmasked into place). After an `error` event the
  /// connection must be failed with its close_code; further calls consume nothing.
  size_t feed(std::string_view in, std::vector<WsEvent>& out);

  bool failed() const { return failed_; }
  /// Between messages: no frame partly read and no fragmented message open, so a fresh reader
  /// would carry on exactly as this one (a session drops its reader when idle).
  bool idle() const { return !failed_ && parser_.at_frame_boundary() && !assembler_.in_message(); }
  /// Forgets all state (partial frame, open message, failure).
  void reset();

 private:
  size_t fail(size_t consumed, Violation v, std::vector<WsEvent>& out);

  FrameParser parser_;
  MessageAssembler assembler_;
  bool failed_ = false;
};

}  // namespace herald::ws
