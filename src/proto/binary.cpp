#include "proto/binary.h"

#include <array>
#include <cstring>

namespace herald::proto {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for an alphabet character, 0xff for anything else.
constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0xff;
  for (uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = i;
  return t;
}
constexpr std::array<uint8_t, 256> kDecode = make_decode_table();

}  // namespace

void append_base64(std::string& out, std::string_view bytes) {
  size_t at = out.size();
  out.resize(at + base64_size(bytes.size()));
  char* p = out.data() + at;
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = uint32_t(s[i]) << 16 | uint32_t(s[i + 1]) << 8 | s[i + 2];
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = uint32_t(s[i]) << 16;
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = '=';
    *p++ = '=';
  } else if (n - i == 2) {
    uint32_t v = uint32_t(s[i]) << 16 | uint32_t(s[i + 1]) << 8;
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = '=';
  }
}

bool decode_base64(std::string_view text, std::string* out) {
  if (text.size() % 4 != 0) return false;
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  size_t at = out->size();
  out->resize(at + text.size() / 4 * 3 - pad);
  char* p = out->data() + at;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t full = pad ? text.size() - 4 : text.size();  // groups without padding
  for (size_t i = 0; i < full; i += 4) {
    uint8_t a = kDecode[s[i]], b = kDecode[s[i + 1]], c = kDecode[s[i + 2]], d = kDecode[s[i + 3]];
    if ((a | b | c | d) == 0xff) {
      out->resize(at);
      return false;
    }
    uint32_t v = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(c) << 6 | d;
    *p++ = char(v >> 16);
    *p++ = char(v >> 8);
    *p++ = char(v);
  }
  if (pad) {
    const unsigned char* g = s + full;
    uint8_t a = kDecode[g[0]], b = kDecode[g[1]];
    uint8_t c = pad == 1 ? kDecode[g[2]] : 0;
    // The bits a shorter group leaves unused must be zero: one text per byte string.
    bool bad = a == 0xff || b == 0xff || c == 0xff || (pad == 2 ? (b & 15) != 0 : (c & 3) != 0);
    if (bad) {
      out->resize(at);
      return false;
    }
    uint32_t v = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(c) << 6;
    *p++ = char(v >> 16);
    if (pad == 1) *p++ = char(v >> 8);
  }
  return true;
}

bool binary_fits(size_t bytes, const base::Settings& s) {
  if (bytes > s.ws_max_message) return false;
  return s.max_output_bytes == 0 || base64_size(bytes) + kBinaryPushOverhead <= s.max_output_bytes;
}

bool parse_binary_command(std::string_view frame, Command* out, ProtoError* err) {
  const void* nul = std::memchr(frame.data(), kBinarySeparator, frame.size());
  if (!nul) {
    // Without its NUL the frame is no command, whatever it holds; its id is still worth
    // finding when the whole frame happens to be a command object.
    bool parsed = parse_command(frame, out, err, Framing::binary);
    std::string id_text = parsed ? std::string() : std::move(err->id_text);
    *err = make_error(ProtoErrc::no_separator, parsed ? out->has_id : err->has_id,
                      parsed ? out->id : err->id);
    err->id_text = std::move(id_text);
    return false;
  }
  size_t split = size_t(static_cast<const char*>(nul) - frame.data());
  if (!parse_command(frame.substr(0, split), out, err, Framing::binary)) return false;
  if (out->op != Op::publish) {
    *err = make_error(ProtoErrc::binary_op, out->has_id, out->id);
    return false;
  }
  out->data.assign(frame.substr(split + 1));
  out->has_data = true;
  out->binary = true;
  return true;
}

void encode_binary_push(std::string& out, std::string_view channel, uint64_t offset,
                        std::string_view bytes) {
  out.append("{\"channel\":");
  append_json_string(out, channel);
  out.append(",\"offset\":");
  append_uint(out, offset);
  out.push_back('}');
  out.push_back(kBinarySeparator);
  out.append(bytes);
}

void encode_push_b64(std::string& out, std::string_view channel, uint64_t offset,
                     std::string_view bytes) {
  out.append("{\"channel\":");
  append_json_string(out, channel);
  out.append(",\"offset\":");
  append_uint(out, offset);
  out.append(",\"b64\":\"");
  append_base64(out, bytes);
  out.append("\"}");
}

}  // namespace herald::proto
