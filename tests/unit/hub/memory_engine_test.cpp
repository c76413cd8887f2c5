#include "hub/memory_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "unit/hub/fake_executor.h"

namespace herald::hub {
namespace {

using testing::FakeExecutor;

struct RecordingSink : LiveSink {
  explicit RecordingSink(Executor& ex) : ex(ex) {}
  void on_publication(const PubPtr& pub) override { got.emplace_back(ex.current_loop(), pub); }
  Executor& ex;
  std::vector<std::pair<size_t, PubPtr>> got;
};

class MemoryEngineTest : public ::testing::Test {
 protected:
  void make(size_t loops, ChannelOptions opts = {}) {
    ex_ = std::make_unique<FakeExecutor>(loops);
    engine_ = std::make_unique<MemoryEngine>(
        *ex_, [opts](std::string_view) { return opts; }, 7);
    sink_ = std::make_unique<RecordingSink>(*ex_);
    engine_->set_sink(sink_.get());
  }

  PublishResult pub(const std::string& ch, size_t from = 0) {
    PublishResult out;
    bool called = false;
    ex_->on(from, [&] {
      engine_->publish(ch, base::SharedBuffer::copy_of("{}"), [&](base::Result<PublishResult> r) {
        EXPECT_TRUE(r.ok());
        EXPECT_EQ(ex_->current_loop(), from);  // answered on the calling loop
        out = *r;
        called = true;
      });
    });
    ex_->drain();
    EXPECT_TRUE(called);
    return out;
  }

  HistoryResult hist(const std::string& ch, std::optional<Cursor> since, size_t limit = kNoLimit,
                     size_t from = 0) {
    HistoryResult out;
    ex_->on(from, [&] {
      engine_->history(ch, since, limit, [&](base::Result<HistoryResult> r) {
        ASSERT_TRUE(r.ok());
        out = std::move(*r);
      });
    });
    ex_->drain();
    return out;
  }

  static std::vector<uint64_t> offsets(const std::vector<PubPtr>& pubs) {
    std::vector<uint64_t> out;
    for (const auto& p : pubs) out.push_back(p->offset);
    return out;
  }

  std::unique_ptr<FakeExecutor> ex_;
  std::unique_ptr<MemoryEngine> engine_;
  std::unique_ptr<RecordingSink> sink_;
};

TEST_F(MemoryEngineTest, OffsetsStartAtOnePerChannelAndEpochsDiffer) {
  make(3);
  EXPECT_EQ(pub("a", 0).offset, 1u);
  EXPECT_EQ(pub("a", 1).offset, 2u);
  EXPECT_EQ(pub("b", 2).offset, 1u);
  PublishResult a3 = pub("a", 2);
  PublishResult b2 = pub("b", 0);
  EXPECT_EQ(a3.offset, 3u);
  EXPECT_EQ(b2.offset, 2u);
  EXPECT_NE(a3.epoch, b2.epoch);
  std::regex shape("[A-Za-z0-9]{8}");
  EXPECT_TRUE(std::regex_match(a3.epoch, shape)) << a3.epoch;
  EXPECT_TRUE(std::regex_match(b2.epoch, shape)) << b2.epoch;
  EXPECT_EQ(pub("a", 1).epoch, a3.epoch);
}

TEST_F(MemoryEngineTest, StreamLivesOnItsOwnerLoop) {
  make(4);
  pub("room:1", 0);
  pub("room:2", 0);
  size_t total = 0;
  for (size_t i = 0; i < 4; ++i) {
    ex_->on(i, [&] {
      size_t expect = (engine_->owner_of("room:1") == i) + (engine_->owner_of("room:2") == i);
      EXPECT_EQ(engine_->stream_count(), expect) << "loop " << i;
      total += engine_->stream_count();
    });
  }
  EXPECT_EQ(total, 2u);
  EXPECT_EQ(engine_->owner_of("room:1"), fnv1a("room:1") % 4);
}

TEST_F(MemoryEngineTest, EachWatchingLoopGetsEachPublicationOnce) {
  make(3);
  ex_->on(1, [&] { engine_->watch("c"); });
  ex_->on(2, [&] { engine_->watch("c"); });
  ex_->on(2, [&] { engine_->watch("c"); });  // idempotent per loop
  ex_->drain();
  pub("c", 0);
  ASSERT_EQ(sink_->got.size(), 2u);
  EXPECT_EQ(sink_->got[0].second, sink_->got[1].second);  // the same object, not a copy
  std::vector<size_t> loops{sink_->got[0].first, sink_->got[1].first};
  std::sort(loops.begin(), loops.end());
  EXPECT_EQ(loops, (std::vector<size_t>{1, 2}));

  sink_->got.clear();
  ex_->on(1, [&] { engine_->unwatch("c"); });
  ex_->drain();
  pub("c", 1);
  ASSERT_EQ(sink_->got.size(), 1u);
  EXPECT_EQ(sink_->got[0].first, 2u);
  EXPECT_EQ(sink_->got[0].second->offset, 2u);
}

TEST_F(MemoryEngineTest, EmptyStreamCursorIsZero) {
  make(2);
  HistoryResult h = hist("fresh", std::nullopt, 0);
  EXPECT_EQ(h.cursor.offset, 0u);
  EXPECT_EQ(h.cursor.epoch.size(), 8u);
  // The empty stream stays for its grace period, so E:0 recovers.
  HistoryResult again = hist("fresh", h.cursor);
  EXPECT_TRUE(again.recovered);
  EXPECT_EQ(again.cursor, h.cursor);
}

TEST_F(MemoryEngineTest, RecoveryRules) {
  make(2);
  std::string e = pub("c").epoch;
  for (int i = 0; i < 4; ++i) pub("c");

  HistoryResult after2 = hist("c", Cursor{e, 2});
  EXPECT_TRUE(after2.recovered);
  EXPECT_EQ(offsets(after2.publications), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(after2.cursor, (Cursor{e, 5}));

  HistoryResult at_end = hist("c", Cursor{e, 5});
  EXPECT_TRUE(at_end.recovered);
  EXPECT_TRUE(at_end.publications.empty());

  HistoryResult wrong_epoch = hist("c", Cursor{"zzzzzzzz", 2});
  EXPECT_FALSE(wrong_epoch.recovered);
  EXPECT_TRUE(wrong_epoch.publications.empty());
  EXPECT_EQ(wrong_epoch.cursor, (Cursor{e, 5}));

  HistoryResult past_end = hist("c", Cursor{e, 6});
  EXPECT_FALSE(past_end.recovered);
  EXPECT_TRUE(past_end.publications.empty());
  EXPECT_EQ(past_end.cursor, (Cursor{e, 5}));

  HistoryResult limited = hist("c", Cursor{e, 0}, 2);
  EXPECT_TRUE(limited.recovered);
  EXPECT_EQ(offsets(limited.publications), (std::vector<uint64_t>{1, 2}));

  HistoryResult newest = hist("c", std::nullopt, 2);
  EXPECT_EQ(offsets(newest.publications), (std::vector<uint64_t>{4, 5}));
  EXPECT_FALSE(newest.recovered);
}

TEST_F(MemoryEngineTest, HistoryTrimmedBySizeIsNotRecovered) {
  make(2, ChannelOptions{3, 300'000});
  std::string e = pub("c").epoch;
  for (int i = 0; i < 4; ++i) pub("c");  // history keeps 3, 4, 5
  HistoryResult gap = hist("c", Cursor{e, 1});
  EXPECT_FALSE(gap.recovered);
  EXPECT_TRUE(gap.publications.empty());  // never a partial replay
  EXPECT_EQ(gap.cursor.offset, 5u);
  HistoryResult ok = hist("c", Cursor{e, 2});
  EXPECT_TRUE(ok.recovered);
  EXPECT_EQ(offsets(ok.publications), (std::vector<uint64_t>{3, 4, 5}));
}

TEST_F(MemoryEngineTest, HistoryExpiredByTtlIsNotRecovered) {
  make(2, ChannelOptions{100, 1000});
  std::string e = pub("c").epoch;
  pub("c");
  ex_->advance(600);
  pub("c");
  ex_->advance(500);  // 1 and 2 are 1100 ms old, 3 is 500 ms old
  HistoryResult expired = hist("c", Cursor{e, 1});
  EXPECT_FALSE(expired.recovered);
  EXPECT_EQ(expired.cursor, (Cursor{e, 3}));
  HistoryResult ok = hist("c", Cursor{e, 2});
  EXPECT_TRUE(ok.recovered);
  EXPECT_EQ(offsets(ok.publications), (std::vector<uint64_t>{3}));
}

TEST_F(MemoryEngineTest, HistoryDisabledRecoversOnlyAtTheEnd) {
  make(2, ChannelOptions{0, 300'000});
  ex_->on(1, [&] { engine_->watch("c"); });  // a subscriber keeps the stream alive
  ex_->drain();
  std::string e = pub("c").epoch;
  pub("c");
  pub("c");
  EXPECT_FALSE(hist("c", Cursor{e, 2}).recovered);
  HistoryResult at_end = hist("c", Cursor{e, 3});
  EXPECT_TRUE(at_end.recovered);
  EXPECT_TRUE(at_end.publications.empty());
}

TEST_F(MemoryEngineTest, IdleStreamsAreFreedAndComeBackWithANewEpoch) {
  make(2, ChannelOptions{100, 1000});
  size_t owner = engine_->owner_of("c");
  std::string e1 = pub("c").epoch;
  ex_->advance(1001);
  ex_->on(owner, [&] {
    EXPECT_EQ(engine_->stream_count(), 1u);
    engine_->maintain();
    EXPECT_EQ(engine_->stream_count(), 0u);
  });
  PublishResult again = pub("c");
  EXPECT_EQ(again.offset, 1u);
  EXPECT_NE(again.epoch, e1);
  EXPECT_FALSE(hist("c", Cursor{e1, 1}).recovered);
}

TEST_F(MemoryEngineTest, WithoutHistoryAnUnwatchedStreamIsFreedAtOnce) {
  make(2, ChannelOptions{0, 0});
  size_t owner = engine_->owner_of("c");
  PublishResult a = pub("c");
  PublishResult b = pub("c");
  EXPECT_EQ(a.offset, 1u);
  EXPECT_EQ(b.offset, 1u);
  EXPECT_NE(a.epoch, b.epoch);
  ex_->on(owner, [&] { EXPECT_EQ(engine_->stream_count(), 0u); });
  // A watched one lives until the last watcher leaves.
  ex_->on(1, [&] { engine_->watch("c"); });
  ex_->drain();
  pub("c");
  EXPECT_EQ(pub("c").offset, 2u);
  ex_->on(owner, [&] { EXPECT_EQ(engine_->stream_count(), 1u); });
  ex_->on(1, [&] { engine_->unwatch("c"); });
  ex_->drain();
  ex_->on(owner, [&] { EXPECT_EQ(engine_->stream_count(), 0u); });
}

TEST_F(MemoryEngineTest, OptionsComeFromTheChannelNamespace) {
  ex_ = std::make_unique<FakeExecutor>(2);
  engine_ = std::make_unique<MemoryEngine>(
      *ex_,
      [](std::string_view ch) {
        return channel_namespace(ch) == "nohist" ? ChannelOptions{0, 0}
                                                 : ChannelOptions{10, 60'000};
      },
      7);
  sink_ = std::make_unique<RecordingSink>(*ex_);
  engine_->set_sink(sink_.get());
  for (const char* ch : {"nohist:a", "hist:a"}) {
    ex_->on(1, [&] { engine_->watch(ch); });
    ex_->drain();
    std::string e = pub(ch).epoch;
    pub(ch);
    EXPECT_EQ(hist(ch, Cursor{e, 0}).recovered, std::string(ch) == "hist:a") << ch;
  }
}

TEST_F(MemoryEngineTest, CursorReportsTheCurrentPosition) {
  make(3);
  std::string e = pub("c", 2).epoch;
  pub("c", 1);
  Cursor got;
  ex_->on(1, [&] {
    engine_->cursor("c", [&](base::Result<Cursor> r) {
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(ex_->current_loop(), 1u);
      got = *r;
    });
  });
  ex_->drain();
  EXPECT_EQ(got, (Cursor{e, 2}));
}

}  // namespace
}  // namespace herald::hub
