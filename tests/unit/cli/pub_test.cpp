#include "tools/cli/pub.h"

#include <gtest/gtest.h>

#include "tools/cli/poller.h"

namespace herald::cli {
namespace {

TEST(Pub, DataThatIsJsonIsSentAsIs) {
  EXPECT_EQ(publish_data_json("{\"a\": 1}"), "{\"a\":1}");
  EXPECT_EQ(publish_data_json("42"), "42");
  EXPECT_EQ(publish_data_json("\"quoted\""), "\"quoted\"");
  EXPECT_EQ(publish_data_json("true"), "true");
}

TEST(Pub, OtherDataIsSentAsAString) {
  EXPECT_EQ(publish_data_json("hello"), "\"hello\"");
  EXPECT_EQ(publish_data_json("hello world"), "\"hello world\"");
  EXPECT_EQ(publish_data_json("{broken"), "\"{broken\"");
  EXPECT_EQ(publish_data_json("1 2"), "\"1 2\"");
  EXPECT_EQ(publish_data_json(""), "\"\"");
  EXPECT_EQ(publish_data_json("say \"hi\"\n"), "\"say \\\"hi\\\"\\u000a\"");
}

TEST(Pub, Body) {
  EXPECT_EQ(publish_body("public:c", "hi"), "{\"channel\":\"public:c\",\"data\":\"hi\"}");
}

TEST(Poll, ParsesTheAnswer) {
  PollResponse r;
  std::string err;
  ASSERT_TRUE(parse_poll_response(
      "{\"messages\":[{\"channel\":\"c\",\"offset\":1,\"data\":{\"a\": [1, 2]}},"
      "{\"channel\":\"c\",\"offset\":2,\"data\":\"x\"}],\"cursor\":\"E:2\"}",
      &r, &err));
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0], "{\"channel\":\"c\",\"offset\":1,\"data\":{\"a\":[1,2]}}");
  EXPECT_EQ(r.cursor, "E:2");
  EXPECT_TRUE(r.recovered);
  ASSERT_TRUE(parse_poll_response(
      "{\"messages\":[],\"cursor\":\"m1.x\",\"recovered\":false,\"unrecovered\":[\"a\",\"b\"]}", &r,
      &err));
  EXPECT_TRUE(r.messages.empty());
  EXPECT_FALSE(r.recovered);
  EXPECT_EQ(r.unrecovered, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(parse_poll_response("{\"cursor\":\"E:1\"}", &r, &err));
  EXPECT_FALSE(parse_poll_response("not json", &r, &err));
  EXPECT_FALSE(err.empty());
}

TEST(Poll, Target) {
  EXPECT_EQ(poll_target({"public:a", "b"}, "E:4", 25),
            "/poll?channel=public%3Aa&channel=b&since=E%3A4&wait=25");
  EXPECT_EQ(poll_target({"a"}, "", 0), "/poll?channel=a&wait=0");
  EXPECT_EQ(poll_target({"a"}, "", 0, "h.p+/.s"), "/poll?channel=a&token=h.p%2B%2F.s&wait=0");
}

}  // namespace
}  // namespace herald::cli
