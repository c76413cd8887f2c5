#pragma once
// Socket addresses: "HOST:PORT", "[V6]:PORT" parsing and printing (numeric only: no DNS on
// the loop thread; "localhost" is accepted as 127.0.0.1 for convenience).
#include <netinet/in.h>
#include <sys/socket.h>

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
};

}  // namespace herald::net
