#pragma once
// Address validation for UDP (docs/protocol.md, "UDP datagrams"): before herald sends anything
// but a small answer to an address, the client proves it receives there by echoing a cookie
// the server sent it. The cookie is stateless: an HMAC-SHA256 tag over the client's address,
// port and session in a time window, so a flood of hellos from forged addresses costs the
// server one MAC each and no memory.
//
// Keys: one master secret per process (random at start, never leaves memory) and a key per
// time window derived from it (HMAC(master, "herald udp cookie" || window)), so the key in use
// rotates every kCookieWindowSec; a cookie is accepted in its own window and the next one
// (it lives between kCookieWindowSec and twice that).
#include <array>
#include <cstdint>
#include <memory>

#include "net/address.h"
#include "udp_codec/datagram.h"

namespace herald::udp {

/// Length of a time window; a cookie is valid for one to two windows.
inline constexpr uint64_t kCookieWindowSec = 30;

/// The process's master secret: made once, shared read-only by every loop's CookieJar.
struct CookieSecret {
  std::array<uint8_t, 32> bytes{};
  /// 32 bytes from the OpenSSL random generator (aborts if it has none: no safe fallback).
  static CookieSecret random();
};

/// Makes and checks cookies on one loop (not thread-safe: one per loop; it caches the two
/// window keys in use and their initialised MAC contexts).
class CookieJar {
 public:
  explicit CookieJar(const CookieSecret& secret);
  ~CookieJar();
  CookieJar(const CookieJar&) = delete;
  CookieJar& operator=(const CookieJar&) = delete;

  /// The cookie for a client at `from` with `session`, at wall-clock second `unix_sec`.
  udp_codec::Cookie make(const net::Address& from, uint64_t session, uint64_t unix_sec);
  /// True when `c` was made for `from` and `session` in the window of `unix_sec` or the one
  /// before it (constant-time comparison of the tag).
  bool check(const udp_codec::Cookie& c, const net::Address& from, uint64_t session,
             uint64_t unix_sec);

 private:
  struct WindowKey;
  /// The MAC context of `window`'s key (derived on first use; two are kept).
  WindowKey& key(uint32_t window);
  void tag(WindowKey& k, const net::Address& from, uint64_t session, uint8_t out[16]);

  CookieSecret secret_;
  std::unique_ptr<WindowKey> keys_[2];
};

}  // namespace herald::udp
