// The live side of the Redis engine: the feeds a loop owns (one per channel that some loop of
// this node watches), their subscriptions, and the rule that keeps each channel's forwarded
// publications gap-free and in offset order (redis_engine.h).
#include <algorithm>

#include "base/log.h"
#include "base/time.h"
#include "cluster/engine_state.h"
#include "cluster/redis_engine.h"

namespace herald::cluster {

namespace {

uint64_t meta_ttl_for(const hub::ChannelOptions& o) {
  return std::max<uint64_t>(o.history_ttl_ms, RedisEngine::kMinMetaTtlMs);
}

}  // namespace

void RedisEngine::add_watcher(LoopState& st, const std::string& channel, uint32_t loop) {
  auto [it, created] = st.feeds.try_emplace(channel);
  Feed& f = it->second;
  if (created) {
    hub::ChannelOptions o = options_for_ ? options_for_(channel) : hub::ChannelOptions{};
    f.meta_ttl_ms = meta_ttl_for(o);
    f.next_touch_ms = st.loop->now_ms() + kMetaTouchMs;
    subscribe_feed(st, it->first, f);
  }
  if (std::find(f.watchers.begin(), f.watchers.end(), loop) == f.watchers.end())
    f.watchers.push_back(loop);
}

void RedisEngine::remove_watcher(LoopState& st, const std::string& channel, uint32_t loop) {
  auto it = st.feeds.find(channel);
  if (it == st.feeds.end()) return;
  Feed& f = it->second;
  f.watchers.erase(std::remove(f.watchers.begin(), f.watchers.end(), loop), f.watchers.end());
  if (!f.watchers.empty()) return;
  unsubscribe_feed(st, channel, f);
  // Requests still waiting for this feed are answered anyway (their subscriber may be gone:
  // the hub then drops the answer).
  std::vector<Waiting> waiting = std::move(f.waiting);
  st.feeds.erase(it);
  for (Waiting& w : waiting) owner_history(st, channel, std::move(w));
}

void RedisEngine::owner_history(LoopState& st, const std::string& channel, Waiting w) {
  auto it = st.feeds.find(channel);
  if (it != st.feeds.end() && !it->second.synced_once) {
    w.deadline_ms = st.loop->now_ms() + opts_.timeout_ms;
    it->second.waiting.push_back(std::move(w));
    arm_tick(st);
    return;
  }
  uint32_t from = w.from;
  read(st, channel, std::move(w.since), w.limit,
       [this, from, done = std::move(w.done)](base::Result<hub::HistoryResult> r) mutable {
         ex_.post(from,
                  [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
       });
}

void RedisEngine::release_waiting(LoopState& st, const std::string& channel, Feed& f) {
  std::vector<Waiting> waiting = std::move(f.waiting);
  f.waiting.clear();
  for (Waiting& w : waiting) owner_history(st, channel, std::move(w));
}

void RedisEngine::subscribe_feed(LoopState& st, const std::string& channel, Feed& f) {
  f.subscribed = false;
  f.node = route(st, channel);
  if (!f.node) {
    fetch_slots(st);  // Cluster: reroute_feeds() subscribes once the map is known
    return;
  }
  f.gen = st.next_gen++;
  if (!f.node->sub->ready()) return;  // on_link_up subscribes every feed of the node
  std::string c;
  std::string feed = channel_keys(opts_.prefix, channel).feed;
  std::string_view args[] = {opts_.cluster ? "SSUBSCRIBE" : "SUBSCRIBE", feed};
  format_command(c, args);
  f.node->sub->send(c);
  f.node->sub_ops.push_back({channel, f.gen});
}

void RedisEngine::unsubscribe_feed(LoopState& st, const std::string& channel, Feed& f) {
  f.subscribed = false;
  if (!f.node || !f.node->sub->ready()) return;  // a link that is down holds nothing
  // Sent even while a SUBSCRIBE is in flight: Redis runs them in order and ends unsubscribed.
  std::string c;
  std::string feed = channel_keys(opts_.prefix, channel).feed;
  std::string_view args[] = {opts_.cluster ? "SUNSUBSCRIBE" : "UNSUBSCRIBE", feed};
  format_command(c, args);
  f.node->sub->send(c);
  f.node->sub_ops.push_back({channel, 0});
}

void RedisEngine::reroute_feeds(LoopState& st) {
  for (auto& [name, f] : st.feeds) {
    Node* n = route(st, name);
    if (n && n == f.node) continue;
    if (f.node) unsubscribe_feed(st, name, f);
    subscribe_feed(st, name, f);
  }
}

void RedisEngine::on_subscribed(LoopState& st, Node& n, std::string_view channel) {
  if (n.sub_ops.empty() || n.sub_ops.front().gen == 0 || n.sub_ops.front().channel != channel) {
    // Confirmations come in the order of the commands; anything else means we lost track of
    // the link's subscriptions. A new connection starts them over.
    log_error(st, "pub/sub", "subscribe confirmation out of order");
    n.sub->reset("subscribe confirmation out of order");
    return;
  }
  Node::SubOp op = std::move(n.sub_ops.front());
  n.sub_ops.pop_front();
  auto it = st.feeds.find(op.channel);
  if (it == st.feeds.end()) return;
  Feed& f = it->second;
  if (f.node != &n || f.gen != op.gen) return;  // superseded by a later SUBSCRIBE
  f.subscribed = true;
  if (f.known) RedisStats::add(stats_.resyncs);
  // Everything published from now on arrives here; what was published before (the first
  // position, or what the link missed while it was down) is read from the stream.
  start_sync(st, it->first, f);
}

void RedisEngine::on_unsubscribed(LoopState& st, Node& n, std::string_view channel) {
  if (!n.sub_ops.empty() && n.sub_ops.front().gen == 0 && n.sub_ops.front().channel == channel) {
    n.sub_ops.pop_front();
    return;
  }
  // Unsolicited: Redis Cluster dropped a shard subscription (its slot moved). Route again.
  auto it = st.feeds.find(channel);
  if (it == st.feeds.end() || it->second.node != &n) return;
  it->second.node = nullptr;
  it->second.subscribed = false;
  if (opts_.cluster) {
    st.next_slot_refresh_ms = 0;
    fetch_slots(st);
  } else {
    subscribe_feed(st, it->first, it->second);
  }
}

void RedisEngine::on_message(LoopState& st, Node& n, std::string_view channel,
                             std::string_view payload) {
  auto it = st.feeds.find(channel);
  if (it == st.feeds.end()) return;  // unwatched meanwhile
  Feed& f = it->second;
  if (f.node != &n || !f.subscribed) return;  // from a subscription being replaced
  auto m = decode_live(payload);
  if (!m.ok()) {
    // Its content is lost here, not in the stream: read the stream (it also keeps order).
    RedisStats::add(stats_.malformed);
    log_error(st, "pub/sub: malformed publication", channel);
    if (!f.syncing) {
      RedisStats::add(stats_.gap_fills);
      start_sync(st, it->first, f);
    }
    return;
  }
  hub::Payload p = payload_of(m->data);
  auto pub = std::make_shared<const hub::Publication>(hub::Publication{
      hub::ChannelString(it->first), std::string(m->epoch), m->offset, std::move(p.data),
      st.loop->now_ms(), hub::PubKind::message, p.binary, base::monotonic_ns()});
  auto hold = [&] {
    if (f.held.size() >= kMaxHeld) {
      f.held_overflow = true;  // read from the stream after the current read
    } else {
      f.held.push_back(std::move(pub));
    }
  };
  if (f.syncing) return hold();
  if (m->epoch == f.epoch && m->offset <= f.last) return;  // already forwarded
  if (m->epoch == f.epoch && m->offset == f.last + 1) {
    f.last = m->offset;
    forward(st, f, pub);
    return;
  }
  // It skips ahead (messages lost) or belongs to another epoch: read what is missing first.
  RedisStats::add(stats_.gap_fills);
  hold();
  start_sync(st, it->first, f);
}

void RedisEngine::start_sync(LoopState& st, const std::string& channel, Feed& f) {
  f.syncing = true;
  if (f.sync_inflight) {
    f.sync_again = true;
    return;
  }
  f.sync_inflight = true;
  f.held_at_read = f.held.size();
  uint64_t id = f.sync_id = st.next_sync_id++;
  std::optional<hub::Cursor> since;
  size_t limit = 0;  // first position: the cursor only
  if (f.known) {
    since = hub::Cursor{f.epoch, f.last};
    limit = hub::kNoLimit;
  }
  LoopState* sp = &st;
  read(st, channel, std::move(since), limit,
       [this, sp, channel, id](base::Result<hub::HistoryResult> r) {
         on_synced(*sp, channel, id, std::move(r));
       });
}

void RedisEngine::on_synced(LoopState& st, const std::string& channel, uint64_t sync_id,
                            base::Result<hub::HistoryResult> r) {
  auto it = st.feeds.find(channel);
  if (it == st.feeds.end() || it->second.sync_id != sync_id) return;
  Feed& f = it->second;
  f.sync_inflight = false;
  if (!r.ok()) {
    f.retry_at_ms = st.loop->now_ms() + kSyncRetryMs;
    st.sync_retries.push_back(channel);
    arm_tick(st);
    return;
  }
  hub::HistoryResult& h = r.value();
  f.read_top = h.cursor.offset;
  if (!f.known) {
    f.known = true;
    f.epoch = h.cursor.epoch;
    f.last = h.cursor.offset;
  } else if (h.recovered && h.cursor.epoch == f.epoch) {
    for (const hub::PubPtr& pub : h.publications) {
      if (pub->offset <= f.last) continue;
      f.last = pub->offset;
      RedisStats::add(stats_.gap_publications);
      forward(st, f, pub);
    }
  } else {
    // The stream cannot fill the gap: its history was trimmed or expired, or Redis lost the
    // channel's keys (restart without persistence, FLUSHALL, eviction) and it has a new epoch.
    // Never a silent partial stream: the watchers are told, and follow the new position.
    RedisStats::add(stats_.stream_resets);
    log_error(st, "stream reset",
              channel + " " + f.epoch + ":" + std::to_string(f.last) + " -> " + h.cursor.str());
    f.epoch = h.cursor.epoch;
    f.last = h.cursor.offset;
    for (uint32_t w : f.watchers) {
      ex_.post(w, [sink = sink_, channel, cursor = h.cursor] {
        sink->on_stream_reset(channel, cursor);
      });
    }
  }
  if (f.sync_again) {
    f.sync_again = false;
    start_sync(st, it->first, f);
    return;
  }
  drain_held(st, it->first, f);
  if (f.sync_inflight) return;
  f.syncing = false;
  if (!f.synced_once) {
    f.synced_once = true;
    release_waiting(st, it->first, f);
  }
}

void RedisEngine::drain_held(LoopState& st, const std::string& channel, Feed& f) {
  std::vector<hub::PubPtr> held = std::move(f.held);
  f.held.clear();
  size_t covered = std::min(f.held_at_read, held.size());
  f.held_at_read = 0;
  for (size_t i = 0; i < held.size(); ++i) {
    const hub::PubPtr& p = held[i];
    if (i < covered && p->epoch != f.epoch) continue;  // of a stream that was replaced
    if (i < covered && p->offset > f.read_top) {
      RedisStats::add(stats_.malformed);
      log_error(st, "pub/sub: a publication the stream does not have, dropped", channel);
      continue;
    }
    if (p->epoch == f.epoch && p->offset <= f.last) continue;
    if (p->epoch == f.epoch && p->offset == f.last + 1) {
      f.last = p->offset;
      forward(st, f, p);
      continue;
    }
    f.held.assign(held.begin() + ptrdiff_t(i), held.end());
    RedisStats::add(stats_.gap_fills);
    start_sync(st, channel, f);
    return;
  }
  if (f.held_overflow) {
    f.held_overflow = false;
    start_sync(st, channel, f);
  }
}

void RedisEngine::forward(LoopState& st, Feed& f, const hub::PubPtr& pub) {
  // Other loops get it through the executor (batched per iteration); this loop's hub at once.
  // A watcher's reaction (unsubscribe, unwatch) only posts, so `f` stays valid meanwhile.
  bool local = false;
  for (uint32_t w : f.watchers) {
    if (w == st.index) {
      local = true;
    } else {
      ex_.post(w, [sink = sink_, pub] { sink->on_publication(pub); });
    }
  }
  if (local) sink_->on_publication(pub);
}

void RedisEngine::touch_feeds(LoopState& st) {
  uint64_t now = st.loop->now_ms();
  for (auto& [name, f] : st.feeds) {
    if (!f.synced_once || now < f.next_touch_ms) continue;
    f.next_touch_ms = now + kMetaTouchMs;
    auto req = std::make_shared<Request>();
    req->channel = name;
    req->done = [](const Reply*, std::error_code) {};
    std::string meta = channel_keys(opts_.prefix, name).meta;
    std::string ttl = std::to_string(f.meta_ttl_ms);
    std::string_view args[] = {"PEXPIRE", meta, ttl};
    format_command(req->cmd, args);
    exec(st, std::move(req));
  }
}

}  // namespace herald::cluster
