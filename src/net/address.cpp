#include "net/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace herald::net {

base::Result<Address> Address::parse(std::string_view hp) {
  std::string_view host, port;
  if (!hp.empty() && hp.front() == '[') {
    size_t close = hp.find(']');
    if (close == std::string_view::npos || close + 1 >= hp.size() || hp[close + 1] != ':')
      return base::Errc::bad_request;
    host = hp.substr(1, close - 1);
    port = hp.substr(close + 2);
  } else {
    size_t colon = hp.rfind(':');
    if (colon == std::string_view::npos) return base::Errc::bad_request;
    host = hp.substr(0, colon);
    port = hp.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return base::Errc::bad_request;
  }
  int p = -1;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p < 0 || p > 65535)
    return base::Errc::bad_request;
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  std::string h(host);
  Address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(p));
    a.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(p));
    a.len = sizeof(sockaddr_in6);
  } else {
    return base::Errc::bad_request;
  }
  return a;
}

base::Result<Address> Address::parse_ip(std::string_view ip) {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (ip.empty() || ip.size() >= INET6_ADDRSTRLEN) return base::Errc::bad_request;
  std::string h(ip);
  Address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    a.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    a.len = sizeof(sockaddr_in6);
  } else {
    return base::Errc::bad_request;
  }
  return a;
}

bool Address::same_host(const Address& o) const {
  if (family() != o.family()) return false;
  if (family() == AF_INET) return storage.in4.sin_addr.s_addr == o.storage.in4.sin_addr.s_addr;
  if (family() == AF_INET6)
    return std::memcmp(&storage.in6.sin6_addr, &o.storage.in6.sin6_addr, 16) == 0;
  return false;
}

base::Result<Cidr> Cidr::parse(std::string_view text) {
  size_t slash = text.find('/');
  auto ip = Address::parse_ip(text.substr(0, slash));
  if (!ip) return base::Errc::bad_request;
  Cidr c;
  c.family = ip->family();
  int max = c.family == AF_INET ? 32 : 128;
  if (c.family == AF_INET)
    std::memcpy(c.bytes, &ip->storage.in4.sin_addr, 4);
  else
    std::memcpy(c.bytes, &ip->storage.in6.sin6_addr, 16);
  c.prefix = max;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    int n = -1;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || n < 0 || n > max)
      return base::Errc::bad_request;
    c.prefix = n;
  }
  return c;
}

bool Cidr::contains(const Address& a) const {
  const unsigned char* b = nullptr;
  if (a.family() == AF_INET && family == AF_INET) {
    b = reinterpret_cast<const unsigned char*>(&a.storage.in4.sin_addr);
  } else if (a.family() == AF_INET6) {
    b = reinterpret_cast<const unsigned char*>(&a.storage.in6.sin6_addr);
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == AF_INET) {
      if (std::memcmp(b, kMapped, 12) != 0) return false;
      b += 12;
    }
  } else {
    return false;
  }
  int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(b, bytes, size_t(full)) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (b[full] & mask) == (bytes[full] & mask);
}

Address Address::from_sockaddr(const sockaddr* sa, socklen_t len) {
  Address a;
  if (len > sizeof a.storage) len = sizeof a.storage;
  std::memcpy(&a.storage, sa, len);
  a.len = len;
  return a;
}

int Address::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

void Address::set_port(int p) {
  if (family() == AF_INET)
    reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(static_cast<uint16_t>(p));
  else if (family() == AF_INET6)
    reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(static_cast<uint16_t>(p));
}

std::string Address::host() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf, sizeof buf);
  else if (family() == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf,
              sizeof buf);
  return buf;
}

std::string Address::to_string() const {
  // Built with appends: g++ 12 -O2 reports a false -Wrestrict on chained operator+ here.
  std::string out;
  if (family() == AF_INET6) out.push_back('[');
  out.append(host());
  if (family() == AF_INET6) out.push_back(']');
  out.push_back(':');
  out.append(std::to_string(port()));
  return out;
}

bool Address::is_loopback() const {
  if (family() == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr) >> 24) == 127;
  if (family() == AF_INET6)
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr);
  return false;
}

PackedAddress::PackedAddress(const Address& a) {
  if (a.family() == AF_INET) {
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(&a.storage);
    std::memcpy(ip_, &in4->sin_addr, 4);
    port_ = ntohs(in4->sin_port);
    family_ = AF_INET;
  } else if (a.family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a.storage);
    std::memcpy(ip_, &in6->sin6_addr, 16);
    port_ = ntohs(in6->sin6_port);
    family_ = AF_INET6;
  }
}

size_t PackedAddress::hash() const {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const unsigned char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 1099511628211ull;
    }
  };
  mix(ip_, sizeof ip_);
  const unsigned char tail[3] = {uint8_t(port_ >> 8), uint8_t(port_), family_};
  mix(tail, sizeof tail);
  return size_t(h);
}

Address PackedAddress::address() const {
  Address a;
  if (family_ == AF_INET) {
    a.storage.in4.sin_family = AF_INET;
    std::memcpy(&a.storage.in4.sin_addr, ip_, 4);
    a.storage.in4.sin_port = htons(port_);
    a.len = sizeof(sockaddr_in);
  } else if (family_ == AF_INET6) {
    a.storage.in6.sin6_family = AF_INET6;
    std::memcpy(&a.storage.in6.sin6_addr, ip_, 16);
    a.storage.in6.sin6_port = htons(port_);
    a.len = sizeof(sockaddr_in6);
  }
  return a;
}

}  // namespace herald::net
