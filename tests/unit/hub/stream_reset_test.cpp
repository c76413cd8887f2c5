// The hub's side of LiveSink::on_stream_reset (an engine whose stream could not continue
// without a gap, e.g. Redis came back empty): live subscriptions move to the new position and
// are told; pending ones are not; the new stream's publications are not mistaken for old ones.
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "hub/hub.h"
#include "unit/hub/fake_executor.h"
#include "unit/hub/fake_subscriber.h"

namespace herald::hub {
namespace {

using testing::FakeExecutor;
using testing::FakeSubscriber;

/// An engine that answers history when the test says so, and lets the test act as its feed.
class ScriptedEngine final : public Engine {
 public:
  explicit ScriptedEngine(Executor& ex) : ex_(ex) {}
  void set_sink(LiveSink* sink) override { sink_ = sink; }
  void publish(std::string_view, Payload, PublishCallback done) override {
    if (done) ex_.post(ex_.current_loop(), [done] { done(base::Errc::unavailable); });
  }
  void history(std::string_view, std::optional<Cursor>, size_t, HistoryCallback done) override {
    waiting_.push_back(std::move(done));
  }
  void cursor(std::string_view, CursorCallback done) override {
    ex_.post(ex_.current_loop(), [done] { done(base::Errc::unavailable); });
  }
  void watch(std::string_view) override {}
  void unwatch(std::string_view) override {}
  void broadcast(PubPtr) override {}

  /// Answers the oldest history request with an empty stream at `c`.
  void answer(const Cursor& c) {
    HistoryResult r;
    r.cursor = c;
    auto done = std::move(waiting_.front());
    waiting_.pop_front();
    done(std::move(r));
  }
  void feed(const std::string& ch, const std::string& epoch, uint64_t offset) {
    sink_->on_publication(std::make_shared<const Publication>(
        Publication{ChannelString(ch), epoch, offset, base::SharedBuffer::copy_of("{}"), 0}));
  }
  void reset(const std::string& ch, const Cursor& now) { sink_->on_stream_reset(ch, now); }

 private:
  Executor& ex_;
  LiveSink* sink_ = nullptr;
  std::deque<HistoryCallback> waiting_;
};

TEST(HubStreamReset, LiveSubscriptionsFollowTheNewStreamPendingOnesAreNotTold) {
  FakeExecutor ex(1);
  ScriptedEngine engine(ex);
  Hub hub(ex, engine);
  FakeSubscriber live, pending;
  bool live_ok = false;
  ex.on(0, [&] {
    hub.subscribe(&live, "c", std::nullopt, [&](SubscribeResult r) { live_ok = !r.error; });
  });
  engine.answer(Cursor{"Old", 5});
  ASSERT_TRUE(live_ok);
  ex.on(0, [&] { hub.subscribe(&pending, "c", std::nullopt, [](SubscribeResult) {}); });

  engine.feed("c", "Old", 6);
  EXPECT_EQ(live.got, (std::vector<uint64_t>{6}));

  engine.reset("c", Cursor{"New", 2});
  ASSERT_EQ(live.resets.size(), 1u);
  EXPECT_EQ(live.resets[0].first, "c");
  EXPECT_EQ(live.resets[0].second, (Cursor{"New", 2}));
  EXPECT_TRUE(pending.resets.empty());  // its answer (from the engine) is still to come

  // Offsets start over: 3 of the new stream is delivered although 6 of the old one was.
  engine.feed("c", "New", 2);  // covered by the reset's position
  engine.feed("c", "New", 3);
  EXPECT_EQ(live.got, (std::vector<uint64_t>{6, 3}));

  // A reset of a channel nobody here watches, and one inside a delivery, are harmless.
  engine.reset("other", Cursor{"X", 1});
  live.on_deliver = [&](const Delivery&) { hub.unsubscribe_all(&live); };
  engine.feed("c", "New", 4);
  engine.reset("c", Cursor{"Newer", 0});
  EXPECT_EQ(live.resets.size(), 1u);  // unsubscribed inside the delivery of 4
  ex.on(0, [&] { hub.unsubscribe_all(&pending); });
  ex.drain();
}

}  // namespace
}  // namespace herald::hub
