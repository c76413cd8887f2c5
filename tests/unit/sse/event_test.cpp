#include "sse/event.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/cursor.h"

namespace herald::sse {
namespace {

hub::Publication pub(std::string channel, std::string epoch, uint64_t offset, std::string data) {
  hub::Publication p;
  p.channel = std::move(channel);
  p.epoch = std::move(epoch);
  p.offset = offset;
  p.data = base::SharedBuffer::copy_of(data);
  return p;
}

TEST(Event, JsonPushIsTheWebSocketPush) {
  auto b = build_json_push(pub("public:x", "Ab1", 42, R"({"a":[1,"two"]})"));
  EXPECT_EQ(b.view(), R"({"channel":"public:x","offset":42,"data":{"a":[1,"two"]}})");
}

TEST(Event, SseFormIsDataThenIdThenBlankLine) {
  auto b = build_sse_event(pub("public:x", "Ab1", 7, R"("hi")"));
  EXPECT_EQ(b.view(),
            "data: {\"channel\":\"public:x\",\"offset\":7,\"data\":\"hi\"}\n"
            "id: Ab1:7\n"
            "\n");
  size_t n = sse_data_part_size(b.view());
  EXPECT_EQ(b.view().substr(0, n),
            "data: {\"channel\":\"public:x\",\"offset\":7,\"data\":\"hi\"}\n");
}

TEST(Event, DataPartIgnoresIdTextInsideData) {
  // A string containing "\nid: " can only appear escaped in JSON, so rfind finds the real id.
  auto b = build_sse_event(pub("public:x", "E", 1, R"("\nid: x")"));
  size_t n = sse_data_part_size(b.view());
  EXPECT_EQ(b.view().substr(n), "id: E:1\n\n");
}

TEST(StreamCursor, SingleChannelIsPlain) {
  StreamCursor c({"public:a"});
  EXPECT_EQ(c.str(), "");
  c.set(0, "Ep", 9);
  EXPECT_EQ(c.str(), "Ep:9");
  EXPECT_EQ(c.index_of("public:a"), 0u);
  EXPECT_EQ(c.index_of("public:b"), 1u);
}

TEST(StreamCursor, MultiChannelRoundTripsThroughTheDecoder) {
  StreamCursor c({"public:a", "public:b", "public:c"});
  c.set(0, "Ep", 3);
  c.set(2, "Other", 0);
  auto partial = proto::decode_multi_cursor(c.str());
  ASSERT_TRUE(partial.ok());
  ASSERT_EQ(partial->size(), 2u);  // b unknown: left out, so it resumes from now
  EXPECT_EQ((*partial)[0].first, "public:a");
  EXPECT_EQ((*partial)[1].first, "public:c");
  c.set(1, "Ep", 12);
  c.set(0, "Ep", 4);
  auto full = proto::decode_multi_cursor(c.str());
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(full->size(), 3u);
  EXPECT_EQ((*full)[0].second, (proto::Cursor{"Ep", 4}));
  EXPECT_EQ((*full)[1].second, (proto::Cursor{"Ep", 12}));
  EXPECT_EQ((*full)[2].second, (proto::Cursor{"Other", 0}));
  std::vector<std::string> chans{"public:a", "public:b", "public:c"};
  EXPECT_TRUE(proto::decode_any_cursor(c.str(), chans).ok());
}

// The most channels a stream may have: every position known gives the full form, one
// unknown leaves exactly that channel out.
TEST(StreamCursor, SixtyFourChannels) {
  std::vector<std::string> chans;
  for (size_t i = 0; i < proto::kMaxMultiCursorChannels; ++i)
    chans.push_back("public:c" + std::to_string(i));
  StreamCursor c(chans);
  ASSERT_EQ(c.size(), chans.size());
  for (size_t i = 0; i + 1 < c.size(); ++i) c.set(i, "Ep", i);
  EXPECT_FALSE(c.known(c.size() - 1));
  auto some = proto::decode_multi_cursor(c.str());
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->size(), chans.size() - 1);
  c.set(c.size() - 1, "Ep", 99);
  EXPECT_TRUE(c.known(c.size() - 1));
  auto all = proto::decode_multi_cursor(c.str());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), chans.size());
  EXPECT_EQ(all->back().first, chans.back());
  EXPECT_EQ(all->back().second, (proto::Cursor{"Ep", 99}));
  EXPECT_EQ(c.index_of("public:c63"), 63u);
}

}  // namespace
}  // namespace herald::sse
