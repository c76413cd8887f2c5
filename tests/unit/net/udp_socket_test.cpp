#include "net/udp_socket.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::net {

namespace {
Address loopback0() {
  return Address::parse("127.0.0.1:0").value();
}
}  // namespace

TEST(UdpSocket, BatchedSendAndReceiveWithTruncation) {
  auto server = UdpSocket::bind(loopback0(), true, 0);
  ASSERT_TRUE(server.ok());
  auto client = UdpSocket::connect(server->local(), 0);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(client->send("hello"));
  ASSERT_TRUE(client->send(std::string(100, 'x')));  // longer than a slot below
  RecvBatch rb(8, 64);
  std::vector<std::string> got;
  std::vector<bool> truncated;
  for (int i = 0; i < 100000 && got.size() < 2; ++i) {
    size_t n = rb.recv(server->fd());
    for (size_t j = 0; j < n; ++j) {
      got.emplace_back(rb[j].bytes);
      truncated.push_back(rb[j].truncated);
      EXPECT_EQ(rb[j].from.port(), client->local().port());
    }
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "hello");
  EXPECT_FALSE(truncated[0]);
  EXPECT_EQ(got[1], std::string(64, 'x'));  // the first slot's worth, reported truncated
  EXPECT_TRUE(truncated[1]);

  // Header + body pairs with one sendmmsg, back to the client.
  SendBatch sb(4);
  std::string body = "-body";
  sb.add(client->local(), "h1", body);
  sb.add(client->local(), "h2", "");
  size_t dropped = 9;
  bool would_block = true;
  EXPECT_EQ(sb.send(server->fd(), &dropped, &would_block), 2u);
  EXPECT_EQ(dropped, 0u);
  EXPECT_FALSE(would_block);
  RecvBatch back(4, 64);
  size_t arrived = 0;
  std::string seen;
  for (int i = 0; i < 100000 && arrived < 2; ++i) {
    size_t k = back.recv(client->fd());
    for (size_t j = 0; j < k; ++j) seen += std::string(back[j].bytes) + "|";
    arrived += k;
  }
  EXPECT_EQ(seen, "h1-body|h2|");
}

TEST(UdpSocket, CheckUdpFreeSeesABoundPort) {
  auto s = UdpSocket::bind(loopback0(), true, 0);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(bool(check_udp_free(s->local())));
  // SO_REUSEPORT lets our own second socket join the same port.
  auto t = UdpSocket::bind(s->local(), true, 0);
  EXPECT_TRUE(t.ok());
  Address other = s->local();
  s->close();
  t->close();
  EXPECT_FALSE(bool(check_udp_free(other)));
}

}  // namespace herald::net
