#pragma once
// The hub (docs/protocol.md, docs/design.md): subscriptions of local sessions, fan-out of live
// publications, and subscribe-with-recovery whose replay and live stream join with no gap and no
// duplicate.
//
// One Hub is shared by all loops; its state is per loop (a vector indexed by loop), and every
// method must be called on the calling loop's thread, touches only that loop's state, and calls
// back on that loop. Cross-loop work goes through the Executor; stream state lives behind the
// Engine. The Hub must outlive every loop's use of it (stop the loops first).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "base/channel.h"
#include "base/error.h"
#include "base/histogram.h"
#include "base/shared_buffer.h"
#include "hub/channel.h"
#include "hub/engine.h"
#include "hub/executor.h"
#include "hub/publication.h"
#include "hub/subscriber.h"

namespace herald::hub {

struct SubscribeResult {
  /// Set when the subscription failed (bad channel, already subscribed: Errc::already_exists,
  /// engine unavailable); the subscriber is then not subscribed and the other fields are empty.
  std::error_code error;
  /// The channel's current position; `cursor.str()` is the "epoch:offset" of the reply.
  Cursor cursor;
  /// Meaningful only when `since` was given: history covered it and `replay` holds exactly
  /// the publications after it. False: the client must reload its state (docs/protocol.md).
  bool recovered = false;
  /// Publications after `since`, oldest first; empty unless recovered.
  std::vector<PubPtr> replay;
};

struct PresenceEntry {
  std::string client;
  std::string user;
  std::string info;  // a JSON object, or "" (none)
};

struct Presence {
  size_t connections = 0;              // subscriptions to the channel, all loops
  size_t users = 0;                    // distinct non-empty users among `clients`
  std::vector<PresenceEntry> clients;  // present subscribers, by client id, unique
};

struct ChannelInfo {
  std::string name;
  size_t subscribers = 0;
};

/// Counters for /metrics. Per loop they are plain integers; `gather_counters` sums all loops.
struct HubCounters {
  uint64_t publications = 0;       // publishes handed to the engine (on the publishing loop)
  uint64_t deliveries = 0;         // Subscriber::deliver calls
  uint64_t subscriptions = 0;      // current subscriptions (gauge)
  uint64_t subscribes = 0;         // subscribe requests that succeeded (total)
  uint64_t recoveries_ok = 0;      // subscribe with since: recovered
  uint64_t recoveries_failed = 0;  // subscribe with since: not recovered
  uint64_t channels = 0;           // channels with local subscribers (gauge)
  /// Publish -> deliver latency, microseconds, one value per delivery (Publication::received_ns
  /// to the subscriber's output queue).
  base::Histogram deliver_latency_us;

  void add(const HubCounters& o);
};

class Hub final : private LiveSink {
 public:
  using PublishCallback = std::function<void(base::Result<PublishResult>)>;
  using SubscribeCallback = std::function<void(SubscribeResult)>;
  using HistoryCallback = std::function<void(base::Result<HistoryResult>)>;

  /// Registers itself as `engine`'s sink. Both must outlive the Hub's use.
  Hub(Executor& ex, Engine& engine);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  /// Publishes `payload` (raw JSON, or bytes) to `channel`; `done` (may be empty) gets {epoch,
  /// offset}. No name (an empty ChannelName: its text was not valid) is answered
  /// Errc::bad_channel (synchronously).
  void publish(base::ChannelName channel, Payload payload, PublishCallback done);

  /// Subscribes `sub` (which lives on this loop) to `channel`, from now or, with `since`
  /// (parsed once, at the surface that read it), from after that cursor. `done` runs later on this
  /// loop with the current cursor and the replay; the transport writes its reply and the replayed
  /// pushes inside `done`, and from then on `sub->deliver()` gets the live publications after them,
  /// with no gap and no duplicate. `done` is never run once `sub` was unsubscribed from the
  /// channel (so `sub` may be freed right after unsubscribe_all). Invalid input (channel,
  /// cursor) or a duplicate subscription is answered synchronously, inside this call.
  /// `announce` (non-empty: the subscriber's presence entry as JSON) makes the subscription
  /// announce itself: a join event to the channel's subscribers on every loop when it becomes
  /// live, a leave event when it ends (unsubscribe, unsubscribe_all: every way a session ends).
  void subscribe(Subscriber* sub, std::string_view channel, std::optional<Cursor> since,
                 SubscribeCallback done, base::SharedBuffer announce = {});

  /// Removes one subscription (pending or live). Safe inside deliver() and inside `done`.
  void unsubscribe(Subscriber* sub, std::string_view channel);
  /// Removes every subscription of `sub`; after it returns the hub holds no pointer to `sub`.
  void unsubscribe_all(Subscriber* sub);

  /// Channels `sub` is subscribed to (pending included), on this loop.
  size_t subscription_count(Subscriber* sub) const;
  /// Whether `sub` has a subscription to `channel` on this loop (pending ones included).
  bool subscribed(Subscriber* sub, std::string_view channel) const;

  /// History (the API's and the poll transport's read): see Engine::history.
  void history(std::string_view channel, std::optional<Cursor> since, size_t limit,
               HistoryCallback done);

  /// Gathers subscriptions of `channel` from every loop; `done` runs on this loop.
  void presence(std::string_view channel, std::function<void(Presence)> done);
  /// Gathers every channel with subscribers, sorted by name; `done` runs on this loop.
  void channels(std::function<void(std::vector<ChannelInfo>)> done);

  /// This loop's counters.
  const HubCounters& counters() const;
  /// Sums every loop's counters; `done` runs on this loop.
  void gather_counters(std::function<void(HubCounters)> done);

  /// Housekeeping on this loop; the server calls it periodically (forwards to the engine).
  void maintain() { engine_.maintain(); }

 private:
  struct LocalChannel;
  struct LoopState;

  void on_publication(const PubPtr& pub) override;
  void on_stream_reset(std::string_view channel, const Cursor& now) override;
  /// Hands a presence event (join/leave of a subscriber whose entry is `entry`) to `channel`'s
  /// subscribers on every loop, through the engine.
  void announce(std::string_view channel, PubKind kind, const base::SharedBuffer& entry);
  /// Delivers a presence event to every live subscription of `lc`.
  void fan_out_event(LocalChannel& lc, const PubPtr& event);
  void on_subscribed(const std::string& channel, Subscriber* sub, uint64_t token, bool had_since,
                     base::Result<HistoryResult> r, SubscribeCallback& done);
  /// Delivers `pub` to every live subscription of `lc` it is new to.
  void fan_out(LocalChannel& lc, const PubPtr& pub);
  /// Called when a walk over `lc` ends: compacts tombstones, drops held publications when
  /// nothing is pending, and releases `lc` when it emptied.
  void finish_walk(LoopState& st, LocalChannel& lc);
  /// Removes `sub` from `lc`; erases `lc` (and unwatches) when it empties.
  void remove_subscription(LoopState& st, LocalChannel& lc, Subscriber* sub);
  /// Erases `lc` and unwatches the channel if it has no subscription and nobody walks it.
  void release_if_empty(LoopState& st, LocalChannel& lc);
  template <typename T>
  void gather(std::function<T(size_t loop)> part, std::function<void(T&, T&&)> merge,
              std::function<void(T)> done);

  LoopState& state();
  const LoopState& state() const;

  Executor& ex_;
  Engine& engine_;
  std::vector<std::unique_ptr<LoopState>> loops_;
};

}  // namespace herald::hub
