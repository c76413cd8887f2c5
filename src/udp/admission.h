#pragma once
// Lease admission shared by every loop: the number of UDP leases in the process and per client
// IP address (udp.max_leases, udp.max_leases_per_ip). A client's ports may land on different
// loops (the kernel spreads source addresses), so the count cannot be per loop. Taken only
// when a lease opens or ends, under a mutex held for one map lookup.
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "net/address.h"

namespace herald::udp {

class Admission {
 public:
  /// Counts one more lease of `peer`'s IP; false (nothing counted) when the process already
  /// has `max_total` or that IP `max_per_ip`.
  bool acquire(const net::Address& peer, size_t max_total, size_t max_per_ip);
  /// Releases what acquire counted.
  void release(const net::Address& peer);
  /// Leases counted now (all loops).
  size_t total() const;

 private:
  mutable std::mutex mu_;
  size_t total_ = 0;                                // guarded by mu_
  std::unordered_map<std::string, size_t> per_ip_;  // guarded by mu_
};

}  // namespace herald::udp
