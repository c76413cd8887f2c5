#include "udp/cookie.h"

#include <gtest/gtest.h>

namespace herald::udp {
namespace {

net::Address addr(const char* s) {
  return net::Address::parse(s).value();
}

CookieSecret fixed(uint8_t fill) {
  CookieSecret s;
  s.bytes.fill(fill);
  return s;
}

}  // namespace

TEST(UdpCookie, ValidForTheSameAddressPortAndSessionInTwoWindows) {
  CookieJar jar(fixed(1));
  net::Address a = addr("127.0.0.1:40000");
  uint64_t t = 1'000'000'000;  // a window boundary is at a multiple of kCookieWindowSec
  t -= t % kCookieWindowSec;
  udp_codec::Cookie c = jar.make(a, 42, t);
  EXPECT_TRUE(jar.check(c, a, 42, t));
  EXPECT_TRUE(jar.check(c, a, 42, t + kCookieWindowSec - 1));
  EXPECT_TRUE(jar.check(c, a, 42, t + 2 * kCookieWindowSec - 1));  // the next window too
  EXPECT_FALSE(jar.check(c, a, 42, t + 2 * kCookieWindowSec));     // then it is stale
  EXPECT_FALSE(jar.check(c, a, 42, t - 1));                        // not from the future
}

TEST(UdpCookie, BoundToAddressPortAndSession) {
  CookieJar jar(fixed(1));
  uint64_t t = 1'700'000'000;
  udp_codec::Cookie c = jar.make(addr("127.0.0.1:40000"), 42, t);
  EXPECT_FALSE(jar.check(c, addr("127.0.0.1:40001"), 42, t));
  EXPECT_FALSE(jar.check(c, addr("127.0.0.2:40000"), 42, t));
  EXPECT_FALSE(jar.check(c, addr("127.0.0.1:40000"), 43, t));
  EXPECT_FALSE(jar.check(c, addr("[::1]:40000"), 42, t));
  udp_codec::Cookie v6 = jar.make(addr("[::1]:40000"), 42, t);
  EXPECT_TRUE(jar.check(v6, addr("[::1]:40000"), 42, t));
  EXPECT_NE(v6, c);
}

TEST(UdpCookie, ForgedOrFromAnotherSecretIsRefused) {
  CookieJar jar(fixed(1));
  CookieJar other(fixed(2));
  net::Address a = addr("10.0.0.1:5000");
  uint64_t t = 1'700'000'000;
  udp_codec::Cookie c = jar.make(a, 7, t);
  EXPECT_FALSE(other.check(c, a, 7, t));
  for (size_t i = 0; i < c.size(); ++i) {
    udp_codec::Cookie bad = c;
    bad[i] ^= 0x01;
    EXPECT_FALSE(jar.check(bad, a, 7, t)) << "byte " << i;
  }
}

TEST(UdpCookie, TheWindowKeyRotates) {
  // The tag of the same input differs from one window to the next: the key in use changes
  // (a leaked window key is worth one or two windows).
  CookieJar jar(fixed(3));
  net::Address a = addr("127.0.0.1:1");
  uint64_t t = 1'700'000'000;
  udp_codec::Cookie c1 = jar.make(a, 1, t);
  udp_codec::Cookie c2 = jar.make(a, 1, t + kCookieWindowSec);
  EXPECT_NE(std::vector<uint8_t>(c1.begin() + 4, c1.end()),
            std::vector<uint8_t>(c2.begin() + 4, c2.end()));
  // Many windows in a row: the jar keeps two keys and still checks each cookie right.
  for (uint64_t w = 0; w < 10; ++w) {
    uint64_t now = t + w * kCookieWindowSec;
    udp_codec::Cookie c = jar.make(a, 1, now);
    EXPECT_TRUE(jar.check(c, a, 1, now));
    EXPECT_TRUE(jar.check(c, a, 1, now + kCookieWindowSec));
  }
}

TEST(UdpCookie, RandomSecretsDiffer) {
  EXPECT_NE(CookieSecret::random().bytes, CookieSecret::random().bytes);
}

}  // namespace herald::udp
