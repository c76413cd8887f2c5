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

TEST(ResponseHead, ParsesStatusLengthAndHeaders) {
  std::string r =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: abc=\r\nSec-WebSocket-Protocol: herald.v1\r\n\r\nrest";
  ResponseHead h;
  size_t used = 0;
  ASSERT_EQ(parse_response_head(r, &h, &used), HeadStatus::complete);
  EXPECT_EQ(h.status, 101);
  EXPECT_EQ(h.upgrade, "websocket");
  EXPECT_EQ(h.accept, "abc=");
  EXPECT_EQ(h.protocol, "herald.v1");
  EXPECT_EQ(r.substr(used), "rest");

  std::string p = "HTTP/1.1 200 OK\r\ncontent-length: 12\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(parse_response_head(p, &h, &used), HeadStatus::complete);
  EXPECT_TRUE(h.has_length);
  EXPECT_EQ(h.content_length, 12u);
  EXPECT_TRUE(h.close);
}

TEST(ResponseHead, EveryPrefixNeedsMore) {
  std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  ResponseHead h;
  size_t used = 0;
  for (size_t i = 0; i < r.size(); ++i)
    EXPECT_EQ(parse_response_head(r.substr(0, i), &h, &used), HeadStatus::need_more) << i;
}

TEST(ResponseHead, RejectsGarbageAndOverlongHeads) {
  ResponseHead h;
  size_t used = 0;
  EXPECT_EQ(parse_response_head("SMTP 220 hi\r\n\r\n", &h, &used), HeadStatus::error);
  EXPECT_EQ(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", &h, &used),
            HeadStatus::error);
  std::string big = "HTTP/1.1 200 OK\r\nX: " + std::string(kMaxResponseHead, 'a');
  EXPECT_EQ(parse_response_head(big, &h, &used), HeadStatus::error);
}

TEST(Dechunker, JoinsChunksAcrossAnySplit) {
  std::string wire = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n";
  for (size_t split = 0; split <= wire.size(); ++split) {
    Dechunker d;
    std::string out;
    size_t a = d.feed(std::string_view(wire).substr(0, split), out);
    EXPECT_EQ(a, split);
    d.feed(std::string_view(wire).substr(split), out);
    EXPECT_TRUE(d.done()) << split;
    EXPECT_EQ(out, "hello, world");
  }
}

TEST(Dechunker, FailsOnBadFraming) {
  Dechunker d;
  std::string out;
  d.feed("zz\r\n", out);
  EXPECT_TRUE(d.failed());
}

TEST(SseParser, EventsIdsAndCommentsAcrossSplits) {
  std::string wire =
      "retry: 2000\n\nid: E:0\n\n: ping\n\ndata: {\"a\":1}\nid: E:1\n\nevent: recovery\r\n"
      "data: x\r\ndata: y\r\n\r\n";
  for (size_t split = 0; split <= wire.size(); ++split) {
    SseParser p;
    std::vector<std::string> got;
    auto fn = [&](const SseParser::Event& e) {
      got.push_back(std::string(e.event) + "|" + std::string(e.data) + "|" + std::string(e.id));
    };
    ASSERT_TRUE(p.feed(std::string_view(wire).substr(0, split), fn));
    ASSERT_TRUE(p.feed(std::string_view(wire).substr(split), fn));
    EXPECT_EQ(got, (std::vector<std::string>{"|{\"a\":1}|E:1", "recovery|x\ny|"})) << split;
  }
}

TEST(SseParser, OversizedEventFails) {
  SseParser p(16);
  EXPECT_FALSE(p.feed("data: " + std::string(64, 'x'), [](const SseParser::Event&) {}));
}

}  // namespace
}  // namespace herald::bench
