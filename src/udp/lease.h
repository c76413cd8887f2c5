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
#include <functional>

#include "access/gate.h"
#include "base/intrusive_list.h"
#include "hub/subscriber.h"
#include "net/address.h"

namespace herald::udp {

class Transport;

/// A client's address and port, the key of its lease.
using Endpoint = net::PackedAddress;
using EndpointHash = net::PackedAddressHash;

struct Lease final : hub::Subscriber {
  void deliver(const hub::Delivery& d) override;
  /// The lease's key in the transport's table: the client's packed address.
  const Endpoint& key() const { return client.address; }

  Transport* transport = nullptr;
  base::ListHook<Lease> renewal;  // the transport's list in renewal order, oldest first
  uint64_t session = 0;
  uint64_t renewed_ms = 0;  // loop clock of the last datagram from the client
  uint64_t opened_ms = 0;   // loop clock at the open (conn_close duration)
  uint64_t bytes_in = 0;    // datagram bytes from the client, and to it (conn_close)
  uint64_t bytes_out = 0;
  net::Address addr;
  access::Client client;              // its address is the lease's key (key())
  access::RateBucket publish_bucket;  // an anonymous client's publish rate
};

}  // namespace herald::udp
