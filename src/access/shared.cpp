#include "access/shared.h"

#include "jwt/keys.h"

namespace herald::access {

bool RateBucket::take(uint32_t rate, uint64_t now_ms) {
  if (at_ms == 0) {
    tokens = rate;
  } else if (now_ms > at_ms) {
    tokens += double(now_ms - at_ms) * rate / 1000.0;
    if (tokens > rate) tokens = rate;
  }
  at_ms = now_ms == 0 ? 1 : now_ms;
  if (tokens < 1.0) return false;
  tokens -= 1.0;
  return true;
}

std::shared_ptr<const jwt::KeySet> Shared::keys() const {
  std::lock_guard lock(keys_mu_);
  return keys_;
}

void Shared::set_keys(std::shared_ptr<const jwt::KeySet> keys) {
  std::lock_guard lock(keys_mu_);
  keys_ = std::move(keys);
}

bool Shared::acquire_connection(std::string_view user, size_t max) {
  std::lock_guard lock(mu_);
  auto it = connections_.find(user);
  if (it == connections_.end()) {
    if (max == 0) return false;
    connections_.emplace(std::string(user), 1);
    return true;
  }
  if (it->second >= max) return false;
  ++it->second;
  return true;
}

void Shared::release_connection(std::string_view user) {
  std::lock_guard lock(mu_);
  auto it = connections_.find(user);
  if (it == connections_.end()) return;
  if (--it->second == 0) connections_.erase(it);
}

size_t Shared::connections_of(std::string_view user) const {
  std::lock_guard lock(mu_);
  auto it = connections_.find(user);
  return it == connections_.end() ? 0 : it->second;
}

bool Shared::take_publish_token(std::string_view user, uint32_t rate, uint64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(user);
  if (it == buckets_.end()) it = buckets_.emplace(std::string(user), RateBucket{}).first;
  return it->second.take(rate, now_ms);
}

void Shared::prune(uint64_t now_ms) {
  std::lock_guard lock(mu_);
  std::erase_if(buckets_, [now_ms](const auto& kv) { return kv.second.at_ms + 1000 <= now_ms; });
}

}  // namespace herald::access
