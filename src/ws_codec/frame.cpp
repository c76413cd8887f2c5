#include "ws_codec/frame.h"

#include <algorithm>
#include <cstring>

namespace herald::ws {

namespace {

// decode_header()'s "not enough bytes yet" answer; close codes are all >= 1000.
constexpr uint16_t kHeaderIncomplete = 1;

bool is_known_opcode(uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// Big-endian length after the 2-byte prefix; `n` is 2 or 8.
uint64_t read_be(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

size_t write_header(Opcode op, uint64_t length, bool fin, bool rsv1, const uint8_t* mask_key,
                    char* out) {
  auto* o = reinterpret_cast<uint8_t*>(out);
  o[0] = static_cast<uint8_t>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | static_cast<uint8_t>(op));
  const uint8_t mask_bit = mask_key ? 0x80 : 0;
  size_t n;
  if (length <= 125) {
    o[1] = static_cast<uint8_t>(mask_bit | length);
    n = 2;
  } else if (length <= 0xFFFF) {
    o[1] = mask_bit | 126;
    o[2] = static_cast<uint8_t>(length >> 8);
    o[3] = static_cast<uint8_t>(length);
    n = 4;
  } else {
    o[1] = mask_bit | 127;
    for (int i = 0; i < 8; ++i) o[2 + i] = static_cast<uint8_t>(length >> (56 - 8 * i));
    n = 10;
  }
  if (mask_key) {
    std::memcpy(o + n, mask_key, 4);
    n += 4;
  }
  return n;
}

std::string encode(Opcode op, std::string_view payload, bool fin, const uint8_t* mask_key) {
  char hdr[kMaxFrameHeader];
  size_t n = write_header(op, payload.size(), fin, false, mask_key, hdr);
  std::string out;
  out.reserve(n + payload.size());
  out.append(hdr, n);
  out.append(payload);
  if (mask_key) apply_mask(out.data() + n, payload.size(), mask_key);
  return out;
}

}  // namespace

void FrameParser::reset() {
  state_ = State::header;
  hdr_len_ = 0;
  hdr_need_ = 2;
  header_ = FrameHeader{};
  remaining_ = 0;
  mask_offset_ = 0;
}

ParseResult FrameParser::fail(size_t consumed, uint16_t code) {
  state_ = State::failed;
  fail_code_ = code;
  return {ParseStatus::error, consumed, code};
}

uint16_t FrameParser::decode_header() {
  const uint8_t b0 = hdr_buf_[0];
  const uint8_t b1 = hdr_buf_[1];
  FrameHeader h;
  h.fin = b0 & 0x80;
  h.rsv1 = b0 & 0x40;
  h.rsv2 = b0 & 0x20;
  h.rsv3 = b0 & 0x10;
  const uint8_t op = b0 & 0x0F;
  h.masked = b1 & 0x80;
  const uint8_t len7 = b1 & 0x7F;

  // Every rule that the first two bytes decide is checked before waiting for the rest, so a
  // bad frame fails at once rather than after its extended length arrives.
  if (!is_known_opcode(op)) return close_code::kProtocolError;
  h.opcode = static_cast<Opcode>(op);
  if (h.rsv2 || h.rsv3) return close_code::kProtocolError;
  if (h.rsv1) {
    // RFC 7692 §6.1: only the first frame of a data message may carry the compressed bit.
    if (!options_.allow_rsv1 || is_control(h.opcode) || h.opcode == Opcode::continuation) {
      return close_code::kProtocolError;
    }
  }
  if (is_control(h.opcode) && (!h.fin || len7 > kMaxControlPayload)) {
    return close_code::kProtocolError;
  }
  if (h.masked != (options_.role == Role::server)) return close_code::kProtocolError;

  const size_t len_bytes = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  // The length is judged as soon as its bytes are here, without waiting for the mask key.
  if (hdr_len_ < 2 + len_bytes) {
    hdr_need_ = static_cast<uint8_t>(2 + len_bytes);
    return kHeaderIncomplete;
  }
  // Non-minimal length encodings (e.g. 5 sent in the 16-bit form) are accepted: RFC 6455 §5.2
  // puts "minimal" on the sender, and refusing buys nothing since every length is bounded
  // below. Only the 64-bit form's top bit is a violation.
  h.length = len_bytes ? read_be(hdr_buf_ + 2, len_bytes) : len7;
  if (len_bytes == 8 && (h.length >> 63)) return close_code::kProtocolError;
  // Control frames are already held to 125 bytes; the message limit is for data frames.
  if (!is_control(h.opcode) && h.length > options_.max_payload) return close_code::kTooBig;
  const size_t need = 2 + len_bytes + (h.masked ? 4 : 0);
  if (hdr_len_ < need) {
    hdr_need_ = static_cast<uint8_t>(need);
    return kHeaderIncomplete;
  }
  if (h.masked) std::memcpy(h.mask_key, hdr_buf_ + 2 + len_bytes, 4);
  header_ = h;
  return 0;
}

ParseResult FrameParser::parse(std::string_view in, std::string& payload) {
  size_t pos = 0;
  for (;;) {
    switch (state_) {
      case State::failed:
        return {ParseStatus::error, 0, fail_code_};

      case State::header: {
        const size_t take = std::min<size_t>(hdr_need_ - hdr_len_, in.size() - pos);
        if (take) std::memcpy(hdr_buf_ + hdr_len_, in.data() + pos, take);
        hdr_len_ = static_cast<uint8_t>(hdr_len_ + take);
        pos += take;
        if (hdr_len_ < hdr_need_) return {ParseStatus::need_more, pos, 0};
        const uint16_t r = decode_header();
        if (r == kHeaderIncomplete) continue;  // hdr_need_ grew; take the rest of the header
        if (r != 0) return fail(pos, r);
        state_ = State::payload;
        remaining_ = header_.length;
        mask_offset_ = 0;
        hdr_len_ = 0;
        hdr_need_ = 2;
        return {ParseStatus::header, pos, 0};
      }

      case State::payload: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - pos));
        if (take) {
          const size_t old = payload.size();
          payload.append(in.data() + pos, take);
          if (header_.masked)
            apply_mask(payload.data() + old, take, header_.mask_key, mask_offset_);
          mask_offset_ += take;
          remaining_ -= take;
          pos += take;
        }
        if (remaining_ == 0) {
          state_ = State::header;
          return {ParseStatus::frame, pos, 0};
        }
        return {ParseStatus::need_more, pos, 0};
      }
    }
  }
}

void apply_mask(char* data, size_t n, const uint8_t key[4], uint64_t offset) {
  // Rotate the key so that byte 0 of `data` meets key[offset % 4], then XOR 8 bytes at a time.
  uint8_t rot[8];
  for (int i = 0; i < 8; ++i) rot[i] = key[(offset + i) & 3];
  uint64_t word_mask;
  std::memcpy(&word_mask, rot, 8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= word_mask;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < n; ++i) data[i] = static_cast<char>(data[i] ^ rot[i & 7]);
}

size_t frame_header(Opcode op, uint64_t length, bool fin, char out[kMaxFrameHeader], bool rsv1) {
  return write_header(op, length, fin, rsv1, nullptr, out);
}

size_t client_frame_header(Opcode op, uint64_t length, bool fin, const uint8_t mask_key[4],
                           char out[kMaxFrameHeader], bool rsv1) {
  return write_header(op, length, fin, rsv1, mask_key, out);
}

std::string encode_frame(Opcode op, std::string_view payload, bool fin) {
  return encode(op, payload, fin, nullptr);
}

std::string encode_client_frame(Opcode op, std::string_view payload, const uint8_t mask_key[4],
                                bool fin) {
  return encode(op, payload, fin, mask_key);
}

std::string close_payload(uint16_t code, std::string_view reason) {
  if (code == close_code::kNoStatus) return {};
  constexpr size_t kMaxReason = kMaxControlPayload - 2;
  if (reason.size() > kMaxReason) {
    size_t cut = kMaxReason;
    // Back off over continuation bytes (10xxxxxx) so the reason stays valid UTF-8.
    while (cut > 0 && (static_cast<uint8_t>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  std::string p;
  p.reserve(2 + reason.size());
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p.append(reason);
  return p;
}

std::string encode_close(uint16_t code, std::string_view reason) {
  return encode_frame(Opcode::close, close_payload(code, reason));
}

}  // namespace herald::ws
