#include "cluster/reply.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::cluster {
namespace {

std::unique_ptr<Reply> parse_one(std::string_view bytes) {
  ReplyReader r;
  r.feed(bytes);
  std::unique_ptr<Reply> out;
  EXPECT_EQ(r.next(out), ReplyReader::Status::ok) << r.error_text();
  return out;
}

TEST(ReplyReader, EveryType) {
  auto s = parse_one("+OK\r\n");
  EXPECT_TRUE(s->is_status("OK"));
  auto e = parse_one("-NOSCRIPT No matching script\r\n");
  EXPECT_TRUE(e->is_error());
  EXPECT_EQ(e->error_code(), "NOSCRIPT");
  auto i = parse_one(":-42\r\n");
  EXPECT_EQ(i->type, Reply::Type::integer);
  EXPECT_EQ(i->integer, -42);
  auto b = parse_one(std::string("$5\r\na\0b\r\n\r\n", 11));
  ASSERT_TRUE(b->is_string());
  EXPECT_EQ(b->str, std::string("a\0b\r\n", 5));  // binary-safe
  EXPECT_TRUE(parse_one("$-1\r\n")->is_nil());
  EXPECT_TRUE(parse_one("*-1\r\n")->is_nil());
  auto a = parse_one("*3\r\n$7\r\nmessage\r\n*1\r\n:1\r\n$-1\r\n");
  ASSERT_TRUE(a->is_array());
  ASSERT_EQ(a->elements.size(), 3u);
  EXPECT_EQ(a->elements[0].str, "message");
  ASSERT_EQ(a->elements[1].elements.size(), 1u);
  EXPECT_EQ(a->elements[1].elements[0].integer, 1);
  EXPECT_TRUE(a->elements[2].is_nil());
  EXPECT_TRUE(parse_one("*0\r\n")->elements.empty());
}

TEST(ReplyReader, ByteByByte) {
  std::string stream = "*2\r\n$3\r\nfoo\r\n:7\r\n+PONG\r\n";
  ReplyReader r;
  std::vector<std::unique_ptr<Reply>> got;
  for (char c : stream) {
    r.feed(std::string_view(&c, 1));
    std::unique_ptr<Reply> out;
    while (r.next(out) == ReplyReader::Status::ok) got.push_back(std::move(out));
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]->elements[0].str, "foo");
  EXPECT_TRUE(got[1]->is_status("PONG"));
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(ReplyReader, MalformedIsAnErrorForGood) {
  ReplyReader r;
  r.feed("?what\r\n");
  std::unique_ptr<Reply> out;
  EXPECT_EQ(r.next(out), ReplyReader::Status::error);
  EXPECT_FALSE(r.error_text().empty());
  r.feed("+OK\r\n");
  EXPECT_EQ(r.next(out), ReplyReader::Status::error);
}

TEST(ReplyReader, HugeArrayHeaderIsRefusedNotAllocated) {
  ReplyReader r;
  r.feed("*2000000000\r\n");
  std::unique_ptr<Reply> out;
  EXPECT_EQ(r.next(out), ReplyReader::Status::error);
  ReplyReader nested;
  nested.feed("*1\r\n*" + std::to_string(kMaxReplyElements + 1) + "\r\n");
  EXPECT_EQ(nested.next(out), ReplyReader::Status::error);
  // The budget is per reply: two nested arrays that together pass it are refused too...
  ReplyReader both(10);
  both.feed("*2\r\n*4\r\n:1\r\n:1\r\n:1\r\n:1\r\n*5\r\n");
  EXPECT_EQ(both.next(out), ReplyReader::Status::error);
  // ...and each complete reply starts a new one.
  ReplyReader many(10);
  for (int i = 0; i < 3; ++i) {
    many.feed("*2\r\n*8\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:2\r\n");
    ASSERT_EQ(many.next(out), ReplyReader::Status::ok) << many.error_text();
  }
}

TEST(FormatCommand, RoundTripsThroughTheReader) {
  std::string cmd;
  std::string_view args[] = {"EVALSHA", "abc", "2", "p:{a b}:m", std::string_view("x\0y", 3)};
  format_command(cmd, args);
  EXPECT_EQ(cmd.substr(0, 4), "*5\r\n");
  auto r = parse_one(cmd);
  ASSERT_TRUE(r->is_array());
  ASSERT_EQ(r->elements.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(r->elements[i].str, args[i]);
}

TEST(Reply, DescribeIsBounded) {
  Reply r;
  r.type = Reply::Type::error;
  r.str = std::string(1000, 'x');
  EXPECT_LT(r.describe().size(), 200u);
  EXPECT_EQ(r.error_code(), std::string(1000, 'x'));
}

}  // namespace
}  // namespace herald::cluster
