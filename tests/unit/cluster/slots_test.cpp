#include "cluster/slots.h"

#include <gtest/gtest.h>

namespace herald::cluster {
namespace {

Reply str(std::string s) {
  Reply r;
  r.type = Reply::Type::string;
  r.str = std::move(s);
  return r;
}
Reply num(int64_t v) {
  Reply r;
  r.type = Reply::Type::integer;
  r.integer = v;
  return r;
}
Reply arr(std::vector<Reply> v) {
  Reply r;
  r.type = Reply::Type::array;
  r.elements = std::move(v);
  return r;
}
Reply err(std::string s) {
  Reply r;
  r.type = Reply::Type::error;
  r.str = std::move(s);
  return r;
}

TEST(Slots, Crc16AndKeySlotMatchRedis) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);  // the check value of CRC16-CCITT (XModem)
  EXPECT_EQ(key_slot("foo"), 12182u);     // CLUSTER KEYSLOT foo
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(key_slot("foo{}{bar}"), crc16("foo{}{bar}") % kClusterSlots);  // empty tag: whole key
  EXPECT_EQ(key_slot("herald:{public:news}:m"), channel_slot("public:news"));
  EXPECT_EQ(key_slot("herald:{public:news}"), channel_slot("public:news"));
}

TEST(Slots, ParsesClusterSlots) {
  net::Address asked = net::Address::parse("127.0.0.1:7000").value();
  Reply r = arr({
      arr({num(5461), num(10922), arr({str("127.0.0.1"), num(7001), str("id2")}),
           arr({str("127.0.0.1"), num(7004), str("id5")})}),
      arr({num(0), num(5460), arr({str(""), num(7000), str("id1")})}),
      arr({num(10923), num(16383), arr({str("127.0.0.1"), num(7002), str("id3")})}),
  });
  auto map = parse_cluster_slots(r, asked);
  ASSERT_TRUE(map.ok());
  EXPECT_TRUE(map->complete());
  EXPECT_EQ(map->master_of(0)->to_string(), "127.0.0.1:7000");  // empty host: the one asked
  EXPECT_EQ(map->master_of(5461)->to_string(), "127.0.0.1:7001");
  EXPECT_EQ(map->master_of(16383)->to_string(), "127.0.0.1:7002");
  EXPECT_EQ(map->master_of(16384), nullptr);
}

TEST(Slots, RefusesBadMaps) {
  net::Address asked = net::Address::parse("127.0.0.1:7000").value();
  EXPECT_FALSE(parse_cluster_slots(str("x"), asked).ok());
  EXPECT_FALSE(parse_cluster_slots(arr({arr({num(10), num(5), arr({str("h"), num(1)})})}), asked)
                   .ok());  // last < first
  EXPECT_FALSE(
      parse_cluster_slots(arr({arr({num(0), num(20000), arr({str("127.0.0.1"), num(1)})})}), asked)
          .ok());  // past the last slot
  EXPECT_FALSE(
      parse_cluster_slots(arr({arr({num(0), num(10), arr({str("host.example"), num(1)})})}),
                          asked)
          .ok());  // names are not resolved on a loop
  auto overlapping = arr({arr({num(0), num(10), arr({str("127.0.0.1"), num(1)})}),
                          arr({num(5), num(16383), arr({str("127.0.0.1"), num(2)})})});
  EXPECT_FALSE(parse_cluster_slots(overlapping, asked).ok());
  auto partial =
      parse_cluster_slots(arr({arr({num(0), num(10), arr({str("127.0.0.1"), num(1)})})}), asked);
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->complete());
}

TEST(Slots, ParsesRedirects) {
  auto moved = parse_redirect(err("MOVED 3999 127.0.0.1:6381"));
  ASSERT_TRUE(moved);
  EXPECT_FALSE(moved->ask);
  EXPECT_EQ(moved->slot, 3999u);
  EXPECT_EQ(moved->target.to_string(), "127.0.0.1:6381");
  auto ask = parse_redirect(err("ASK 1 [::1]:7000"));
  ASSERT_TRUE(ask);
  EXPECT_TRUE(ask->ask);
  EXPECT_EQ(ask->target.to_string(), "[::1]:7000");
  EXPECT_FALSE(parse_redirect(err("MOVED")));
  EXPECT_FALSE(parse_redirect(err("MOVED x 127.0.0.1:1")));
  EXPECT_FALSE(parse_redirect(err("MOVED 99999 127.0.0.1:1")));
  EXPECT_FALSE(parse_redirect(err("ERR something")));
  EXPECT_FALSE(parse_redirect(str("MOVED 1 127.0.0.1:1")));  // not an error reply
}

}  // namespace
}  // namespace herald::cluster
