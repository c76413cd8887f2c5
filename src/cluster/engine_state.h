#pragma once
// The Redis engine's per-loop state (internal to redis_engine.cpp and feeds.cpp).
#include <deque>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/string_hash.h"
#include "cluster/codec.h"
#include "cluster/link.h"
#include "cluster/redis_engine.h"
#include "cluster/scripts.h"
#include "cluster/slots.h"
#include "loop/timer.h"

namespace herald::cluster {

struct RedisEngine::Request {
  std::string channel;
  Script script = Script::publish;
  std::string cmd;  // the formatted EVALSHA, kept for a retry (NOSCRIPT, MOVED, ASK)
  int redirects = 0;
  bool reloaded = false;
  ReplyDone done;
};

/// A history request that waits at the owner for the feed's first position.
struct RedisEngine::Waiting {
  std::optional<hub::Cursor> since;
  size_t limit = 0;
  uint32_t from = 0;
  HistoryCallback done;
  uint64_t deadline_ms = 0;
};

/// One Redis server as seen from one loop: its command links and its pub/sub link.
struct RedisEngine::Node final : RedisLink::Listener {
  struct SubOp {
    std::string channel;
    uint64_t gen;  // the feed generation a SUBSCRIBE was sent for (0: UNSUBSCRIBE)
  };

  Node(RedisEngine& e, LoopState& s, const net::Address& a) : engine(e), st(s), address(a) {}
  void on_link_up(RedisLink& l) override {
    engine.on_link_up(st, *this, l.kind() == RedisLink::Kind::pubsub);
  }
  void on_link_down(RedisLink& l) override {
    engine.on_link_down(st, *this, l.kind() == RedisLink::Kind::pubsub);
  }
  void on_push(RedisLink&, const Reply& r) override { engine.on_push(st, *this, r); }

  RedisEngine& engine;
  LoopState& st;
  net::Address address;
  std::string name;  // address text, for logs and lookups
  std::vector<std::unique_ptr<RedisLink>> cmd;
  std::unique_ptr<RedisLink> sub;
  // (S)SUBSCRIBE / (S)UNSUBSCRIBE sent on `sub`, in order, to match their confirmations.
  std::deque<SubOp> sub_ops;
};

/// A channel this loop owns and some loop of this node watches.
struct RedisEngine::Feed {
  std::vector<uint32_t> watchers;  // loops with local subscribers
  Node* node = nullptr;            // where it is (to be) subscribed; nullptr: not routed
  uint64_t gen = 0;                // the SUBSCRIBE this feed waits for or holds
  bool subscribed = false;         // confirmed on node->sub since it last came up
  bool synced_once = false;        // its first position was read: history may run
  bool syncing = false;            // live publications are held until a read lands
  bool sync_inflight = false;
  bool sync_again = false;  // resubscribed while a read was in flight: read once more
  uint64_t sync_id = 0;     // tells the answer of the current read from stale ones
  uint64_t retry_at_ms = 0;
  bool known = false;  // epoch/last are set
  std::string epoch;
  uint64_t last = 0;  // the last offset forwarded to the watchers (or the first position)
  std::vector<hub::PubPtr> held;
  bool held_overflow = false;
  // The first `held_at_read` held publications arrived before the read in flight was sent, so
  // that read's answer covers them; one it does not cover is not a publication of this stream
  // (a stale epoch, a forged PUBLISH) and is dropped instead of read for again and again.
  size_t held_at_read = 0;
  uint64_t read_top = 0;  // the stream's top in the last read
  std::vector<Waiting> waiting;
  uint64_t meta_ttl_ms = 0;
  uint64_t next_touch_ms = 0;
};

struct RedisEngine::LoopState {
  size_t index = 0;
  loop::Loop* loop = nullptr;
  bool started = false;
  std::vector<std::unique_ptr<Node>> nodes;
  // Cluster: the slot map, and whether this loop has one yet.
  SlotMap slots;
  bool routed = false;
  bool slots_fetching = false;
  uint64_t next_slot_refresh_ms = 0;
  std::deque<std::pair<std::shared_ptr<Request>, uint64_t>> unrouted;  // with deadlines
  // Found by string_view: a pub/sub message's channel is a view into the reply.
  std::unordered_map<std::string, Feed, base::StringHash, std::equal_to<>> feeds;
  std::unordered_set<std::string> watching;
  std::vector<std::string> sync_retries;  // feeds whose read failed
  std::mt19937_64 rng;
  uint64_t next_gen = 1;
  uint64_t next_sync_id = 1;
  uint64_t last_error_log_ms = 0;
  size_t errors_not_logged = 0;
  loop::Timer tick;
};

}  // namespace herald::cluster
