#pragma once
// The Redis engine (cluster mode, docs/design.md "Cluster mode", docs/scaling.md): streams
// live in Redis, so every herald node on the same Redis serves the same channels.
//
//  - publish: one EVALSHA of the publish script (scripts.h) from the publishing loop, on its
//    own link to the channel's Redis: assigns the offset, appends to the Stream, PUBLISHes.
//  - history / cursor: one EVALSHA of the read script, atomic over meta hash and Stream.
//  - live feed: the channel's owner loop on this node (fnv1a(channel) % loops, as with the
//    memory engine) holds the channel's (S)SUBSCRIBE on its pub/sub link and posts each
//    publication once to every loop of this node that watches the channel. Redis therefore
//    sends a publication once per node, not once per loop, and the owner is the one place that
//    knows the last offset it handed out, which is what gap detection needs.
//  - gaps: the owner forwards a channel's publications strictly in offset order. One that
//    skips ahead (or carries another epoch) is held and the missing range is read from the
//    Stream first; after its pub/sub link reconnects, every channel is re-read from its last
//    offset. When the Stream cannot fill the gap (trimmed, expired, or a new epoch because
//    Redis lost the keys), the watchers are told with LiveSink::on_stream_reset.
//  - ordering contract (engine.h): a history request from a loop that watches the channel
//    goes through the owner, which runs it only once the feed is subscribed and its first
//    position read after the SUBSCRIBE was confirmed; later reads are then never behind what
//    the owner forwards.
//
// Links: per loop and per Redis server, `pool_size` command links and one pub/sub link
// (link.h); loops share nothing. Several `addresses` without `cluster`: independent servers,
// a channel lives on server crc16(channel) % N (every node must list them in the same order).
// With `cluster`: the addresses are seeds; each loop reads CLUSTER SLOTS, sends a channel's
// commands to its slot's master, follows MOVED / ASK, and uses SSUBSCRIBE / SPUBLISH.
//
// Failures: a command not answered within timeout_ms fails with Errc::unavailable (the API
// answers 503); subscribers stay connected; links reconnect by themselves; ready() is false
// while any link is down.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/reply.h"
#include "cluster/stats.h"
#include "hub/engine.h"
#include "hub/executor.h"
#include "loop/loop.h"
#include "net/address.h"

namespace herald::cluster {

struct RedisOptions {
  std::vector<net::Address> addresses;
  bool cluster = false;  // the addresses are seeds of one Redis Cluster
  std::string prefix = "herald";
  std::string password;
  int db = 0;  // ignored in Cluster mode (Cluster has only db 0)
  uint32_t timeout_ms = 1000;
  size_t pool_size = 1;  // command links per loop and server
};

class RedisEngine final : public hub::Engine {
 public:
  using OptionsFn = std::function<hub::ChannelOptions(std::string_view channel)>;

  /// A channel's meta hash (epoch, last offset) lives at least this long after its last
  /// publish or read, history_ttl if longer: an idle channel keeps its epoch that long.
  static constexpr uint64_t kMinMetaTtlMs = 60'000;
  /// Owners refresh the meta TTL of watched channels this often, so a quiet channel that has
  /// subscribers never changes epoch under them.
  static constexpr uint64_t kMetaTouchMs = 20'000;
  /// Live publications held per channel while its gap is read; past it they are dropped and
  /// read from the Stream afterwards.
  static constexpr size_t kMaxHeld = 65'536;
  /// A failed gap/resync read is retried after this.
  static constexpr uint64_t kSyncRetryMs = 200;
  /// Cluster: how often each loop re-reads CLUSTER SLOTS (also after MOVED and link loss).
  static constexpr uint64_t kSlotRefreshMs = 10'000;
  /// Redirects (MOVED / ASK) followed for one command before it fails.
  static constexpr int kMaxRedirects = 5;

  /// `loops[i]` is the loop the executor numbers i. `seed` 0: epochs from std::random_device.
  RedisEngine(hub::Executor& ex, std::vector<loop::Loop*> loops, RedisOptions opts,
              OptionsFn options_for, uint64_t seed = 0);
  ~RedisEngine() override;

  void set_sink(hub::LiveSink* sink) override { sink_ = sink; }
  void publish(std::string_view channel, hub::Payload payload, PublishCallback done) override;
  void history(std::string_view channel, std::optional<hub::Cursor> since, size_t limit,
               HistoryCallback done) override;
  void cursor(std::string_view channel, CursorCallback done) override;
  void watch(std::string_view channel) override;
  void unwatch(std::string_view channel) override;
  /// Presence events go to the loops of this node that watch the channel, through its owner
  /// (as with the memory engine); other nodes do not see them yet (docs/design.md, presence).
  void broadcast(hub::PubPtr event) override;
  void maintain() override;

  /// Closes every link without calling anything back. Call on any thread once the loops
  /// have stopped, before the loops are destroyed.
  void shutdown();
  /// Thread-safe: every link of every loop is connected and ready, and (Cluster) every loop
  /// knows the slot map.
  bool ready() const;
  /// Thread-safe counters (relaxed).
  const RedisStats& stats() const { return stats_; }
  /// The loop that holds `channel`'s subscription on this node.
  size_t owner_of(std::string_view channel) const;
  const RedisOptions& options() const { return opts_; }

 private:
  struct Node;
  struct Feed;
  struct Request;
  struct LoopState;
  struct Waiting;
  using ReplyDone = std::function<void(const Reply* r, std::error_code ec)>;

  LoopState& state();
  void start_loop(LoopState& st);
  Node& add_node(LoopState& st, const net::Address& addr);
  Node* node_at(LoopState& st, const net::Address& addr);
  /// The node serving `channel`, or nullptr (Cluster: slot map not known yet).
  Node* route(LoopState& st, std::string_view channel);
  std::string new_epoch(LoopState& st);

  // Requests (redis_engine.cpp).
  std::shared_ptr<Request> make_script(LoopState& st, std::string_view channel, int script,
                                       std::span<const std::string_view> argv, ReplyDone done);
  void exec(LoopState& st, std::shared_ptr<Request> req);
  void send_to(LoopState& st, Node& n, std::shared_ptr<Request> req, bool asking);
  void on_reply(LoopState& st, Node& n, const std::shared_ptr<Request>& req, const Reply* r,
                std::error_code ec);
  void read(LoopState& st, std::string_view channel, std::optional<hub::Cursor> since, size_t limit,
            HistoryCallback done);
  void fetch_slots(LoopState& st);
  void arm_tick(LoopState& st);
  void on_tick(LoopState& st);
  void log_error(LoopState& st, const char* what, std::string_view detail);

  // Link events (Node forwards them).
  void on_link_up(LoopState& st, Node& n, bool pubsub);
  void on_link_down(LoopState& st, Node& n, bool pubsub);
  void on_push(LoopState& st, Node& n, const Reply& r);

  // Feeds (feeds.cpp).
  void add_watcher(LoopState& st, const std::string& channel, uint32_t loop);
  void remove_watcher(LoopState& st, const std::string& channel, uint32_t loop);
  void owner_history(LoopState& st, const std::string& channel, Waiting w);
  void subscribe_feed(LoopState& st, const std::string& channel, Feed& f);
  void unsubscribe_feed(LoopState& st, const std::string& channel, Feed& f);
  void reroute_feeds(LoopState& st);
  void on_subscribed(LoopState& st, Node& n, std::string_view channel);
  void on_unsubscribed(LoopState& st, Node& n, std::string_view channel);
  void on_message(LoopState& st, Node& n, std::string_view channel, std::string_view payload);
  void start_sync(LoopState& st, const std::string& channel, Feed& f);
  void on_synced(LoopState& st, const std::string& channel, uint64_t sync_id,
                 base::Result<hub::HistoryResult> r);
  void drain_held(LoopState& st, const std::string& channel, Feed& f);
  void forward(LoopState& st, Feed& f, const hub::PubPtr& pub);
  void release_waiting(LoopState& st, const std::string& channel, Feed& f);
  void touch_feeds(LoopState& st);

  hub::Executor& ex_;
  std::vector<loop::Loop*> loops_;
  RedisOptions opts_;
  OptionsFn options_for_;
  hub::LiveSink* sink_ = nullptr;
  RedisStats stats_;
  std::vector<std::unique_ptr<LoopState>> states_;
};

}  // namespace herald::cluster
