#pragma once
// The PROXY protocol header (HAProxy's spec, versions 1 and 2) that a load balancer sends at the
// start of a TCP connection to say whom it is forwarding. herald reads it only from peers in
// server.trusted_proxies, and only with server.proxy_protocol on. Pure: bytes in, the header or
// need-more or invalid out; no I/O, fuzzed.
//
//   v1: "PROXY TCP4 SRC DST SPORT DPORT\r\n" (or TCP6, or "PROXY UNKNOWN ...\r\n"), at most
//       107 bytes with its CRLF;
//   v2: the 12-byte signature \r\n\r\n\0\r\nQUIT\n, a version/command byte (0x21 PROXY,
//       0x20 LOCAL), a family/protocol byte, a 16-bit length, then the addresses (and TLVs,
//       which are skipped), at most kMaxProxyV2Bytes in all.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace herald::http {

inline constexpr size_t kMaxProxyV1Bytes = 107;
inline constexpr size_t kMaxProxyV2Bytes = 16 + 536;  // header + addresses + a few TLVs

struct ProxyHeader {
  size_t length = 0;        // bytes the header took (to consume)
  bool has_source = false;  // false: LOCAL / UNKNOWN / UNSPEC: keep the connection's address
  bool ipv6 = false;        // the source is IPv6 (16 bytes) rather than IPv4 (4 bytes)
  unsigned char source[16] = {};
  uint16_t source_port = 0;  // host order
};

enum class ProxyParse { complete, need_more, invalid };

/// Parses the header at the start of `in`. complete: `*out` is filled. need_more: `in` is a
/// proper prefix of a header that may still be valid. invalid: it cannot be one (the
/// connection should be closed: a trusted proxy that speaks the protocol never sends this).
ProxyParse parse_proxy_header(std::string_view in, ProxyHeader* out);

}  // namespace herald::http
