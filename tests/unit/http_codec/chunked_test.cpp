#include "http_codec/chunked.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace herald::http {
namespace {

using Status = ChunkedDecoder::Status;

ChunkedOptions strict() {
  return ChunkedOptions{};
}
ChunkedOptions lenient() {
  ChunkedOptions o;
  o.allow_bare_lf = true;
  return o;
}

// What the caller of the decoder sees once the input ends (or decoding stops).
struct Outcome {
  Status status = Status::need_more;
  std::string body;
  size_t end = 0;  // bytes of the input the chunked body used (done only)
  ChunkedError error = ChunkedError::none;
  std::string reason;
};

// Buffered use, like RequestParser: the input arrives in pieces ending at `cuts`, the decoder
// sees every byte so far in a fresh copy each time (so it cannot keep pointers into an old
// buffer), and the position carries over.
Outcome decode_buffered(std::string_view all, std::vector<size_t> cuts, ChunkedOptions options) {
  cuts.push_back(all.size());
  ChunkedDecoder d(options);
  Outcome o;
  size_t pos = 0;
  for (size_t cut : cuts) {
    std::string copy(all.substr(0, cut));
    o.status = d.decode(copy, &pos, &o.body);
    if (o.status != Status::need_more) break;
  }
  o.end = pos;
  o.error = d.error();
  o.reason = d.error_reason();
  return o;
}

// One read holding everything.
Outcome decode_all(std::string_view in, ChunkedOptions options = {}) {
  return decode_buffered(in, {}, options);
}

// Streamed use, like ResponseParser in stream_body mode: after each call the caller drops the
// bytes the decoder used (rebase) and drains the sink.
Outcome decode_streamed(std::string_view all, std::vector<size_t> cuts, ChunkedOptions options) {
  cuts.push_back(all.size());
  ChunkedDecoder d(options);
  Outcome o;
  std::string unread, sink;
  size_t delivered = 0, dropped = 0;
  for (size_t cut : cuts) {
    unread.append(all.substr(delivered, cut - delivered));
    delivered = cut;
    size_t pos = 0;
    o.status = d.decode(unread, &pos, &sink);
    o.body += sink;
    sink.clear();
    if (o.status != Status::need_more) {
      o.end = dropped + pos;
      break;
    }
    unread.erase(0, pos);
    dropped += pos;
    d.rebase(pos);
  }
  o.error = d.error();
  o.reason = d.error_reason();
  return o;
}

struct Valid {
  std::string in;  // chunked body, then bytes of whatever follows it
  std::string body;
  size_t end;  // where the chunked body ends in `in`
};

Valid valid(std::string chunked, std::string body, std::string rest = "") {
  return {chunked + rest, body, chunked.size()};
}

std::vector<Valid> valid_bodies() {
  return {
      valid("0\r\n\r\n", ""),
      valid("5\r\nhello\r\n0\r\n\r\n", "hello"),
      valid("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", "GET / HTTP/1.1\r\n"),
      valid("A;name=value\r\n0123456789\r\n000\r\nX-Trailer: 1\r\nY: two\r\n\r\n", "0123456789",
            "next"),
      valid("1 ;ext\r\n\n\r\n2\r\n\r\n\r\n0\r\n\r\n", "\n\r\n"),
      valid("f\r\n0123456789abcde\r\n0\r\n\r\n", "0123456789abcde", "\r\n"),
  };
}

TEST(ChunkedDecoder, DecodesValidBodiesInOneRead) {
  for (const Valid& v : valid_bodies()) {
    for (ChunkedOptions opt : {strict(), lenient()}) {
      Outcome o = decode_all(v.in, opt);
      EXPECT_EQ(o.status, Status::done) << v.in << " " << o.reason;
      EXPECT_EQ(o.body, v.body) << v.in;
      EXPECT_EQ(o.end, v.end) << v.in;
      EXPECT_EQ(o.error, ChunkedError::none);
    }
  }
}

TEST(ChunkedDecoder, EverySplitGivesTheSameResultBufferedAndStreamed) {
  for (const Valid& v : valid_bodies()) {
    for (ChunkedOptions opt : {strict(), lenient()}) {
      // Every single cut, then every pair of cuts.
      for (size_t a = 0; a <= v.in.size(); ++a) {
        for (size_t b = a; b <= v.in.size(); ++b) {
          std::vector<size_t> cuts = {a, b};
          Outcome buffered = decode_buffered(v.in, cuts, opt);
          ASSERT_EQ(buffered.status, Status::done) << v.in << " cuts " << a << "," << b;
          EXPECT_EQ(buffered.body, v.body);
          EXPECT_EQ(buffered.end, v.end);
          Outcome streamed = decode_streamed(v.in, cuts, opt);
          ASSERT_EQ(streamed.status, Status::done) << v.in << " cuts " << a << "," << b;
          EXPECT_EQ(streamed.body, v.body);
          EXPECT_EQ(streamed.end, v.end);
        }
      }
    }
  }
}

TEST(ChunkedDecoder, ByteByByteHandsOutDataAsItArrives) {
  std::string in = "8\r\nabcdefgh\r\n0\r\n\r\n";
  ChunkedDecoder d;
  std::string sink;
  size_t pos = 0;
  std::string buf;
  for (size_t i = 0; i < 7; ++i) {  // "8\r\nabcd"
    buf.push_back(in[i]);
    ASSERT_EQ(d.decode(buf, &pos, &sink), Status::need_more);
  }
  EXPECT_EQ(sink, "abcd");
  EXPECT_EQ(pos, 7u);
  EXPECT_EQ(d.decoded(), 4u);
  buf = in;
  EXPECT_EQ(d.decode(buf, &pos, &sink), Status::done);
  EXPECT_EQ(sink, "abcdefgh");
  EXPECT_EQ(pos, in.size());
}

TEST(ChunkedDecoder, NeedMoreUntilTheFinalEmptyLine) {
  for (std::string_view part :
       {"", "5", "5\r", "5\r\nhel", "5\r\nhello", "5\r\nhello\r", "5\r\nhello\r\n0\r\n",
        "5\r\nhello\r\n0\r\nX: y\r\n", "5\r\nhello\r\n0\r\n\r"}) {
    EXPECT_EQ(decode_all(part).status, Status::need_more) << part;
  }
}

struct Bad {
  std::string in;
  std::string reason;
};

// Decoding `b.in` in one read stops with a malformed-body error for `b.reason`.
void expect_malformed(const Bad& b, ChunkedOptions options) {
  Outcome o = decode_all(b.in, options);
  EXPECT_EQ(o.status, Status::error) << b.in;
  EXPECT_EQ(o.error, ChunkedError::malformed) << b.in;
  EXPECT_EQ(o.reason, b.reason) << b.in;
}

TEST(ChunkedDecoder, EachErrorWithItsReason) {
  std::vector<Bad> bad = {
      {"\r\n", "invalid chunk size"},
      {"x\r\n", "invalid chunk size"},
      {"5 x\r\nhello\r\n0\r\n\r\n", "invalid chunk size"},
      {"-1\r\n", "invalid chunk size"},
      {"10000000000000000\r\n", "chunk size overflow"},
      {"1;a\x01\r\n", "control character in chunk extension"},
      {"5\r\nhelloXX", "missing CRLF after chunk"},
      {"5\r\nhello\rX", "missing CRLF after chunk"},
      {"0\r\n: v\r\n\r\n", "empty header name"},
      {"0\r\n v\r\n\r\n", "obsolete line folding"},
      {"0\r\nName : v\r\n\r\n", "whitespace before colon"},
      {"0\r\nNoColon\r\n\r\n", "header without colon"},
      {"0\r\nA: b\x7f\r\n\r\n", "control character in header value"},
      {std::string(kMaxChunkLineBytes + 1, '0'), "chunk size line too long"},
      {"1;" + std::string(kMaxChunkLineBytes, 'e') + "\r\n", "chunk size line too long"},
  };
  for (const Bad& b : bad) {
    expect_malformed(b, strict());
    expect_malformed(b, lenient());
  }
}

TEST(ChunkedDecoder, ErrorsAreSticky) {
  ChunkedDecoder d;
  std::string sink;
  size_t pos = 0;
  ASSERT_EQ(d.decode("z\r\n", &pos, &sink), Status::error);
  EXPECT_EQ(d.decode("z\r\n0\r\n\r\n", &pos, &sink), Status::error);
  EXPECT_STREQ(d.error_reason(), "invalid chunk size");
}

TEST(ChunkedDecoder, StrictRefusesEveryBareLf) {
  std::vector<Bad> bad = {
      {"5\nhello\r\n0\r\n\r\n", "bare LF in chunk size"},
      {"\n", "bare LF in chunk size"},
      {"5\r\nhello\n0\r\n\r\n", "missing CRLF after chunk"},
      {"5\r\nhello\r\n0\n\r\n", "bare LF in chunk size"},
      {"5\r\nhello\r\n0\r\nX: y\n\r\n", "bare LF in trailers"},
      {"5\r\nhello\r\n0\r\n\n", "bare LF in trailers"},
  };
  for (const Bad& b : bad) expect_malformed(b, strict());
}

TEST(ChunkedDecoder, LenientAcceptsBareLfEverywhere) {
  std::string in = "5\nhello\n3;x\r\nabc\n0\nX: y\n\nrest";
  Outcome o = decode_all(in, lenient());
  EXPECT_EQ(o.status, Status::done) << o.reason;
  EXPECT_EQ(o.body, "helloabc");
  EXPECT_EQ(o.end, in.size() - 4);
  // A lone CR is still no line ending.
  EXPECT_EQ(decode_all("5\r\nhello\rX", lenient()).reason, "missing CRLF after chunk");
  for (size_t a = 0; a <= in.size(); ++a) {
    Outcome s = decode_streamed(in, {a}, lenient());
    EXPECT_EQ(s.status, Status::done) << a;
    EXPECT_EQ(s.body, "helloabc") << a;
    EXPECT_EQ(s.end, in.size() - 4) << a;
  }
}

TEST(ChunkedDecoder, BodyLimitIsCheckedAtTheSizeLine) {
  ChunkedOptions opt;
  opt.max_body = 10;
  EXPECT_EQ(decode_all("a\r\n0123456789\r\n0\r\n\r\n", opt).status, Status::done);
  // One chunk over the limit: refused before any of its bytes arrive.
  Outcome one = decode_all("b\r\n", opt);
  EXPECT_EQ(one.status, Status::error);
  EXPECT_EQ(one.error, ChunkedError::body_too_large);
  EXPECT_EQ(one.reason, "body too large");
  // Several chunks that add up to more than the limit.
  Outcome sum = decode_all("6\r\n012345\r\n5\r\n", opt);
  EXPECT_EQ(sum.error, ChunkedError::body_too_large);
  EXPECT_EQ(sum.body, "012345");
  // A size near 2^64 does not wrap around the check.
  EXPECT_EQ(decode_all("1\r\nx\r\nffffffffffffffff\r\n", opt).error, ChunkedError::body_too_large);
  // Streamed: the sink is drained, but the limit counts every decoded byte.
  Outcome streamed = decode_streamed("6\r\n012345\r\n5\r\n", {9}, opt);
  EXPECT_EQ(streamed.error, ChunkedError::body_too_large);
  // No limit by default.
  EXPECT_EQ(decode_all("ffffffffffffffff\r\nabc").status, Status::need_more);
}

TEST(ChunkedDecoder, ChunkLineLimitCountsTheLineEnding) {
  ChunkedOptions opt;
  opt.max_chunk_line = 8;
  // "1;abcde\r": 8 bytes before the LF, CR included.
  EXPECT_EQ(decode_all("1;abcde\r\nx\r\n0\r\n\r\n", opt).status, Status::done);
  EXPECT_EQ(decode_all("1;abcdef\r\nx\r\n0\r\n\r\n", opt).reason, "chunk size line too long");
  // Refused before the line ends, so an endless line is never buffered.
  EXPECT_EQ(decode_all("1;abcdefg", opt).reason, "chunk size line too long");
  EXPECT_EQ(decode_all("1;abcdef", opt).status, Status::need_more);
}

TEST(ChunkedDecoder, TrailerLimitCountsTheWholeSection) {
  ChunkedOptions opt;
  opt.max_trailer_bytes = 12;
  EXPECT_EQ(decode_all("0\r\nA: 12345\r\n\r\n", opt).status, Status::done);  // 10 + 2 bytes
  // "A: 1\r\n" (6) + "B: 2\r\n" (6) + "\r\n" (2) = 14.
  Outcome o = decode_all("0\r\nA: 1\r\nB: 2\r\n\r\n", opt);
  EXPECT_EQ(o.status, Status::error);
  EXPECT_EQ(o.error, ChunkedError::trailers_too_large);
  EXPECT_EQ(o.reason, "trailers too large");
  // Before the line ends.
  EXPECT_EQ(decode_all("0\r\nA: 1234567890", opt).error, ChunkedError::trailers_too_large);
  // Streamed with every complete line dropped by the caller: still counted.
  for (size_t a = 3; a + 3 <= 17; ++a) {
    EXPECT_EQ(decode_streamed("0\r\nA: 1\r\nB: 2\r\n\r\n", {a, a + 3}, opt).error,
              ChunkedError::trailers_too_large)
        << a;
  }
}

TEST(ChunkedDecoder, ScannedTellsHowMuchInputItHasSeen) {
  ChunkedDecoder d;
  std::string sink;
  size_t pos = 0;
  ASSERT_EQ(d.decode("12345", &pos, &sink), Status::need_more);
  EXPECT_EQ(pos, 0u);  // a partial size line is not consumed
  EXPECT_EQ(d.scanned(), 5u);
  d.rebase(2);
  EXPECT_EQ(d.scanned(), 3u);
}

}  // namespace
}  // namespace herald::http
