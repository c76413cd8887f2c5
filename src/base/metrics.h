#pragma once
// Per-loop counters for /metrics (SPEC §6). Each loop owns one Metrics and increments plain
// integers on its own thread; /metrics gathers a copy from every loop through post() and sums.
#include <cstdint>

namespace herald::base {

enum class Transport { ws = 0, sse, longpoll, poll, echo, http, count };

struct Metrics {
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected = 0;                                   // over a connection limit
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
    default:
      return "?";
  }
}

}  // namespace herald::base
