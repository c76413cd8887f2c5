#include "access/hook_answer.h"

#include <gtest/gtest.h>

#include <string>

#include "access/hooks.h"
#include "base/limits.h"

namespace herald::access {
namespace {

TEST(HookAnswer, ConnectGivesTheIdentity) {
  ConnectAnswer a;
  ASSERT_EQ(parse_connect_answer(200,
                                 R"({"user":"alice","channels":["chat:*"],"publish":["chat:a"],
                                     "info":{"name":"A", "score":1.0},"expire_at":4000000000,
                                     "mine":[1,2]})",
                                 &a),
            HookVerdict::allow);
  EXPECT_EQ(a.user, "alice");
  ASSERT_EQ(a.channels.size(), 1u);
  EXPECT_EQ(a.channels[0], "chat:*");
  ASSERT_EQ(a.publish.size(), 1u);
  EXPECT_EQ(a.publish[0], "chat:a");
  // The backend's own text, minified: the number is not rewritten.
  EXPECT_EQ(a.info, R"({"name":"A","score":1.0})");
  EXPECT_EQ(a.expire_at, 4000000000);
}

TEST(HookAnswer, ConnectUserMayBeEmptyButMustBeThere) {
  ConnectAnswer a;
  EXPECT_EQ(parse_connect_answer(200, R"({"user":""})", &a), HookVerdict::allow);
  EXPECT_EQ(parse_connect_answer(200, R"({})", &a), HookVerdict::failed);
  EXPECT_EQ(parse_connect_answer(200, R"({"channels":["a"]})", &a), HookVerdict::failed);
}

TEST(HookAnswer, ConnectDenials) {
  ConnectAnswer a;
  EXPECT_EQ(parse_connect_answer(200, R"({"deny":true})", &a), HookVerdict::deny);
  EXPECT_EQ(parse_connect_answer(200, R"({"deny":true,"user":"alice"})", &a), HookVerdict::deny);
  EXPECT_EQ(parse_connect_answer(401, "", &a), HookVerdict::deny);
  EXPECT_EQ(parse_connect_answer(403, R"({"user":"alice"})", &a), HookVerdict::deny);
  EXPECT_EQ(parse_connect_answer(200, R"({"deny":false,"user":"bob"})", &a), HookVerdict::allow);
  EXPECT_EQ(a.user, "bob");
}

TEST(HookAnswer, ConnectFailuresFailClosed) {
  ConnectAnswer a;
  for (const char* body :
       {"", "null", "[]", "not json", R"({"user":1})", R"({"user":"a","user":"b"})",
        R"({"user":"a","channels":"chat:*"})", R"({"user":"a","channels":[1]})",
        R"({"user":"a","channels":["bad name"]})", R"({"user":"a","info":"x"})",
        R"({"user":"a","expire_at":-1})", R"({"user":"a","expire_at":1.5})", R"({"deny":"yes"})",
        R"({"user":"a"} trailing)"}) {
    EXPECT_EQ(parse_connect_answer(200, body, &a), HookVerdict::failed) << body;
  }
  for (int status : {0, 204, 301, 404, 500, 502, 503})
    EXPECT_EQ(parse_connect_answer(status, R"({"user":"a"})", &a), HookVerdict::failed) << status;
}

TEST(HookAnswer, SizesAreBounded) {
  ConnectAnswer a;
  std::string big_info =
      R"({"user":"a","info":{"x":")" + std::string(base::limits::kMaxInfoBytes, 'x') + R"("}})";
  EXPECT_EQ(parse_connect_answer(200, big_info, &a), HookVerdict::failed);
  std::string huge =
      R"({"user":"a","pad":")" + std::string(base::limits::kMaxHookResponseBytes, 'x') + R"("})";
  EXPECT_EQ(parse_connect_answer(200, huge, &a), HookVerdict::failed);
  AllowAnswer w;
  EXPECT_EQ(parse_allow_answer(200,
                               R"({"allow":true,"pad":")" +
                                   std::string(base::limits::kMaxHookResponseBytes, 'x') + R"("})",
                               &w),
            HookVerdict::failed);
}

TEST(HookAnswer, AllowAnswers) {
  AllowAnswer w;
  EXPECT_EQ(parse_allow_answer(200, R"({"allow":true})", &w), HookVerdict::allow);
  EXPECT_FALSE(w.has_data);
  EXPECT_EQ(parse_allow_answer(200, R"({"allow":false})", &w), HookVerdict::deny);
  EXPECT_EQ(parse_allow_answer(403, "", &w), HookVerdict::deny);
  EXPECT_EQ(parse_allow_answer(401, "", &w), HookVerdict::deny);
  EXPECT_EQ(
      parse_allow_answer(200, R"( { "data" : { "a" : [1, 2.50, "x y"] }, "allow":true } )", &w),
      HookVerdict::allow);
  ASSERT_TRUE(w.has_data);
  EXPECT_EQ(w.data, R"({"a":[1,2.50,"x y"]})");
  EXPECT_EQ(parse_allow_answer(200, R"({"allow":true,"data":null})", &w), HookVerdict::allow);
  EXPECT_TRUE(w.has_data);
  EXPECT_EQ(w.data, "null");
  EXPECT_EQ(parse_allow_answer(200, R"({"allow":true,"data":"a\"}b"})", &w), HookVerdict::allow);
  EXPECT_EQ(w.data, R"("a\"}b")");
}

TEST(HookAnswer, AllowFailuresFailClosed) {
  AllowAnswer w;
  for (const char* body :
       {"", "{}", "true", R"({"allow":"true"})", R"({"allow":1})", R"({"allow":true,"allow":true})",
        R"({"allow":true,"data":1,"data":2})", "{\"allow\":true"})
    EXPECT_EQ(parse_allow_answer(200, body, &w), HookVerdict::failed) << body;
  EXPECT_EQ(parse_allow_answer(500, R"({"allow":true})", &w), HookVerdict::failed);
}

TEST(HookRequests, BodiesAreJson) {
  HookHeader h[] = {{"Cookie", "a=\"1\""}, {"Origin", "https://x"}};
  EXPECT_EQ(encode_connect_request("sse", "203.0.113.7", h),
            R"({"transport":"sse","address":"203.0.113.7","headers":{"Cookie":"a=\"1\"",)"
            R"("Origin":"https://x"}})");
  EXPECT_EQ(encode_connect_request("poll", "", {}),
            R"({"transport":"poll","address":"","headers":{}})");
  EXPECT_EQ(encode_subscribe_request("c0-1", "alice", "chat:a", "websocket"),
            R"({"client":"c0-1","user":"alice","channel":"chat:a","transport":"websocket"})");
  EXPECT_EQ(encode_publish_request("c0-1", "", "chat:a", R"({"x":1})"),
            R"({"client":"c0-1","user":"","channel":"chat:a","data":{"x":1}})");
}

}  // namespace
}  // namespace herald::access
