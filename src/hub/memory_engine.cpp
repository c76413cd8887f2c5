#include "hub/memory_engine.h"

#include <algorithm>

#include "base/block_cache.h"
#include "base/time.h"

namespace herald::hub {

namespace {

constexpr size_t kEpochLength = 8;
constexpr char kEpochAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::string make_epoch(std::mt19937_64& rng) {
  std::string e(kEpochLength, '\0');
  for (char& c : e) c = kEpochAlphabet[rng() % (sizeof(kEpochAlphabet) - 1)];
  return e;
}

}  // namespace

MemoryEngine::MemoryEngine(Executor& ex, OptionsFn options_for, uint64_t seed)
    : ex_(ex), options_for_(std::move(options_for)) {
  size_t n = ex_.loop_count();
  shards_ = std::make_unique<Shard[]>(n);
  if (seed == 0) seed = (uint64_t(std::random_device{}()) << 32) ^ std::random_device{}();
  for (size_t i = 0; i < n; ++i) shards_[i].rng.seed(seed + 0x9e3779b97f4a7c15ull * (i + 1));
}

MemoryEngine::~MemoryEngine() = default;

size_t MemoryEngine::owner_of(std::string_view channel) const {
  size_t loops = ex_.loop_count();
  return loops == 1 ? 0 : size_t(fnv1a(channel) % loops);  // one loop owns everything
}

size_t MemoryEngine::stream_count() const {
  return shards_[ex_.current_loop()].streams.size();
}

MemoryEngine::Stream& MemoryEngine::get_or_create(Shard& sh, base::HashedName channel) {
  auto it = sh.streams.find(channel);
  if (it != sh.streams.end()) return it->second;
  Stream& s = sh.streams[std::string(channel.text)];
  s.epoch = make_epoch(sh.rng);
  s.options = options_for_ ? options_for_(channel.text) : ChannelOptions{};
  s.last_active_ms = ex_.now_ms();
  return s;
}

void MemoryEngine::expire(Stream& s, uint64_t now) const {
  uint64_t ttl = s.options.history_ttl_ms;
  while (!s.history.empty() && s.history.front()->time_ms + ttl <= now) s.history.pop_front();
}

bool MemoryEngine::freeable(const Stream& s, uint64_t now) {
  if (!s.watchers.empty() || !s.history.empty()) return false;
  // With history enabled, keep an idle stream for one TTL after its last activity: a client
  // holding `E:N` from a quiet channel then recovers instead of being told to reload. Without
  // history there is nothing to recover, so it goes at once.
  return !(s.options.history_enabled() && now < s.last_active_ms + s.options.history_ttl_ms);
}

HistoryResult MemoryEngine::read(Stream& s, const std::optional<Cursor>& since,
                                 size_t limit) const {
  HistoryResult r;
  r.cursor = Cursor{s.epoch, s.top};
  // History holds offsets first..top with first = top - size + 1.
  uint64_t first = s.top - s.history.size() + 1;
  if (!since) {
    size_t n = std::min(limit, s.history.size());
    r.publications.assign(s.history.end() - ptrdiff_t(n), s.history.end());
    return r;
  }
  if (since->epoch != s.epoch || since->offset > s.top) return r;    // not this stream / past end
  if (since->offset < s.top && since->offset + 1 < first) return r;  // trimmed or expired
  r.recovered = true;
  size_t skip = size_t(since->offset + 1 - first);  // entries at or before since
  if (since->offset == s.top) return r;
  size_t n = std::min(limit, s.history.size() - skip);
  r.publications.assign(s.history.begin() + ptrdiff_t(skip),
                        s.history.begin() + ptrdiff_t(skip + n));
  return r;
}

void MemoryEngine::publish(std::string_view channel, Payload payload, PublishCallback done) {
  size_t from = ex_.current_loop();
  uint64_t received_ns = base::monotonic_ns();
  ex_.post(owner_of(channel), [this, from, received_ns, ch = ChannelString(channel),
                               data = std::move(payload.data), binary = payload.binary,
                               done = std::move(done)]() mutable {
    Shard& sh = shard();
    uint64_t now = ex_.now_ms();
    base::HashedName key{ch, base::StringHash{}(ch)};
    Stream& s = get_or_create(sh, key);
    expire(s, now);
    s.top += 1;
    s.last_active_ms = now;
    // The closure's copy of the name becomes the publication's (one string allocation less).
    // From the thread's small-block cache: one is made per publish, freed after its last send.
    auto pub = std::allocate_shared<const Publication>(
        base::SmallBlockAllocator<Publication>(),
        Publication{std::move(ch), s.epoch, s.top, std::move(data), now, PubKind::message, binary,
                    received_ns, key.hash});
    if (s.options.history_enabled()) {
      s.history.push_back(pub);
      while (s.history.size() > s.options.history_size) s.history.pop_front();
    }
    // This closure already runs later than publish() on the owner loop, so the owner's own
    // sink and callback are called here instead of through one more post (an allocation and a
    // queue round each); the order stays the same: deliveries, then `done`. A watcher's or a
    // caller's action inside them (subscribe, unwatch, publish) only posts, so `s` stays valid.
    size_t here = ex_.current_loop();
    bool local_watcher = false;
    for (uint32_t w : s.watchers) {
      if (w == here) {
        local_watcher = true;
      } else {
        ex_.post(w, [sink = sink_, pub] { sink->on_publication(pub); });
      }
    }
    if (local_watcher) sink_->on_publication(pub);
    if (done) {
      PublishResult r{s.epoch, s.top};
      if (from == here) {
        done(std::move(r));
      } else {
        ex_.post(from,
                 [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
      }
    }
    // Asked of `s` first: a watched stream (every publish with subscribers) needs no lookup.
    if (freeable(s, now)) sh.streams.erase(sh.streams.find(pub->channel_key()));
  });
}

void MemoryEngine::history(std::string_view channel, std::optional<Cursor> since, size_t limit,
                           HistoryCallback done) {
  size_t from = ex_.current_loop();
  ex_.post(owner_of(channel), [this, from, ch = std::string(channel), since = std::move(since),
                               limit, done = std::move(done)]() mutable {
    Shard& sh = shard();
    uint64_t now = ex_.now_ms();
    Stream& s = get_or_create(sh, ch);
    expire(s, now);
    s.last_active_ms = now;
    HistoryResult r = read(s, since, limit);
    if (freeable(s, now)) sh.streams.erase(ch);
    ex_.post(from, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  });
}

void MemoryEngine::cursor(std::string_view channel, CursorCallback done) {
  history(channel, std::nullopt, 0, [done = std::move(done)](base::Result<HistoryResult> r) {
    if (!r) return done(r.error());
    done(std::move(r->cursor));
  });
}

void MemoryEngine::watch(std::string_view channel) {
  uint32_t from = uint32_t(ex_.current_loop());
  ex_.post(owner_of(channel), [this, from, ch = std::string(channel)] {
    Stream& s = get_or_create(shard(), ch);
    if (std::find(s.watchers.begin(), s.watchers.end(), from) == s.watchers.end()) {
      s.watchers.push_back(from);
    }
  });
}

void MemoryEngine::unwatch(std::string_view channel) {
  uint32_t from = uint32_t(ex_.current_loop());
  ex_.post(owner_of(channel), [this, from, ch = std::string(channel)] {
    Shard& sh = shard();
    auto it = sh.streams.find(ch);
    if (it == sh.streams.end()) return;
    auto& w = it->second.watchers;
    w.erase(std::remove(w.begin(), w.end(), from), w.end());
    uint64_t now = ex_.now_ms();
    it->second.last_active_ms = now;
    if (freeable(it->second, now)) sh.streams.erase(it);
  });
}

void MemoryEngine::broadcast(PubPtr event) {
  size_t owner = owner_of(event->channel);
  ex_.post(owner, [this, event = std::move(event)] {
    Shard& sh = shard();
    auto it = sh.streams.find(std::string_view(event->channel));
    if (it == sh.streams.end()) return;  // nobody watches
    size_t here = ex_.current_loop();
    for (uint32_t w : it->second.watchers) {
      if (w == here) {
        sink_->on_publication(event);
      } else {
        ex_.post(w, [sink = sink_, event] { sink->on_publication(event); });
      }
    }
  });
}

void MemoryEngine::maintain() {
  Shard& sh = shard();
  uint64_t now = ex_.now_ms();
  for (auto it = sh.streams.begin(); it != sh.streams.end();) {
    auto next = std::next(it);
    expire(it->second, now);
    if (freeable(it->second, now)) sh.streams.erase(it);
    it = next;
  }
}

}  // namespace herald::hub
