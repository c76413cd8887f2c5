#include "http_codec/proxy_protocol.h"

#include <algorithm>
#include <cstring>

namespace herald::http {

namespace {

constexpr unsigned char kV2Signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                            0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view kV1Prefix = "PROXY ";

// A dotted IPv4 address, strictly: four decimal numbers 0..255 without leading zeros.
bool parse_ipv4(std::string_view s, unsigned char out[4]) {
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (s.empty() || s.front() != '.') return false;
      s.remove_prefix(1);
    }
    if (s.empty() || s.front() < '0' || s.front() > '9') return false;
    unsigned v = 0;
    size_t n = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9' && n < 3) v = v * 10 + unsigned(s[n++] - '0');
    if (v > 255 || (n > 1 && s[0] == '0')) return false;
    out[part] = static_cast<unsigned char>(v);
    s.remove_prefix(n);
  }
  return s.empty();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// An IPv6 address in text (RFC 4291 2.2, forms 1 and 2; the mixed form with a dotted IPv4 tail
// too), into 16 bytes.
bool parse_ipv6(std::string_view s, unsigned char out[16]) {
  uint16_t words[8] = {};
  int n = 0, gap = -1;
  if (s.starts_with("::")) {
    gap = 0;
    s.remove_prefix(2);
  }
  while (!s.empty()) {
    if (n == 8) return false;
    size_t len = 0;
    unsigned v = 0;
    while (len < s.size() && len < 4 && hex_value(s[len]) >= 0)
      v = v * 16 + unsigned(hex_value(s[len++]));
    if (len < s.size() && s[len] == '.') {  // dotted IPv4 tail: two words
      if (n > 6) return false;
      unsigned char v4[4];
      if (!parse_ipv4(s, v4)) return false;
      words[n++] = uint16_t(v4[0] << 8 | v4[1]);
      words[n++] = uint16_t(v4[2] << 8 | v4[3]);
      s = {};
      break;
    }
    if (len == 0) return false;
    words[n++] = uint16_t(v);
    s.remove_prefix(len);
    if (s.empty()) break;
    if (s.front() != ':') return false;
    s.remove_prefix(1);
    if (!s.empty() && s.front() == ':') {
      if (gap >= 0) return false;
      gap = n;
      s.remove_prefix(1);
    } else if (s.empty()) {
      return false;  // a trailing single ':'
    }
  }
  if (gap < 0 && n != 8) return false;
  if (gap >= 0 && n == 8) return false;
  uint16_t full[8] = {};
  int tail = gap >= 0 ? n - gap : 0;
  for (int i = 0; i < (gap >= 0 ? gap : n); ++i) full[i] = words[i];
  for (int i = 0; i < tail; ++i) full[8 - tail + i] = words[gap + i];
  for (int i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<unsigned char>(full[i] >> 8);
    out[2 * i + 1] = static_cast<unsigned char>(full[i] & 0xff);
  }
  return true;
}

bool parse_port(std::string_view s, uint16_t* out) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + unsigned(c - '0');
  }
  if (v > 65535) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

ProxyParse parse_v1(std::string_view in, ProxyHeader* out) {
  size_t crlf = in.find("\r\n");
  if (crlf == std::string_view::npos) {
    if (in.size() >= kMaxProxyV1Bytes) return ProxyParse::invalid;
    // Only printable ASCII may come before the CRLF.
    for (char c : in)
      if ((c < 0x20 || c > 0x7e) && c != '\r') return ProxyParse::invalid;
    return ProxyParse::need_more;
  }
  if (crlf + 2 > kMaxProxyV1Bytes) return ProxyParse::invalid;
  std::string_view line = in.substr(kV1Prefix.size(), crlf - kV1Prefix.size());
  *out = ProxyHeader{};
  out->length = crlf + 2;
  if (line.starts_with("UNKNOWN")) return ProxyParse::complete;  // the rest is ignored
  std::string_view fields[5];
  for (int i = 0; i < 5; ++i) {
    size_t sp = line.find(' ');
    if ((i < 4) != (sp != std::string_view::npos)) return ProxyParse::invalid;
    fields[i] = line.substr(0, sp);
    line = i < 4 ? line.substr(sp + 1) : std::string_view{};
  }
  unsigned char dst[16];
  uint16_t dport = 0;
  if (fields[0] == "TCP4") {
    if (!parse_ipv4(fields[1], out->source) || !parse_ipv4(fields[2], dst))
      return ProxyParse::invalid;
  } else if (fields[0] == "TCP6") {
    out->ipv6 = true;
    if (!parse_ipv6(fields[1], out->source) || !parse_ipv6(fields[2], dst))
      return ProxyParse::invalid;
  } else {
    return ProxyParse::invalid;
  }
  if (!parse_port(fields[3], &out->source_port) || !parse_port(fields[4], &dport))
    return ProxyParse::invalid;
  out->has_source = true;
  return ProxyParse::complete;
}

ProxyParse parse_v2(std::string_view in, ProxyHeader* out) {
  if (in.size() < 16) return ProxyParse::need_more;
  auto b = reinterpret_cast<const unsigned char*>(in.data());
  unsigned version = b[12] >> 4, command = b[12] & 0x0f;
  if (version != 2 || command > 1) return ProxyParse::invalid;
  size_t len = size_t(b[14]) << 8 | b[15];
  if (16 + len > kMaxProxyV2Bytes) return ProxyParse::invalid;
  if (in.size() < 16 + len) return ProxyParse::need_more;
  *out = ProxyHeader{};
  out->length = 16 + len;
  if (command == 0) return ProxyParse::complete;  // LOCAL: the proxy's own connection
  unsigned family = b[13] >> 4, transport = b[13] & 0x0f;
  const unsigned char* a = b + 16;
  if (family == 1 && (transport == 1 || transport == 2)) {  // IPv4: src, dst, sport, dport
    if (len < 12) return ProxyParse::invalid;
    std::memcpy(out->source, a, 4);
    out->source_port = uint16_t(a[8] << 8 | a[9]);
    out->has_source = true;
  } else if (family == 2 && (transport == 1 || transport == 2)) {  // IPv6
    if (len < 36) return ProxyParse::invalid;
    std::memcpy(out->source, a, 16);
    out->source_port = uint16_t(a[32] << 8 | a[33]);
    out->ipv6 = true;
    out->has_source = true;
  }
  // UNSPEC or a UNIX socket: no usable source; the connection keeps its address.
  return ProxyParse::complete;
}

}  // namespace

ProxyParse parse_proxy_header(std::string_view in, ProxyHeader* out) {
  if (in.empty()) return ProxyParse::need_more;
  if (static_cast<unsigned char>(in[0]) == kV2Signature[0] && in.size() >= 1) {
    size_t n = std::min(in.size(), sizeof kV2Signature);
    if (std::memcmp(in.data(), kV2Signature, n) != 0) return ProxyParse::invalid;
    if (n < sizeof kV2Signature) return ProxyParse::need_more;
    return parse_v2(in, out);
  }
  size_t n = std::min(in.size(), kV1Prefix.size());
  if (in.substr(0, n) != kV1Prefix.substr(0, n)) return ProxyParse::invalid;
  if (n < kV1Prefix.size()) return ProxyParse::need_more;
  return parse_v1(in, out);
}

}  // namespace herald::http
