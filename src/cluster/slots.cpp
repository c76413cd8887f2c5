#include "cluster/slots.h"

#include <algorithm>
#include <charconv>

namespace herald::cluster {

namespace {

std::optional<net::Address> parse_host_port(std::string_view host, int64_t port) {
  if (port <= 0 || port > 65535 || host.empty()) return std::nullopt;
  std::string text;
  if (host.find(':') != std::string_view::npos) {
    text.append("[").append(host).append("]");  // IPv6
  } else {
    text.append(host);
  }
  text += ':' + std::to_string(port);
  auto a = net::Address::parse(text);
  if (!a.ok()) return std::nullopt;
  return a.value();
}

}  // namespace

uint16_t crc16(std::string_view bytes) {
  uint16_t crc = 0;
  for (unsigned char c : bytes) {
    crc ^= uint16_t(c) << 8;
    for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? uint16_t((crc << 1) ^ 0x1021) : crc << 1;
  }
  return crc;
}

uint32_t key_slot(std::string_view key) {
  size_t open = key.find('{');
  if (open != std::string_view::npos) {
    size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1)
      key = key.substr(open + 1, close - open - 1);
  }
  return crc16(key) % kClusterSlots;
}

const net::Address* SlotMap::master_of(uint32_t slot) const {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), slot,
                             [](uint32_t s, const Range& r) { return s < r.first; });
  if (it == ranges.begin()) return nullptr;
  --it;
  return slot <= it->last ? &it->master : nullptr;
}

bool SlotMap::complete() const {
  uint32_t next = 0;
  for (const Range& r : ranges) {
    if (r.first != next) return false;
    next = r.last + 1;
  }
  return next == kClusterSlots;
}

base::Result<SlotMap> parse_cluster_slots(const Reply& r, const net::Address& asked) {
  if (!r.is_array()) return base::Errc::bad_request;
  SlotMap map;
  for (const Reply& item : r.elements) {
    if (!item.is_array() || item.elements.size() < 3) return base::Errc::bad_request;
    const Reply& first = item.elements[0];
    const Reply& last = item.elements[1];
    const Reply& master = item.elements[2];
    if (first.type != Reply::Type::integer || last.type != Reply::Type::integer ||
        first.integer < 0 || last.integer < first.integer || last.integer >= kClusterSlots)
      return base::Errc::bad_request;
    if (!master.is_array() || master.elements.size() < 2 || !master.elements[0].is_string() ||
        master.elements[1].type != Reply::Type::integer)
      return base::Errc::bad_request;
    std::string host = master.elements[0].str;
    if (host.empty()) host = asked.host();
    auto addr = parse_host_port(host, master.elements[1].integer);
    if (!addr) return base::Errc::bad_request;
    map.ranges.push_back({uint32_t(first.integer), uint32_t(last.integer), *addr});
  }
  std::sort(map.ranges.begin(), map.ranges.end(),
            [](const SlotMap::Range& a, const SlotMap::Range& b) { return a.first < b.first; });
  for (size_t i = 1; i < map.ranges.size(); ++i)
    if (map.ranges[i].first <= map.ranges[i - 1].last) return base::Errc::bad_request;
  return map;
}

std::optional<Redirect> parse_redirect(const Reply& r) {
  std::string_view code = r.error_code();
  if (code != "MOVED" && code != "ASK") return std::nullopt;
  std::string_view rest = std::string_view(r.str).substr(code.size());
  if (rest.empty() || rest[0] != ' ') return std::nullopt;
  rest.remove_prefix(1);
  size_t space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  Redirect out;
  out.ask = code == "ASK";
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + space, out.slot);
  if (ec != std::errc() || p != rest.data() + space || out.slot >= kClusterSlots)
    return std::nullopt;
  std::string_view hp = rest.substr(space + 1);
  size_t colon = hp.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  int64_t port = 0;
  std::string_view ps = hp.substr(colon + 1);
  auto [q, ec2] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
  if (ec2 != std::errc() || q != ps.data() + ps.size()) return std::nullopt;
  std::string_view host = hp.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto addr = parse_host_port(host, port);
  if (!addr) return std::nullopt;
  out.target = *addr;
  return out;
}

}  // namespace herald::cluster
