#include "http_codec/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::http {
namespace {

std::string v2(unsigned char cmd, unsigned char fam, std::string addr) {
  std::string s("\r\n\r\n\0\r\nQUIT\n", 12);
  s += char(cmd);
  s += char(fam);
  s += char(addr.size() >> 8);
  s += char(addr.size() & 0xff);
  return s + addr;
}

TEST(ProxyProtocol, V1Tcp4AndTcp6) {
  ProxyHeader h;
  std::string in = "PROXY TCP4 203.0.113.7 10.0.0.1 4711 80\r\nGET / HTTP/1.1\r\n";
  ASSERT_EQ(parse_proxy_header(in, &h), ProxyParse::complete);
  EXPECT_EQ(h.length, in.find("GET"));
  EXPECT_TRUE(h.has_source);
  EXPECT_FALSE(h.ipv6);
  EXPECT_EQ(h.source[0], 203);
  EXPECT_EQ(h.source[3], 7);
  EXPECT_EQ(h.source_port, 4711);
  ASSERT_EQ(parse_proxy_header("PROXY TCP6 2001:db8::1 ::1 1 2\r\n", &h), ProxyParse::complete);
  EXPECT_TRUE(h.ipv6);
  EXPECT_EQ(h.source[0], 0x20);
  EXPECT_EQ(h.source[15], 1);
  ASSERT_EQ(parse_proxy_header("PROXY UNKNOWN whatever\r\n", &h), ProxyParse::complete);
  EXPECT_FALSE(h.has_source);
}

TEST(ProxyProtocol, EveryPrefixNeedsMoreAndGarbageIsInvalid) {
  std::string in = "PROXY TCP4 203.0.113.7 10.0.0.1 4711 80\r\n";
  ProxyHeader h;
  for (size_t n = 0; n < in.size(); ++n)
    EXPECT_EQ(parse_proxy_header(in.substr(0, n), &h), ProxyParse::need_more) << n;
  for (std::string bad : std::initializer_list<std::string>{
           "GET / HTTP/1.1\r\n", "PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n",
           "PROXY TCP4 1.2.3.256 1.2.3.4 1 2\r\n", "PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n",
           "PROXY TCP4 01.2.3.4 1.2.3.4 1 2\r\n", "PROXY TCP4 1.2.3.4 1.2.3.4 1 65536\r\n",
           "PROXY TCP6 1::2::3 ::1 1 2\r\n", std::string(200, 'P')})
    EXPECT_EQ(parse_proxy_header(bad, &h), ProxyParse::invalid) << bad;
  EXPECT_EQ(parse_proxy_header("PROXY TCP4 " + std::string(120, '1'), &h), ProxyParse::invalid);
}

TEST(ProxyProtocol, V2ProxyLocalAndTlvs) {
  ProxyHeader h;
  std::string addr = {char(203), 0, 113, 9, 10, 0, 0, 1, 0x12, 0x67, 0, 80};
  std::string in = v2(0x21, 0x11, addr + std::string("\x04\x00\x01x", 4)) + "GET";
  ASSERT_EQ(parse_proxy_header(in, &h), ProxyParse::complete);
  EXPECT_EQ(h.length, in.size() - 3);
  EXPECT_TRUE(h.has_source);
  EXPECT_EQ(h.source[0], 203);
  EXPECT_EQ(h.source_port, 0x1267);
  ASSERT_EQ(parse_proxy_header(v2(0x20, 0x00, ""), &h), ProxyParse::complete);  // LOCAL
  EXPECT_FALSE(h.has_source);
  std::string a6(36, '\0');
  a6[0] = char(0x20);
  a6[15] = 1;
  ASSERT_EQ(parse_proxy_header(v2(0x21, 0x21, a6), &h), ProxyParse::complete);
  EXPECT_TRUE(h.ipv6 && h.has_source);
  for (size_t n = 0; n < in.size() - 3; ++n)
    EXPECT_EQ(parse_proxy_header(in.substr(0, n), &h), ProxyParse::need_more) << n;
  EXPECT_EQ(parse_proxy_header(v2(0x31, 0x11, addr), &h), ProxyParse::invalid);  // version 3
  EXPECT_EQ(parse_proxy_header(v2(0x21, 0x11, "short"), &h), ProxyParse::invalid);
  std::string bad_sig = in;
  bad_sig[5] = 'X';
  EXPECT_EQ(parse_proxy_header(bad_sig, &h), ProxyParse::invalid);
}

}  // namespace
}  // namespace herald::http
