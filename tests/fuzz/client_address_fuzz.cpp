// fuzz-links: access net
// Forwarded / X-Forwarded-For as a trusted proxy sends them: the parser never crashes, and a
// request is never taken for a loopback client unless a hop names a loopback address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "access/client_address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t cut = in.find('\n');
  std::string_view fwd = in.substr(0, cut);
  std::string_view xff = cut == std::string_view::npos ? std::string_view{} : in.substr(cut + 1);
  static const herald::access::TrustedProxies trusted({"127.0.0.1", "10.0.0.0/8"});
  static const herald::net::Address peer = herald::net::Address::parse_ip("127.0.0.1").value();
  auto a = herald::access::client_address(peer, fwd, xff, trusted);
  if (a && a->is_loopback()) {
    // Only possible when some hop really said 127.x (or ::1).
    if (in.find("127.") == std::string_view::npos && in.find("::1") == std::string_view::npos &&
        in.find("::ffff:7f") == std::string_view::npos && in.find(":7f") == std::string_view::npos)
      std::abort();
  }
  return 0;
}
