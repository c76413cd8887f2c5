#include "proto/json_scan.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace herald::proto::scan {
namespace {

// Deeper nesting is legal JSON (simdjson allows 1024 levels) but rare in a message: leave it
// to simdjson rather than recurse deeply here.
constexpr size_t kMaxDepth = 64;
// Up to 19 significant digits a decimal is exact in simdjson's fast path and can neither
// overflow nor be refused; a 19-digit integer fits int64 (negative: 18) or uint64.
constexpr size_t kMaxNumberDigits = 19;

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool at_end() const { return p_ == end_; }
  const char* pos() const { return p_; }
  bool ws_seen() const { return ws_seen_; }
  bool escaped() const { return escaped_; }
  void clear_ws_seen() { ws_seen_ = false; }

  void skip_ws() {
    while (p_ < end_ && is_ws(*p_)) {
      ++p_;
      ws_seen_ = true;
    }
  }

  bool at_quote() const { return p_ < end_ && *p_ == '"'; }

  bool eat(char c) {
    if (p_ >= end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // At '"': moves past the closing quote. Only ASCII text and the one-character escapes;
  // escaped() tells whether the string had one.
  bool string() {
    escaped_ = false;
    ++p_;
    while (true) {
#if defined(__SSE2__)
      // 16 bytes at a time to the next '"', '\\', control byte or non-ASCII byte (the signed
      // compare flags bytes >= 0x80 as "less than 0x20" too).
      const __m128i quote = _mm_set1_epi8('"');
      const __m128i backslash = _mm_set1_epi8('\\');
      const __m128i space = _mm_set1_epi8(0x20);
      while (end_ - p_ >= 16) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
        __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                         _mm_cmplt_epi8(v, space));
        unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
        if (mask == 0) {
          p_ += 16;
          continue;
        }
        p_ += __builtin_ctz(mask);
        break;
      }
#endif
      if (p_ >= end_) return false;
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c == '\\') {
        if (end_ - p_ < 2 || std::strchr("\"\\/bfnrt", p_[1]) == nullptr || p_[1] == '\0') {
          return false;  // \u escapes (surrogate rules) are left to simdjson
        }
        p_ += 2;
        escaped_ = true;
        continue;
      }
      if (c < 0x20 || c >= 0x80) return false;  // UTF-8 is left to simdjson
      ++p_;
    }
  }

  bool number() {
    bool negative = eat('-');
    const char* digits = p_;
    if (p_ >= end_) return false;
    if (*p_ == '0') {
      ++p_;
    } else if (is_digit(*p_)) {
      while (p_ < end_ && is_digit(*p_)) ++p_;
    } else {
      return false;
    }
    size_t n = static_cast<size_t>(p_ - digits);
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      const char* frac = p_;
      while (p_ < end_ && is_digit(*p_)) ++p_;
      if (p_ == frac) return false;
      n += static_cast<size_t>(p_ - frac);
      if (n > kMaxNumberDigits) return false;
    } else if (n > kMaxNumberDigits - (negative ? 1 : 0)) {
      return false;
    }
    return p_ >= end_ || (*p_ != 'e' && *p_ != 'E');  // exponents are left to simdjson
  }

  bool literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool value(size_t depth) {
    if (p_ >= end_) return false;
    switch (*p_) {
      case '"':
        return string();
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

 private:
  bool object(size_t depth) {
    if (depth > kMaxDepth) return false;
    ++p_;
    skip_ws();
    if (eat('}')) return true;
    while (true) {
      if (p_ >= end_ || *p_ != '"' || !string()) return false;
      skip_ws();
      if (!eat(':')) return false;
      skip_ws();
      if (!value(depth)) return false;
      skip_ws();
      if (eat('}')) return true;
      if (!eat(',')) return false;
      skip_ws();
    }
  }

  bool array(size_t depth) {
    if (depth > kMaxDepth) return false;
    ++p_;
    skip_ws();
    if (eat(']')) return true;
    while (true) {
      if (!value(depth)) return false;
      skip_ws();
      if (eat(']')) return true;
      if (!eat(',')) return false;
      skip_ws();
    }
  }

  const char* p_;
  const char* end_;
  bool ws_seen_ = false;  // whitespace skipped since clear_ws_seen()
  bool escaped_ = false;  // the last string() had an escape
};

}  // namespace

bool scan_object(std::string_view json, std::span<const std::string_view> names,
                 std::span<Field> fields) {
  for (Field& f : fields) f = Field{};
  Scanner s(json);
  s.skip_ws();
  if (!s.eat('{')) return false;
  s.skip_ws();
  if (!s.eat('}')) {
    while (true) {
      const char* key_start = s.pos();
      if (!s.at_quote() || !s.string()) return false;
      std::string_view key(key_start + 1, static_cast<size_t>(s.pos() - key_start - 2));
      // An escaped key could spell a known name; none of ours needs that: leave it.
      if (s.escaped()) return false;
      s.skip_ws();
      if (!s.eat(':')) return false;
      s.skip_ws();
      const char* value_start = s.pos();
      s.clear_ws_seen();
      if (!s.value(1)) return false;
      for (size_t i = 0; i < names.size() && i < fields.size(); ++i) {
        if (names[i] != key) continue;
        if (fields[i].seen) return false;  // duplicate: simdjson's path names the error
        fields[i] =
            Field{true, std::string_view(value_start, size_t(s.pos() - value_start)), !s.ws_seen()};
        break;
      }
      s.skip_ws();
      if (s.eat('}')) break;
      if (!s.eat(',')) return false;
      s.skip_ws();
    }
  }
  s.skip_ws();
  return s.at_end();
}

bool plain_string(std::string_view raw, std::string_view* out) {
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return false;
  std::string_view inner = raw.substr(1, raw.size() - 2);
  if (inner.find('\\') != std::string_view::npos) return false;
  *out = inner;
  return true;
}

}  // namespace herald::proto::scan
