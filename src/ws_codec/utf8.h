#pragma once
// Incremental UTF-8 validation for WebSocket text messages (RFC 6455 §8.1, RFC 3629).
// A text message may arrive split across frames and reads at any byte, and Autobahn's 6.x cases
// expect the connection to fail on the fragment holding the first bad byte, not at message end.
// So the validator keeps only a DFA state between calls and says "no" as soon as the bytes so far
// cannot begin any valid UTF-8 string.
#include <cstdint>
#include <string_view>

namespace herald::ws {

class Utf8Validator {
 public:
  /// Validates `bytes` as the continuation of everything fed since the last reset().
  /// Returns false as soon as the input so far is not a prefix of valid UTF-8 (overlong forms,
  /// surrogates U+D800..U+DFFF, code points above U+10FFFF, stray or missing continuation
  /// bytes, 0xC0/0xC1/0xF5..0xFF). Once false, it stays false until reset().
  bool feed(std::string_view bytes);
  /// True when everything fed is valid and ends on a code point boundary.
  bool complete() const { return state_ == kAccept; }
  /// True once the validator has seen an invalid sequence.
  bool failed() const { return state_ == kReject; }
  /// Starts a new message.
  void reset() { state_ = kAccept; }

 private:
  static constexpr uint8_t kAccept = 0;
  static constexpr uint8_t kReject = 12;
  uint8_t state_ = kAccept;
};

/// One-shot check of a complete string (close reasons, handshake values).
bool is_valid_utf8(std::string_view bytes);

}  // namespace herald::ws
