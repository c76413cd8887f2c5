#include "cluster/redis_engine.h"

#include <algorithm>

#include "base/log.h"
#include "cluster/engine_state.h"
#include "hub/channel.h"

namespace herald::cluster {

namespace {

constexpr uint64_t kTickMs = 20;  // deadlines of requests waiting inside the engine
constexpr uint64_t kErrorLogIntervalMs = 1000;
constexpr size_t kEpochLength = 8;
constexpr char kEpochAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

uint64_t meta_ttl(const hub::ChannelOptions& o) {
  return std::max<uint64_t>(o.history_ttl_ms, RedisEngine::kMinMetaTtlMs);
}

}  // namespace

RedisEngine::RedisEngine(hub::Executor& ex, std::vector<loop::Loop*> loops, RedisOptions opts,
                         OptionsFn options_for, uint64_t seed)
    : ex_(ex), loops_(std::move(loops)), opts_(std::move(opts)), options_for_(options_for) {
  if (opts_.cluster) opts_.db = 0;
  if (opts_.pool_size == 0) opts_.pool_size = 1;
  if (seed == 0) seed = (uint64_t(std::random_device{}()) << 32) ^ std::random_device{}();
  for (size_t i = 0; i < loops_.size(); ++i) {
    auto st = std::make_unique<LoopState>();
    st->index = i;
    st->loop = loops_[i];
    st->rng.seed(seed + 0x9e3779b97f4a7c15ull * (i + 1));
    st->routed = !opts_.cluster;
    for (const net::Address& a : opts_.addresses) add_node(*st, a);
    states_.push_back(std::move(st));
  }
  if (!opts_.cluster) RedisStats::add(stats_.loops_routed, loops_.size());
  // Links connect on their own loop; an engine call that comes first starts them itself.
  for (size_t i = 0; i < loops_.size(); ++i) {
    LoopState* st = states_[i].get();
    loops_[i]->post([this, st] { start_loop(*st); });
  }
}

RedisEngine::~RedisEngine() {
  shutdown();
}

void RedisEngine::shutdown() {
  for (auto& st : states_) {
    st->tick.stop();
    for (auto& n : st->nodes) {
      for (auto& l : n->cmd) l->shutdown();
      n->sub->shutdown();
    }
    st->feeds.clear();
    st->unrouted.clear();
  }
}

bool RedisEngine::ready() const {
  uint64_t links = RedisStats::get(stats_.links);
  return links > 0 && RedisStats::get(stats_.links_up) == links &&
         RedisStats::get(stats_.loops_routed) == loops_.size();
}

size_t RedisEngine::owner_of(std::string_view channel) const {
  return size_t(hub::fnv1a(channel) % loops_.size());
}

RedisEngine::LoopState& RedisEngine::state() {
  LoopState& st = *states_[ex_.current_loop()];
  if (!st.started) start_loop(st);
  return st;
}

void RedisEngine::start_loop(LoopState& st) {
  if (st.started) return;
  st.started = true;
  for (auto& n : st.nodes) {
    for (auto& l : n->cmd) l->start();
    n->sub->start();
  }
}

RedisEngine::Node& RedisEngine::add_node(LoopState& st, const net::Address& addr) {
  auto node = std::make_unique<Node>(*this, st, addr);
  node->name = addr.to_string();
  RedisLink::Config cfg;
  cfg.address = addr;
  cfg.password = opts_.password;
  cfg.db = opts_.db;
  cfg.timeout_ms = opts_.timeout_ms;
  cfg.kind = RedisLink::Kind::command;
  for (size_t i = 0; i < opts_.pool_size; ++i)
    node->cmd.push_back(std::make_unique<RedisLink>(*st.loop, cfg, *node, stats_));
  cfg.kind = RedisLink::Kind::pubsub;
  cfg.load_scripts = false;
  node->sub = std::make_unique<RedisLink>(*st.loop, cfg, *node, stats_);
  Node& n = *node;
  st.nodes.push_back(std::move(node));
  if (st.started) {
    for (auto& l : n.cmd) l->start();
    n.sub->start();
  }
  return n;
}

RedisEngine::Node* RedisEngine::node_at(LoopState& st, const net::Address& addr) {
  std::string name = addr.to_string();
  for (auto& n : st.nodes)
    if (n->name == name) return n.get();
  return nullptr;
}

RedisEngine::Node* RedisEngine::route(LoopState& st, std::string_view channel) {
  if (!opts_.cluster) return st.nodes[channel_slot(channel) % st.nodes.size()].get();
  if (!st.routed) return nullptr;
  const net::Address* master = st.slots.master_of(channel_slot(channel));
  if (!master) return nullptr;
  if (Node* n = node_at(st, *master)) return n;
  return &add_node(st, *master);
}

std::string RedisEngine::new_epoch(LoopState& st) {
  std::string e(kEpochLength, '\0');
  for (char& c : e) c = kEpochAlphabet[st.rng() % (sizeof(kEpochAlphabet) - 1)];
  return e;
}

void RedisEngine::log_error(LoopState& st, const char* what, std::string_view detail) {
  // An outage makes every request fail the same way: one line a second says it.
  uint64_t now = st.loop->now_ms();
  if (st.last_error_log_ms != 0 && now < st.last_error_log_ms + kErrorLogIntervalMs) {
    ++st.errors_not_logged;
    return;
  }
  if (st.errors_not_logged > 0) {
    HLOG_WARN("redis: %s: %.*s (and %zu more errors in the last second)", what, int(detail.size()),
              detail.data(), st.errors_not_logged);
  } else {
    HLOG_WARN("redis: %s: %.*s", what, int(detail.size()), detail.data());
  }
  st.last_error_log_ms = now;
  st.errors_not_logged = 0;
}

// ---- requests --------------------------------------------------------------------------------

std::shared_ptr<RedisEngine::Request> RedisEngine::make_script(
    LoopState&, std::string_view channel, int script, std::span<const std::string_view> argv,
    ReplyDone done) {
  auto req = std::make_shared<Request>();
  req->channel = std::string(channel);
  req->script = Script(script);
  req->done = std::move(done);
  ChannelKeys k = channel_keys(opts_.prefix, channel);
  std::vector<std::string_view> args = {"EVALSHA", script_sha(req->script), "2", k.meta, k.stream};
  args.insert(args.end(), argv.begin(), argv.end());
  format_command(req->cmd, args);
  return req;
}

void RedisEngine::exec(LoopState& st, std::shared_ptr<Request> req) {
  Node* n = route(st, req->channel);
  if (!n) {
    // Cluster, before the slot map: wait for it (bounded by the timeout, like a link would).
    st.unrouted.emplace_back(std::move(req), st.loop->now_ms() + opts_.timeout_ms);
    arm_tick(st);
    fetch_slots(st);
    return;
  }
  send_to(st, *n, std::move(req), false);
}

void RedisEngine::send_to(LoopState& st, Node& n, std::shared_ptr<Request> req, bool asking) {
  // One link per channel within the pool: commands about one channel keep their order.
  RedisLink& link = *n.cmd[hub::fnv1a(req->channel) % n.cmd.size()];
  if (asking) {
    std::string c;
    std::string_view args[] = {"ASKING"};
    format_command(c, args);
    link.command(std::move(c), [](const Reply*, std::error_code) {});
  }
  std::string cmd = req->cmd;
  Node* np = &n;
  link.command(std::move(cmd), [this, &st, np, req](const Reply* r, std::error_code ec) {
    on_reply(st, *np, req, r, ec);
  });
}

void RedisEngine::on_reply(LoopState& st, Node& n, const std::shared_ptr<Request>& req,
                           const Reply* r, std::error_code ec) {
  if (!ec && r->is_error()) {
    if (r->error_code() == "NOSCRIPT" && !req->reloaded) {
      // SCRIPT FLUSH, or a Redis that restarted since the link loaded it: load it again on
      // the same link (so it precedes the retry) and retry once.
      req->reloaded = true;
      RedisStats::add(stats_.script_reloads);
      log_error(st, "script missing", "loading it again on " + n.name);
      std::string c;
      std::string_view args[] = {"SCRIPT", "LOAD", script_source(req->script)};
      format_command(c, args);
      n.cmd[hub::fnv1a(req->channel) % n.cmd.size()]->command(std::move(c),
                                                              [](const Reply*, std::error_code) {});
      send_to(st, n, req, false);
      return;
    }
    if (auto rd = parse_redirect(*r); rd && req->redirects < kMaxRedirects) {
      // Cluster resharding or failover: MOVED is permanent (re-read the map), ASK is for this
      // one command (ASKING first).
      req->redirects++;
      RedisStats::add(stats_.redirects);
      Node* target = node_at(st, rd->target);
      if (!target) target = &add_node(st, rd->target);
      if (!rd->ask && opts_.cluster) {
        st.next_slot_refresh_ms = 0;
        fetch_slots(st);
      }
      send_to(st, *target, req, rd->ask);
      return;
    }
  }
  req->done(r, ec);
}

void RedisEngine::publish(std::string_view channel, hub::Payload payload, PublishCallback done) {
  LoopState& st = state();
  hub::ChannelOptions o = options_for_ ? options_for_(channel) : hub::ChannelOptions{};
  std::string epoch = new_epoch(st);
  std::string size = std::to_string(o.history_enabled() ? o.history_size : 0);
  std::string ttl = std::to_string(o.history_ttl_ms);
  std::string mttl = std::to_string(meta_ttl(o));
  std::string feed = channel_keys(opts_.prefix, channel).feed;
  std::string scratch;
  std::string_view data = stored_form(payload, &scratch);
  std::string_view argv[] = {epoch, data, size, ttl, mttl, feed, opts_.cluster ? "1" : "0"};
  auto req = make_script(st, channel, int(Script::publish), argv,
                         [this, &st, done = std::move(done)](const Reply* r, std::error_code ec) {
                           base::Result<hub::PublishResult> res = base::Errc::unavailable;
                           if (!ec) {
                             if (r->is_error()) {
                               log_error(st, "publish", r->describe());
                             } else {
                               res = decode_publish_reply(*r);
                               if (!res.ok()) {
                                 RedisStats::add(stats_.command_errors);
                                 log_error(st, "publish: unexpected reply", r->describe());
                                 res = base::Errc::unavailable;
                               }
                             }
                           }
                           if (!res.ok()) RedisStats::add(stats_.publish_failures);
                           if (done) done(std::move(res));
                         });
  exec(st, std::move(req));
}

void RedisEngine::read(LoopState& st, std::string_view channel, std::optional<hub::Cursor> since,
                       size_t limit, HistoryCallback done) {
  hub::ChannelOptions o = options_for_ ? options_for_(channel) : hub::ChannelOptions{};
  ReadQuery q;
  q.since = since;
  q.limit = limit;
  q.history_ttl_ms = o.history_ttl_ms;
  q.history_enabled = o.history_enabled();
  // A cursor-only read with `since` still looks at the one entry after it (recovered?).
  int64_t count = limit == hub::kNoLimit ? -1 : int64_t(std::max<size_t>(limit, since ? 1 : 0));
  if (!q.history_enabled) count = 0;
  std::string epoch = new_epoch(st);
  std::string mttl = std::to_string(meta_ttl(o));
  std::string since_epoch = since ? since->epoch : std::string();
  std::string since_offset = since ? std::to_string(since->offset) : "0";
  std::string count_text = std::to_string(count);
  std::string_view argv[] = {epoch, mttl, since_epoch, since_offset, count_text};
  auto req = make_script(st, channel, int(Script::read), argv,
                         [this, &st, ch = std::string(channel), q = std::move(q),
                          done = std::move(done)](const Reply* r, std::error_code ec) {
                           if (ec) return done(base::Errc::unavailable);
                           if (r->is_error()) {
                             log_error(st, "history", r->describe());
                             return done(base::Errc::unavailable);
                           }
                           ReadProblems problems;
                           auto h = decode_read_reply(*r, ch, q, &problems);
                           if (problems.malformed_entries > 0) {
                             RedisStats::add(stats_.malformed, problems.malformed_entries);
                             log_error(st, "history", "malformed stream entries in " + ch);
                           }
                           if (!h.ok()) {
                             RedisStats::add(stats_.command_errors);
                             log_error(st, "history: unexpected reply", r->describe());
                             return done(base::Errc::unavailable);
                           }
                           done(std::move(h));
                         });
  exec(st, std::move(req));
}

void RedisEngine::history(std::string_view channel, std::optional<hub::Cursor> since, size_t limit,
                          HistoryCallback done) {
  LoopState& st = state();
  if (st.watching.count(std::string(channel))) {
    // This loop watches the channel: the read must not run before the owner's feed has its
    // first position (engine.h, ordering contract), so it goes through the owner.
    Waiting w{std::move(since), limit, uint32_t(st.index), std::move(done), 0};
    ex_.post(owner_of(channel), [this, ch = std::string(channel), w = std::move(w)]() mutable {
      owner_history(state(), ch, std::move(w));
    });
    return;
  }
  read(st, channel, std::move(since), limit, std::move(done));
}

void RedisEngine::cursor(std::string_view channel, CursorCallback done) {
  history(channel, std::nullopt, 0, [done = std::move(done)](base::Result<hub::HistoryResult> r) {
    if (!r) return done(r.error());
    done(std::move(r->cursor));
  });
}

void RedisEngine::watch(std::string_view channel) {
  LoopState& st = state();
  st.watching.emplace(channel);
  uint32_t from = uint32_t(st.index);
  ex_.post(owner_of(channel),
           [this, from, ch = std::string(channel)] { add_watcher(state(), ch, from); });
}

void RedisEngine::unwatch(std::string_view channel) {
  LoopState& st = state();
  st.watching.erase(std::string(channel));
  uint32_t from = uint32_t(st.index);
  ex_.post(owner_of(channel),
           [this, from, ch = std::string(channel)] { remove_watcher(state(), ch, from); });
}

void RedisEngine::broadcast(hub::PubPtr event) {
  size_t owner = owner_of(event->channel);
  ex_.post(owner, [this, event = std::move(event)] {
    LoopState& st = state();
    auto it = st.feeds.find(std::string_view(event->channel));
    if (it == st.feeds.end()) return;  // nobody here watches
    forward(st, it->second, event);
  });
}

void RedisEngine::maintain() {
  LoopState& st = state();
  if (opts_.cluster && st.loop->now_ms() >= st.next_slot_refresh_ms) fetch_slots(st);
  touch_feeds(st);
}

// ---- Cluster slot map ------------------------------------------------------------------------

void RedisEngine::fetch_slots(LoopState& st) {
  if (!opts_.cluster || st.slots_fetching) return;
  RedisLink* link = nullptr;
  for (auto& n : st.nodes) {
    for (auto& l : n->cmd) {
      if (l->ready()) {
        link = l.get();
        break;
      }
    }
    if (link) break;
  }
  if (!link) return;  // the next link that comes up asks
  st.slots_fetching = true;
  std::string c;
  std::string_view args[] = {"CLUSTER", "SLOTS"};
  format_command(c, args);
  net::Address asked = link->address();
  link->command(std::move(c), [this, &st, asked](const Reply* r, std::error_code ec) {
    st.slots_fetching = false;
    st.next_slot_refresh_ms = st.loop->now_ms() + kSlotRefreshMs;
    if (ec) return;
    if (r->is_error()) return log_error(st, "CLUSTER SLOTS", r->describe());
    auto map = parse_cluster_slots(*r, asked);
    if (!map.ok() || !map->complete()) {
      RedisStats::add(stats_.command_errors);
      return log_error(st, "CLUSTER SLOTS", "incomplete or unexpected slot map");
    }
    if (!st.routed) RedisStats::add(stats_.loops_routed);
    st.routed = true;
    st.slots = std::move(map.value());
    for (const SlotMap::Range& range : st.slots.ranges)
      if (!node_at(st, range.master)) add_node(st, range.master);
    // What waited for a route goes now; feeds whose slot changed hands move.
    auto waiting = std::move(st.unrouted);
    st.unrouted.clear();
    for (auto& w : waiting) exec(st, std::move(w.first));
    reroute_feeds(st);
  });
}

// ---- engine timer ----------------------------------------------------------------------------

void RedisEngine::arm_tick(LoopState& st) {
  if (st.tick.active()) return;
  LoopState* sp = &st;
  st.tick.start(st.loop->timers(), kTickMs, [this, sp] { on_tick(*sp); });
}

void RedisEngine::on_tick(LoopState& st) {
  uint64_t now = st.loop->now_ms();
  while (!st.unrouted.empty() && st.unrouted.front().second <= now) {
    auto req = std::move(st.unrouted.front().first);
    st.unrouted.pop_front();
    req->done(nullptr, base::Errc::unavailable);
  }
  if (opts_.cluster && !st.routed) fetch_slots(st);
  bool pending = !st.unrouted.empty();
  for (auto& [name, f] : st.feeds) {
    if (f.waiting.empty()) continue;
    auto expired = std::stable_partition(f.waiting.begin(), f.waiting.end(),
                                         [now](const Waiting& w) { return w.deadline_ms > now; });
    if (expired != f.waiting.end())
      log_error(st, "subscribe", name + ": no pub/sub confirmation within the timeout");
    for (auto it = expired; it != f.waiting.end(); ++it) {
      ex_.post(it->from, [done = std::move(it->done)] { done(base::Errc::unavailable); });
    }
    f.waiting.erase(expired, f.waiting.end());
    if (!f.waiting.empty()) pending = true;
  }
  std::vector<std::string> retries = std::move(st.sync_retries);
  st.sync_retries.clear();
  for (std::string& name : retries) {
    auto it = st.feeds.find(name);
    if (it == st.feeds.end() || !it->second.syncing || it->second.sync_inflight) continue;
    if (it->second.retry_at_ms <= now) {
      start_sync(st, it->first, it->second);
    } else {
      st.sync_retries.push_back(std::move(name));
    }
  }
  if (!st.sync_retries.empty()) pending = true;
  if (pending) st.tick.restart(kTickMs);
}

// ---- link events -----------------------------------------------------------------------------

void RedisEngine::on_link_up(LoopState& st, Node& n, bool pubsub) {
  if (!pubsub) {
    if (opts_.cluster && !st.routed) fetch_slots(st);
    return;
  }
  // A new pub/sub connection has no subscriptions: every feed of this node subscribes again
  // and, once confirmed, re-reads its stream from its last offset.
  n.sub_ops.clear();
  for (auto& [name, f] : st.feeds)
    if (f.node == &n) subscribe_feed(st, name, f);
}

void RedisEngine::on_link_down(LoopState& st, Node& n, bool pubsub) {
  if (opts_.cluster) st.next_slot_refresh_ms = 0;  // a failover may follow: look again soon
  if (!pubsub) return;
  n.sub_ops.clear();
  for (auto& [name, f] : st.feeds) {
    if (f.node != &n) continue;
    f.subscribed = false;
    f.held.clear();  // the re-read after the next SUBSCRIBE covers them
    f.held_overflow = false;
  }
}

void RedisEngine::on_push(LoopState& st, Node& n, const Reply& r) {
  if (r.is_error()) {
    // A refused (S)SUBSCRIBE: in a Cluster, MOVED after a resharding. Route the feed again.
    log_error(st, "pub/sub", r.describe());
    if (n.sub_ops.empty()) return;
    Node::SubOp op = std::move(n.sub_ops.front());
    n.sub_ops.pop_front();
    auto it = st.feeds.find(op.channel);
    if (op.gen == 0 || it == st.feeds.end() || it->second.gen != op.gen) return;
    it->second.node = nullptr;
    it->second.subscribed = false;
    if (opts_.cluster) {
      st.next_slot_refresh_ms = 0;
      fetch_slots(st);
    }
    return;
  }
  if (!r.is_array() || r.elements.size() < 3 || !r.elements[0].is_string() ||
      !r.elements[1].is_string()) {
    RedisStats::add(stats_.malformed);
    return log_error(st, "pub/sub: unexpected push", r.describe());
  }
  std::string_view kind = r.elements[0].str;
  std::string_view channel = channel_of_feed(opts_.prefix, r.elements[1].str);
  if (kind == "message" || kind == "smessage") {
    if (!r.elements[2].is_string() || channel.empty()) {
      RedisStats::add(stats_.malformed);
      return log_error(st, "pub/sub: unexpected message", r.describe());
    }
    on_message(st, n, channel, r.elements[2].str);
  } else if (kind == "subscribe" || kind == "ssubscribe") {
    on_subscribed(st, n, channel);
  } else if (kind == "unsubscribe" || kind == "sunsubscribe") {
    on_unsubscribed(st, n, channel);
  }
}

}  // namespace herald::cluster
