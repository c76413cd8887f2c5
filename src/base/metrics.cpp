#include "base/metrics.h"

namespace herald::base {

void Metrics::add(const Metrics& o) {
  connections_accepted += o.connections_accepted;
  connections_rejected += o.connections_rejected;
  memory_trims += o.memory_trims;
  for (int i = 0; i < static_cast<int>(Transport::count); ++i)
    connections_open[i] += o.connections_open[i];
  http_requests += o.http_requests;
  http_errors += o.http_errors;
  messages_in += o.messages_in;
  messages_out += o.messages_out;
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  slow_consumer_evictions += o.slow_consumer_evictions;
  drops += o.drops;
  recoveries_ok += o.recoveries_ok;
  recoveries_failed += o.recoveries_failed;
  ws_closes_protocol += o.ws_closes_protocol;
  access_denied += o.access_denied;
  tokens_accepted += o.tokens_accepted;
  for (int i = 0; i < kTokenReasons; ++i) tokens_refused[i] += o.tokens_refused[i];
  tokens_expired_live += o.tokens_expired_live;
  for (int k = 0; k < kHookKinds; ++k) {
    for (int r = 0; r < kHookResults; ++r) hook_requests[k][r] += o.hook_requests[k][r];
    hook_latency_us_sum[k] += o.hook_latency_us_sum[k];
    hook_latency_count[k] += o.hook_latency_count[k];
  }
  udp.add(o.udp);
}

void UdpMetrics::add(const UdpMetrics& o) {
  datagrams_in += o.datagrams_in;
  datagrams_out += o.datagrams_out;
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  for (int i = 0; i < static_cast<int>(UdpDrop::count); ++i) dropped[i] += o.dropped[i];
  cookies += o.cookies;
  resets += o.resets;
  leases_opened += o.leases_opened;
  leases_expired += o.leases_expired;
  leases_refused += o.leases_refused;
  send_dropped += o.send_dropped;
  resent += o.resent;
  announced += o.announced;
}

}  // namespace herald::base
