#pragma once
// The stream store behind an interface (docs/design.md). An engine assigns offsets, keeps history
// and carries live publications to the loops that asked for a channel's feed. The in-memory engine
// does it on the channel's owner loop; a Redis engine would do it in Redis (a Lua script over a
// Stream + PUBLISH) and answer later from an I/O loop. The Hub is written against this
// interface only, so cluster mode is a new engine, not a rewrite.
//
// Threading: every method is called on some loop L (Executor::current_loop()); its callback is
// invoked later on L, never inside the call. Live publications are handed to the LiveSink on
// each watching loop.
//
// Ordering contract the Hub relies on (SubscribeResult atomicity):
//  1. After watch(c) on loop L, every publication of c whose offset is greater than the cursor
//     of any history()/cursor() answer to a request L issues after that watch(c) is handed to
//     L's sink, per channel in offset order. (The memory engine gets this from FIFO posts; a
//     Redis engine must hold history requests until its SUBSCRIBE is confirmed.)
//  2. Publications may reach the sink before or after such an answer; the Hub dedupes by
//     offset and holds what arrives while a subscription is pending, so either is safe.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/limits.h"
#include "hub/channel.h"
#include "hub/publication.h"

namespace herald::hub {

/// Per-namespace history settings (config `channel.history_size`, `channel.history_ttl`).
struct ChannelOptions {
  size_t history_size = base::limits::kDefaultHistorySize;
  uint64_t history_ttl_ms = uint64_t(base::limits::kDefaultHistoryTtlSec) * 1000;

  /// History is kept only when both are non-zero (docs/protocol.md: "0 disables").
  bool history_enabled() const { return history_size > 0 && history_ttl_ms > 0; }
};

struct PublishResult {
  std::string epoch;
  uint64_t offset = 0;
};

struct HistoryResult {
  /// Publications after `since` (or the newest ones without since), oldest first.
  std::vector<PubPtr> publications;
  /// The stream's current position (epoch and last assigned offset).
  Cursor cursor;
  /// With since: history covered since+1..end (or since was the end). False otherwise, and
  /// then `publications` is empty: never a silent partial replay.
  bool recovered = false;
};

/// "No limit" for history reads.
inline constexpr size_t kNoLimit = SIZE_MAX;

/// Receives live publications on a watching loop.
class LiveSink {
 public:
  /// Called on a loop that watches `pub->channel`, in offset order per channel.
  virtual void on_publication(const PubPtr& pub) = 0;
  /// Called on a loop that watches `channel` when the engine cannot continue the channel's
  /// stream without a gap: the history it would need is gone (trimmed, expired, or lost with
  /// the keys of a remote store, which then starts a new epoch). `now` is the stream's
  /// position; publications after it follow. The memory engine never calls it.
  virtual void on_stream_reset(std::string_view channel, const Cursor& now) {}

 protected:
  ~LiveSink() = default;
};

class Engine {
 public:
  using PublishCallback = std::function<void(base::Result<PublishResult>)>;
  using HistoryCallback = std::function<void(base::Result<HistoryResult>)>;
  using CursorCallback = std::function<void(base::Result<Cursor>)>;

  virtual ~Engine() = default;

  /// Where live publications go; set once, before any watch().
  virtual void set_sink(LiveSink* sink) = 0;

  /// Assigns the next offset of `channel`, appends to history and sends the publication to
  /// every watching loop; the publication keeps `payload`'s binary flag. `done` (may be
  /// empty) gets the assigned epoch and offset.
  virtual void publish(std::string_view channel, Payload payload, PublishCallback done) = 0;

  /// Reads history. With `since`: up to `limit` publications after it, and whether history
  /// covered it (HistoryResult::recovered). Without: the newest `limit` publications.
  /// `limit` 0 returns only the current cursor.
  virtual void history(std::string_view channel, std::optional<Cursor> since, size_t limit,
                       HistoryCallback done) = 0;

  /// The stream's current position.
  virtual void cursor(std::string_view channel, CursorCallback done) = 0;

  /// The calling loop wants `channel`'s live feed (the Hub calls it when the loop gets its
  /// first local subscriber of the channel) / no longer does (after the last one left). The
  /// Hub pairs them: one watch, then one unwatch, per loop and channel.
  virtual void watch(std::string_view channel) = 0;
  virtual void unwatch(std::string_view channel) = 0;

  /// Hands a presence event (`event->kind` join or leave; no offset, not kept in history) to
  /// the sink of every loop that watches `event->channel`, this one included. Delivery is best
  /// effort, like live publications.
  virtual void broadcast(PubPtr event) = 0;

  /// Housekeeping on the calling loop (expire history, free idle streams). The server calls
  /// it periodically on every loop (about once a second).
  virtual void maintain() {}
};

}  // namespace herald::hub
