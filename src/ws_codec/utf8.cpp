#include "ws_codec/utf8.h"

#include <cstring>

namespace herald::ws {

namespace {

// Björn Höhrmann's DFA ("Flexible and Economical UTF-8 Decoder"), validation only.
// The first 256 entries map a byte to a character class; the rest map (state + class) to the
// next state. States are multiples of 12 so that a transition is one add and one load.
// 0 accepts; 12 rejects for good; the others are "inside a sequence" with a narrowed range for
// the next byte, which is how overlongs (E0 80, F0 80), surrogates (ED A0) and > U+10FFFF
// (F4 90) are refused at the byte that makes them so.
constexpr uint8_t kDfa[] = {
    // 0x00..0x7F: ASCII
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    // 0x80..0x8F, 0x90..0x9F
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
    // 0xA0..0xBF
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    // 0xC0..0xDF (C0, C1 can only start overlongs)
    8, 8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    // 0xE0..0xEF (E0 and ED narrowed), 0xF0..0xFF (F0, F4 narrowed; F5.. invalid)
    10, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 3, 3, 11, 6, 6, 6, 5, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8,
    // transitions: state 0, 12, 24, 36, 48, 60, 72, 84, 96 x classes 0..11
    0, 12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72,   // 0: accept
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,  // 12: reject
    12, 0, 12, 12, 12, 12, 12, 0, 12, 0, 12, 12,     // 24: one continuation left
    12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12,  // 36: two left
    12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12,  // 48: after E0, need A0..BF
    12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12,  // 60: after ED, need 80..9F
    12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12,  // 72: after F0, need 90..BF
    12, 36, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12,  // 84: after F1..F3, three left
    12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,  // 96: after F4, need 80..8F
};
static_assert(sizeof(kDfa) == 256 + 9 * 12);

constexpr uint64_t kHighBits = 0x8080808080808080ull;

}  // namespace

bool Utf8Validator::feed(std::string_view bytes) {
  if (state_ == kReject) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t* end = p + bytes.size();
  uint32_t state = state_;
  while (p < end) {
    // JSON text is mostly ASCII: between code points, skip 8 ASCII bytes per step.
    if (state == kAccept) {
      while (end - p >= 8) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        if (word & kHighBits) break;
        p += 8;
      }
      if (p == end) break;
    }
    state = kDfa[256 + state + kDfa[*p]];
    if (state == kReject) break;
    ++p;
  }
  state_ = static_cast<uint8_t>(state);
  return state_ != kReject;
}

bool is_valid_utf8(std::string_view bytes) {
  Utf8Validator v;
  return v.feed(bytes) && v.complete();
}

}  // namespace herald::ws
