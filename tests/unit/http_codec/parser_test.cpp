#include "http_codec/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace herald::http {
namespace {

// What a user of the parser sees of one request, copied out so it outlives the input.
struct Snapshot {
  ParseStatus status = ParseStatus::need_more;
  size_t consumed = 0;
  int error_status = 0;
  Method method = Method::other;
  std::string method_text, target, path, query;
  int version_minor = -1;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;
  bool upgrade = false;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snap(const ParseResult& r, const RequestParser& p) {
  Snapshot s;
  s.status = r.status;
  s.consumed = r.consumed;
  s.error_status = r.error_status;
  if (r.status != ParseStatus::complete) return s;
  const Request& q = p.request();
  s.method = q.method;
  s.method_text = q.method_text;
  s.target = q.target;
  s.path = q.path;
  s.query = q.query;
  s.version_minor = q.version_minor;
  for (const Header& h : q.headers) s.headers.emplace_back(h.name, h.value);
  s.body = q.body;
  s.keep_alive = q.keep_alive;
  s.upgrade = q.upgrade;
  return s;
}

// Simulates a connection: `all` arrives in pieces ending at `cuts` (then the rest). After each
// piece the parser sees every unread byte, in a fresh copy each time so that it cannot keep
// pointers into an old buffer. Returns every complete request, then the error if one happened.
std::vector<Snapshot> parse_stream(std::string_view all, std::vector<size_t> cuts,
                                   ParserLimits limits = {}) {
  cuts.push_back(all.size());
  RequestParser parser(limits);
  std::vector<Snapshot> out;
  std::string unread;
  size_t delivered = 0;
  for (size_t cut : cuts) {
    unread.append(all.substr(delivered, cut - delivered));
    delivered = cut;
    while (true) {
      std::string copy = unread;
      ParseResult r = parser.parse(copy);
      if (r.status == ParseStatus::need_more) {
        EXPECT_EQ(r.consumed, 0u);
        break;
      }
      out.push_back(snap(r, parser));
      if (r.status == ParseStatus::error) return out;
      EXPECT_LE(r.consumed, copy.size());
      unread.erase(0, r.consumed);
    }
  }
  return out;
}

std::vector<Snapshot> parse_whole(std::string_view all, ParserLimits limits = {}) {
  return parse_stream(all, {}, limits);
}

// Every split into two parts and a byte-by-byte feed give the same result as one read.
void expect_split_invariant(std::string_view all) {
  std::vector<Snapshot> whole = parse_whole(all);
  for (size_t k = 0; k <= all.size(); ++k) {
    EXPECT_EQ(parse_stream(all, {k}), whole) << "split at " << k;
  }
  std::vector<size_t> every;
  for (size_t k = 1; k < all.size(); ++k) every.push_back(k);
  EXPECT_EQ(parse_stream(all, every), whole) << "byte by byte";
}

Snapshot parse_one(std::string_view all, ParserLimits limits = {}) {
  std::vector<Snapshot> v = parse_whole(all, limits);
  if (v.empty()) return Snapshot{};  // need_more
  return v.front();
}

int error_of(std::string_view all, ParserLimits limits = {}) {
  Snapshot s = parse_one(all, limits);
  EXPECT_EQ(s.status, ParseStatus::error) << all;
  return s.error_status;
}

// ---- valid requests -----------------------------------------------------------------------

constexpr std::string_view kSimpleGet =
    "GET /sse?channel=a&channel=b HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";

TEST(RequestParser, SimpleGet) {
  Snapshot s = parse_one(kSimpleGet);
  ASSERT_EQ(s.status, ParseStatus::complete);
  EXPECT_EQ(s.consumed, kSimpleGet.size());
  EXPECT_EQ(s.method, Method::get);
  EXPECT_EQ(s.method_text, "GET");
  EXPECT_EQ(s.target, "/sse?channel=a&channel=b");
  EXPECT_EQ(s.path, "/sse");
  EXPECT_EQ(s.query, "channel=a&channel=b");
  EXPECT_EQ(s.version_minor, 1);
  ASSERT_EQ(s.headers.size(), 2u);
  EXPECT_EQ(s.headers[0], std::make_pair(std::string("Host"), std::string("example.com")));
  EXPECT_EQ(s.headers[1], std::make_pair(std::string("Accept"), std::string("*/*")));
  EXPECT_TRUE(s.body.empty());
  EXPECT_TRUE(s.keep_alive);
  EXPECT_FALSE(s.upgrade);
  expect_split_invariant(kSimpleGet);
}

TEST(RequestParser, KeepAliveRules) {
  constexpr std::string_view kOld = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
  Snapshot s = parse_one(kOld);
  ASSERT_EQ(s.status, ParseStatus::complete);
  EXPECT_EQ(s.version_minor, 0);
  EXPECT_TRUE(s.keep_alive);
  expect_split_invariant(kOld);

  EXPECT_FALSE(parse_one("GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse_one("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n").keep_alive);
  EXPECT_TRUE(parse_one("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo\r\n\r\n").keep_alive);
}

TEST(RequestParser, PostWithContentLength) {
  constexpr std::string_view kPost =
      "POST /api/publish HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
      "Content-Length: 27\r\n\r\n{\"channel\":\"c\",\"data\":123}\n";
  Snapshot s = parse_one(kPost);
  ASSERT_EQ(s.status, ParseStatus::complete);
  EXPECT_EQ(s.method, Method::post);
  EXPECT_EQ(s.body, "{\"channel\":\"c\",\"data\":123}\n");
  EXPECT_EQ(s.consumed, kPost.size());
  expect_split_invariant(kPost);
}

constexpr std::string_view kChunked =
    "POST /api/publish HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;name=value\r\nhello\r\n"
    "1A ; x\r\n, chunked world, 26 bytes!\r\n"
    "0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n";

TEST(RequestParser, ChunkedWithExtensionAndTrailers) {
  Snapshot s = parse_one(kChunked);
  ASSERT_EQ(s.status, ParseStatus::complete);
  EXPECT_EQ(s.body, "hello, chunked world, 26 bytes!");
  EXPECT_EQ(s.consumed, kChunked.size());
  // Trailers are ignored: they do not show up as headers.
  ASSERT_EQ(s.headers.size(), 2u);
  EXPECT_EQ(s.headers[1].first, "Transfer-Encoding");
  expect_split_invariant(kChunked);
}

TEST(RequestParser, PipelinedPair) {
  std::string two = std::string(kSimpleGet) +
                    "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n"
                    "\r\nabc";
  std::vector<Snapshot> v = parse_whole(two);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].consumed, kSimpleGet.size());
  EXPECT_EQ(v[0].path, "/sse");
  EXPECT_EQ(v[1].path, "/b");
  EXPECT_EQ(v[1].body, "abc");
  EXPECT_FALSE(v[1].keep_alive);
  EXPECT_EQ(v[0].consumed + v[1].consumed, two.size());
  expect_split_invariant(two);
  // The chunked request followed by a GET: the body state machine stops at the right byte.
  expect_split_invariant(std::string(kChunked) + std::string(kSimpleGet));
}

TEST(RequestParser, UpgradeNeedsTokenAndHeader) {
  Snapshot s = parse_one(
      "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
      "\r\n");
  EXPECT_TRUE(s.upgrade);
  EXPECT_FALSE(parse_one("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n").upgrade);
  EXPECT_FALSE(parse_one("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n").upgrade);
}

TEST(RequestParser, HeaderLookupIsCaseInsensitive) {
  std::string in =
      "GET / HTTP/1.1\r\nHost: h\r\nX-A:  1 \r\nx-a: 2\r\nConnection: a,  B ,c\r\n\r\n";
  RequestParser p;
  ASSERT_EQ(p.parse(in).status, ParseStatus::complete);
  bool found = false;
  EXPECT_EQ(p.request().header("X-a", &found), "1");
  EXPECT_TRUE(found);
  p.request().header("missing", &found);
  EXPECT_FALSE(found);
  EXPECT_TRUE(p.request().header_has_token("connection", "b"));
  EXPECT_TRUE(p.request().header_has_token("CONNECTION", "C"));
  EXPECT_FALSE(p.request().header_has_token("connection", "d"));
  // Views point into the input.
  EXPECT_GE(p.request().path.data(), in.data());
  EXPECT_LE(p.request().path.data() + p.request().path.size(), in.data() + in.size());
}

TEST(RequestParser, EmptyHeaderValueAndTabsAreFine) {
  Snapshot s = parse_one("GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Tab: a\tb\r\n\r\n");
  ASSERT_EQ(s.status, ParseStatus::complete);
  EXPECT_EQ(s.headers[1].second, "");
  EXPECT_EQ(s.headers[2].second, "a\tb");
}

TEST(RequestParser, AbsoluteFormTarget) {
  Snapshot s = parse_one("GET http://example.com/poll?channel=x HTTP/1.1\r\nHost: e\r\n\r\n");
  ASSERT_EQ(s.status, ParseStatus::complete);
  EXPECT_EQ(s.path, "/poll");
  EXPECT_EQ(s.query, "channel=x");
}

TEST(RequestParser, HigherMinorVersionIsTreatedAs11) {
  Snapshot s = parse_one("GET / HTTP/1.7\r\nHost: h\r\n\r\n");
  ASSERT_EQ(s.status, ParseStatus::complete);
  EXPECT_EQ(s.version_minor, 1);
}

TEST(RequestParser, LeadingEmptyLinesAreSkipped) {
  std::string in = "\r\n\r\n" + std::string(kSimpleGet);
  Snapshot s = parse_one(in);
  ASSERT_EQ(s.status, ParseStatus::complete);
  EXPECT_EQ(s.path, "/sse");
  EXPECT_EQ(s.consumed, in.size());
  expect_split_invariant(in);
  EXPECT_EQ(error_of(std::string(40, '\r') + std::string(kSimpleGet)), 400);  // bare CR
  std::string many;
  for (int i = 0; i < 20; ++i) many += "\r\n";
  EXPECT_EQ(error_of(many + std::string(kSimpleGet)), 400);
}

TEST(RequestParser, DuplicateIdenticalContentLengthIsAccepted) {
  Snapshot s =
      parse_one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(s.status, ParseStatus::complete);
  EXPECT_EQ(s.body, "ok");
  s = parse_one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\n\r\nok");
  ASSERT_EQ(s.status, ParseStatus::complete);
  EXPECT_EQ(s.body, "ok");
}

TEST(RequestParser, Http10WithoutHostIsFine) {
  EXPECT_EQ(parse_one("GET / HTTP/1.0\r\n\r\n").status, ParseStatus::complete);
}

TEST(RequestParser, LargeChunkedBodyInManyReads) {
  std::string in = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string expect;
  for (int i = 0; i < 64; ++i) {
    std::string chunk(4000, static_cast<char>('a' + i % 26));
    in += "FA0\r\n" + chunk + "\r\n";
    expect += chunk;
  }
  in += "0\r\n\r\n";
  std::vector<size_t> cuts;
  for (size_t k = 1000; k < in.size(); k += 1000) cuts.push_back(k);
  std::vector<Snapshot> v = parse_stream(in, cuts);
  ASSERT_EQ(v.size(), 1u);
  ASSERT_EQ(v[0].status, ParseStatus::complete);
  EXPECT_EQ(v[0].body, expect);
}

TEST(RequestParser, ResetAllowsReuseAndErrorIsSticky) {
  RequestParser p;
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\n\r\n").error_status, 400);  // missing Host
  EXPECT_EQ(p.parse(kSimpleGet).error_status, 400);                // still failed
  p.reset();
  EXPECT_EQ(p.parse(kSimpleGet).status, ParseStatus::complete);
  EXPECT_EQ(p.request().path, "/sse");
}

// ---- errors: one rule per test ------------------------------------------------------------

TEST(RequestParserErrors, UnsupportedVersionIs505) {
  EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(error_of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505);
  EXPECT_EQ(error_of("GET / HTTP/0.9\r\n\r\n"), 505);
}

TEST(RequestParserErrors, MalformedVersionIs400) {
  EXPECT_EQ(error_of("GET / http/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.10\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET /\r\nHost: h\r\n\r\n"), 400);
}

TEST(RequestParserErrors, MalformedRequestLineIs400) {
  EXPECT_EQ(error_of("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);    // method not a token
  EXPECT_EQ(error_of("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);   // two spaces
  EXPECT_EQ(error_of("GET / x HTTP/1.1\r\nHost: h\r\n\r\n"), 400);  // space in target
  EXPECT_EQ(error_of("GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of(" GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(RequestParserErrors, LongRequestLineIs414) {
  ParserLimits l;
  l.max_request_line = 32;
  std::string ok = "GET /" + std::string(18, 'a') + " HTTP/1.1";  // exactly 32
  ASSERT_EQ(ok.size(), 32u);
  EXPECT_EQ(parse_one(ok + "\r\nHost: h\r\n\r\n", l).status, ParseStatus::complete);
  std::string too_long = "GET /" + std::string(19, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(error_of(too_long, l), 414);
}

TEST(RequestParserErrors, LongRequestLineIs414BeforeCrlf) {
  ParserLimits l;
  l.max_request_line = 32;
  RequestParser p(l);
  std::string partial = "GET /" + std::string(27, 'a');  // 32 bytes, no CRLF yet
  EXPECT_EQ(p.parse(partial).status, ParseStatus::need_more);
  partial += "\r";  // a CR alone does not count as content
  EXPECT_EQ(p.parse(partial).status, ParseStatus::need_more);
  partial.back() = 'a';
  ParseResult r = p.parse(partial);
  EXPECT_EQ(r.status, ParseStatus::error);
  EXPECT_EQ(r.error_status, 414);
}

TEST(RequestParserErrors, LargeHeaderBlockIs431) {
  ParserLimits l;
  l.max_header_bytes = 64;
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";                   // 25 bytes
  std::string fits = head + "X: " + std::string(32, 'v') + "\r\n\r\n";  // 64 bytes
  ASSERT_EQ(fits.size(), 64u);
  EXPECT_EQ(parse_one(fits, l).status, ParseStatus::complete);
  std::string over = head + "X: " + std::string(33, 'v') + "\r\n\r\n";
  EXPECT_EQ(error_of(over, l), 431);
}

TEST(RequestParserErrors, LargeHeaderBlockIs431BeforeTerminator) {
  ParserLimits l;
  l.max_header_bytes = 64;
  RequestParser p(l);
  std::string in = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(36, 'v');  // 64, no CRLF
  EXPECT_EQ(p.parse(in).status, ParseStatus::need_more);
  in += "v";
  ParseResult r = p.parse(in);
  EXPECT_EQ(r.status, ParseStatus::error);
  EXPECT_EQ(r.error_status, 431);
}

TEST(RequestParserErrors, TooManyHeadersIs431) {
  ParserLimits l;
  l.max_header_count = 3;
  EXPECT_EQ(parse_one("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", l).status,
            ParseStatus::complete);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", l), 431);
  // Also before the terminator arrives.
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n", l), 431);
}

TEST(RequestParserErrors, ContentLengthAboveLimitIs413AtOnce) {
  ParserLimits l;
  l.max_body = 10;
  EXPECT_EQ(
      parse_one("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", l).status,
      ParseStatus::complete);
  // No body byte has arrived: the header alone decides.
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", l), 413);
}

TEST(RequestParserErrors, ChunkedBodyAboveLimitIs413) {
  ParserLimits l;
  l.max_body = 10;
  std::string base = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(parse_one(base + "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", l).body, "0123456789");
  EXPECT_EQ(error_of(base + "5\r\n01234\r\n6\r\n", l), 413);
  EXPECT_EQ(error_of(base + "b\r\n", l), 413);
}

TEST(RequestParserErrors, UnknownTransferEncodingIs501) {
  std::string base = "POST / HTTP/1.1\r\nHost: h\r\n";
  EXPECT_EQ(error_of(base + "Transfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(error_of(base + "Transfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(error_of(base + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            501);
  EXPECT_EQ(parse_one(base + "Transfer-Encoding: Chunked\r\n\r\n0\r\n\r\n").status,
            ParseStatus::complete);
}

TEST(RequestParserErrors, TransferEncodingWithContentLengthIs400) {
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            400);
}

TEST(RequestParserErrors, TransferEncodingInHttp10Is400) {
  EXPECT_EQ(error_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400);
}

TEST(RequestParserErrors, DifferingContentLengthsAre400) {
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                     "Content-Length: 6\r\n\r\nhello!"),
            400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\nhello!"), 400);
}

TEST(RequestParserErrors, InvalidContentLengthIs400) {
  for (std::string_view v :
       {"-1", "+5", "5a", "0x5", "", " ", "5,", "1 2", "99999999999999999999999"}) {
    std::string in =
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::string(v) + "\r\n\r\nhello";
    EXPECT_EQ(error_of(in), 400) << v;
  }
}

TEST(RequestParserErrors, ObsFoldIs400) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  b\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n"), 400);
}

TEST(RequestParserErrors, WhitespaceBeforeColonIs400) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX\t: 1\r\n\r\n"), 400);
}

TEST(RequestParserErrors, HeaderNameMustBeToken) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX(y): 1\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\n: 1\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"), 400);
}

TEST(RequestParserErrors, ControlCharacterInValueIs400) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n"), 400);
  EXPECT_EQ(error_of(std::string_view("GET / HTTP/1.1\r\nHost: h\r\nX: a\0z\r\n\r\n", 35)), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fz\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\rz\r\n\r\n"), 400);  // bare CR
}

// A whole header line is read in one pass when it has the common shape; a line that arrives in
// pieces, or has any other shape, is judged by the careful path. Both must say the same about
// every line: each variant here is parsed whole and byte by byte (the careful path for every
// line), and the results, the error status and its reason included, must be equal. Values
// longer than 16 bytes put the odd byte past the first block of the vectorised scan.
// The request target is scanned 16 bytes at a time: every byte value at every position of a
// target longer than one block must be taken exactly when it is visible ASCII.
TEST(RequestParser, EveryTargetByteAtEveryPosition) {
  for (size_t at = 1; at < 34; ++at) {
    for (int c = 0; c < 256; ++c) {
      std::string target = "/" + std::string(33, 't');
      target[at] = static_cast<char>(c);
      Snapshot s = parse_one("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n");
      bool visible = c > 0x20 && c < 0x7f;
      ASSERT_EQ(s.status, visible ? ParseStatus::complete : ParseStatus::error)
          << "byte " << c << " at " << at;
      if (visible) {
        EXPECT_EQ(s.target, target);
      }
    }
  }
}

TEST(RequestParser, OneLineScanAndCarefulPathAgree) {
  const std::string long_value(40, 'v');
  const std::vector<std::string> lines = {
      "X: plain",
      "X: " + long_value,
      "X:no-space",
      "X:   three spaces, two after   ",
      "X:",
      "X: ",
      "X: \t",
      "X:\tleading tab",
      "X: inner\ttab " + long_value,
      "X: trailing tab\t",
      "X: " + long_value + "\x01" + long_value,
      "X: " + long_value + "\x7f",
      "X: " + long_value + "\r" + long_value,
      "X: " + long_value + "\xc3\xa9 obs-text",
      std::string("X: a\0b", 7),
      " X: obs-fold",
      "X : space before colon",
      "X\t: tab before colon",
      ": empty name",
      "X(y): bad name",
      "A_b.c!d#e$f%g&h'i*j+k^l`m|n~o: every token character",
      "Sixteen-Letters-And-More-After-Them: a name past one block",
      "NoColon",
      "Content-Length: 0",
      "Content-Length:  12  ",
      "Connection: close",
      "connection:keep-alive, Upgrade",
      "Upgrade: websocket",
      "Transfer-Encoding: chunked",
      "Host: second",
  };
  for (const std::string& line : lines) {
    std::string all = "POST / HTTP/1.1\r\nHost: h\r\n" + line + "\r\nContent-Length: 2\r\n\r\nok";
    RequestParser whole;
    ParseResult a = whole.parse(all);
    RequestParser bytes;
    ParseResult b{};
    for (size_t k = 1; k <= all.size(); ++k) {
      b = bytes.parse(std::string_view(all).substr(0, k));
      if (b.status != ParseStatus::need_more) break;
    }
    EXPECT_EQ(snap(a, whole), snap(b, bytes)) << line;
    EXPECT_STREQ(a.error_reason, b.error_reason) << line;
    expect_split_invariant(all);
  }
  // The line that ends the block, and the limits, at the same byte either way.
  ParserLimits l;
  l.max_header_bytes = 64;
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (size_t n = 30; n < 40; ++n) {
    std::string all = head + "X: " + std::string(n, 'v') + "\r\n\r\n";
    EXPECT_EQ(parse_whole(all, l), parse_stream(all, {all.size() - 1}, l)) << n;
  }
  l = {};
  l.max_header_count = 2;
  std::string two = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
  EXPECT_EQ(parse_whole(two, l), parse_stream(two, {two.size() - 1}, l));
}

TEST(RequestParserErrors, BareLfIs400) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\n\n"), 400);
  EXPECT_EQ(error_of("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(RequestParserErrors, MissingHostIn11Is400) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), 400);
}

TEST(RequestParserErrors, DuplicateHostIs400) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestParserErrors, ChunkSizeOverflowIs400) {
  ParserLimits l;
  l.max_body = SIZE_MAX;
  std::string base = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(error_of(base + "10000000000000000\r\n", l), 400);  // 2^64
  // Leading zeros are not an overflow.
  EXPECT_EQ(parse_one(base + "000000000000000000000000000000001\r\nx\r\n0\r\n\r\n", l).body, "x");
}

TEST(RequestParserErrors, MalformedChunksAre400) {
  std::string base = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(error_of(base + "zz\r\n"), 400);
  EXPECT_EQ(error_of(base + "-1\r\n"), 400);
  EXPECT_EQ(error_of(base + "5 x\r\n"), 400);
  EXPECT_EQ(error_of(base + "5\r\nhelloXY"), 400);  // no CRLF after the data
  EXPECT_EQ(error_of(base + "5\nhello\r\n"), 400);  // bare LF
  EXPECT_EQ(error_of(base + "0\r\nBad Trailer: x\r\n\r\n"), 400);
  EXPECT_EQ(error_of(base + std::string(5000, '0')), 400);  // endless size line
}

TEST(RequestParserErrors, LargeTrailersAre431) {
  ParserLimits l;
  l.max_header_bytes = 100;
  std::string base = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  EXPECT_EQ(error_of(base + "X: " + std::string(200, 'v') + "\r\n\r\n", l), 431);
}

}  // namespace
}  // namespace herald::http

namespace herald::http {

TEST(Parser, ExpectContinueIsSeenOnceHeadersAreIn) {
  RequestParser p;
  std::string head =
      "POST /api/publish HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n";
  EXPECT_EQ(p.parse(head.substr(0, 20)).status, ParseStatus::need_more);
  EXPECT_FALSE(p.expects_continue(head.substr(0, 20)));
  EXPECT_EQ(p.parse(head).status, ParseStatus::need_more);
  EXPECT_TRUE(p.in_body());
  EXPECT_TRUE(p.expects_continue(head));
  std::string full = head + "hello";
  auto r = p.parse(full);
  EXPECT_EQ(r.status, ParseStatus::complete);
  EXPECT_EQ(p.request().body, "hello");
}

TEST(Parser, NoExpectNoContinue) {
  RequestParser p;
  std::string head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n";
  EXPECT_EQ(p.parse(head).status, ParseStatus::need_more);
  EXPECT_FALSE(p.expects_continue(head));
  RequestParser q;
  std::string old = "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
  EXPECT_EQ(q.parse(old).status, ParseStatus::need_more);
  EXPECT_FALSE(q.expects_continue(old));  // HTTP/1.0 clients do not wait for a 100
}

}  // namespace herald::http
