#include "hub/hub.h"

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "base/string_hash.h"
#include "base/time.h"
#include "hub/replay_forms.h"

namespace herald::hub {

// How subscribe joins replay and live without gap or duplicate
// --------------------------------------------------------------
// On the subscriber's loop L, subscribe (1) registers the subscription as *pending*, (2) calls
// engine.watch(channel) if it is L's first local subscriber of the channel, then (3) asks the
// engine for history-after-since and the current cursor C. By the engine's ordering contract
// (engine.h), every publication with offset > C reaches L's sink. The reply sets the
// subscription's `last_offset` to C; fan-out skips any offset <= last_offset, so nothing the
// reply covered is delivered twice, and nothing after it is lost:
//  - with the memory engine, watch, history and deliveries travel owner->L in FIFO order, so
//    whatever reaches L before the reply has offset <= C (covered by the reply) and whatever
//    arrives after it is > C;
//  - with an engine whose live feed may overtake its answers (Redis: pub/sub and commands on
//    different connections), publications that arrive while a subscription is pending are
//    held on the channel and, right after the reply callback, the ones newer than C are handed
//    to the new subscriber, in order.
// Pending subscriptions receive nothing live; the reply callback writes the subscribe reply
// and the replay, so the client sees reply, replay, held, live: one contiguous sequence.

namespace {

// Publications held while subscriptions are pending: bounded so that a stalled engine answer
// cannot grow memory without limit. The memory engine never needs more than zero of them.
constexpr size_t kMaxHeldPublications = 4096;

}  // namespace

void HubCounters::add(const HubCounters& o) {
  publications += o.publications;
  deliveries += o.deliveries;
  subscriptions += o.subscriptions;
  subscribes += o.subscribes;
  recoveries_ok += o.recoveries_ok;
  recoveries_failed += o.recoveries_failed;
  channels += o.channels;
  deliver_latency_us.merge(o.deliver_latency_us);
}

struct Hub::LocalChannel {
  // 32 bytes, one per subscription in the channel's vector: the flag shares the token's word.
  struct Sub {
    Subscriber* sub;              // nullptr: removed during a walk (a tombstone)
    uint64_t last_offset;         // the newest offset this subscriber has (reply cursor, then live)
    uint64_t token : 63;          // tells this subscription from an earlier one of the same pointer
    uint64_t pending : 1;         // waiting for the engine's answer; receives nothing live
    base::SharedBuffer announce;  // presence entry (JSON) to join/leave with; empty: silent
  };
  static_assert(sizeof(Sub) == 32);

  std::string_view name;  // the map key (node-stable)
  std::vector<Sub> subs;
  std::vector<PubPtr> held;  // arrived while some subscription was pending
  uint32_t pending = 0;
  uint32_t walkers = 0;  // fan-outs and reply callbacks in progress: no erase, no swap
  uint32_t dead = 0;     // tombstones to compact when the last walker leaves

  Sub* find(Subscriber* s, uint64_t token) {
    for (Sub& x : subs) {
      if (x.sub == s && x.token == token) return &x;
    }
    return nullptr;
  }
};

struct Hub::LoopState {
  std::unordered_map<std::string, LocalChannel, base::StringHash, std::equal_to<>> channels;
  HubCounters counters;
  uint64_t next_token = 1;
};

Hub::Hub(Executor& ex, Engine& engine) : ex_(ex), engine_(engine) {
  loops_.reserve(ex_.loop_count());
  for (size_t i = 0; i < ex_.loop_count(); ++i) loops_.push_back(std::make_unique<LoopState>());
  engine_.set_sink(this);
}

Hub::~Hub() = default;

Hub::LoopState& Hub::state() {
  return *loops_[ex_.current_loop()];
}
const Hub::LoopState& Hub::state() const {
  return *loops_[ex_.current_loop()];
}
const HubCounters& Hub::counters() const {
  return state().counters;
}

void Hub::publish(base::ChannelName channel, Payload payload, PublishCallback done) {
  if (channel.empty()) {  // judged where it entered: only no name at all is left to refuse
    if (done) done(base::Errc::bad_channel);
    return;
  }
  // Counted when handed to the engine rather than in a wrapper around `done`: the wrapper
  // (a std::function holding a std::function) cost an allocation per publish.
  state().counters.publications++;
  engine_.publish(channel, std::move(payload), std::move(done));
}

void Hub::subscribe(Subscriber* sub, std::string_view channel, std::optional<Cursor> since,
                    SubscribeCallback done, base::SharedBuffer announce) {
  auto fail = [&done](base::Errc e) {
    SubscribeResult r;
    r.error = make_error_code(e);
    if (done) done(std::move(r));
  };
  if (!valid_channel(channel)) return fail(base::Errc::bad_channel);
  std::optional<Cursor> from = std::move(since);
  LoopState& st = state();
  auto ch = st.channels.find(channel);
  if (ch != st.channels.end()) {
    if (sub->hub_channels_.contains(&ch->second)) return fail(base::Errc::already_exists);
  } else {
    ch = st.channels.try_emplace(std::string(channel)).first;
    ch->second.name = ch->first;
    st.counters.channels++;
    engine_.watch(channel);  // before the history request: the engine orders them
  }
  LocalChannel& lc = ch->second;
  uint64_t token = st.next_token++;
  lc.subs.push_back({sub, 0, token, true, std::move(announce)});
  lc.pending++;
  sub->hub_channels_.push_back(&lc);
  st.counters.subscriptions++;

  bool had_since = from.has_value();
  engine_.history(channel, std::move(from), had_since ? kNoLimit : 0,
                  [this, name = std::string(channel), sub, token, had_since,
                   done = std::move(done)](base::Result<HistoryResult> r) mutable {
                    on_subscribed(name, sub, token, had_since, std::move(r), done);
                  });
}

void Hub::on_subscribed(const std::string& channel, Subscriber* sub, uint64_t token, bool had_since,
                        base::Result<HistoryResult> r, SubscribeCallback& done) {
  LoopState& st = state();
  auto ch = st.channels.find(channel);
  if (ch == st.channels.end()) return;  // unsubscribed meanwhile: never call back
  LocalChannel& lc = ch->second;
  LocalChannel::Sub* s = lc.find(sub, token);
  if (!s || !s->pending) return;

  if (!r) {
    std::error_code err = r.error();
    unsubscribe(sub, channel);
    SubscribeResult res;
    res.error = err;
    if (done) done(std::move(res));
    return;
  }
  HistoryResult& h = r.value();
  s->pending = false;
  lc.pending--;
  s->last_offset = h.cursor.offset;
  if (!s->announce.empty()) announce(channel, PubKind::join, s->announce);
  st.counters.subscribes++;
  SubscribeResult res;
  res.cursor = std::move(h.cursor);
  if (had_since) {
    (h.recovered ? st.counters.recoveries_ok : st.counters.recoveries_failed)++;
    res.recovered = h.recovered;
    if (h.recovered) res.replay = std::move(h.publications);
  }
  // Subscribers whose replays are written in this round share their encodings.
  if (!res.replay.empty() && ReplayForms::open())
    ex_.post(ex_.current_loop(), [] { ReplayForms::close(); });

  lc.walkers++;  // `done` may unsubscribe anything, even this channel's last subscriber
  if (done) done(std::move(res));
  // Publications that overtook the engine's answer and are newer than it follow the replay.
  for (size_t i = 0; i < lc.held.size(); ++i) {
    LocalChannel::Sub* cur = lc.find(sub, token);
    if (!cur) break;  // unsubscribed inside the callback or a delivery
    if (lc.held[i]->offset <= cur->last_offset) continue;
    cur->last_offset = lc.held[i]->offset;
    PubPtr pub = lc.held[i];
    Delivery d(std::move(pub));
    st.counters.deliveries++;
    sub->deliver(d);
  }
  lc.walkers--;
  finish_walk(st, lc);
}

void Hub::on_publication(const PubPtr& pub) {
  LoopState& st = state();
  auto ch = st.channels.find(pub->channel_key());
  if (ch == st.channels.end()) return;  // in flight while the loop unwatched
  if (pub->is_event()) return fan_out_event(ch->second, pub);
  fan_out(ch->second, pub);
}

void Hub::announce(std::string_view channel, PubKind kind, const base::SharedBuffer& entry) {
  auto event = std::make_shared<Publication>();
  event->channel.assign(channel);
  event->kind = kind;
  event->data = entry;
  engine_.broadcast(std::move(event));
}

// Presence events have no offset: they go to live subscriptions only (a pending one learns the
// channel's state from its reply and presence), in the order they arrive, and are not held.
void Hub::fan_out_event(LocalChannel& lc, const PubPtr& event) {
  LoopState& st = state();
  Delivery d(event);
  lc.walkers++;
  size_t n = lc.subs.size();
  for (size_t i = 0; i < n; ++i) {
    LocalChannel::Sub& s = lc.subs[i];
    if (!s.sub || s.pending) continue;
    Subscriber* target = s.sub;
    st.counters.deliveries++;
    target->deliver(d);
  }
  lc.walkers--;
  finish_walk(st, lc);
}

void Hub::on_stream_reset(std::string_view channel, const Cursor& now) {
  LoopState& st = state();
  auto ch = st.channels.find(channel);
  if (ch == st.channels.end()) return;
  LocalChannel& lc = ch->second;
  // Offsets start over in the new stream: each live subscription continues from `now`, so
  // the new stream's publications are not mistaken for ones it already has.
  std::erase_if(lc.held, [&](const PubPtr& p) { return p->epoch != now.epoch; });
  lc.walkers++;
  size_t n = lc.subs.size();
  for (size_t i = 0; i < n; ++i) {
    LocalChannel::Sub& s = lc.subs[i];
    if (!s.sub || s.pending) continue;
    s.last_offset = now.offset;
    Subscriber* target = s.sub;
    target->on_stream_reset(channel, now);
  }
  lc.walkers--;
  finish_walk(st, lc);
}

void Hub::fan_out(LocalChannel& lc, const PubPtr& pub) {
  LoopState& st = state();
  if (lc.pending > 0) {
    if (lc.held.size() >= kMaxHeldPublications) lc.held.erase(lc.held.begin());
    lc.held.push_back(pub);
  }
  Delivery d(pub);
  uint64_t offset = pub->offset;
  lc.walkers++;
  // By index, with the size taken now: a deliver() may subscribe (push_back, pending, so
  // nothing to do for it here) or unsubscribe (leaves a tombstone while we walk).
  size_t n = lc.subs.size();
  uint64_t delivered = 0;
  for (size_t i = 0; i < n; ++i) {
    LocalChannel::Sub& s = lc.subs[i];
    if (!s.sub || s.pending || offset <= s.last_offset) continue;
    s.last_offset = offset;
    Subscriber* target = s.sub;  // `s` may move if deliver() subscribes somebody
    ++delivered;
    target->deliver(d);
  }
  st.counters.deliveries += delivered;
  // Publish -> deliver, inside the server: from the publish reaching the engine to its
  // subscribers' output queues on this loop. One clock read per publication and loop, recorded
  // once with the number of subscribers it reached.
  if (delivered > 0 && pub->received_ns != 0) {
    uint64_t now = base::monotonic_ns();
    uint64_t ns = now > pub->received_ns ? now - pub->received_ns : 0;
    st.counters.deliver_latency_us.record(ns / 1000, delivered);
  }
  lc.walkers--;
  finish_walk(st, lc);
}

void Hub::finish_walk(LoopState& st, LocalChannel& lc) {
  if (lc.walkers > 0) return;
  if (lc.dead > 0) {
    std::erase_if(lc.subs, [](const LocalChannel::Sub& s) { return s.sub == nullptr; });
    lc.dead = 0;
  }
  if (lc.pending == 0) lc.held.clear();
  release_if_empty(st, lc);
}

void Hub::release_if_empty(LoopState& st, LocalChannel& lc) {
  if (lc.walkers > 0 || !lc.subs.empty()) return;
  engine_.unwatch(lc.name);
  st.counters.channels--;
  st.channels.erase(st.channels.find(lc.name));  // `lc` and its name die here
}

void Hub::remove_subscription(LoopState& st, LocalChannel& lc, Subscriber* sub) {
  auto it = std::find_if(lc.subs.begin(), lc.subs.end(),
                         [sub](const LocalChannel::Sub& s) { return s.sub == sub; });
  if (it == lc.subs.end()) return;
  if (it->pending) {
    lc.pending--;
  } else if (!it->announce.empty()) {
    announce(lc.name, PubKind::leave, it->announce);
  }
  st.counters.subscriptions--;
  if (lc.walkers > 0) {
    it->sub = nullptr;
    lc.dead++;
    return;  // finish_walk compacts and releases
  }
  *it = lc.subs.back();
  lc.subs.pop_back();
  if (lc.pending == 0) lc.held.clear();
  release_if_empty(st, lc);
}

void Hub::unsubscribe(Subscriber* sub, std::string_view channel) {
  LoopState& st = state();
  auto ch = st.channels.find(channel);
  if (ch == st.channels.end()) return;
  LocalChannel* lc = &ch->second;
  if (!sub->hub_channels_.erase(lc)) return;
  remove_subscription(st, *lc, sub);
}

void Hub::unsubscribe_all(Subscriber* sub) {
  LoopState& st = state();
  PtrList<void> list = std::move(sub->hub_channels_);
  // Each entry is a distinct channel; removing from one never frees another.
  for (void* lc : list.items()) remove_subscription(st, *static_cast<LocalChannel*>(lc), sub);
}

size_t Hub::subscription_count(Subscriber* sub) const {
  return sub->hub_channels_.size();
}

bool Hub::subscribed(Subscriber* sub, std::string_view channel) const {
  if (sub->hub_channels_.size() == 0) return false;
  const LoopState& st = state();
  auto ch = st.channels.find(channel);
  // The list holds the hub's own (mutable) channel records: compare the address.
  return ch != st.channels.end() &&
         sub->hub_channels_.contains(const_cast<LocalChannel*>(&ch->second));
}

void Hub::history(std::string_view channel, std::optional<Cursor> since, size_t limit,
                  HistoryCallback done) {
  if (!valid_channel(channel)) return done(base::Errc::bad_channel);
  engine_.history(channel, std::move(since), limit, std::move(done));
}

// Runs `part(i)` on every loop i, merges the parts on the calling loop, then calls `done`
// there. The shared state is touched only on the calling loop; the closures that visit other
// loops move their reference back home so that `done` is also destroyed here.
template <typename T>
void Hub::gather(std::function<T(size_t loop)> part, std::function<void(T&, T&&)> merge,
                 std::function<void(T)> done) {
  struct State {
    size_t remaining;
    T acc;
    std::function<void(T&, T&&)> merge;
    std::function<void(T)> done;
  };
  size_t origin = ex_.current_loop();
  size_t n = ex_.loop_count();
  auto state = std::make_shared<State>(State{n, T{}, std::move(merge), std::move(done)});
  auto shared_part = std::make_shared<const std::function<T(size_t)>>(std::move(part));
  for (size_t i = 0; i < n; ++i) {
    ex_.post(i, [this, i, origin, state, shared_part]() mutable {
      T p = (*shared_part)(i);
      ex_.post(origin, [state = std::move(state), p = std::move(p)]() mutable {
        state->merge(state->acc, std::move(p));
        if (--state->remaining == 0) state->done(std::move(state->acc));
      });
    });
  }
}

void Hub::presence(std::string_view channel, std::function<void(Presence)> done) {
  gather<Presence>(
      [this, name = std::string(channel)](size_t loop) {
        Presence p;
        LoopState& st = *loops_[loop];
        auto ch = st.channels.find(name);
        if (ch == st.channels.end()) return p;
        for (const LocalChannel::Sub& s : ch->second.subs) {
          if (!s.sub) continue;
          p.connections++;
          PresenceInfo who = s.sub->presence();
          if (who.client.empty()) continue;
          p.clients.push_back(
              {std::string(who.client), std::string(who.user), std::string(who.info)});
        }
        return p;
      },
      [](Presence& acc, Presence&& p) {
        acc.connections += p.connections;
        for (PresenceEntry& e : p.clients) acc.clients.push_back(std::move(e));
      },
      [done = std::move(done)](Presence p) {
        auto by_client = [](const PresenceEntry& a, const PresenceEntry& b) {
          return a.client < b.client;
        };
        std::sort(p.clients.begin(), p.clients.end(), by_client);
        p.clients.erase(std::unique(p.clients.begin(), p.clients.end(),
                                    [](const PresenceEntry& a, const PresenceEntry& b) {
                                      return a.client == b.client;
                                    }),
                        p.clients.end());
        std::vector<std::string_view> users;
        for (const PresenceEntry& e : p.clients)
          if (!e.user.empty()) users.push_back(e.user);
        std::sort(users.begin(), users.end());
        p.users = size_t(std::unique(users.begin(), users.end()) - users.begin());
        done(std::move(p));
      });
}

void Hub::channels(std::function<void(std::vector<ChannelInfo>)> done) {
  using List = std::vector<ChannelInfo>;
  gather<List>(
      [this](size_t loop) {
        List out;
        for (const auto& [name, lc] : loops_[loop]->channels) {
          size_t live = lc.subs.size() - lc.dead;
          if (live > 0) out.push_back({name, live});
        }
        return out;
      },
      [](List& acc, List&& part) {
        for (ChannelInfo& c : part) acc.push_back(std::move(c));
      },
      [done = std::move(done)](List all) {
        // The same channel may have subscribers on several loops: sum them.
        std::sort(all.begin(), all.end(),
                  [](const ChannelInfo& a, const ChannelInfo& b) { return a.name < b.name; });
        List merged;
        for (ChannelInfo& c : all) {
          if (!merged.empty() && merged.back().name == c.name) {
            merged.back().subscribers += c.subscribers;
          } else {
            merged.push_back(std::move(c));
          }
        }
        done(std::move(merged));
      });
}

void Hub::gather_counters(std::function<void(HubCounters)> done) {
  gather<HubCounters>([this](size_t loop) { return loops_[loop]->counters; },
                      [](HubCounters& acc, HubCounters&& p) { acc.add(p); }, std::move(done));
}

}  // namespace herald::hub
