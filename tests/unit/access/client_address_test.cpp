#include "access/client_address.h"

#include <gtest/gtest.h>

namespace herald::access {
namespace {

net::Address ip(std::string_view s) {
  return net::Address::parse_ip(s).value();
}

std::string who(std::string_view peer, std::string_view fwd, std::string_view xff,
                const TrustedProxies& t) {
  auto a = client_address(ip(peer), fwd, xff, t);
  return a ? a->host() : "?";
}

TEST(ClientAddress, HeadersOfAnUntrustedPeerAreIgnored) {
  TrustedProxies none;
  EXPECT_EQ(who("198.51.100.1", "for=127.0.0.1", "127.0.0.1", none), "198.51.100.1");
  TrustedProxies t({"10.0.0.0/8"});
  EXPECT_EQ(who("198.51.100.1", "for=127.0.0.1", "127.0.0.1", t), "198.51.100.1");
}

TEST(ClientAddress, XForwardedForIsReadFromTheRightPastTrustedHops) {
  TrustedProxies t({"127.0.0.1", "10.0.0.0/8"});
  EXPECT_EQ(who("127.0.0.1", "", "203.0.113.7", t), "203.0.113.7");
  // A client may write anything at the left: only the hop our proxies saw counts.
  EXPECT_EQ(who("127.0.0.1", "", "127.0.0.1, 203.0.113.7, 10.1.2.3", t), "203.0.113.7");
  EXPECT_EQ(who("127.0.0.1", "", "2001:db8::5", t), "2001:db8::5");
  EXPECT_EQ(who("127.0.0.1", "", "203.0.113.7:4711", t), "203.0.113.7");
  // Every hop trusted: the leftmost is as far as the chain goes.
  EXPECT_EQ(who("127.0.0.1", "", "10.9.9.9, 10.1.1.1", t), "10.9.9.9");
}

TEST(ClientAddress, ForwardedWinsAndItsForParameterIsRead) {
  TrustedProxies t({"127.0.0.1"});
  EXPECT_EQ(who("127.0.0.1", "for=192.0.2.60;proto=http;by=203.0.113.43", "198.51.100.9", t),
            "192.0.2.60");
  EXPECT_EQ(who("127.0.0.1", R"(For="[2001:db8:cafe::17]:4711")", "", t), "2001:db8:cafe::17");
  EXPECT_EQ(who("127.0.0.1", "for=192.0.2.43, for=127.0.0.1", "", t), "192.0.2.43");
}

TEST(ClientAddress, AProxyThatCannotNameTheClientMakesItUnknownNotLoopback) {
  TrustedProxies t({"127.0.0.1"});
  EXPECT_EQ(who("127.0.0.1", "", "", t), "?");
  EXPECT_EQ(who("127.0.0.1", "for=unknown", "", t), "?");
  EXPECT_EQ(who("127.0.0.1", "for=_hidden", "", t), "?");
  EXPECT_EQ(who("127.0.0.1", "", "not-an-address", t), "?");
  EXPECT_EQ(who("127.0.0.1", "", "203.0.113.7, garbage", t), "?");
}

TEST(ClientAddress, CidrsMatchByPrefixAndIpv4MatchesMappedIpv6) {
  TrustedProxies t({"192.168.0.0/16", "fd00::/8"});
  EXPECT_TRUE(t.contains(ip("192.168.44.1")));
  EXPECT_FALSE(t.contains(ip("192.169.0.1")));
  EXPECT_TRUE(t.contains(ip("fd12::1")));
  EXPECT_FALSE(t.contains(ip("fe80::1")));
  EXPECT_TRUE(t.contains(ip("::ffff:192.168.1.1")));
  TrustedProxies odd({"10.0.0.0/9"});
  EXPECT_TRUE(odd.contains(ip("10.127.255.255")));
  EXPECT_FALSE(odd.contains(ip("10.128.0.0")));
}

}  // namespace
}  // namespace herald::access
