#include "http_codec/response_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace herald::http {
namespace {

// What a client sees of one response, copied out so it outlives the input.
struct Seen {
  ResponseStatus status = ResponseStatus::need_more;
  int code = 0;
  std::string reason;
  int version_minor = -1;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  BodyFraming framing = BodyFraming::none;
  bool keep_alive = false;
  std::string error;
  bool operator==(const Seen&) const = default;
};

Seen seen(const ResponseParseResult& r, const ResponseParser& p) {
  Seen s;
  s.status = r.status;
  if (r.status == ResponseStatus::error) {
    s.error = r.error_reason;
    return s;
  }
  const Response& res = p.response();
  s.code = res.status;
  s.reason = res.reason;
  s.version_minor = res.version_minor;
  for (const Header& h : res.headers) s.headers.emplace_back(h.name, h.value);
  s.body = res.body;
  s.framing = res.framing;
  s.keep_alive = res.keep_alive;
  return s;
}

// Buffered mode over a connection delivering `all` in pieces ending at `cuts`; each call sees
// a fresh copy of every unread byte. `eof` closes the connection after the last piece.
std::vector<Seen> parse_stream(std::string_view all, std::vector<size_t> cuts, bool eof = false,
                               ResponseLimits limits = {}, ResponseMode mode = {}) {
  cuts.push_back(all.size());
  ResponseParser parser(limits);
  std::vector<Seen> out;
  std::string unread;
  size_t delivered = 0;
  for (size_t cut : cuts) {
    unread.append(all.substr(delivered, cut - delivered));
    delivered = cut;
    while (true) {
      std::string copy = unread;
      ResponseParseResult r = parser.parse(copy, mode);
      if (r.status == ResponseStatus::need_more) {
        EXPECT_EQ(r.consumed, 0u);
        break;
      }
      out.push_back(seen(r, parser));
      if (r.status == ResponseStatus::error) return out;
      EXPECT_LE(r.consumed, copy.size());
      unread.erase(0, r.consumed);
    }
  }
  if (eof && (parser.in_progress() || !unread.empty())) {
    std::string copy = unread;
    ResponseParseResult r = parser.finish(copy, mode);
    out.push_back(seen(r, parser));
  }
  return out;
}

std::vector<Seen> parse_whole(std::string_view all, bool eof = false, ResponseLimits limits = {},
                              ResponseMode mode = {}) {
  return parse_stream(all, {}, eof, limits, mode);
}

void expect_every_split_same(std::string_view all, bool eof = false, ResponseMode mode = {}) {
  std::vector<Seen> whole = parse_whole(all, eof, {}, mode);
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    ASSERT_EQ(parse_stream(all, {cut}, eof, {}, mode), whole) << "split at " << cut;
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i < all.size(); ++i) bytes.push_back(i);
  ASSERT_EQ(parse_stream(all, bytes, eof, {}, mode), whole) << "byte by byte";
}

const char* error_of(std::string_view all, bool eof = false, ResponseLimits limits = {}) {
  auto out = parse_whole(all, eof, limits);
  if (out.empty() || out.back().status != ResponseStatus::error) return "no error";
  static std::string keep;
  keep = out.back().error;
  return keep.c_str();
}

TEST(ResponseParser, ContentLengthResponse) {
  auto out = parse_whole(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
      "{\"offset\":1}\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].status, ResponseStatus::complete);
  EXPECT_EQ(out[0].code, 200);
  EXPECT_EQ(out[0].reason, "OK");
  EXPECT_EQ(out[0].body, "{\"offset\":1}\n");
  EXPECT_EQ(out[0].framing, BodyFraming::length);
  EXPECT_TRUE(out[0].keep_alive);
  ASSERT_EQ(out[0].headers.size(), 2u);
  EXPECT_EQ(out[0].headers[0],
            (std::pair<std::string, std::string>{"Content-Type", "application/json"}));
}

TEST(ResponseParser, PipelinedResponsesEverySplitPoint) {
  std::string all =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  auto out = parse_whole(all);
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].body, "hello");
  EXPECT_EQ(out[1].body, "abc0123456789abcdef");
  EXPECT_EQ(out[1].framing, BodyFraming::chunked);
  EXPECT_EQ(out[2].code, 204);
  EXPECT_EQ(out[3].code, 304);  // its Content-Length describes a body that is never sent
  EXPECT_EQ(out[3].body, "");
  EXPECT_EQ(out[4].code, 100);
  EXPECT_EQ(out[5].code, 404);
  EXPECT_FALSE(out[5].keep_alive);
  expect_every_split_same(all);
}

TEST(ResponseParser, HeadModeHasNoBody) {
  ResponseMode head{.no_body = true};
  std::string all =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  auto out = parse_whole(all, false, {}, head);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].status, ResponseStatus::complete);
  EXPECT_EQ(out[1].status, ResponseStatus::complete);
  EXPECT_EQ(out[0].body, "");
}

TEST(ResponseParser, SwitchingProtocolsEndsAtHead) {
  std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
  std::string all = head + "\x81\x05hello";
  ResponseParser p;
  auto r = p.parse(all);
  EXPECT_EQ(r.status, ResponseStatus::complete);
  EXPECT_EQ(r.consumed, head.size());  // the frame is left for the WebSocket reader
  EXPECT_EQ(p.response().status, 101);
  EXPECT_EQ(p.response().header("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_TRUE(p.response().header_has_token("Connection", "upgrade"));
  // Also with a stream_body mode: 101 never streams.
  ResponseParser q;
  r = q.parse(all, ResponseMode{.stream_body = true});
  EXPECT_EQ(r.status, ResponseStatus::complete);
  EXPECT_EQ(r.consumed, head.size());
}

TEST(ResponseParser, BodyUntilCloseNeedsFinish) {
  std::string all = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it";
  ResponseParser p;
  EXPECT_EQ(p.parse(all).status, ResponseStatus::need_more);
  auto r = p.finish(all);
  EXPECT_EQ(r.status, ResponseStatus::complete);
  EXPECT_EQ(r.consumed, all.size());
  EXPECT_EQ(p.response().body, "all of it");
  EXPECT_EQ(p.response().framing, BodyFraming::until_close);
  EXPECT_FALSE(p.response().keep_alive);
  expect_every_split_same(all, /*eof=*/true);
}

TEST(ResponseParser, CloseBeforeTheEndIsAnError) {
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true),
               "closed before end of response");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nContent-Le", true), "closed before end of response");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", true),
               "closed before end of response");
  ResponseParser p;
  EXPECT_EQ(p.finish("").status, ResponseStatus::error);
  EXPECT_STREQ(p.finish("").error_reason, "closed before a response");
}

TEST(ResponseParser, KeepAliveRules) {
  EXPECT_FALSE(parse_whole("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")[0].keep_alive);
  EXPECT_TRUE(
      parse_whole("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")[0]
          .keep_alive);
  EXPECT_FALSE(parse_whole("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n")[0]
                   .keep_alive);
}

TEST(ResponseParser, LenientLineEndsAndReason) {
  auto out = parse_whole("HTTP/1.1 200\nContent-Length: 2\n\nok");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].status, ResponseStatus::complete);
  EXPECT_EQ(out[0].reason, "");
  EXPECT_EQ(out[0].body, "ok");
  out = parse_whole("HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n\r\n2\nok\n0\n\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].body, "ok");
}

TEST(ResponseParser, Errors) {
  EXPECT_STREQ(error_of("SSH-2.0-OpenSSH_9.2\r\n"), "not an HTTP response");
  EXPECT_STREQ(error_of("HTTP/1.1 2000 OK\r\n\r\n"), "invalid status line");
  EXPECT_STREQ(error_of("HTTP/1.1 20 OK\r\n\r\n"), "invalid status line");
  EXPECT_STREQ(error_of("HTTP/1.1 099 Odd\r\n\r\n"), "invalid status code");
  EXPECT_STREQ(error_of("HTTP/2.0 200 OK\r\n\r\n"), "HTTP version not supported");
  EXPECT_STREQ(
      error_of("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
      "Transfer-Encoding with Content-Length");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"), "invalid Content-Length");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
               "invalid Content-Length");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n"), "obsolete line folding");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nA : b\r\n\r\n"), "whitespace before colon");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n"),
               "control character in header value");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
               "invalid chunk size");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naX"),
               "missing CRLF after chunk");
  EXPECT_STREQ(
      error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n"),
      "chunk size overflow");
}

TEST(ResponseParser, LimitsAreEnforced) {
  ResponseLimits small;
  small.max_header_bytes = 64;
  small.max_header_count = 2;
  small.max_body = 4;
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", false, small),
               "too many headers");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nA: " + std::string(80, 'x'), false, small),
               "header block too large");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, small),
               "body too large");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\n",
                        false, small),
               "body too large");
  EXPECT_STREQ(error_of("HTTP/1.1 200 OK\r\n\r\nhello", false, small), "body too large");
  // Exactly at the limit is fine.
  auto out = parse_whole("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", false, small);
  EXPECT_EQ(out[0].status, ResponseStatus::complete);
}

// Streamed mode: the caller consumes what the parser reports, keeps the body bytes it got.
struct Streamed {
  std::vector<ResponseStatus> events;  // head / complete / error, in order
  int code = 0;
  std::string content_type;
  std::string body;
  bool operator==(const Streamed&) const = default;
};

Streamed stream_feed(std::string_view all, std::vector<size_t> cuts, bool eof) {
  cuts.push_back(all.size());
  ResponseParser p;
  ResponseMode mode{.stream_body = true};
  Streamed s;
  std::string unread;
  size_t delivered = 0;
  bool done = false;
  auto handle = [&](ResponseParseResult r) {
    if (r.status == ResponseStatus::head) {
      s.code = p.response().status;
      s.content_type = p.response().header("content-type");
    }
    s.body += p.response().body;
    p.response().body.clear();
    if (r.status != ResponseStatus::need_more) s.events.push_back(r.status);
    if (r.status == ResponseStatus::complete || r.status == ResponseStatus::error) done = true;
    EXPECT_LE(r.consumed, unread.size());
    unread.erase(0, r.consumed);
    return r.status;
  };
  for (size_t cut : cuts) {
    unread.append(all.substr(delivered, cut - delivered));
    delivered = cut;
    while (!done) {
      std::string copy = unread;
      if (handle(p.parse(copy, mode)) == ResponseStatus::need_more) break;
    }
  }
  if (eof && !done) {
    std::string copy = unread;
    handle(p.finish(copy, mode));
  }
  return s;
}

TEST(ResponseParser, StreamedChunkedBodyEverySplit) {
  std::string all =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
      "b\r\nretry: 10\n\n\r\n17\r\ndata: {\"channel\":\"c\"}\n\n\r\n0\r\n\r\n";
  Streamed whole = stream_feed(all, {}, false);
  EXPECT_EQ(whole.code, 200);
  EXPECT_EQ(whole.content_type, "text/event-stream");
  EXPECT_EQ(whole.body, "retry: 10\n\ndata: {\"channel\":\"c\"}\n\n");
  EXPECT_EQ(whole.events,
            (std::vector<ResponseStatus>{ResponseStatus::head, ResponseStatus::complete}));
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    ASSERT_EQ(stream_feed(all, {cut}, false), whole) << "split at " << cut;
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i < all.size(); ++i) bytes.push_back(i);
  EXPECT_EQ(stream_feed(all, bytes, false), whole);
}

TEST(ResponseParser, StreamedUntilCloseBody) {
  std::string all = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nretry: 5\n\nid: 1\n";
  Streamed whole = stream_feed(all, {}, true);
  EXPECT_EQ(whole.body, "retry: 5\n\nid: 1\n");
  EXPECT_EQ(whole.events,
            (std::vector<ResponseStatus>{ResponseStatus::head, ResponseStatus::complete}));
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    ASSERT_EQ(stream_feed(all, {cut}, true), whole) << "split at " << cut;
  }
  // Without the close the body is still handed out as it arrives.
  Streamed open = stream_feed(all, {}, false);
  EXPECT_EQ(open.body, whole.body);
  EXPECT_EQ(open.events, std::vector<ResponseStatus>{ResponseStatus::head});
}

TEST(ResponseParser, StreamedErrorResponseWithLength) {
  std::string all = "HTTP/1.1 400 Bad Request\r\nContent-Length: 17\r\n\r\n{\"error\":\"nope\"}\n";
  Streamed s = stream_feed(all, {}, false);
  EXPECT_EQ(s.code, 400);
  EXPECT_EQ(s.body, "{\"error\":\"nope\"}\n");
  EXPECT_EQ(s.events,
            (std::vector<ResponseStatus>{ResponseStatus::head, ResponseStatus::complete}));
}

}  // namespace
}  // namespace herald::http
