// fuzz-links: access net
// Forwarded / X-Forwarded-For as a trusted proxy sends them: the parser never crashes, and a
// request is never taken for a loopback client unless a hop names a loopback address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "access/client_address.h"

namespace {

bool loopback_ip(std::string_view text) {
  auto a = herald::net::Address::parse_ip(text);
  return a.ok() && a->is_loopback();
}

// Whether some run of address characters in `in` spells a loopback address, in any of its
// forms (127.x, ::1, ::01, 0:0::1, ::ffff:127.0.0.1...), alone or before an IPv4 ":port".
bool names_a_loopback(std::string_view in) {
  auto is_addr_char = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
  };
  for (size_t i = 0; i < in.size();) {
    if (!is_addr_char(in[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < in.size() && is_addr_char(in[j])) ++j;
    std::string_view run = in.substr(i, j - i);
    if (loopback_ip(run)) return true;
    // Every suffix and prefix at a ':' boundary: hex letters of a neighbouring word may join
    // the run ("for=::1" gives "f" then "::1"), and an IPv4 address may carry a port.
    for (size_t k = 0; k < run.size(); ++k) {
      if (run[k] != ':') continue;
      if (loopback_ip(run.substr(0, k)) || loopback_ip(run.substr(k)) ||
          (k + 1 < run.size() && loopback_ip(run.substr(k + 1))))
        return true;
    }
    for (size_t k = 1; k < run.size(); ++k) {
      if (loopback_ip(run.substr(k))) return true;
    }
    i = j;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t cut = in.find('\n');
  std::string_view fwd = in.substr(0, cut);
  std::string_view xff = cut == std::string_view::npos ? std::string_view{} : in.substr(cut + 1);
  static const herald::access::TrustedProxies trusted({"127.0.0.1", "10.0.0.0/8"});
  static const herald::net::Address peer = herald::net::Address::parse_ip("127.0.0.1").value();
  auto a = herald::access::client_address(peer, fwd, xff, trusted);
  // A loopback client is only possible when some hop really named a loopback address.
  if (a && a->is_loopback() && !names_a_loopback(in)) std::abort();
  return 0;
}
