// The Redis engine against a real redis-server, on real loops driven by the test's thread:
// the scripts' semantics (offsets, epochs, history rules), the live feed through the owner
// loop, and what happens when Redis misbehaves (killed pub/sub link, flushed scripts, lost
// keys, forged messages, a server that goes away and comes back).
#include "cluster/redis_engine.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "base/time.h"
#include "cluster/codec.h"
#include "cluster/scripts.h"
#include "unit/cluster/loops.h"
#include "unit/cluster/redis_server.h"

namespace herald::cluster {
namespace {

using testing::Loops;
using testing::RedisServer;

struct Sink final : hub::LiveSink {
  explicit Sink(Loops& l) : loops(l) {}
  void on_publication(const hub::PubPtr& pub) override {
    got[loops.current_loop()][std::string(pub->channel)].push_back(pub);
  }
  void on_stream_reset(std::string_view channel, const hub::Cursor& now) override {
    resets.emplace_back(std::string(channel), now);
  }
  std::vector<uint64_t> offsets(size_t loop, const std::string& ch) {
    std::vector<uint64_t> out;
    for (auto& p : got[loop][ch]) out.push_back(p->offset);
    return out;
  }
  Loops& loops;
  std::map<size_t, std::map<std::string, std::vector<hub::PubPtr>>> got;
  std::vector<std::pair<std::string, hub::Cursor>> resets;
};

std::vector<uint64_t> range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> out;
  for (uint64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

class RedisEngineTest : public ::testing::Test {
 protected:
  void make(size_t loops = 1, uint32_t timeout_ms = 1000) {
    loops_ = std::make_unique<Loops>(loops);
    sink_ = std::make_unique<Sink>(*loops_);
    RedisOptions o;
    o.addresses = {redis_.address()};
    o.timeout_ms = timeout_ms;
    o.prefix = "t";
    engine_ = std::make_unique<RedisEngine>(
        *loops_, loops_->all(), o, [this](std::string_view) { return options_; }, 11);
    engine_->set_sink(sink_.get());
    ASSERT_TRUE(loops_->run_until([&] { return engine_->ready(); }));
  }
  void TearDown() override {
    if (engine_) engine_->shutdown();
    engine_.reset();
    if (loops_) loops_->spin();  // reap the closed connections
  }

  base::Result<hub::PublishResult> publish(const std::string& ch, std::string data = "{}",
                                           size_t loop = 0) {
    std::optional<base::Result<hub::PublishResult>> out;
    loops_->on(loop, [&] {
      engine_->publish(ch, base::SharedBuffer::copy_of(data),
                       [&](base::Result<hub::PublishResult> r) { out = std::move(r); });
    });
    EXPECT_TRUE(loops_->run_until([&] { return out.has_value(); }));
    return out ? std::move(*out) : base::Result<hub::PublishResult>(base::Errc::timeout);
  }
  base::Result<hub::HistoryResult> history(const std::string& ch, std::optional<hub::Cursor> since,
                                           size_t limit = hub::kNoLimit, size_t loop = 0) {
    std::optional<base::Result<hub::HistoryResult>> out;
    loops_->on(loop, [&] {
      engine_->history(ch, since, limit,
                       [&](base::Result<hub::HistoryResult> r) { out = std::move(r); });
    });
    EXPECT_TRUE(loops_->run_until([&] { return out.has_value(); }));
    return out ? std::move(*out) : base::Result<hub::HistoryResult>(base::Errc::timeout);
  }
  /// watch() from `loop`, then a cursor read (as Hub::subscribe does); returns the cursor.
  hub::Cursor watch(const std::string& ch, size_t loop = 0) {
    loops_->on(loop, [&] { engine_->watch(ch); });
    auto h = history(ch, std::nullopt, 0, loop);
    EXPECT_TRUE(h.ok());
    return h.ok() ? h->cursor : hub::Cursor{};
  }

  RedisServer redis_;
  hub::ChannelOptions options_;
  std::unique_ptr<Loops> loops_;
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<RedisEngine> engine_;
};

TEST_F(RedisEngineTest, PublishAssignsOffsetsInOneEpoch) {
  make();
  auto c = history("a", std::nullopt, 0);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->cursor.offset, 0u);  // the first read creates the epoch...
  for (uint64_t i = 1; i <= 3; ++i) {
    auto r = publish("a", "{\"n\":" + std::to_string(i) + "}");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->offset, i);
    EXPECT_EQ(r->epoch, c->cursor.epoch);  // ...and the publishes keep it
  }
  EXPECT_EQ(publish("b")->offset, 1u);  // offsets are per channel
  EXPECT_EQ(redis_.cli({"HGET", "t:{a}:m", "o"}), "3");
  EXPECT_EQ(redis_.cli({"XLEN", "t:{a}:s"}), "3");
}

TEST_F(RedisEngineTest, HistoryFollowsTheRulesOfTheMemoryEngine) {
  options_.history_size = 3;
  make();
  std::string epoch = publish("a")->epoch;
  for (int i = 0; i < 4; ++i) publish("a", "{\"i\":" + std::to_string(i) + "}");  // top 5
  auto h = history("a", hub::Cursor{epoch, 3});
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->recovered);
  ASSERT_EQ(h->publications.size(), 2u);
  EXPECT_EQ(h->publications[0]->offset, 4u);
  EXPECT_EQ(h->publications[1]->data.view(), "{\"i\":3}");
  EXPECT_FALSE(history("a", hub::Cursor{epoch, 1})->recovered);  // trimmed to 3: 2 is gone
  EXPECT_TRUE(history("a", hub::Cursor{epoch, 2})->recovered);   // 3..5 are there
  EXPECT_TRUE(history("a", hub::Cursor{epoch, 5})->recovered);   // at the end
  EXPECT_FALSE(history("a", hub::Cursor{epoch, 6})->recovered);  // past the end
  EXPECT_FALSE(history("a", hub::Cursor{"Other", 2})->recovered);
  auto newest = history("a", std::nullopt, 2);
  ASSERT_EQ(newest->publications.size(), 2u);
  EXPECT_EQ(newest->publications[0]->offset, 4u);
  EXPECT_EQ(newest->cursor.str(), epoch + ":5");
}

TEST_F(RedisEngineTest, HistoryExpiresAfterItsTtl) {
  // Long enough that a busy machine cannot expire it before the first read.
  options_.history_ttl_ms = 2000;
  make();
  std::string epoch = publish("a")->epoch;
  publish("a");
  EXPECT_TRUE(history("a", hub::Cursor{epoch, 0})->recovered);
  loops_->run_for(2200);
  auto h = history("a", hub::Cursor{epoch, 0});
  EXPECT_FALSE(h->recovered);
  EXPECT_TRUE(h->publications.empty());
  // The epoch outlives the history (kMinMetaTtlMs): a cursor at the end is still good.
  EXPECT_TRUE(history("a", hub::Cursor{epoch, 2})->recovered);
}

TEST_F(RedisEngineTest, LiveFeedReachesEveryWatchingLoopInOrder) {
  make(2);
  watch("c", 0);
  watch("c", 1);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(publish("c", "{}", size_t(i % 2)).ok());
  ASSERT_TRUE(loops_->run_until(
      [&] { return sink_->got[0]["c"].size() == 50 && sink_->got[1]["c"].size() == 50; }));
  EXPECT_EQ(sink_->offsets(0, "c"), range(1, 50));
  EXPECT_EQ(sink_->offsets(1, "c"), range(1, 50));
  // One subscription per node: Redis sends each publication once, to the owner loop.
  EXPECT_EQ(redis_.cli({"PUBSUB", "NUMSUB", "t:{c}"}), "t:{c}\n1");
  loops_->on(0, [&] { engine_->unwatch("c"); });
  loops_->on(1, [&] { engine_->unwatch("c"); });
  ASSERT_TRUE(loops_->run_until([&] {
    return redis_.cli({"PUBSUB", "NUMSUB", "t:{c}"}) == "t:{c}\n0";
  }));
}

TEST_F(RedisEngineTest, KilledPubsubLinkIsResyncedFromTheStream) {
  make();
  watch("c");
  for (int i = 0; i < 3; ++i) publish("c");
  ASSERT_TRUE(loops_->run_until([&] { return sink_->got[0]["c"].size() == 3; }));
  redis_.cli({"CLIENT", "KILL", "TYPE", "pubsub"});
  // Published while the pub/sub link is down (it reconnects after a backoff).
  for (int i = 0; i < 3; ++i) publish("c");
  ASSERT_TRUE(loops_->run_until([&] { return RedisStats::get(engine_->stats().resyncs) >= 1; }));
  for (int i = 0; i < 2; ++i) publish("c");
  ASSERT_TRUE(loops_->run_until([&] { return sink_->got[0]["c"].size() >= 8; }));
  loops_->run_for(100);
  EXPECT_EQ(sink_->offsets(0, "c"), range(1, 8));
  EXPECT_GE(RedisStats::get(engine_->stats().resyncs), 1u);
  EXPECT_GE(RedisStats::get(engine_->stats().reconnects), 1u);
}

TEST_F(RedisEngineTest, PublicationsMissedOnTheBackplaneAreReadBeforeTheNextOne) {
  make();
  hub::Cursor c = watch("c");
  publish("c");
  ASSERT_TRUE(loops_->run_until([&] { return sink_->got[0]["c"].size() == 1; }));
  // Two publications whose PUBLISH this node never sees (sent to another pub/sub channel by
  // the same script), then one it does: it skips ahead, so 2 and 3 are read from the stream.
  for (int i = 0; i < 2; ++i) {
    std::string out =
        redis_.cli({"EVALSHA", std::string(script_sha(Script::publish)), "2", "t:{c}:m", "t:{c}:s",
                    "unused", "{\"lost\":1}", "100", "300000", "300000", "elsewhere", "0"});
    ASSERT_NE(out.find(c.epoch), std::string::npos) << out;
  }
  publish("c");
  ASSERT_TRUE(loops_->run_until([&] { return sink_->got[0]["c"].size() == 4; }));
  EXPECT_EQ(sink_->offsets(0, "c"), range(1, 4));
  EXPECT_EQ(sink_->got[0]["c"][1]->data.view(), "{\"lost\":1}");
  EXPECT_EQ(RedisStats::get(engine_->stats().gap_fills), 1u);
  // The read covers the missing two and the one that revealed the gap (the stream's top).
  EXPECT_EQ(RedisStats::get(engine_->stats().gap_publications), 3u);
}

TEST_F(RedisEngineTest, ForgedLiveMessagesAreDroppedNotDelivered) {
  make();
  hub::Cursor c = watch("c");
  publish("c");
  ASSERT_TRUE(loops_->run_until([&] { return sink_->got[0]["c"].size() == 1; }));
  redis_.cli({"PUBLISH", "t:{c}", c.epoch + ":9 {\"forged\":1}"});  // skips ahead: not in stream
  redis_.cli({"PUBLISH", "t:{c}", "Other:2 {\"forged\":2}"});       // another epoch
  redis_.cli({"PUBLISH", "t:{c}", "not a publication"});            // malformed
  publish("c");
  ASSERT_TRUE(loops_->run_until([&] { return sink_->got[0]["c"].size() == 2; }));
  loops_->run_for(100);
  EXPECT_EQ(sink_->offsets(0, "c"), range(1, 2));
  EXPECT_GE(RedisStats::get(engine_->stats().malformed), 2u);
  EXPECT_TRUE(sink_->resets.empty());
}

TEST_F(RedisEngineTest, FlushedScriptsAreLoadedAgain) {
  make();
  ASSERT_TRUE(publish("a").ok());
  EXPECT_EQ(redis_.cli({"SCRIPT", "FLUSH"}), "OK");
  auto r = publish("a");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->offset, 2u);
  EXPECT_EQ(redis_.cli({"SCRIPT", "FLUSH"}), "OK");
  EXPECT_TRUE(history("a", std::nullopt)->publications.size() == 2);
  EXPECT_EQ(RedisStats::get(engine_->stats().script_reloads), 2u);
}

TEST_F(RedisEngineTest, LostKeysMeanANewEpochAndAResetForWatchers) {
  make();
  hub::Cursor before = watch("c");
  publish("c");
  publish("c");
  ASSERT_TRUE(loops_->run_until([&] { return sink_->got[0]["c"].size() == 2; }));
  EXPECT_EQ(redis_.cli({"FLUSHALL"}), "OK");
  auto after = publish("c");  // creates a new epoch at offset 1
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->epoch, before.epoch);
  EXPECT_EQ(after->offset, 1u);
  ASSERT_TRUE(loops_->run_until([&] { return !sink_->resets.empty(); }));
  EXPECT_EQ(sink_->resets[0].first, "c");
  EXPECT_EQ(sink_->resets[0].second.epoch, after->epoch);
  // An old cursor is not recovered; the new stream flows.
  EXPECT_FALSE(history("c", hub::Cursor{before.epoch, 2})->recovered);
  publish("c");
  ASSERT_TRUE(loops_->run_until([&] { return sink_->got[0]["c"].size() == 3; }));
  EXPECT_EQ(sink_->got[0]["c"][2]->epoch, after->epoch);
  EXPECT_EQ(sink_->got[0]["c"][2]->offset, 2u);
}

TEST_F(RedisEngineTest, HalfWrittenStreamEntryIsNotReplayed) {
  make();
  std::string epoch = publish("a")->epoch;
  publish("a");
  // Entry 3 without its data, and the meta claiming it.
  redis_.cli({"XADD", "t:{a}:s", "3-0", "t", "1"});
  redis_.cli({"HSET", "t:{a}:m", "o", "3"});
  auto h = history("a", hub::Cursor{epoch, 1});
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(h->recovered);
  EXPECT_TRUE(h->publications.empty());
  EXPECT_GE(RedisStats::get(engine_->stats().malformed), 1u);
  EXPECT_EQ(publish("a")->offset, 4u);  // and publishing goes on
}

TEST_F(RedisEngineTest, RedisDownAnswersUnavailableWithinTheTimeoutAndRecovers) {
  make(1, 300);
  ASSERT_TRUE(publish("a").ok());
  redis_.stop();
  uint64_t t0 = base::monotonic_ms();
  auto r = publish("a");
  uint64_t took = base::monotonic_ms() - t0;
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), base::Errc::unavailable);
  EXPECT_LT(took, 300u + 3000u);  // the deadline, not a hang (slack for a busy machine)
  EXPECT_FALSE(engine_->ready());
  redis_.start();
  ASSERT_TRUE(loops_->run_until([&] { return engine_->ready(); }));
  auto again = publish("a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->offset, 1u);  // the restarted server is empty: a new stream
}

TEST_F(RedisEngineTest, HistoryAfterWatchWaitsForTheSubscription) {
  make(2);
  publish("c");
  publish("c");
  // Loop 1 watches and reads at once; the channel's owner must subscribe before the read.
  std::optional<base::Result<hub::HistoryResult>> h;
  loops_->on(1, [&] {
    engine_->watch("c");
    engine_->history("c", std::nullopt, 0,
                     [&](base::Result<hub::HistoryResult> r) { h = std::move(r); });
  });
  ASSERT_TRUE(loops_->run_until([&] { return h.has_value(); }));
  ASSERT_TRUE(h->ok());
  EXPECT_EQ((*h)->cursor.offset, 2u);
  EXPECT_EQ(redis_.cli({"PUBSUB", "NUMSUB", "t:{c}"}), "t:{c}\n1");
  publish("c", "{}", 0);
  ASSERT_TRUE(loops_->run_until([&] { return sink_->got[1]["c"].size() == 1; }));
  EXPECT_EQ(sink_->offsets(1, "c"), range(3, 3));
}

}  // namespace
}  // namespace herald::cluster
