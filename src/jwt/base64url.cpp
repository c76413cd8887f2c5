#include "jwt/base64url.h"

#include <array>
#include <cstdint>

namespace herald::jwt {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0..63 for the alphabet, 0xff for every other byte.
constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0xff;
  for (uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = i;
  return t;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

}  // namespace

void append_base64url(std::string* out, std::string_view bytes) {
  out->reserve(out->size() + base64url_encoded_size(bytes.size()));
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out->push_back(kAlphabet[v >> 18]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(kAlphabet[(v >> 6) & 63]);
    out->push_back(kAlphabet[v & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = byte(i) << 16;
    out->push_back(kAlphabet[v >> 18]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out->push_back(kAlphabet[v >> 18]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(kAlphabet[(v >> 6) & 63]);
  }
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  append_base64url(&out, bytes);
  return out;
}

bool base64url_decode(std::string_view text, std::string* out) {
  if (text.size() % 4 == 1) return false;
  out->resize(base64url_decoded_size(text.size()));
  auto* dst = reinterpret_cast<unsigned char*>(out->data());
  const auto* src = reinterpret_cast<const unsigned char*>(text.data());
  // Four characters make three bytes; a byte outside the alphabet sets bit 6 of `bad`
  // (0xff in the table), which is checked once at the end instead of per character.
  uint32_t bad = 0;
  size_t full = text.size() / 4;
  for (size_t i = 0; i < full; ++i, src += 4, dst += 3) {
    uint32_t a = kDecode[src[0]], b = kDecode[src[1]], c = kDecode[src[2]], d = kDecode[src[3]];
    bad |= a | b | c | d;
    uint32_t v = a << 18 | b << 12 | c << 6 | d;
    dst[0] = static_cast<unsigned char>(v >> 16);
    dst[1] = static_cast<unsigned char>(v >> 8);
    dst[2] = static_cast<unsigned char>(v);
  }
  size_t rest = text.size() % 4;
  if (rest >= 2) {
    uint32_t a = kDecode[src[0]], b = kDecode[src[1]];
    uint32_t c = rest == 3 ? kDecode[src[2]] : 0;
    bad |= a | b | c;
    uint32_t v = a << 18 | b << 12 | c << 6;
    dst[0] = static_cast<unsigned char>(v >> 16);
    if (rest == 3) dst[1] = static_cast<unsigned char>(v >> 8);
    // The bits past the last whole byte must be zero: 4 of them after two characters, 2
    // after three. An encoder writes them as zero; anything else is a second spelling.
    if ((rest == 2 && (b & 0x0f) != 0) || (rest == 3 && (c & 0x03) != 0)) return false;
  }
  return (bad & 0x40) == 0;
}

}  // namespace herald::jwt
