#pragma once
// Socket addresses: "HOST:PORT", "[V6]:PORT" parsing and printing (numeric only: no DNS on
// the loop thread; "localhost" is accepted as 127.0.0.1 for convenience).
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace herald::net {

struct Address {
  // IPv4 or IPv6 only: 28 bytes instead of sockaddr_storage's 128, since every connection
  // keeps its peer's address (idle connections are counted in hundreds of bytes).
  union Storage {
    sockaddr sa;
    sockaddr_in in4;
    sockaddr_in6 in6;
  } storage{};
  socklen_t len = 0;

  /// Parses "127.0.0.1:8080", "[::1]:8080", "localhost:80", ":8080" (= 0.0.0.0:8080).
  static base::Result<Address> parse(std::string_view host_port);
  /// Parses a bare numeric IP ("203.0.113.7", "2001:db8::1", also "[2001:db8::1]"), port 0:
  /// the form forwarding headers carry.
  static base::Result<Address> parse_ip(std::string_view ip);
  static Address from_sockaddr(const sockaddr* sa, socklen_t len);
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.sa.sa_family; }
  int port() const;
  void set_port(int port);
  /// "127.0.0.1:8080" / "[::1]:8080"
  std::string to_string() const;
  /// The host part only ("127.0.0.1", "::1"), e.g. for per-IP limits.
  std::string host() const;
  bool is_loopback() const;
  /// The same host (family and IP; ports are ignored).
  bool same_host(const Address& o) const;
};

/// An IPv4 or IPv6 address and port in 20 bytes: what is kept per client for logs and hooks,
/// and the key of a UDP client's lease (an Address, the sockaddr handed to the kernel, is 32
/// bytes, and 36 as an optional; the IPv6 flow label and scope are not kept).
/// Default-constructed: not known.
class PackedAddress {
 public:
  PackedAddress() = default;
  explicit PackedAddress(const Address& a);
  bool known() const { return family_ != 0; }
  explicit operator bool() const { return known(); }
  /// The address as a sockaddr again (known() only).
  Address address() const;
  bool operator==(const PackedAddress& o) const = default;
  /// FNV-1a over the bytes: addresses and ports are chosen by clients, and a table's buckets
  /// must not be predictable from a few bits of either.
  size_t hash() const;

 private:
  unsigned char ip_[16] = {};
  uint16_t port_ = 0;
  uint8_t family_ = 0;  // AF_INET or AF_INET6; 0: not known
};

struct PackedAddressHash {
  size_t operator()(const PackedAddress& a) const { return a.hash(); }
};

/// An address range: "10.0.0.0/8", "fd00::/8", or a single IP ("127.0.0.1" = /32). An
/// IPv4 range also matches IPv4-mapped IPv6 addresses (::ffff:10.1.2.3).
struct Cidr {
  int family = 0;
  unsigned char bytes[16] = {};
  int prefix = 0;

  static base::Result<Cidr> parse(std::string_view text);
  bool contains(const Address& a) const;
};

}  // namespace herald::net
