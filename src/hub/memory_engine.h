#pragma once
// The in-memory engine (docs/design.md, the default). Each channel's stream is owned by loop
// fnv1a(channel) % N and touched only there: requests from other loops are posted to the
// owner, and answers are posted back. The owner keeps, per stream, the loops watching it and
// posts each new publication once to each of them.
//
// A stream: epoch (8 random [A-Za-z0-9] characters, made when the stream is created), the
// last assigned offset, and a history ring bounded by history_size and history_ttl. A stream
// nobody watches whose history is gone is freed (bounded memory), after a grace period of
// history_ttl since its last activity so that an `E:0` cursor of a quiet channel stays valid;
// recreating it gives a new epoch, so old cursors are answered `recovered: false`.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/string_hash.h"
#include "hub/engine.h"
#include "hub/executor.h"

namespace herald::hub {

class MemoryEngine final : public Engine {
 public:
  /// Resolves the history options of a channel (by its namespace). Called on owner loops,
  /// possibly concurrently: it must be thread-safe (read-only config is).
  using OptionsFn = std::function<ChannelOptions(std::string_view channel)>;

  /// `seed` 0 seeds the epoch generator from std::random_device; tests pass a fixed seed.
  MemoryEngine(Executor& ex, OptionsFn options_for, uint64_t seed = 0);
  ~MemoryEngine() override;

  void set_sink(LiveSink* sink) override { sink_ = sink; }
  void publish(std::string_view channel, Payload payload, PublishCallback done) override;
  void history(std::string_view channel, std::optional<Cursor> since, size_t limit,
               HistoryCallback done) override;
  void cursor(std::string_view channel, CursorCallback done) override;
  void watch(std::string_view channel) override;
  void unwatch(std::string_view channel) override;
  void broadcast(PubPtr event) override;
  void maintain() override;

  /// The loop that owns `channel`'s stream.
  size_t owner_of(std::string_view channel) const;
  /// Streams owned by the calling loop (metrics, tests).
  size_t stream_count() const;

 private:
  struct Stream {
    std::string epoch;
    uint64_t top = 0;  // last assigned offset
    ChannelOptions options;
    std::deque<PubPtr> history;      // offsets ascending, contiguous, ending at `top`
    std::vector<uint32_t> watchers;  // loops with local subscribers
    uint64_t last_active_ms = 0;
  };
  // One per loop; only its loop touches it. Aligned so neighbours do not share a cache line.
  struct alignas(64) Shard {
    std::unordered_map<std::string, Stream, base::StringHash, std::equal_to<>> streams;
    std::mt19937_64 rng;
  };

  Shard& shard() { return shards_[ex_.current_loop()]; }
  Stream& get_or_create(Shard& sh, base::HashedName channel);
  Stream& get_or_create(Shard& sh, std::string_view channel) {
    return get_or_create(sh, base::HashedName{channel, base::StringHash{}(channel)});
  }
  void expire(Stream& s, uint64_t now) const;
  /// Whether a stream may be freed: nobody watches it, its history is empty and its grace
  /// period is over.
  static bool freeable(const Stream& s, uint64_t now);
  HistoryResult read(Stream& s, const std::optional<Cursor>& since, size_t limit) const;

  Executor& ex_;
  OptionsFn options_for_;
  LiveSink* sink_ = nullptr;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace herald::hub
