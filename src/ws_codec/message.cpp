#include "ws_codec/message.h"

#include <algorithm>
#include <utility>

namespace herald::ws {

namespace {

// A declared length is a promise, not a fact: reserve at most this much ahead of the bytes
// actually received, so that many peers announcing big frames cannot make us allocate the
// whole max_message each before sending anything.
constexpr size_t kMaxReserveAhead = 64 * 1024;

void ensure_padding(std::string& s) {
  if (s.capacity() - s.size() < kPayloadPadding) s.reserve(s.size() + kPayloadPadding);
}

}  // namespace

bool is_valid_close_code(uint16_t code) {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;  // 1012-1014 registered with IANA since 6455
  return code >= 3000 && code <= 4999;
}

uint16_t parse_close_payload(std::string_view payload, uint16_t& code, std::string_view& reason) {
  if (payload.empty()) {
    code = close_code::kNoStatus;
    reason = {};
    return 0;
  }
  if (payload.size() == 1) return close_code::kProtocolError;
  const uint16_t c = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                           static_cast<uint8_t>(payload[1]));
  if (!is_valid_close_code(c)) return close_code::kProtocolError;
  if (!is_valid_utf8(payload.substr(2))) return close_code::kInvalidPayload;
  code = c;
  reason = payload.substr(2);
  return 0;
}

void MessageAssembler::reset() {
  control_frame_ = false;
  frame_ = FrameHeader{};
  control_.clear();
  in_message_ = false;
  text_ = false;
  compressed_ = false;
  message_.clear();
  utf8_.reset();
  validated_ = 0;
}

Violation MessageAssembler::on_header(const FrameHeader& h) {
  frame_ = h;
  control_frame_ = is_control(h.opcode);
  if (control_frame_) {
    // Control frames may sit between the fragments of a message and do not disturb it.
    control_.clear();
    return {};
  }
  if (h.opcode == Opcode::continuation) {
    if (!in_message_) return {close_code::kProtocolError, "continuation frame without a message"};
  } else {
    if (in_message_) return {close_code::kProtocolError, "new message inside a fragmented one"};
    in_message_ = true;
    text_ = h.opcode == Opcode::text;
    compressed_ = h.rsv1;
    message_.clear();
    utf8_.reset();
    validated_ = 0;
  }
  if (h.length > limits_.max_message - message_.size()) {
    return {close_code::kTooBig, "message too big"};
  }
  message_.reserve(message_.size() + std::min<size_t>(h.length, kMaxReserveAhead) +
                   kPayloadPadding);
  return {};
}

Violation MessageAssembler::on_payload() {
  if (control_frame_ || !text_ || compressed_) return {};
  std::string_view fresh(message_.data() + validated_, message_.size() - validated_);
  validated_ = message_.size();
  if (!utf8_.feed(fresh)) return {close_code::kInvalidPayload, "invalid UTF-8 in text message"};
  return {};
}

Violation MessageAssembler::on_frame(std::vector<WsEvent>& out) {
  if (control_frame_) {
    WsEvent e;
    switch (frame_.opcode) {
      case Opcode::ping:
        e.kind = WsEvent::ping;
        break;
      case Opcode::pong:
        e.kind = WsEvent::pong;
        break;
      default: {  // close
        uint16_t code = 0;
        std::string_view reason;
        if (uint16_t bad = parse_close_payload(control_, code, reason)) {
          return {bad, bad == close_code::kInvalidPayload ? "close reason is not UTF-8"
                                                          : "invalid close code"};
        }
        e.kind = WsEvent::close;
        e.close_code = code;
        control_.erase(0, control_.size() - reason.size());
        break;
      }
    }
    e.payload = std::move(control_);
    control_.clear();
    control_frame_ = false;
    out.push_back(std::move(e));
    return {};
  }
  if (!frame_.fin) return {};
  if (text_ && !compressed_ && !utf8_.complete()) {
    return {close_code::kInvalidPayload, "text message ends inside a UTF-8 sequence"};
  }
  WsEvent e;
  e.kind = text_ ? WsEvent::text : WsEvent::binary;
  e.compressed = compressed_;
  ensure_padding(message_);
  e.payload = std::move(message_);
  message_.clear();
  in_message_ = false;
  validated_ = 0;
  out.push_back(std::move(e));
  return {};
}

WsReader::WsReader(WsLimits limits)
    : parser_(FrameParserOptions{limits.role, limits.max_message, limits.allow_rsv1}),
      assembler_(limits) {}

void WsReader::reset() {
  parser_.reset();
  assembler_.reset();
  failed_ = false;
}

size_t WsReader::fail(size_t consumed, Violation v, std::vector<WsEvent>& out) {
  failed_ = true;
  WsEvent e;
  e.kind = WsEvent::error;
  e.close_code = v.code;
  e.payload = v.what;
  out.push_back(std::move(e));
  return consumed;
}

size_t WsReader::feed(std::string_view in, std::vector<WsEvent>& out) {
  if (failed_) return 0;
  size_t pos = 0;
  for (;;) {
    const ParseResult r = parser_.parse(in.substr(pos), assembler_.sink());
    pos += r.consumed;
    switch (r.status) {
      case ParseStatus::header:
        if (Violation v = assembler_.on_header(parser_.header())) return fail(pos, v, out);
        break;
      case ParseStatus::frame:
        if (Violation v = assembler_.on_payload()) return fail(pos, v, out);
        if (Violation v = assembler_.on_frame(out)) return fail(pos, v, out);
        break;
      case ParseStatus::need_more:
        if (Violation v = assembler_.on_payload()) return fail(pos, v, out);
        return pos;
      case ParseStatus::error:
        return fail(
            pos,
            {r.close_code, r.close_code == close_code::kTooBig ? "frame too big" : "invalid frame"},
            out);
    }
  }
}

}  // namespace herald::ws
