#pragma once
// What an HTTP session on one loop can reach: its loop, the settings in force, the loop's
// counters, Date cache and connection set, and whether the server is draining. One Context per
// loop, owned by the server's worker; every session of that loop holds a reference. Only that
// loop's thread touches it. HTTP knows nothing of channels: sessions that speak the channel
// model (ws, sse, the API) reach the hub through access::Gate.
#include "base/metrics.h"
#include "base/settings.h"
#include "http_codec/response.h"
#include "loop/loop.h"
#include "net/connection.h"

namespace herald::http {

struct Context {
  loop::Loop* loop = nullptr;
  const base::Settings* settings = nullptr;  // swapped (on this loop) by a config reload
  base::Metrics* metrics = nullptr;
  DateCache* date = nullptr;
  net::ConnectionSet* connections = nullptr;
  bool draining = false;      // SIGTERM received: answer Connection: close, accept no upgrades
  uint64_t drain_end_ms = 0;  // while draining: when the window ends (loop clock)
};

}  // namespace herald::http
