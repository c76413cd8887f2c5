#pragma once
// One UDP client's lease (docs/protocol.md, "UDP datagrams"): the address and port that proved
// they receive (a valid cookie), the session the client chose, who the client is (the access
// layer's Client) and when a datagram last renewed it. Subscriptions live in the hub with the
// lease as their Subscriber; the transport keeps leases in a table by address and in a list by
// renewal time, so expiring them is a walk from the oldest end.
//
// Memory: this struct, its table node and the hub's subscription entries are all a lease
// costs (docs/benchmarks.md measures it); no timer per lease, no buffer per lease.
#include <cstdint>
#include <cstring>
#include <functional>

#include "access/gate.h"
#include "base/intrusive_list.h"
#include "hub/subscriber.h"
#include "net/address.h"

namespace herald::udp {

class Transport;

/// An address and port as a compact, hashable key (IPv4 in the first 4 bytes of `ip`).
struct Endpoint {
  uint8_t ip[16] = {};
  uint16_t port = 0;
  uint8_t family = 0;

  static Endpoint of(const net::Address& a);
  bool operator==(const Endpoint& o) const {
    return family == o.family && port == o.port && std::memcmp(ip, o.ip, sizeof ip) == 0;
  }
};

struct EndpointHash {
  size_t operator()(const Endpoint& e) const;
};

struct Lease final : hub::Subscriber {
  void deliver(const hub::Delivery& d) override;

  Transport* transport = nullptr;
  base::ListHook<Lease> renewal;  // the transport's list in renewal order, oldest first
  uint64_t session = 0;
  uint64_t renewed_ms = 0;  // loop clock of the last datagram from the client
  uint64_t opened_ms = 0;   // loop clock at the open (conn_close duration)
  uint64_t bytes_in = 0;    // datagram bytes from the client, and to it (conn_close)
  uint64_t bytes_out = 0;
  net::Address addr;
  access::Client client;
  access::RateBucket publish_bucket;  // an anonymous client's publish rate
};

}  // namespace herald::udp
