// THE property of the hub: under any interleaving of publishes, subscribes, unsubscribes,
// evictions and resubscribes-with-cursor on every loop, each subscriber's received sequence
// (replay + live) is gap-free and duplicate-free; with enough history it is exactly
// first_cursor+1 .. last_offset across all its subscription lifetimes.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hub/hub.h"
#include "hub/memory_engine.h"
#include "unit/hub/fake_executor.h"

namespace herald::hub {
namespace {

using testing::FakeExecutor;

const char* const kChannels[] = {"a", "ns:b"};

struct Track {
  bool subscribed = false;  // as the session believes (subscribe called, not unsubscribed)
  std::string epoch;
  uint64_t last = 0;
  // Each segment starts with the cursor of a subscribe reply that did not recover, followed
  // by every offset received since; a recovered resubscribe continues the segment.
  std::vector<std::vector<uint64_t>> segments;
};

struct Run;

class PropSub final : public Subscriber {
 public:
  PropSub(Run& run, size_t loop) : run_(run), loop_(loop) {}
  void deliver(const Delivery& d) override;
  void subscribe(const std::string& ch);
  size_t loop() const { return loop_; }
  std::map<std::string, Track> tracks;

 private:
  Run& run_;
  size_t loop_;
};

struct Run {
  Run(size_t loops, ChannelOptions opts, uint64_t seed)
      : ex(loops),
        engine(
            ex, [opts](std::string_view) { return opts; }, seed),
        hub(ex, engine),
        rng(seed) {}
  FakeExecutor ex;
  MemoryEngine engine;
  Hub hub;
  std::mt19937_64 rng;
  std::map<std::string, uint64_t> published;  // highest offset acknowledged per channel
  std::map<std::string, std::string> epochs;
  int evict_percent = 0;
};

void PropSub::deliver(const Delivery& d) {
  const Publication& p = d.pub();
  Track& t = tracks[std::string(p.channel)];
  ASSERT_TRUE(t.subscribed) << "delivery after unsubscribe";
  ASSERT_FALSE(t.segments.empty()) << "delivery before the subscribe reply";
  EXPECT_EQ(p.epoch, t.epoch);
  EXPECT_EQ(run_.ex.current_loop(), loop_);
  t.segments.back().push_back(p.offset);
  t.last = p.offset;
  if (int(run_.rng() % 100) < run_.evict_percent) {
    // Evicted as a slow consumer from inside deliver(); it comes back later with its cursor.
    run_.hub.unsubscribe_all(this);
    for (auto& [name, tr] : tracks) tr.subscribed = false;
  }
}

void PropSub::subscribe(const std::string& ch) {
  Track& t = tracks[ch];
  t.subscribed = true;
  std::optional<Cursor> since;
  if (!t.segments.empty()) since = Cursor{t.epoch, t.last};
  bool had_since = since.has_value();
  run_.hub.subscribe(this, ch, since, [this, ch, had_since](SubscribeResult r) {
    Track& tr = tracks[ch];
    ASSERT_FALSE(r.error);
    ASSERT_TRUE(tr.subscribed);
    if (had_since && r.recovered) {
      EXPECT_EQ(r.cursor.epoch, tr.epoch);
      for (const PubPtr& p : r.replay) tr.segments.back().push_back(p->offset);
      if (!r.replay.empty()) tr.last = r.replay.back()->offset;
      EXPECT_EQ(tr.last, r.cursor.offset);
    } else {
      EXPECT_TRUE(r.replay.empty());
      tr.epoch = r.cursor.epoch;
      tr.segments.push_back({r.cursor.offset});
      tr.last = r.cursor.offset;
    }
  });
}

// Returns the number of segments that broke continuity (recovered: false), for the caller to
// judge; fails the test on any gap or duplicate inside a segment.
size_t run_once(uint64_t seed, ChannelOptions opts, int evict_percent) {
  std::mt19937_64 pick(seed * 7919 + 1);
  size_t loops = 2 + seed % 3;
  Run run(loops, opts, seed + 1);
  run.evict_percent = evict_percent;
  std::vector<std::unique_ptr<PropSub>> subs;
  for (size_t l = 0; l < loops; ++l) {
    for (int i = 0; i < 3; ++i) subs.push_back(std::make_unique<PropSub>(run, l));
  }
  auto publish = [&](size_t loop, const std::string& ch) {
    run.ex.on(loop, [&] {
      run.hub.publish(base::ChannelName::check(ch), base::SharedBuffer::copy_of("{}"),
                      [&run, ch](base::Result<PublishResult> r) {
                        ASSERT_TRUE(r.ok());
                        uint64_t& top = run.published[ch];
                        top = std::max(top, r->offset);
                        run.epochs[ch] = r->epoch;
                      });
    });
  };

  for (int step = 0; step < 400; ++step) {
    unsigned action = unsigned(pick() % 10);
    if (action < 4) {
      publish(pick() % loops, kChannels[pick() % 2]);
    } else if (action < 7) {
      PropSub& s = *subs[pick() % subs.size()];
      std::string ch = kChannels[pick() % 2];
      run.ex.on(s.loop(), [&] {
        Track& t = s.tracks[ch];
        if (!t.subscribed) {
          s.subscribe(ch);
        } else if (pick() % 4 == 0) {
          run.hub.unsubscribe_all(&s);
          for (auto& [name, tr] : s.tracks) tr.subscribed = false;
        } else {
          run.hub.unsubscribe(&s, ch);
          t.subscribed = false;
        }
      });
    }
    for (unsigned k = unsigned(pick() % 4); k > 0; --k) run.ex.run_random(run.rng);
  }
  // Let everyone come back with its cursor, then let everything settle.
  run.evict_percent = 0;
  run.ex.drain_random(run.rng);
  for (auto& s : subs) {
    run.ex.on(s->loop(), [&] {
      for (auto& [ch, t] : s->tracks) {
        if (!t.subscribed) s->subscribe(ch);
      }
    });
  }
  run.ex.drain_random(run.rng);
  for (const char* ch : kChannels) publish(0, ch);  // one more, seen live by everyone
  run.ex.drain_random(run.rng);

  size_t breaks = 0;
  for (auto& s : subs) {
    for (auto& [ch, t] : s->tracks) {
      if (t.segments.empty()) continue;
      EXPECT_EQ(t.epoch, run.epochs[ch]) << "seed " << seed;
      for (const auto& seg : t.segments) {
        for (size_t i = 1; i < seg.size(); ++i) {
          if (seg[i] != seg[0] + i) {
            ADD_FAILURE() << "seed " << seed << " channel " << ch << ": gap or duplicate at "
                          << seg[i] << " (expected " << seg[0] + i << ")";
            return breaks;
          }
        }
      }
      EXPECT_EQ(t.last, run.published[ch]) << "seed " << seed << " channel " << ch;
      breaks += t.segments.size() - 1;
    }
  }
  return breaks;
}

TEST(HubProperty, ReplayAndLiveJoinWithoutGapOrDuplicate) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    size_t breaks = run_once(seed, ChannelOptions{10'000, 3'600'000}, 0);
    EXPECT_EQ(breaks, 0u) << "seed " << seed << ": history covered every gap";
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(HubProperty, EvictionsInsideDeliverStillJoinExactly) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    size_t breaks = run_once(seed, ChannelOptions{10'000, 3'600'000}, 5);
    EXPECT_EQ(breaks, 0u) << "seed " << seed;
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(HubProperty, ShortHistoryNeverReplaysPartially) {
  // With a tiny history some resubscribes cannot recover: they must say so (a new segment
  // from the current cursor), and every segment stays gap-free.
  size_t total_breaks = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    total_breaks += run_once(seed, ChannelOptions{2, 3'600'000}, 3);
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(total_breaks, 0u) << "the short history was never exceeded: the test is too weak";
}

}  // namespace
}  // namespace herald::hub
