#include "proto/sse_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::proto {
namespace {

// Everything the parser reports, as one transcript.
struct Recorder : SseSink {
  std::vector<std::string> log;
  void on_event(const SseEvent& e) override {
    log.push_back("event " + std::string(e.type) + " id=" + std::string(e.id) + " [" +
                  std::string(e.data) + "]");
  }
  void on_comment(std::string_view t) override { log.push_back("comment " + std::string(t)); }
  void on_retry(uint32_t ms) override { log.push_back("retry " + std::to_string(ms)); }
  void on_id(std::string_view id) override { log.push_back("id " + std::string(id)); }
};

std::vector<std::string> parse_pieces(std::string_view all, std::vector<size_t> cuts) {
  cuts.push_back(all.size());
  SseParser p;
  Recorder r;
  size_t from = 0;
  for (size_t cut : cuts) {
    EXPECT_TRUE(p.feed(all.substr(from, cut - from), r));
    from = cut;
  }
  return r.log;
}

const std::string kStream =
    "\xEF\xBB\xBF: hello\r\n"
    "retry: 2000\r\n\r\n"
    "id: E:1\r\ndata: {\"channel\":\"c\",\"offset\":1}\r\n\r\n"
    "event: recovery\ndata:{\"recovered\":false}\n\n"
    "data: line1\rdata: line2\r\rdata\n\n"
    "id: m1.xyz\n\n"
    "event: ignored-without-data\n\n"
    "retry: 12x\nretry\nunknown: field\ndata: after\n\n";

TEST(SseParser, InterpretsTheStream) {
  auto log = parse_pieces(kStream, {});
  std::vector<std::string> want = {
      "comment hello",
      "retry 2000",
      "id E:1",
      "event message id=E:1 [{\"channel\":\"c\",\"offset\":1}]",
      "event recovery id=E:1 [{\"recovered\":false}]",
      "event message id=E:1 [line1\nline2]",
      "event message id=E:1 []",  // "data" alone: one empty line of data is still an event
      "id m1.xyz",
      "event message id=m1.xyz [after]",
  };
  EXPECT_EQ(log, want);
}

TEST(SseParser, EverySplitGivesTheSameEvents) {
  auto whole = parse_pieces(kStream, {});
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    ASSERT_EQ(parse_pieces(kStream, {cut}), whole) << "split at " << cut;
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i < kStream.size(); ++i) bytes.push_back(i);
  EXPECT_EQ(parse_pieces(kStream, bytes), whole);
}

TEST(SseParser, IdWithNulIsIgnoredAndIdPersists) {
  SseParser p;
  Recorder r;
  p.feed(std::string_view("id: a\n\nid: b\0c\ndata: x\n\n", 24), r);
  EXPECT_EQ(p.last_event_id(), "a");
  EXPECT_EQ(r.log, (std::vector<std::string>{"id a", "event message id=a [x]"}));
}

TEST(SseParser, LimitFailsTheStream) {
  SseParser p(16);
  Recorder r;
  EXPECT_TRUE(p.feed("data: 0123456789\n", r));
  EXPECT_FALSE(p.feed("data: 0123456789\n\n", r));
  EXPECT_TRUE(p.failed());
  EXPECT_TRUE(r.log.empty());
  SseParser q(16);
  EXPECT_FALSE(q.feed(std::string(40, 'x'), r));  // one endless line
}

TEST(SseParser, LongLineFailsWhetherWholeOrSplit) {
  // A comment (or event:/id: line) longer than the limit, arriving in one read with its line
  // end, fails like the same line arriving in pieces.
  std::string line = ": " + std::string(30, 'c') + "\n";
  Recorder r;
  SseParser whole(16);
  EXPECT_FALSE(whole.feed(line, r));
  SseParser split(16);
  EXPECT_FALSE(split.feed(line.substr(0, 10), r) && split.feed(line.substr(10), r));
  EXPECT_TRUE(r.log.empty());
}

}  // namespace
}  // namespace herald::proto
