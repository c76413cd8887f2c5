#include "http_codec/response.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::http {
namespace {

TEST(Response, FullResponseWithContentLength) {
  Header extra[] = {{"Cache-Control", "no-store"}};
  ResponseHead head;
  head.status = 200;
  head.content_type = "application/json";
  head.date = "Sun, 06 Nov 1994 08:49:37 GMT";
  head.headers = extra;
  std::string r = make_response(head, "{\"ok\":true}");
  EXPECT_EQ(r,
            "HTTP/1.1 200 OK\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: application/json\r\n"
            "Cache-Control: no-store\r\n"
            "Content-Length: 11\r\n"
            "\r\n"
            "{\"ok\":true}");
  // The size computed up front is exact: one allocation, no slack needed.
  std::string out;
  append_response(out, head, "{\"ok\":true}");
  EXPECT_EQ(out, r);
}

// An answer without extra headers reuses the head of the last answer of its kind; every field
// of the kind (status, type, date, Connection line) must start a fresh head when it changes.
TEST(Response, AnswersOfChangingKindsEachGetTheirOwnHead) {
  struct Case {
    int status;
    std::string_view type, date;
    ConnectionHeader connection;
    std::string_view body, want;
  };
  const Case cases[] = {
      {200, "application/json", "Sun, 06 Nov 1994 08:49:37 GMT", ConnectionHeader::none, "{}",
       "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Type: "
       "application/json\r\nContent-Length: 2\r\n\r\n{}"},
      {200, "application/json", "Sun, 06 Nov 1994 08:49:37 GMT", ConnectionHeader::none, "[1,2]",
       "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Type: "
       "application/json\r\nContent-Length: 5\r\n\r\n[1,2]"},
      {200, "application/json", "Sun, 06 Nov 1994 08:49:38 GMT", ConnectionHeader::none, "{}",
       "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:38 GMT\r\nContent-Type: "
       "application/json\r\nContent-Length: 2\r\n\r\n{}"},
      {404, "application/json", "Sun, 06 Nov 1994 08:49:38 GMT", ConnectionHeader::none, "{}",
       "HTTP/1.1 404 Not Found\r\nDate: Sun, 06 Nov 1994 08:49:38 GMT\r\nContent-Type: "
       "application/json\r\nContent-Length: 2\r\n\r\n{}"},
      {404, "text/plain", "Sun, 06 Nov 1994 08:49:38 GMT", ConnectionHeader::none, "x",
       "HTTP/1.1 404 Not Found\r\nDate: Sun, 06 Nov 1994 08:49:38 GMT\r\nContent-Type: "
       "text/plain\r\nContent-Length: 1\r\n\r\nx"},
      {404, "text/plain", "Sun, 06 Nov 1994 08:49:38 GMT", ConnectionHeader::close, "x",
       "HTTP/1.1 404 Not Found\r\nDate: Sun, 06 Nov 1994 08:49:38 GMT\r\nContent-Type: "
       "text/plain\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx"},
      {404, "", "", ConnectionHeader::close, "",
       "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"},
      {1000, "", "", ConnectionHeader::close, "",
       "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: "
       "0\r\n\r\n"},
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (const Case& c : cases) {
      ResponseHead head;
      head.status = c.status;
      head.content_type = c.type;
      head.date = c.date;
      head.connection = c.connection;
      std::string out = "x";
      append_response(out, head, c.body);
      EXPECT_EQ(out, "x" + std::string(c.want)) << c.status << " " << c.type << " " << c.date;
    }
  }
}

TEST(Response, HeadHasLengthButNoBody) {
  ResponseHead head;
  head.status = 404;
  std::string r = make_response(head, "not found\n", /*head_only=*/true);
  EXPECT_EQ(r, "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\n");
}

TEST(Response, AppendsAfterExistingOutput) {
  std::string out = "previous";
  ResponseHead head;
  head.status = 204;
  append_response(out, head, "");
  EXPECT_EQ(out, "previousHTTP/1.1 204 No Content\r\n\r\n");  // 204: no Content-Length
}

TEST(Response, ConnectionHeader) {
  ResponseHead head;
  head.connection = ConnectionHeader::close;
  EXPECT_EQ(make_response(head, ""),
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  head.connection = ConnectionHeader::keep_alive;
  EXPECT_NE(make_response(head, "").find("Connection: keep-alive\r\n"), std::string::npos);

  Request req;
  req.version_minor = 1;
  req.keep_alive = true;
  EXPECT_EQ(connection_header_for(req, false), ConnectionHeader::none);
  EXPECT_EQ(connection_header_for(req, true), ConnectionHeader::close);
  req.version_minor = 0;
  EXPECT_EQ(connection_header_for(req, false), ConnectionHeader::keep_alive);
  req.keep_alive = false;
  EXPECT_EQ(connection_header_for(req, false), ConnectionHeader::close);
}

TEST(Response, ChunkedFraming) {
  std::string out;
  ResponseHead head;
  head.content_type = "text/plain";
  append_chunked_head(out, head);
  append_chunk(out, "hello");
  append_chunk(out, "");  // must not end the body
  append_chunk(out, std::string(26, 'x'));
  append_last_chunk(out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n1a\r\n" +
                std::string(26, 'x') + "\r\n0\r\n\r\n");
}

TEST(Response, StreamHeadHasNoFraming) {
  std::string out;
  ResponseHead head;
  head.content_type = "text/event-stream";
  append_stream_head(out, head);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n");
}

TEST(Response, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(101), "Switching Protocols");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(414), "URI Too Long");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reason_phrase(299), "Unknown");
  ResponseHead head;
  head.status = 7;  // out of range: never a malformed status line
  EXPECT_EQ(make_response(head, "").substr(0, 36), "HTTP/1.1 500 Internal Server Error\r\n");
}

TEST(DateCache, FormatsImfFixdate) {
  char buf[32];
  EXPECT_EQ(std::string_view(buf, format_imf_fixdate(784111777, buf)),
            "Sun, 06 Nov 1994 08:49:37 GMT");  // the RFC 9110 example
  EXPECT_EQ(std::string_view(buf, format_imf_fixdate(0, buf)), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(std::string_view(buf, format_imf_fixdate(951782400, buf)),
            "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(std::string_view(buf, format_imf_fixdate(4102444799, buf)),
            "Thu, 31 Dec 2099 23:59:59 GMT");
}

TEST(DateCache, UpdatesOncePerSecond) {
  DateCache d;
  d.update(784111777);
  EXPECT_EQ(d.value(), "Sun, 06 Nov 1994 08:49:37 GMT");
  const char* p = d.value().data();
  d.update(784111777);
  EXPECT_EQ(d.value().data(), p);
  d.update(784111778);
  EXPECT_EQ(d.value(), "Sun, 06 Nov 1994 08:49:38 GMT");
}

}  // namespace
}  // namespace herald::http

namespace herald::http {

TEST(Response, BodylessStatusesCarryNoContentLength) {
  for (int status : {204, 304, 101}) {
    ResponseHead head;
    head.status = status;
    std::string out = make_response(head, "ignored");
    EXPECT_EQ(out.find("Content-Length"), std::string::npos) << out;
    EXPECT_EQ(out.find("ignored"), std::string::npos) << out;
    EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
  }
}

}  // namespace herald::http
