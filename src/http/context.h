#pragma once
// What a session on one loop can reach: its loop, the shared hub, the settings in force, the
// loop's counters and Date cache. One LoopContext per loop, owned by the server's worker; every
// session of that loop holds a reference. Only that loop's thread touches it.
#include "base/metrics.h"
#include "base/settings.h"
#include "http/response.h"
#include "hub/hub.h"
#include "loop/loop.h"
#include "net/connection.h"

namespace herald::http {

struct LoopContext {
  loop::Loop* loop = nullptr;
  hub::Hub* hub = nullptr;
  const base::Settings* settings = nullptr;  // swapped (on this loop) by a config reload
  base::Metrics* metrics = nullptr;
  DateCache* date = nullptr;
  net::ConnectionSet* connections = nullptr;
  bool draining = false;  // SIGTERM received: answer Connection: close, accept no upgrades
};

}  // namespace herald::http
