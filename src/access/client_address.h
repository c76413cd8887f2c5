#pragma once
// The real address of a client behind reverse proxies. Only a peer listed in
// server.trusted_proxies is believed when it says whom it forwards for (RFC 7239 `Forwarded:
// for=`, or `X-Forwarded-For`); from anyone else those headers are ignored, since a client can
// write them. Pure: no I/O.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/address.h"

namespace herald::access {

class TrustedProxies {
 public:
  /// From server.trusted_proxies (IPs or CIDRs; entries that do not parse are skipped: the
  /// config layer refuses them before they get here).
  explicit TrustedProxies(const std::vector<std::string>& entries = {});
  bool empty() const { return ranges_.empty(); }
  bool contains(const net::Address& a) const;

 private:
  std::vector<net::Cidr> ranges_;
};

/// Who sent a request that arrived from `peer`:
///  - `peer` itself when it is not a trusted proxy;
///  - otherwise the nearest hop, walking the forwarding list from the right (the hop closest to
///    us) past every trusted proxy: `Forwarded` when present, else `X-Forwarded-For` (each the
///    comma-joined value of all the request's fields of that name);
///  - nullopt when a trusted proxy forwarded but the client cannot be known (no header, an
///    `unknown` or obfuscated hop, garbage): such a request is treated as remote, never as the
///    proxy's own (loopback) address.
std::optional<net::Address> client_address(const net::Address& peer, std::string_view forwarded,
                                           std::string_view x_forwarded_for,
                                           const TrustedProxies& trusted);

}  // namespace herald::access
