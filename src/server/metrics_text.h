#pragma once
// /metrics in the Prometheus text exposition format (docs/operations.md).
#include <string>
#include <vector>

#include "hub/hub.h"
#include "server/worker.h"

namespace herald::server {

class Server;

std::string render_metrics(const Server& server, const std::vector<LoopSnapshot>& loops,
                           const hub::HubCounters& hub);

}  // namespace herald::server
