#pragma once
// Per-loop counters for /metrics (docs/operations.md). Each loop owns one Metrics and increments
// plain integers on its own thread; /metrics gathers a copy from every loop through post() and
// sums.
#include <cstdint>

namespace herald::base {

enum class Transport : uint8_t { ws = 0, sse, longpoll, poll, echo, http, udp, count };

/// Why a UDP datagram was dropped without effect (docs/protocol.md, "UDP datagrams").
enum class UdpDrop : uint8_t {
  malformed,        // does not decode, or a server-to-client type
  oversize,         // longer than udp.max_datagram
  bad_cookie,       // open with a cookie that is forged, expired or for another address
  unknown_session,  // no lease for this session at this address (answered with reset)
  count,
};

inline const char* udp_drop_name(UdpDrop d) {
  switch (d) {
    case UdpDrop::malformed:
      return "malformed";
    case UdpDrop::oversize:
      return "oversize";
    case UdpDrop::bad_cookie:
      return "bad_cookie";
    case UdpDrop::unknown_session:
      return "unknown_session";
    default:
      return "?";
  }
}

/// UDP transport counters (one per loop, like the rest).
struct UdpMetrics {
  uint64_t datagrams_in = 0;
  uint64_t datagrams_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t dropped[static_cast<int>(UdpDrop::count)] = {};
  uint64_t cookies = 0;  // cookies sent (hello, or a stale cookie answered)
  uint64_t resets = 0;   // resets sent (a session this address has no lease for)
  uint64_t leases_opened = 0;
  uint64_t leases_expired = 0;  // not renewed within udp.lease_ms (or the token expired)
  uint64_t leases_refused = 0;  // udp.max_leases / max_leases_per_ip / per-user limit
  uint64_t send_dropped = 0;    // datagrams the socket would not take, past the queue bound
  uint64_t resent = 0;          // publications sent again on a resend request
  uint64_t announced = 0;       // publications announced by offset (larger than a datagram)

  void add(const UdpMetrics& o);
};

struct Metrics {
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected = 0;  // over a connection limit
  uint64_t memory_trims = 0;          // freed heap memory given back after a burst of connections
  uint64_t connections_open[static_cast<int>(Transport::count)] = {};  // gauge per transport
  uint64_t http_requests = 0;
  uint64_t http_errors = 0;   // 4xx/5xx answered by the HTTP layer
  uint64_t messages_in = 0;   // client frames / publishes received
  uint64_t messages_out = 0;  // pushes written to subscribers
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t slow_consumer_evictions = 0;
  uint64_t drops = 0;  // publications not delivered (evicted, closed)
  uint64_t recoveries_ok = 0;
  uint64_t recoveries_failed = 0;
  uint64_t ws_closes_protocol = 0;  // closes for protocol errors (1002/1007/1009)
  uint64_t access_denied = 0;       // subscribe/publish/history/presence refused by the rules
  uint64_t tokens_accepted = 0;     // connection tokens verified
  static constexpr int kTokenReasons = 16;
  uint64_t tokens_refused[kTokenReasons] = {};  // by jwt::TokenError
  uint64_t tokens_expired_live = 0;  // connections ended (or refreshed too late) at token expiry
  UdpMetrics udp;
  // Backend hooks, by access::HookKind (connect, subscribe, publish) and access::HookResult
  // (allow, deny, error, timeout, overload).
  static constexpr int kHookKinds = 3;
  static constexpr int kHookResults = 5;
  uint64_t hook_requests[kHookKinds][kHookResults] = {};
  uint64_t hook_latency_us_sum[kHookKinds] = {};  // requests sent, until the answer or failure
  uint64_t hook_latency_count[kHookKinds] = {};

  void add(const Metrics& o);
};

inline const char* transport_name(Transport t) {
  switch (t) {
    case Transport::ws:
      return "ws";
    case Transport::sse:
      return "sse";
    case Transport::longpoll:
      return "longpoll";
    case Transport::poll:
      return "poll";
    case Transport::echo:
      return "echo";
    case Transport::http:
      return "http";
    case Transport::udp:
      return "udp";
    default:
      return "?";
  }
}

}  // namespace herald::base
