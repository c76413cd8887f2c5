#include "net/listener.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "loop/loop.h"

namespace herald::net {
namespace {

TEST(CheckAddressFree, RefusesAPortAListenerHoldsEvenWithReusePort) {
  loop::Loop loop;
  auto any = Address::parse("127.0.0.1:0");
  ASSERT_TRUE(any.ok());
  auto l = Listener::open(loop, any.value(), /*reuse_port=*/true, [](int, const Address&) {});
  ASSERT_TRUE(l.ok());
  const Address& bound = l.value()->address();
  ASSERT_NE(bound.port(), 0);
  EXPECT_EQ(check_address_free(bound), std::errc::address_in_use);
  // The same port is free again once the listener is gone.
  l.value()->close();
  EXPECT_FALSE(check_address_free(bound));
}

TEST(CheckAddressFree, PortZeroAlwaysPasses) {
  auto any = Address::parse("127.0.0.1:0");
  ASSERT_TRUE(any.ok());
  EXPECT_FALSE(check_address_free(any.value()));
}

}  // namespace
}  // namespace herald::net
