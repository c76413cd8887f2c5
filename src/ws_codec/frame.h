#pragma once
// RFC 6455 §5 frame codec: an incremental, pure decoder and the encoders for both roles.
// No I/O: bytes in, statuses out. The decoder enforces the per-frame rules (masking by role,
// reserved bits, opcodes, control-frame shape, length limits); message-level rules
// (fragmentation, UTF-8, close payloads) live in message.h.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/limits.h"

namespace herald::ws {

enum class Opcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// Control frames (close, ping, pong) have the high opcode bit set (RFC 6455 §5.5).
inline bool is_control(Opcode op) {
  return (static_cast<uint8_t>(op) & 0x8) != 0;
}

/// Which end of the connection the codec sits on. A server reads masked client frames and writes
/// unmasked ones; a client does the opposite (RFC 6455 §5.1).
enum class Role : uint8_t { server, client };

/// RFC 6455 §7.4.1 close codes the codec itself produces or interprets.
namespace close_code {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kProtocolError = 1002;
inline constexpr uint16_t kUnsupportedData = 1003;
inline constexpr uint16_t kNoStatus = 1005;  // never on the wire: "close frame had no code"
inline constexpr uint16_t kAbnormal = 1006;  // never on the wire: "no close frame at all"
inline constexpr uint16_t kInvalidPayload = 1007;
inline constexpr uint16_t kPolicy = 1008;
inline constexpr uint16_t kTooBig = 1009;
inline constexpr uint16_t kInternalError = 1011;
}  // namespace close_code

/// Largest control frame payload (RFC 6455 §5.5).
inline constexpr size_t kMaxControlPayload = 125;
/// Largest frame header: 2 + 8 (64-bit length) + 4 (mask key).
inline constexpr size_t kMaxFrameHeader = base::limits::kMaxWsFrameHeader;

/// What the decoder accepts.
struct FrameParserOptions {
  Role role = Role::server;
  /// A data frame whose declared length exceeds this fails with 1009 as soon as its header is read,
  /// before any payload is buffered.
  uint64_t max_payload = base::limits::kMaxWsMessage;
  /// Set when permessage-deflate (RFC 7692) was negotiated: RSV1 is then legal on a frame.
  /// RSV2 and RSV3 are always refused since no extension here defines them.
  bool allow_rsv1 = false;
};

/// A decoded frame header.
struct FrameHeader {
  bool fin = false;
  bool rsv1 = false;
  bool rsv2 = false;
  bool rsv3 = false;
  Opcode opcode = Opcode::continuation;
  bool masked = false;
  uint8_t mask_key[4] = {0, 0, 0, 0};
  uint64_t length = 0;  // payload length
};

enum class ParseStatus : uint8_t {
  header,     // a header was completed: header() is valid; its payload follows
  frame,      // the current frame's payload is complete (right after `header` when it is empty)
  need_more,  // every byte given was consumed; call again with more input
  error,      // protocol violation; close_code says which; stop feeding
};

struct ParseResult {
  ParseStatus status = ParseStatus::need_more;
  size_t consumed = 0;      // bytes of `in` used by this call
  uint16_t close_code = 0;  // set with ParseStatus::error (1002 or 1009)
};

/// Incremental frame decoder.
///
/// Payload handling (the "caller buffer" choice): the decoder never stores payload. It unmasks
/// payload bytes straight into the std::string the caller passes to parse(), appending as they
/// arrive. So a caller can validate UTF-8 before a frame ends, and can aim the bytes of each
/// frame at the buffer where they belong (a message being assembled, or a small control buffer)
/// with a single copy from the read buffer. Between the `header` result and the `frame` result
/// the caller must pass the same buffer (or at least expect the bytes of one frame to be split
/// across the buffers it passes).
///
/// Each call returns at most one header or frame event; call again with the unconsumed rest
/// (even when empty: a frame with an empty payload is reported after its header with no more
/// input) until it says need_more or error.
class FrameParser {
 public:
  explicit FrameParser(FrameParserOptions options = {}) : options_(options) {}

  /// Consumes bytes from `in`; appends unmasked payload bytes to `payload`.
  ParseResult parse(std::string_view in, std::string& payload);

  /// The header of the frame being received (valid after a `header` result until the next one).
  const FrameHeader& header() const { return header_; }
  /// Payload bytes of the current frame still to come.
  uint64_t remaining() const { return remaining_; }
  /// No frame is partly read: the next byte starts a new frame.
  bool at_frame_boundary() const { return state_ == State::header && hdr_len_ == 0; }
  const FrameParserOptions& options() const { return options_; }
  /// Forget any partial frame (for reuse on a new connection).
  void reset();

 private:
  enum class State : uint8_t { header, payload, failed };
  ParseResult fail(size_t consumed, uint16_t code);
  /// Decodes header_ from hdr_buf_; returns 0, or a close code on violation, or 1 if more
  /// header bytes are needed (hdr_need_ updated).
  uint16_t decode_header();

  FrameParserOptions options_;
  State state_ = State::header;
  uint8_t hdr_buf_[kMaxFrameHeader] = {};
  uint8_t hdr_len_ = 0;   // header bytes buffered so far
  uint8_t hdr_need_ = 2;  // header bytes needed to make progress
  FrameHeader header_;
  uint64_t remaining_ = 0;
  uint64_t mask_offset_ = 0;  // payload bytes already unmasked (position in the mask cycle)
  uint16_t fail_code_ = 0;
};

/// XORs `n` bytes at `data` with `key`, starting `offset` bytes into the 4-byte mask cycle.
/// Masking and unmasking are the same operation.
void apply_mask(char* data, size_t n, const uint8_t key[4], uint64_t offset = 0);

// ---- encoders -------------------------------------------------------------------------------

/// Writes an unmasked (server-to-client) frame header for a payload of `length` bytes into
/// `out` and returns its size (2, 4 or 10). The payload follows it unchanged, so a caller can
/// build a frame straight into a refcounted buffer. `rsv1` marks a permessage-deflate frame.
size_t frame_header(Opcode op, uint64_t length, bool fin, char out[kMaxFrameHeader],
                    bool rsv1 = false);

/// Writes a masked (client-to-server) frame header (6, 8 or 14 bytes) with `mask_key`;
/// the caller must mask the payload with apply_mask() using the same key.
size_t client_frame_header(Opcode op, uint64_t length, bool fin, const uint8_t mask_key[4],
                           char out[kMaxFrameHeader], bool rsv1 = false);

/// A complete unmasked frame (server side).
std::string encode_frame(Opcode op, std::string_view payload, bool fin = true);

/// A complete masked frame (client side: our bench client and CLI).
std::string encode_client_frame(Opcode op, std::string_view payload, const uint8_t mask_key[4],
                                bool fin = true);

/// The payload of a close frame: the 2-byte code then `reason`, cut to fit 125 bytes on a UTF-8
/// code point boundary. Code 1005 ("no status") gives an empty payload, as 1005 must never be
/// sent on the wire.
std::string close_payload(uint16_t code, std::string_view reason);

/// A complete unmasked close frame (server side) built from close_payload().
std::string encode_close(uint16_t code, std::string_view reason = {});

}  // namespace herald::ws
