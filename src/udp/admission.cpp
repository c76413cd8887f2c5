#include "udp/admission.h"

namespace herald::udp {

bool Admission::acquire(const net::Address& peer, size_t max_total, size_t max_per_ip) {
  std::string host = peer.host();
  std::lock_guard<std::mutex> lock(mu_);
  if (total_ >= max_total) return false;
  auto [it, fresh] = per_ip_.try_emplace(std::move(host), 0);
  if (it->second >= max_per_ip) {
    if (fresh) per_ip_.erase(it);
    return false;
  }
  ++it->second;
  ++total_;
  return true;
}

void Admission::release(const net::Address& peer) {
  std::string host = peer.host();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = per_ip_.find(host);
  if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  if (total_ > 0) --total_;
}

size_t Admission::total() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

}  // namespace herald::udp
