#include "hub/hub.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hub/memory_engine.h"
#include "hub/replay_forms.h"
#include "unit/hub/fake_executor.h"
#include "unit/hub/fake_subscriber.h"

namespace herald::hub {
namespace {

using testing::FakeExecutor;
using testing::FakeSubscriber;

struct World {
  explicit World(size_t loops, ChannelOptions opts = {})
      : ex(loops),
        engine(
            ex, [opts](std::string_view) { return opts; }, 99),
        hub(ex, engine) {}

  PublishResult publish(const std::string& ch, size_t from = 0) {
    PublishResult out;
    ex.on(from, [&] {
      hub.publish(base::ChannelName::check(ch), base::SharedBuffer::copy_of("{\"n\":1}"),
                  [&](base::Result<PublishResult> r) {
                    ASSERT_TRUE(r.ok());
                    out = *r;
                  });
    });
    ex.drain();
    return out;
  }

  /// Subscribes on `loop`, drains, returns the reply (error if the callback never ran).
  SubscribeResult subscribe(FakeSubscriber& sub, const std::string& ch, size_t loop,
                            std::optional<Cursor> since = std::nullopt) {
    SubscribeResult out;
    out.error = make_error_code(base::Errc::timeout);
    ex.on(loop,
          [&] { hub.subscribe(&sub, ch, since, [&](SubscribeResult r) { out = std::move(r); }); });
    ex.drain();
    return out;
  }

  FakeExecutor ex;
  MemoryEngine engine;
  Hub hub;
};

std::vector<uint64_t> offsets(const std::vector<PubPtr>& pubs) {
  std::vector<uint64_t> out;
  for (const auto& p : pubs) out.push_back(p->offset);
  return out;
}

TEST(Hub, SubscribeWithoutSinceGetsOnlyLaterPublications) {
  World w(2);
  w.publish("c");
  std::string epoch = w.publish("c").epoch;
  FakeSubscriber s;
  SubscribeResult r = w.subscribe(s, "c", 1);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.cursor, (Cursor{epoch, 2}));
  EXPECT_FALSE(r.recovered);
  EXPECT_TRUE(r.replay.empty());
  w.publish("c", 0);
  w.publish("c", 1);
  EXPECT_EQ(s.got, (std::vector<uint64_t>{3, 4}));
}

TEST(Hub, SubscribeWithSinceReplaysThenGoesLive) {
  World w(3);
  std::string epoch = w.publish("c").epoch;
  w.publish("c");
  w.publish("c");
  FakeSubscriber s;
  std::vector<std::string> seen;  // what the transport would write, in order
  s.on_deliver = [&](const Delivery& d) {
    seen.push_back("live " + std::to_string(d.pub().offset));
  };
  w.ex.on(2, [&] {
    w.hub.subscribe(&s, "c", Cursor{epoch, 1}, [&](SubscribeResult r) {
      ASSERT_FALSE(r.error);
      seen.push_back("reply " + r.cursor.str() + (r.recovered ? " recovered" : ""));
      for (const auto& p : r.replay) seen.push_back("replay " + std::to_string(p->offset));
    });
  });
  w.ex.drain();
  w.publish("c", 1);
  EXPECT_EQ(seen, (std::vector<std::string>{"reply " + epoch + ":3 recovered", "replay 2",
                                            "replay 3", "live 4"}));
  w.ex.on(2, [&] {
    EXPECT_EQ(w.hub.counters().recoveries_ok, 1u);
    EXPECT_EQ(w.hub.counters().deliveries, 1u);
  });
}

TEST(Hub, FailedRecoveryGivesTheCurrentCursorAndNoReplay) {
  World w(2, ChannelOptions{2, 300'000});
  std::string epoch = w.publish("c").epoch;
  for (int i = 0; i < 3; ++i) w.publish("c");
  FakeSubscriber a, b, c;
  for (auto [sub, since] : {std::pair{&a, Cursor{"wrongEp1", 2}}, std::pair{&b, Cursor{epoch, 9}},
                            std::pair{&c, Cursor{epoch, 1}}}) {
    SubscribeResult r = w.subscribe(*sub, "c", 1, since);
    ASSERT_FALSE(r.error) << since.str();
    EXPECT_FALSE(r.recovered) << since.str();
    EXPECT_TRUE(r.replay.empty()) << since.str();
    EXPECT_EQ(r.cursor, (Cursor{epoch, 4})) << since.str();
  }
  w.publish("c");
  EXPECT_EQ(a.got, (std::vector<uint64_t>{5}));
  EXPECT_EQ(c.got, (std::vector<uint64_t>{5}));
  w.ex.on(1, [&] { EXPECT_EQ(w.hub.counters().recoveries_failed, 3u); });
}

TEST(Hub, InvalidInputIsAnsweredAtOnce) {
  World w(1);
  FakeSubscriber s;
  std::error_code err;
  auto capture = [&](SubscribeResult r) { err = r.error; };
  w.hub.subscribe(&s, "bad channel", std::nullopt, capture);
  EXPECT_EQ(err, base::Errc::bad_channel);
  EXPECT_EQ(w.hub.subscription_count(&s), 0u);

  ASSERT_FALSE(w.subscribe(s, "c", 0).error);
  err = {};
  w.hub.subscribe(&s, "c", std::nullopt, capture);
  EXPECT_EQ(err, base::Errc::already_exists);
  EXPECT_EQ(w.hub.subscription_count(&s), 1u);

  std::error_code perr;
  w.hub.publish(base::ChannelName::check(""), base::SharedBuffer::copy_of("1"),
                [&](base::Result<PublishResult> r) { perr = r.error(); });
  EXPECT_EQ(perr, base::Errc::bad_channel);
  std::error_code herr;
  w.hub.history("bad channel", std::nullopt, 10,
                [&](base::Result<HistoryResult> r) { herr = r.error(); });
  EXPECT_EQ(herr, base::Errc::bad_channel);
}

TEST(Hub, UnsubscribeAllWhileSubscribePendingNeverCallsBack) {
  World w(2);
  auto s = std::make_unique<FakeSubscriber>();
  bool called = false;
  w.ex.on(1, [&] {
    w.hub.subscribe(s.get(), "c", std::nullopt, [&](SubscribeResult) { called = true; });
    w.hub.unsubscribe_all(s.get());
  });
  s.reset();  // the session is gone; ASan reports any later touch
  w.ex.drain();
  w.publish("c");
  EXPECT_FALSE(called);
  w.ex.on(1, [&] {
    EXPECT_EQ(w.hub.counters().channels, 0u);
    EXPECT_EQ(w.hub.counters().subscriptions, 0u);
  });
}

TEST(Hub, ResubscribeWhilePendingAnswersOnlyTheLatest) {
  World w(2);
  FakeSubscriber s;
  int first = 0, second = 0;
  w.ex.on(1, [&] {
    w.hub.subscribe(&s, "c", std::nullopt, [&](SubscribeResult) { ++first; });
    w.hub.unsubscribe(&s, "c");
    w.hub.subscribe(&s, "c", std::nullopt, [&](SubscribeResult) { ++second; });
  });
  w.ex.drain();
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
  w.publish("c");
  EXPECT_EQ(s.got, (std::vector<uint64_t>{1}));
}

TEST(Hub, UnsubscribingInsideDeliverIsSafe) {
  World w(2);
  auto a = std::make_unique<FakeSubscriber>();
  FakeSubscriber b, c;
  for (FakeSubscriber* s : {a.get(), &b, &c}) ASSERT_FALSE(w.subscribe(*s, "c", 1).error);
  ASSERT_FALSE(w.subscribe(*a, "other", 1).error);
  // `a` is evicted as a slow consumer on its first delivery, drops `b` too, and is freed.
  a->on_deliver = [&](const Delivery&) {
    w.hub.unsubscribe_all(a.get());
    w.hub.unsubscribe(&b, "c");
    a.reset();
  };
  w.publish("c");
  EXPECT_FALSE(a);
  EXPECT_TRUE(b.got.empty());  // walked after `a`: removed before its turn
  EXPECT_EQ(c.got, (std::vector<uint64_t>{1}));
  w.publish("c");
  w.publish("other");
  EXPECT_EQ(c.got, (std::vector<uint64_t>{1, 2}));
  w.ex.on(1, [&] {
    EXPECT_EQ(w.hub.counters().subscriptions, 1u);
    EXPECT_EQ(w.hub.counters().channels, 1u);  // "other" was released
  });
}

TEST(Hub, LastSubscriberLeavingInsideDeliverReleasesTheChannel) {
  World w(2);
  FakeSubscriber s;
  ASSERT_FALSE(w.subscribe(s, "c", 1).error);
  s.on_deliver = [&](const Delivery&) { w.hub.unsubscribe(&s, "c"); };
  w.publish("c");
  w.publish("c");
  EXPECT_EQ(s.got, (std::vector<uint64_t>{1}));
  w.ex.on(1, [&] { EXPECT_EQ(w.hub.counters().channels, 0u); });
  // The loop no longer watches the channel: nothing is posted to it.
  w.ex.on(0, [&] {
    w.hub.publish(base::ChannelName::check("c"), base::SharedBuffer::copy_of("1"), nullptr);
  });
  w.ex.run_one(w.engine.owner_of("c"), 0);
  EXPECT_EQ(w.ex.queued_for(1), 0u);
  w.ex.drain();
}

TEST(Hub, SubscribingInsideDeliverWaitsForItsReply) {
  World w(1);
  FakeSubscriber a, late;
  ASSERT_FALSE(w.subscribe(a, "c", 0).error);
  SubscribeResult late_reply;
  bool once = false;
  a.on_deliver = [&](const Delivery&) {
    if (std::exchange(once, true)) return;
    w.hub.subscribe(&late, "c", std::nullopt, [&](SubscribeResult r) { late_reply = r; });
  };
  w.publish("c");
  EXPECT_EQ(late_reply.cursor.offset, 1u);
  EXPECT_TRUE(late.got.empty());
  w.publish("c");
  EXPECT_EQ(late.got, (std::vector<uint64_t>{2}));
  EXPECT_EQ(a.got, (std::vector<uint64_t>{1, 2}));
}

TEST(Hub, EachWireFormIsBuiltOncePerLoop) {
  World w(2);
  std::vector<std::unique_ptr<FakeSubscriber>> subs;
  int builds = 0;
  std::vector<const char*> buffers[2];
  for (size_t loop = 0; loop < 2; ++loop) {
    for (int i = 0; i < 5; ++i) {
      subs.push_back(std::make_unique<FakeSubscriber>());
      subs.back()->on_deliver = [&, loop](const Delivery& d) {
        const base::SharedBuffer& b = d.form(WireForm::ws_frame, [&](const Publication& p) {
          ++builds;
          return base::SharedBuffer::copy_of("frame" + std::to_string(p.offset));
        });
        buffers[loop].push_back(b.data());
      };
      ASSERT_FALSE(w.subscribe(*subs.back(), "c", loop).error);
    }
  }
  w.publish("c");
  EXPECT_EQ(builds, 2);  // once per loop, not once per subscriber
  for (auto& per_loop : buffers) {
    ASSERT_EQ(per_loop.size(), 5u);
    for (const char* p : per_loop) EXPECT_EQ(p, per_loop[0]);
  }
}

// A reconnect storm: subscribers of one loop whose replays are answered in the same round of
// work share each replayed publication's forms (hub::ReplayForms); the hub closes the table
// right after, so it pins nothing.
TEST(Hub, ReplaysAnsweredTogetherShareTheirFormsAndNothingStaysPinned) {
  ReplayForms::close();  // per thread: an earlier test's executor may not have run its close
  World w(1);
  std::string epoch = w.publish("c").epoch;
  w.publish("c");
  w.publish("c");
  int builds = 0;
  auto build = [&](const Publication& p) {
    ++builds;
    return base::SharedBuffer::copy_of("frame" + std::to_string(p.offset));
  };
  std::vector<std::vector<const char*>> frames;
  FakeSubscriber a, b;
  w.ex.on(0, [&] {
    for (FakeSubscriber* s : {&a, &b}) {
      w.hub.subscribe(s, "c", Cursor{epoch, 0}, [&](SubscribeResult r) {
        ASSERT_TRUE(r.recovered);
        frames.emplace_back();
        for (const PubPtr& p : r.replay)
          frames.back().push_back(ReplayForms::form(p, WireForm::ws_frame, build).data());
      });
    }
  });
  w.ex.drain();
  ASSERT_EQ(frames.size(), 2u);
  ASSERT_EQ(frames[0].size(), 3u);
  EXPECT_EQ(frames[0], frames[1]);  // the same buffers
  EXPECT_EQ(builds, 3);             // once per replayed publication, not per subscriber
  EXPECT_EQ(ReplayForms::size(), 0u);
  EXPECT_TRUE(ReplayForms::open());  // it was closed
  ReplayForms::close();
}

TEST(Hub, PresenceChannelsAndCountersGatherAcrossLoops) {
  World w(3);
  FakeSubscriber a("alice"), b("bob"), b2("bob"), anon, other("carol");
  ASSERT_FALSE(w.subscribe(a, "room", 0).error);
  ASSERT_FALSE(w.subscribe(b, "room", 1).error);
  ASSERT_FALSE(w.subscribe(b2, "room", 2).error);
  ASSERT_FALSE(w.subscribe(anon, "room", 2).error);
  ASSERT_FALSE(w.subscribe(other, "other", 1).error);
  w.publish("room", 0);
  w.publish("room", 1);

  Presence p;
  std::vector<ChannelInfo> list;
  HubCounters sum;
  w.ex.on(2, [&] {
    w.hub.presence("room", [&](Presence r) {
      EXPECT_EQ(w.ex.current_loop(), 2u);
      p = std::move(r);
    });
    w.hub.channels([&](std::vector<ChannelInfo> r) { list = std::move(r); });
    w.hub.gather_counters([&](HubCounters c) { sum = c; });
  });
  w.ex.drain();
  auto ids = [](const Presence& pr) {
    std::vector<std::string> out;
    for (const PresenceEntry& e : pr.clients) out.push_back(e.client);
    return out;
  };
  EXPECT_EQ(p.connections, 4u);
  EXPECT_EQ(ids(p), (std::vector<std::string>{"alice", "bob"}));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "other");
  EXPECT_EQ(list[0].subscribers, 1u);
  EXPECT_EQ(list[1].name, "room");
  EXPECT_EQ(list[1].subscribers, 4u);
  EXPECT_EQ(sum.publications, 2u);
  EXPECT_EQ(sum.deliveries, 8u);
  // Publish -> deliver latency: one value per delivery (recorded once per loop and publication).
  EXPECT_EQ(sum.deliver_latency_us.count(), 8u);
  EXPECT_EQ(sum.subscriptions, 5u);
  EXPECT_EQ(sum.channels, 4u);  // room on 3 loops + other on 1

  w.ex.on(1, [&] { w.hub.unsubscribe_all(&b); });
  w.ex.on(2, [&] { w.hub.presence("room", [&](Presence r) { p = std::move(r); }); });
  w.ex.drain();
  EXPECT_EQ(p.connections, 3u);
  EXPECT_EQ(ids(p), (std::vector<std::string>{"alice", "bob"}));
}

TEST(Hub, PresenceCountsUsersAndAnnouncedSubscriptionsJoinAndLeaveOnEveryLoop) {
  World w(3);
  FakeSubscriber a("c0-1", "alice"), a2("c1-1", "alice"), b("c2-1", "bob"), quiet("c2-2");
  auto entry = [](std::string_view who) { return base::SharedBuffer::copy_of(who); };
  auto sub = [&](FakeSubscriber& s, size_t loop, std::string_view who) {
    SubscribeResult out;
    w.ex.on(loop, [&] {
      w.hub.subscribe(
          &s, "room", std::nullopt, [&](SubscribeResult r) { out = std::move(r); }, entry(who));
    });
    w.ex.drain();
    ASSERT_FALSE(out.error);
  };
  sub(a, 0, "A");
  sub(a2, 1, "A2");
  ASSERT_FALSE(w.subscribe(quiet, "room", 2).error);  // not announced
  sub(b, 2, "B");
  // Everyone live when a subscription became live heard of it, on every loop, itself included.
  EXPECT_EQ(a.events, (std::vector<std::string>{"join A", "join A2", "join B"}));
  EXPECT_EQ(a2.events, (std::vector<std::string>{"join A2", "join B"}));
  EXPECT_EQ(quiet.events, (std::vector<std::string>{"join B"}));
  Presence p;
  w.ex.on(0, [&] { w.hub.presence("room", [&](Presence r) { p = std::move(r); }); });
  w.ex.drain();
  EXPECT_EQ(p.connections, 4u);
  EXPECT_EQ(p.clients.size(), 4u);
  EXPECT_EQ(p.users, 2u);  // alice (twice) and bob
  // Every way a subscription ends announces the leave; publications are not affected.
  w.ex.on(2, [&] { w.hub.unsubscribe_all(&b); });
  w.ex.on(1, [&] { w.hub.unsubscribe(&a2, "room"); });
  w.ex.drain();
  // (Two loops left at once: their events have no order between them.)
  auto tail = [](std::vector<std::string> ev) {
    std::sort(ev.end() - 2, ev.end());
    return std::vector<std::string>(ev.end() - 2, ev.end());
  };
  EXPECT_EQ(tail(a.events), (std::vector<std::string>{"leave A2", "leave B"}));
  EXPECT_EQ(tail(quiet.events), (std::vector<std::string>{"leave A2", "leave B"}));
  EXPECT_EQ(quiet.events.size(), 3u);
  w.publish("room", 0);
  EXPECT_EQ(a.got, (std::vector<uint64_t>{1}));
  EXPECT_EQ(quiet.got, (std::vector<uint64_t>{1}));
}

TEST(Hub, HistoryGoesThroughTheEngine) {
  World w(2);
  std::string epoch = w.publish("c").epoch;
  w.publish("c");
  HistoryResult h;
  w.ex.on(1, [&] {
    w.hub.history("c", Cursor{epoch, 0}, kNoLimit, [&](base::Result<HistoryResult> r) {
      ASSERT_TRUE(r.ok());
      h = std::move(*r);
    });
  });
  w.ex.drain();
  EXPECT_TRUE(h.recovered);
  EXPECT_EQ(offsets(h.publications), (std::vector<uint64_t>{1, 2}));
}

// An engine whose live feed overtakes its answers, as a Redis engine's pub/sub connection may
// overtake its command connection. The test plays the engine by hand.
class ManualEngine final : public Engine {
 public:
  void set_sink(LiveSink* sink) override { sink_ = sink; }
  void publish(std::string_view, Payload, PublishCallback) override {}
  void history(std::string_view, std::optional<Cursor> since, size_t,
               HistoryCallback done) override {
    history_requests.push_back(std::move(done));
  }
  void cursor(std::string_view, CursorCallback) override {}
  void watch(std::string_view) override { ++watches; }
  void unwatch(std::string_view) override { ++unwatches; }
  void broadcast(PubPtr event) override { sink_->on_publication(event); }

  void live(uint64_t offset) {
    sink_->on_publication(std::make_shared<const Publication>(
        Publication{"c", "E", offset, base::SharedBuffer::copy_of("{}"), 0}));
  }
  PubPtr pub(uint64_t offset) {
    return std::make_shared<const Publication>(
        Publication{"c", "E", offset, base::SharedBuffer::copy_of("{}"), 0});
  }

  LiveSink* sink_ = nullptr;
  std::vector<HistoryCallback> history_requests;
  int watches = 0;
  int unwatches = 0;
};

TEST(Hub, PublicationsThatOvertakeTheReplyFollowItWithoutGapOrDuplicate) {
  FakeExecutor ex(1);
  ManualEngine engine;
  Hub hub(ex, engine);
  FakeSubscriber s;
  std::vector<uint64_t> seen;
  s.on_deliver = [&](const Delivery& d) { seen.push_back(d.pub().offset); };
  hub.subscribe(&s, "c", Cursor{"E", 3}, [&](SubscribeResult r) {
    EXPECT_TRUE(r.recovered);
    seen.push_back(1000 + r.cursor.offset);  // marks the reply
    for (const auto& p : r.replay) seen.push_back(p->offset);
  });
  EXPECT_EQ(engine.watches, 1);
  ASSERT_EQ(engine.history_requests.size(), 1u);
  engine.live(5);  // covered by the answer below
  engine.live(6);  // newer than the answer: must follow the replay
  EXPECT_TRUE(seen.empty());
  HistoryResult h;
  h.cursor = Cursor{"E", 5};
  h.recovered = true;
  h.publications = {engine.pub(4), engine.pub(5)};
  engine.history_requests[0](std::move(h));
  engine.live(6);  // a duplicate from the feed
  engine.live(7);
  EXPECT_EQ(seen, (std::vector<uint64_t>{1005, 4, 5, 6, 7}));
  hub.unsubscribe_all(&s);
  EXPECT_EQ(engine.unwatches, 1);
}

TEST(Hub, EngineErrorFailsTheSubscription) {
  FakeExecutor ex(1);
  ManualEngine engine;
  Hub hub(ex, engine);
  FakeSubscriber s;
  std::error_code err;
  hub.subscribe(&s, "c", std::nullopt, [&](SubscribeResult r) { err = r.error; });
  engine.history_requests[0](base::Errc::unavailable);
  EXPECT_EQ(err, base::Errc::unavailable);
  EXPECT_EQ(hub.subscription_count(&s), 0u);
  EXPECT_EQ(engine.unwatches, 1);
  EXPECT_EQ(hub.counters().subscriptions, 0u);
}

}  // namespace
}  // namespace herald::hub
