#include "proto/sse.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::proto {

TEST(Sse, EventWithIdNameAndOneLine) {
  std::string out;
  append_sse_event(out, "m1.abc", "message", R"({"a":1})");
  EXPECT_EQ(out, "id: m1.abc\nevent: message\ndata: {\"a\":1}\n\n");
}

TEST(Sse, OmitsEmptyIdAndEvent) {
  std::string out;
  append_sse_event(out, "", "", "x");
  EXPECT_EQ(out, "data: x\n\n");
}

TEST(Sse, SplitsDataOnEveryLineEnd) {
  std::string out;
  append_sse_event(out, "", "", "a\nb\r\nc\rd\n\ne");
  EXPECT_EQ(out, "data: a\ndata: b\ndata: c\ndata: d\ndata: \ndata: e\n\n");
  out.clear();
  append_sse_event(out, "", "", "a\n");
  EXPECT_EQ(out, "data: a\ndata: \n\n");
  out.clear();
  append_sse_event(out, "", "", "\r\n");
  EXPECT_EQ(out, "data: \ndata: \n\n");
  out.clear();
  append_sse_event(out, "", "", " lead");
  EXPECT_EQ(out, "data:  lead\n\n");  // the parser strips exactly one space
}

TEST(Sse, DropsLineBreaksFromIdAndEvent) {
  std::string out;
  append_sse_event(out, std::string("a\nb\0c\r", 6), "ev\r\nil", "x");
  EXPECT_EQ(out, "id: abc\nevent: evil\ndata: x\n\n");
}

TEST(Sse, CommentRetryAndRecovery) {
  std::string out;
  append_sse_comment(out, "ping");
  EXPECT_EQ(out, ": ping\n\n");
  out.clear();
  append_sse_comment(out, "a\nb");
  EXPECT_EQ(out, ": a\n: b\n\n");
  out.clear();
  append_sse_retry(out, 2000);
  EXPECT_EQ(out, "retry: 2000\n\n");
  out.clear();
  append_sse_recovery_event(out, "c", {"E", 7});
  EXPECT_EQ(
      out, "event: recovery\ndata: {\"channel\":\"c\",\"recovered\":false,\"cursor\":\"E:7\"}\n\n");
}

}  // namespace herald::proto
