#include "base/base64.h"

#include <array>
#include <cstdint>

namespace herald::base {
namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0..63 for a character of `alphabet`, 0xff for every other byte.
constexpr std::array<uint8_t, 256> make_decode_table(const char* alphabet) {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0xff;
  for (uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = i;
  return t;
}
constexpr std::array<uint8_t, 256> kStandardDecode = make_decode_table(kStandard);
constexpr std::array<uint8_t, 256> kUrlDecode = make_decode_table(kUrl);

}  // namespace

void append_base64(std::string& out, std::string_view bytes, Base64Form form) {
  const char* alphabet = form == Base64Form::url ? kUrl : kStandard;
  size_t at = out.size();
  out.resize(at + base64_encoded_size(bytes.size(), form));
  char* p = out.data() + at;
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = uint32_t(s[i]) << 16 | uint32_t(s[i + 1]) << 8 | s[i + 2];
    *p++ = alphabet[v >> 18];
    *p++ = alphabet[(v >> 12) & 63];
    *p++ = alphabet[(v >> 6) & 63];
    *p++ = alphabet[v & 63];
  }
  size_t rest = n - i;
  if (rest == 0) return;
  uint32_t v = uint32_t(s[i]) << 16 | (rest == 2 ? uint32_t(s[i + 1]) << 8 : 0);
  *p++ = alphabet[v >> 18];
  *p++ = alphabet[(v >> 12) & 63];
  if (rest == 2) *p++ = alphabet[(v >> 6) & 63];
  if (form == Base64Form::standard) {
    *p++ = '=';
    if (rest == 1) *p++ = '=';
  }
}

bool decode_base64(std::string_view text, std::string* out, Base64Form form) {
  if (form == Base64Form::standard) {
    // Padded to a multiple of 4; without its padding the text is the unpadded form.
    if (text.size() % 4 != 0) return false;
    if (!text.empty() && text.back() == '=')
      text.remove_suffix(text[text.size() - 2] == '=' ? 2 : 1);
  }
  if (text.size() % 4 == 1) return false;  // no byte string encodes to that length
  const auto& table = form == Base64Form::url ? kUrlDecode : kStandardDecode;
  size_t at = out->size();
  size_t rest = text.size() % 4;
  out->resize(at + text.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1));
  auto* dst = reinterpret_cast<unsigned char*>(out->data() + at);
  const auto* src = reinterpret_cast<const unsigned char*>(text.data());
  // Four characters make three bytes; a byte outside the alphabet sets bit 6 of `bad` (0xff
  // in the table), which is checked once at the end instead of per character.
  uint32_t bad = 0;
  for (size_t g = text.size() / 4; g > 0; --g, src += 4, dst += 3) {
    uint32_t a = table[src[0]], b = table[src[1]], c = table[src[2]], d = table[src[3]];
    bad |= a | b | c | d;
    uint32_t v = a << 18 | b << 12 | c << 6 | d;
    dst[0] = static_cast<unsigned char>(v >> 16);
    dst[1] = static_cast<unsigned char>(v >> 8);
    dst[2] = static_cast<unsigned char>(v);
  }
  if (rest >= 2) {
    uint32_t a = table[src[0]], b = table[src[1]];
    uint32_t c = rest == 3 ? table[src[2]] : 0;
    bad |= a | b | c;
    uint32_t v = a << 18 | b << 12 | c << 6;
    dst[0] = static_cast<unsigned char>(v >> 16);
    if (rest == 3) dst[1] = static_cast<unsigned char>(v >> 8);
    // The bits past the last whole byte must be zero: 4 of them after two characters, 2
    // after three. An encoder writes them as zero; anything else is a second spelling.
    if ((rest == 2 && (b & 0x0f) != 0) || (rest == 3 && (c & 0x03) != 0)) bad |= 0x40;
  }
  if (bad & 0x40) {
    out->resize(at);
    return false;
  }
  return true;
}

}  // namespace herald::base
