#include "access/client_address.h"

namespace herald::access {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// The elements of a comma-separated field value, left to right (no quoted commas occur in the
/// parts we read: `for=` values are addresses).
std::vector<std::string_view> split_commas(std::string_view v) {
  std::vector<std::string_view> out;
  while (true) {
    size_t c = v.find(',');
    out.push_back(trim(v.substr(0, c)));
    if (c == std::string_view::npos) break;
    v.remove_prefix(c + 1);
  }
  return out;
}

/// An address as a hop names it: "192.0.2.1", "192.0.2.1:4711", "[2001:db8::1]",
/// "[2001:db8::1]:4711", "2001:db8::1" (X-Forwarded-For), quoted or not.
std::optional<net::Address> parse_hop(std::string_view h) {
  h = trim(h);
  if (h.size() >= 2 && h.front() == '"' && h.back() == '"') h = h.substr(1, h.size() - 2);
  if (h.empty()) return std::nullopt;
  if (h.front() == '[') {
    size_t close = h.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    auto a = net::Address::parse_ip(h.substr(0, close + 1));
    return a.ok() ? std::optional<net::Address>(a.value()) : std::nullopt;
  }
  // IPv4 with a port has exactly one ':'; a bare IPv6 has several.
  size_t colon = h.find(':');
  if (colon != std::string_view::npos && h.find(':', colon + 1) == std::string_view::npos)
    h = h.substr(0, colon);
  auto a = net::Address::parse_ip(h);
  return a.ok() ? std::optional<net::Address>(a.value()) : std::nullopt;
}

/// The `for=` parameter of one Forwarded element ("for=x;proto=https;by=y"), or "" if absent.
std::string_view forwarded_for(std::string_view element) {
  while (!element.empty()) {
    size_t semi = element.find(';');
    std::string_view pair = trim(element.substr(0, semi));
    size_t eq = pair.find('=');
    if (eq == 3) {
      std::string_view name = pair.substr(0, 3);
      if ((name[0] | 0x20) == 'f' && (name[1] | 0x20) == 'o' && (name[2] | 0x20) == 'r')
        return pair.substr(4);
    }
    if (semi == std::string_view::npos) break;
    element.remove_prefix(semi + 1);
  }
  return {};
}

}  // namespace

TrustedProxies::TrustedProxies(const std::vector<std::string>& entries) {
  for (const std::string& e : entries) {
    auto c = net::Cidr::parse(e);
    if (c.ok()) ranges_.push_back(c.value());
  }
}

bool TrustedProxies::contains(const net::Address& a) const {
  for (const net::Cidr& c : ranges_)
    if (c.contains(a)) return true;
  return false;
}

std::optional<net::Address> client_address(const net::Address& peer, std::string_view forwarded,
                                           std::string_view x_forwarded_for,
                                           const TrustedProxies& trusted) {
  if (!trusted.contains(peer)) return peer;
  std::vector<std::string_view> hops;
  if (!trim(forwarded).empty()) {
    for (std::string_view el : split_commas(forwarded)) hops.push_back(forwarded_for(el));
  } else if (!trim(x_forwarded_for).empty()) {
    hops = split_commas(x_forwarded_for);
  } else {
    return std::nullopt;
  }
  for (size_t i = hops.size(); i-- > 0;) {
    std::optional<net::Address> a = parse_hop(hops[i]);
    if (!a) return std::nullopt;  // unknown, obfuscated or garbage: nobody to believe
    if (!trusted.contains(*a)) return a;
  }
  // Every hop is a trusted proxy: the leftmost is as far back as the chain goes.
  return parse_hop(hops.front());
}

}  // namespace herald::access
