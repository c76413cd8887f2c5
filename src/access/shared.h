#pragma once
// What every loop's access::Gate shares: the token keys in force (replaced on SIGHUP) and
// counters kept per authenticated user (open connections, the publish-rate token bucket).
// Thread-safe: a mutex guards each, held for a pointer copy or a map lookup only.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/string_hash.h"

namespace herald::jwt {
class KeySet;
}

namespace herald::access {

/// A token bucket holding up to one second's worth of `rate`, refilled continuously.
struct RateBucket {
  double tokens = 0;
  uint64_t at_ms = 0;  // last refill; 0: never used (starts full)

  /// Takes one token at `now_ms`; false when none is left.
  bool take(uint32_t rate, uint64_t now_ms);
};

class Shared {
 public:
  /// The keys that verify connection tokens (empty set: tokens are refused with no_key).
  std::shared_ptr<const jwt::KeySet> keys() const;
  void set_keys(std::shared_ptr<const jwt::KeySet> keys);

  /// Counts one more connection of `user`; false (nothing counted) when it already has `max`.
  bool acquire_connection(std::string_view user, size_t max);
  /// Releases what acquire_connection counted.
  void release_connection(std::string_view user);
  /// Connections of `user` now (for tests and /metrics).
  size_t connections_of(std::string_view user) const;

  /// One publish token from `user`'s bucket (shared by all its connections, on every loop).
  bool take_publish_token(std::string_view user, uint32_t rate, uint64_t now_ms);
  /// Forgets buckets unused for a second (they would be full again): called periodically so
  /// the table holds only users who publish now.
  void prune(uint64_t now_ms);

 private:
  mutable std::mutex keys_mu_;
  std::shared_ptr<const jwt::KeySet> keys_;  // guarded by keys_mu_
  mutable std::mutex mu_;
  std::unordered_map<std::string, size_t, base::StringHash, std::equal_to<>>
      connections_;  // guarded
  std::unordered_map<std::string, RateBucket, base::StringHash, std::equal_to<>>
      buckets_;  // guarded
};

}  // namespace herald::access
