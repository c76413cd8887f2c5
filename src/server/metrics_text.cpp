#include "server/metrics_text.h"

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <span>

#include "access/hooks.h"
#include "base/log.h"
#include "base/time.h"
#include "jwt/jwt.h"
#include "server/server.h"

namespace herald::server {

namespace {

void line(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void value(std::string& out, const char* name, const char* labels, uint64_t v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, " %" PRIu64 "\n", v);
  out += name;
  if (labels && *labels) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += buf;
}

void counter(std::string& out, const char* name, const char* help, uint64_t v,
             const char* type = "counter") {
  line(out, name, type, help);
  value(out, name, nullptr, v);
}

// The Redis counters: name, help and the RedisStats member each is read from.
struct RedisCounter {
  const char* name;
  const char* help;
  std::atomic<uint64_t> cluster::RedisStats::*field;
};

constexpr RedisCounter kRedisCounters[] = {
    {"herald_redis_reconnects_total", "Redis links that came back after going down.",
     &cluster::RedisStats::reconnects},
    {"herald_redis_link_failures_total", "Redis connects refused, links dropped or timed out.",
     &cluster::RedisStats::link_failures},
    {"herald_redis_commands_total", "Commands sent to Redis.", &cluster::RedisStats::commands},
    {"herald_redis_command_errors_total", "Redis error replies and replies of an unexpected shape.",
     &cluster::RedisStats::command_errors},
    {"herald_redis_command_timeouts_total", "Redis commands not answered within redis.timeout_ms.",
     &cluster::RedisStats::command_timeouts},
    {"herald_redis_publish_failures_total", "Publishes answered unavailable (not stored in Redis).",
     &cluster::RedisStats::publish_failures},
    {"herald_redis_redirects_total", "Redis Cluster MOVED/ASK answers followed.",
     &cluster::RedisStats::redirects},
    {"herald_redis_script_reloads_total", "Lua scripts loaded again after a NOSCRIPT answer.",
     &cluster::RedisStats::script_reloads},
    {"herald_redis_resyncs_total",
     "Channels re-read from their stream after their pub/sub link came back.",
     &cluster::RedisStats::resyncs},
    {"herald_redis_gap_fills_total",
     "Live publications that skipped ahead, so the missing range was read from the stream.",
     &cluster::RedisStats::gap_fills},
    {"herald_redis_gap_publications_total",
     "Publications delivered from stream reads that filled gaps or resyncs.",
     &cluster::RedisStats::gap_publications},
    {"herald_redis_stream_resets_total",
     "Watched channels whose gap the stream could not fill (trimmed, expired, new epoch).",
     &cluster::RedisStats::stream_resets},
    {"herald_redis_malformed_total",
     "Redis replies, live messages or stream entries refused as malformed.",
     &cluster::RedisStats::malformed},
};

void render_redis(std::string& out, const cluster::RedisStats& r) {
  using cluster::RedisStats;
  uint64_t links = RedisStats::get(r.links), up = RedisStats::get(r.links_up);
  line(out, "herald_redis_links", "gauge", "Connections to Redis, by state.");
  value(out, "herald_redis_links", "state=\"up\"", up);
  value(out, "herald_redis_links", "state=\"down\"", links > up ? links - up : 0);
  for (const RedisCounter& c : kRedisCounters)
    counter(out, c.name, c.help, RedisStats::get(r.*c.field));
}

void render_udp(std::string& out, const base::UdpMetrics& u) {
  line(out, "herald_udp_datagrams_total", "counter", "UDP datagrams received and sent.");
  value(out, "herald_udp_datagrams_total", "direction=\"in\"", u.datagrams_in);
  value(out, "herald_udp_datagrams_total", "direction=\"out\"", u.datagrams_out);
  line(out, "herald_udp_bytes_total", "counter", "UDP payload bytes received and sent.");
  value(out, "herald_udp_bytes_total", "direction=\"in\"", u.bytes_in);
  value(out, "herald_udp_bytes_total", "direction=\"out\"", u.bytes_out);
  line(out, "herald_udp_dropped_total", "counter",
       "UDP datagrams received and dropped without effect, by reason.");
  for (int i = 0; i < int(base::UdpDrop::count); ++i) {
    std::string labels = "reason=\"";
    labels += base::udp_drop_name(static_cast<base::UdpDrop>(i));
    labels += '"';
    value(out, "herald_udp_dropped_total", labels.c_str(), u.dropped[i]);
  }
  counter(out, "herald_udp_cookies_total", "Address-validation cookies sent.", u.cookies);
  counter(out, "herald_udp_resets_total", "Resets sent for sessions without a lease.", u.resets);
  line(out, "herald_udp_leases_total", "counter", "UDP leases opened, expired and refused.");
  value(out, "herald_udp_leases_total", "event=\"opened\"", u.leases_opened);
  value(out, "herald_udp_leases_total", "event=\"expired\"", u.leases_expired);
  value(out, "herald_udp_leases_total", "event=\"refused\"", u.leases_refused);
  counter(out, "herald_udp_send_dropped_total",
          "UDP datagrams not sent: the socket's queue was full.", u.send_dropped);
  counter(out, "herald_udp_resent_total", "Publications sent again on a resend request.", u.resent);
  counter(out, "herald_udp_announced_total",
          "Publications announced by offset (larger than udp.max_datagram), per loop.",
          u.announced);
}

// Writes the _bucket, _sum and _count samples of a Prometheus histogram from `h`, at the upper
// bounds `bounds` (and +Inf), with `labels` ("" or `loop="0"`) on every sample.
void histogram(std::string& out, const char* name, const std::string& labels,
               const base::Histogram& h, std::span<const uint64_t> bounds) {
  std::string bucket = std::string(name) + "_bucket";
  std::string prefix = labels.empty() ? "" : labels + ",";
  uint64_t cumulative = 0;
  auto buckets = h.buckets();
  size_t bi = 0;
  for (uint64_t bound : bounds) {
    while (bi < buckets.size() && buckets[bi].first <= bound) cumulative += buckets[bi++].second;
    std::string l = prefix + "le=\"" + std::to_string(bound) + "\"";
    value(out, bucket.c_str(), l.c_str(), cumulative);
  }
  value(out, bucket.c_str(), (prefix + "le=\"+Inf\"").c_str(), h.count());
  value(out, (std::string(name) + "_sum").c_str(), labels.c_str(),
        static_cast<uint64_t>(h.mean() * double(h.count())));
  value(out, (std::string(name) + "_count").c_str(), labels.c_str(), h.count());
}

}  // namespace

std::string render_metrics(const Server& server, const std::vector<LoopSnapshot>& loops,
                           const hub::HubCounters& hub) {
  base::Metrics m;
  uint64_t conns = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  for (const auto& l : loops) {
    m.add(l.metrics);
    conns += l.connections;
    bytes_read += l.io.bytes_read;
    bytes_written += l.io.bytes_written;
  }
  std::string out;
  out.reserve(4096);
  counter(out, "herald_connections", "Open TCP connections.", conns, "gauge");
  counter(out, "herald_connections_max",
          "limits.max_connections: connections beyond it are refused at accept.",
          server.settings().max_connections, "gauge");
  line(out, "herald_transport_connections", "gauge", "Open sessions by transport.");
  for (int t = 0; t < static_cast<int>(base::Transport::count); ++t) {
    std::string labels = "transport=\"";
    labels += base::transport_name(static_cast<base::Transport>(t));
    labels += '"';
    value(out, "herald_transport_connections", labels.c_str(), m.connections_open[t]);
  }
  counter(out, "herald_connections_accepted_total", "Accepted connections.",
          m.connections_accepted);
  counter(out, "herald_connections_rejected_total", "Connections refused by a limit.",
          m.connections_rejected);
  counter(out, "herald_memory_trims_total",
          "Times free heap memory was given back to the system after a burst of connections.",
          m.memory_trims);
  counter(out, "herald_http_requests_total", "HTTP requests parsed.", m.http_requests);
  counter(out, "herald_log_lines_dropped_total",
          "Log lines dropped because stderr or the access log did not take them.",
          base::log_lines_dropped());
  counter(out, "herald_http_errors_total", "HTTP error responses (4xx/5xx).", m.http_errors);
  counter(out, "herald_messages_in_total", "Client frames and API publishes received.",
          m.messages_in);
  counter(out, "herald_messages_out_total", "Pushes written to subscribers.", m.messages_out);
  counter(out, "herald_bytes_received_total", "Bytes read from client connections.", bytes_read);
  counter(out, "herald_bytes_sent_total", "Bytes written to client connections.", bytes_written);
  counter(out, "herald_slow_consumer_evictions_total",
          "Subscribers disconnected because their output passed its limit.",
          m.slow_consumer_evictions);
  counter(out, "herald_drops_total",
          "Subscribers whose queued output was discarded (one per slow-consumer eviction; "
          "the client resumes the missed publications with its cursor).",
          m.drops);
  counter(out, "herald_ws_protocol_closes_total", "WebSocket closes for protocol errors.",
          m.ws_closes_protocol);
  counter(out, "herald_access_denied_total",
          "Subscribes, publishes, history and presence reads refused by the namespace rules.",
          m.access_denied);
  counter(out, "herald_tokens_accepted_total", "Connection tokens verified.", m.tokens_accepted);
  line(out, "herald_tokens_refused_total", "counter", "Connection tokens refused, by reason.");
  static_assert(int(jwt::TokenError::bad_claims) < base::Metrics::kTokenReasons);
  for (int i = 0; i <= int(jwt::TokenError::bad_claims); ++i) {
    std::string_view name = jwt::token_error_name(static_cast<jwt::TokenError>(i));
    std::string labels = "reason=\"" + std::string(name) + "\"";
    value(out, "herald_tokens_refused_total", labels.c_str(), m.tokens_refused[i]);
  }
  counter(out, "herald_tokens_expired_total",
          "Connections ended at their token's expiry (WebSocket 4005, SSE reconnect, poll 401).",
          m.tokens_expired_live);
  render_udp(out, m.udp);
  line(out, "herald_hook_requests_total", "counter",
       "Backend hook requests, by hook and result (error, timeout and overload fail closed).");
  static_assert(access::kHookKinds == base::Metrics::kHookKinds);
  static_assert(access::kHookResults == base::Metrics::kHookResults);
  for (int k = 0; k < access::kHookKinds; ++k) {
    for (int r = 0; r < access::kHookResults; ++r) {
      std::string labels =
          "hook=\"" + std::string(access::hook_kind_name(static_cast<access::HookKind>(k))) +
          "\",result=\"" +
          std::string(access::hook_result_name(static_cast<access::HookResult>(r))) + "\"";
      value(out, "herald_hook_requests_total", labels.c_str(), m.hook_requests[k][r]);
    }
  }
  line(out, "herald_hook_duration_microseconds", "summary",
       "Time from sending a backend hook request to its answer or failure.");
  for (int k = 0; k < access::kHookKinds; ++k) {
    std::string labels =
        "hook=\"" + std::string(access::hook_kind_name(static_cast<access::HookKind>(k))) + "\"";
    value(out, "herald_hook_duration_microseconds_sum", labels.c_str(), m.hook_latency_us_sum[k]);
    value(out, "herald_hook_duration_microseconds_count", labels.c_str(), m.hook_latency_count[k]);
  }
  counter(out, "herald_publications_total", "Publications accepted.", hub.publications);
  counter(out, "herald_deliveries_total", "Publications handed to subscribers.", hub.deliveries);
  counter(out, "herald_subscriptions", "Current subscriptions.", hub.subscriptions, "gauge");
  counter(out, "herald_channels", "Channels with local subscribers (summed over loops).",
          hub.channels, "gauge");
  line(out, "herald_recoveries_total", "counter", "Subscribes with a cursor, by outcome.");
  value(out, "herald_recoveries_total", "outcome=\"recovered\"", hub.recoveries_ok);
  value(out, "herald_recoveries_total", "outcome=\"not_recovered\"", hub.recoveries_failed);
  // Loop lag (ready -> handled) per loop, and publish -> deliver latency, in microseconds.
  static constexpr uint64_t kLagBounds[] = {10,   50,   100,   250,   500,   1000,
                                            2500, 5000, 10000, 50000, 100000};
  line(out, "herald_loop_lag_microseconds", "histogram",
       "Delay from epoll readiness to handling, per event, per event loop.");
  for (size_t i = 0; i < loops.size(); ++i)
    histogram(out, "herald_loop_lag_microseconds", "loop=\"" + std::to_string(i) + "\"",
              loops[i].lag_us, kLagBounds);
  static constexpr uint64_t kLatencyBounds[] = {
      10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000};
  line(out, "herald_deliver_latency_microseconds", "histogram",
       "Publish -> deliver inside the server, per delivery: from the publish reaching the "
       "engine to the subscriber's output queue.");
  histogram(out, "herald_deliver_latency_microseconds", "", hub.deliver_latency_us, kLatencyBounds);
  counter(out, "herald_engine_ready", "1 when the engine can serve (Redis: every link is up).",
          server.engine_ready() ? 1 : 0, "gauge");
  if (const cluster::RedisEngine* redis = server.redis()) render_redis(out, redis->stats());
  counter(out, "herald_loops", "Event loop threads.", loops.size(), "gauge");
  size_t uring_loops = 0;
  for (const auto& l : loops) uring_loops += l.io_uring ? 1 : 0;
  counter(out, "herald_loops_io_uring",
          "Event loops that write through io_uring (server.io_uring; the rest use writev).",
          uring_loops, "gauge");
  counter(out, "herald_uptime_seconds", "Seconds since start.",
          (base::monotonic_ms() - server.start_ms()) / 1000, "gauge");
  return out;
}

}  // namespace herald::server
