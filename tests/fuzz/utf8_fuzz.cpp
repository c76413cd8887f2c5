// fuzz-links: ws_codec
// Checks Utf8Validator against a slow, obviously-correct reference written from RFC 3629 §4:
// the index of the first byte where the input stops being a prefix of valid UTF-8 must agree
// (fail-fast), whether the input ends on a code point boundary must agree, and any split of the
// input must give the same answer as one feed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ws_codec/utf8.h"

namespace {

// Could a sequence of `total` bytes starting with `have` (its first bytes, lead included) still
// be completed into a valid scalar value? The completions form one contiguous range of code
// points: fill the missing continuation bytes with 0x80 (smallest) or 0xBF (largest).
bool completable(const uint8_t* have, size_t n, size_t total) {
  uint32_t lo = 0, hi = 0;
  const uint8_t lead_bits = total == 2 ? 0x1F : total == 3 ? 0x0F : 0x07;
  lo = hi = have[0] & lead_bits;
  for (size_t i = 1; i < total; ++i) {
    if (i < n) {
      if ((have[i] & 0xC0) != 0x80) return false;
      lo = (lo << 6) | (have[i] & 0x3F);
      hi = (hi << 6) | (have[i] & 0x3F);
    } else {
      lo = lo << 6;
      hi = (hi << 6) | 0x3F;
    }
  }
  const uint32_t min_cp = total == 2 ? 0x80 : total == 3 ? 0x800 : 0x10000;
  const uint32_t max_cp = total == 2 ? 0x7FF : total == 3 ? 0xFFFF : 0x10FFFF;
  if (hi < min_cp || lo > max_cp) return false;    // only overlong or beyond U+10FFFF
  if (lo >= 0xD800 && hi <= 0xDFFF) return false;  // only surrogates
  return true;
}

size_t sequence_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 0;  // a continuation byte or 0xF8..0xFF
}

// Index of the first byte after which the input can no longer be valid, or `n` if none; sets
// `boundary` to whether the input ends between code points.
size_t reference_first_bad(const uint8_t* s, size_t n, bool& boundary) {
  size_t i = 0;
  boundary = true;
  while (i < n) {
    const size_t len = sequence_length(s[i]);
    if (len == 0) return i;
    if (len == 1) {
      ++i;
      continue;
    }
    for (size_t j = 1; j <= len; ++j) {
      const size_t have = std::min(j, n - i);
      if (!completable(s + i, have, len)) return i + have - 1;
      if (have < j) {  // input ended inside the sequence
        boundary = false;
        return n;
      }
    }
    i += len;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  bool boundary = true;
  const size_t bad = reference_first_bad(data, size, boundary);

  // Byte at a time: the validator must turn false exactly on the reference's first bad byte.
  herald::ws::Utf8Validator v;
  size_t first_false = size;
  for (size_t i = 0; i < size; ++i) {
    if (!v.feed(in.substr(i, 1))) {
      first_false = i;
      break;
    }
  }
  if (first_false != bad) std::abort();
  if (bad == size && v.complete() != boundary) std::abort();

  // One feed, and a split at a position taken from the input itself.
  const bool whole = herald::ws::is_valid_utf8(in);
  if (whole != (bad == size && boundary)) std::abort();
  if (size > 0) {
    const size_t cut = data[0] % (size + 1);
    herald::ws::Utf8Validator s;
    const bool ok = s.feed(in.substr(0, cut)) && s.feed(in.substr(cut));
    if (ok != (bad == size)) std::abort();
    if (ok && s.complete() != boundary) std::abort();
  }
  return 0;
}
