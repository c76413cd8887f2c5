#include "tools/bench/wire.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::bench {
namespace {

TEST(Payload, HasTheAskedSizeAndItsFields) {
  for (size_t size : {48u, 100u, 1000u}) {
    std::string p;
    append_payload(p, 123456789012345, 42, size);
    EXPECT_EQ(p.size(), size) << p;
    Delivered d;
    ASSERT_NE(extract_delivered(p, 0, &d), std::string_view::npos);
    EXPECT_EQ(d.t_ns, 123456789012345u);
    EXPECT_EQ(d.seq, 42u);
    EXPECT_FALSE(d.has_offset);
    EXPECT_EQ(d.offset, 42u);  // a bare payload is checked by its sequence number
  }
}

TEST(Payload, SmallSizesStillCarryTheFields) {
  std::string p;
  append_payload(p, 1, 2, 0);
  EXPECT_EQ(p, "{\"t\":1,\"s\":2,\"p\":\"\"}");
}

TEST(Extract, HeraldPushGivesTheServerOffset) {
  std::string push = "{\"channel\":\"public:b\",\"offset\":77,\"data\":";
  append_payload(push, 999, 5, 60);
  push += "}";
  Delivered d;
  ASSERT_NE(extract_delivered(push, 0, &d), std::string_view::npos);
  EXPECT_TRUE(d.has_offset);
  EXPECT_EQ(d.offset, 77u);
  EXPECT_EQ(d.t_ns, 999u);
}

TEST(Extract, WalksEveryMessageOfAPollAnswer) {
  std::string body = "{\"messages\":[";
  for (int i = 1; i <= 3; ++i) {
    if (i > 1) body += ',';
    body += "{\"channel\":\"c\",\"offset\":" + std::to_string(10 + i) + ",\"data\":";
    append_payload(body, 1000 + i, i, 50);
    body += '}';
  }
  body += "],\"cursor\":\"Ab3:13\"}";
  std::vector<uint64_t> offsets;
  size_t pos = 0;
  Delivered d;
  while ((pos = extract_delivered(body, pos, &d)) != std::string_view::npos)
    offsets.push_back(d.offset);
  EXPECT_EQ(offsets, (std::vector<uint64_t>{11, 12, 13}));
  EXPECT_EQ(find_string_field_last(body, "\"cursor\""), "Ab3:13");
}

TEST(Extract, ToleratesABlankAfterTheColon) {
  uint64_t v = 0;
  std::string_view s = "{\"offset\": 17, \"epoch\": \"E\"}";
  EXPECT_NE(scan_uint(s, "\"offset\":", 0, &v), std::string_view::npos);
  EXPECT_EQ(v, 17u);
  EXPECT_EQ(find_string_field_last("{\"messages\": [], \"cursor\": \"E:4\"}", "\"cursor\""), "E:4");
  EXPECT_EQ(find_string_field_last("{\"cursor\":5}", "\"cursor\""), "");
}

TEST(Extract, EmptyPollAnswerHasNoMessages) {
  std::string body = "{\"messages\":[],\"cursor\":\"E:0\"}";
  Delivered d;
  EXPECT_EQ(extract_delivered(body, 0, &d), std::string_view::npos);
}

}  // namespace
}  // namespace herald::bench
