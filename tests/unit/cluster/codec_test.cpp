#include "cluster/codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::cluster {
namespace {

Reply str(std::string s) {
  Reply r;
  r.type = Reply::Type::string;
  r.str = std::move(s);
  return r;
}
Reply num(int64_t v) {
  Reply r;
  r.type = Reply::Type::integer;
  r.integer = v;
  return r;
}
Reply nil() {
  return Reply{};
}

constexpr uint64_t kNow = 1'000'000;
constexpr uint64_t kTtl = 300'000;

struct Entry {
  uint64_t offset;
  uint64_t time = kNow - 10;
  std::string data = "{}";
};

/// The read script's reply: [epoch, top, now, (id, data, time)...].
Reply read_reply(std::string epoch, uint64_t top, std::vector<Entry> entries) {
  Reply r;
  r.type = Reply::Type::array;
  r.elements.push_back(str(std::move(epoch)));
  r.elements.push_back(str(std::to_string(top)));
  r.elements.push_back(num(int64_t(kNow)));
  for (const Entry& e : entries) {
    r.elements.push_back(str(std::to_string(e.offset) + "-0"));
    r.elements.push_back(str(e.data));
    r.elements.push_back(str(std::to_string(e.time)));
  }
  return r;
}

ReadQuery since(std::string epoch, uint64_t offset, size_t limit = hub::kNoLimit) {
  ReadQuery q;
  q.since = hub::Cursor{std::move(epoch), offset};
  q.limit = limit;
  q.history_ttl_ms = kTtl;
  return q;
}

ReadQuery newest(size_t limit) {
  ReadQuery q;
  q.limit = limit;
  q.history_ttl_ms = kTtl;
  return q;
}

std::vector<uint64_t> offsets(const hub::HistoryResult& h) {
  std::vector<uint64_t> out;
  for (const auto& p : h.publications) out.push_back(p->offset);
  return out;
}

TEST(Codec, KeysShareTheChannelsHashTag) {
  ChannelKeys k = channel_keys("herald", "chat:room-1");
  EXPECT_EQ(k.meta, "herald:{chat:room-1}:m");
  EXPECT_EQ(k.stream, "herald:{chat:room-1}:s");
  EXPECT_EQ(k.feed, "herald:{chat:room-1}");
  EXPECT_EQ(channel_of_feed("herald", k.feed), "chat:room-1");
  EXPECT_EQ(channel_of_feed("other", k.feed), "");
  EXPECT_EQ(channel_of_feed("herald", "herald:{bad channel}"), "");
  EXPECT_EQ(channel_of_feed("herald", "herald:{}"), "");
  EXPECT_EQ(channel_of_feed("herald", "herald:{x"), "");
  EXPECT_TRUE(valid_prefix("app1:prod"));
  EXPECT_FALSE(valid_prefix(""));
  EXPECT_FALSE(valid_prefix("a{b}"));
  EXPECT_FALSE(valid_prefix(std::string(65, 'a')));
}

TEST(Codec, LiveMessagesRoundTripBinarySafe) {
  std::string data("{\"a\":\" :\"}\0\xff", 13);
  std::string wire = encode_live("Ep0ch", 42, data);
  EXPECT_EQ(wire.substr(0, 9), "Ep0ch:42 ");
  auto m = decode_live(wire);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->epoch, "Ep0ch");
  EXPECT_EQ(m->offset, 42u);
  EXPECT_EQ(m->data, data);
  EXPECT_TRUE(decode_live("E:1 ").ok());  // empty data is the publisher's business
  for (std::string_view bad : {"", "E:1", "E1 x", ":1 x", "E:0 x", "E:01 x", "E:-1 x", "E:x x",
                               "E!:1 x", "E:99999999999999999999 x", "abcdefghijklmnopq:1 x"})
    EXPECT_FALSE(decode_live(bad).ok()) << bad;
}

TEST(Codec, PublishReply) {
  Reply r;
  r.type = Reply::Type::array;
  r.elements = {str("AbC"), num(7)};
  auto p = decode_publish_reply(r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->epoch, "AbC");
  EXPECT_EQ(p->offset, 7u);
  r.elements[1] = str("8");
  EXPECT_EQ(decode_publish_reply(r)->offset, 8u);
  r.elements[1] = num(0);
  EXPECT_FALSE(decode_publish_reply(r).ok());
  r.elements[1] = num(-3);
  EXPECT_FALSE(decode_publish_reply(r).ok());
  r.elements = {str("bad epoch"), num(1)};
  EXPECT_FALSE(decode_publish_reply(r).ok());
  EXPECT_FALSE(decode_publish_reply(str("x")).ok());
}

TEST(Codec, ReadWithCursorRecoversExactlyTheRest) {
  auto h = decode_read_reply(read_reply("E", 5, {{3}, {4}, {5}}), "c", since("E", 2), nullptr);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->recovered);
  EXPECT_EQ(offsets(*h), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(h->cursor.str(), "E:5");
  EXPECT_EQ(h->publications[0]->channel, "c");
  EXPECT_EQ(h->publications[0]->epoch, "E");
  // Up to a limit: recovered with the first ones.
  h = decode_read_reply(read_reply("E", 5, {{3}, {4}}), "c", since("E", 2, 2), nullptr);
  EXPECT_TRUE(h->recovered);
  EXPECT_EQ(offsets(*h), (std::vector<uint64_t>{3, 4}));
  // At the end: recovered, nothing to replay.
  h = decode_read_reply(read_reply("E", 5, {}), "c", since("E", 5), nullptr);
  EXPECT_TRUE(h->recovered);
  EXPECT_TRUE(h->publications.empty());
  // Cursor-only read (limit 0): recovered when the next one is there, nothing returned.
  h = decode_read_reply(read_reply("E", 5, {{3}}), "c", since("E", 2, 0), nullptr);
  EXPECT_TRUE(h->recovered);
  EXPECT_TRUE(h->publications.empty());
}

TEST(Codec, ReadWithCursorNeverReplaysPartially) {
  auto not_recovered = [](const Reply& r, const ReadQuery& q) {
    ReadProblems problems;
    auto h = decode_read_reply(r, "c", q, &problems);
    EXPECT_TRUE(h.ok());
    EXPECT_FALSE(h->recovered);
    EXPECT_TRUE(h->publications.empty());
    return problems.malformed_entries;
  };
  not_recovered(read_reply("F", 5, {}), since("E", 2));            // another epoch
  not_recovered(read_reply("E", 5, {}), since("E", 6));            // past the end
  not_recovered(read_reply("E", 5, {{4}, {5}}), since("E", 2));    // 3 was trimmed
  not_recovered(read_reply("E", 5, {{3}, {5}}), since("E", 2));    // a hole
  not_recovered(read_reply("E", 5, {{3}, {4}}), since("E", 2));    // the tail is missing
  not_recovered(read_reply("E", 5, {}), since("E", 2));            // history gone
  not_recovered(read_reply("E", 5, {{3, kNow - kTtl}, {4}, {5}}),  // 3 expired
                since("E", 2));
  Reply half = read_reply("E", 5, {{3}, {4}, {5}});
  half.elements[3 + 3 + 1] = nil();  // entry 4 has no data: a half-written entry
  EXPECT_EQ(not_recovered(half, since("E", 2)), 1u);
  Reply bad_id = read_reply("E", 5, {{3}, {4}, {5}});
  bad_id.elements[3] = str("three");
  EXPECT_EQ(not_recovered(bad_id, since("E", 2)), 1u);
  ReadQuery disabled = since("E", 2);
  disabled.history_enabled = false;
  not_recovered(read_reply("E", 5, {{3}, {4}, {5}}), disabled);
}

TEST(Codec, ReadWithoutCursorGivesTheNewest) {
  // The script returns them newest first.
  auto h = decode_read_reply(read_reply("E", 5, {{5}, {4}, {3}}), "c", newest(3), nullptr);
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(h->recovered);
  EXPECT_EQ(offsets(*h), (std::vector<uint64_t>{3, 4, 5}));
  // Stops at an expired or broken entry: what is older is not trusted.
  h = decode_read_reply(read_reply("E", 5, {{5}, {4}, {3, kNow - kTtl}}), "c", newest(10), nullptr);
  EXPECT_EQ(offsets(*h), (std::vector<uint64_t>{4, 5}));
  h = decode_read_reply(read_reply("E", 5, {{5}, {3}}), "c", newest(10), nullptr);
  EXPECT_EQ(offsets(*h), (std::vector<uint64_t>{5}));
  h = decode_read_reply(read_reply("E", 0, {}), "c", newest(0), nullptr);
  EXPECT_EQ(h->cursor.str(), "E:0");
}

TEST(Codec, ReadRefusesReplyOfTheWrongShape) {
  EXPECT_FALSE(decode_read_reply(str("x"), "c", newest(1), nullptr).ok());
  Reply r = read_reply("E", 5, {{5}});
  r.elements.pop_back();  // entries come in threes
  EXPECT_FALSE(decode_read_reply(r, "c", newest(1), nullptr).ok());
  r = read_reply("bad epoch", 5, {});
  EXPECT_FALSE(decode_read_reply(r, "c", newest(1), nullptr).ok());
  r = read_reply("E", 5, {});
  r.elements[1] = str("five");
  EXPECT_FALSE(decode_read_reply(r, "c", newest(1), nullptr).ok());
}

}  // namespace
}  // namespace herald::cluster
