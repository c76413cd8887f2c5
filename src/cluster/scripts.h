#pragma once
// The two Lua scripts herald runs in Redis (docs/design.md, "Cluster mode"). Each runs
// atomically: no other command sees a channel between assigning an offset, appending to the
// history and publishing, or between reading the top and the range after a cursor. They are
// loaded on every command link when it connects (SCRIPT LOAD) and called by SHA-1 (EVALSHA);
// a NOSCRIPT answer (SCRIPT FLUSH, a restarted Redis) loads the script again and retries once.
//
// Channel names and data reach the scripts only as KEYS and ARGV. Keys: KEYS[1] = meta hash,
// KEYS[2] = stream (codec.h). Both scripts create the epoch when the meta hash is absent (a new,
// expired, flushed or evicted channel) from ARGV[1], a random epoch the node proposes, and then
// delete any stale stream, so a lost meta always means a new epoch and never an old history
// under it.
#include <string_view>

namespace herald::cluster {

enum class Script : uint8_t {
  /// ARGV: epoch candidate, data, history_size, history_ttl_ms, meta_ttl_ms, pub/sub channel,
  /// "1" for SPUBLISH (Cluster) or "0" for PUBLISH. Reply: [epoch, offset].
  publish,
  /// ARGV: epoch candidate, meta_ttl_ms, since epoch ("" = none), since offset, count (0 = only
  /// the cursor, -1 = all). Reply: [epoch, top, now_ms, (id, data, time)...], entries ascending
  /// after since, or descending from the newest without since (codec.h decodes it).
  read,
  count,
};

/// The Lua source of `s`.
std::string_view script_source(Script s);
/// Its SHA-1 in lower-case hex (what EVALSHA takes), computed once.
std::string_view script_sha(Script s);

}  // namespace herald::cluster
