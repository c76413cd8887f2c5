#pragma once
// Settings: every runtime-tunable value of the server, in one plain struct. Defaults come from
// base/limits.h; server/config fills it from the built-in defaults, the TOML file, HERALD_*
// environment variables and flags (docs/design.md, "Configuration"). Sessions read it through
// a const pointer that the server swaps on SIGHUP (per loop, via post), so a reload never
// changes a value under a running handler.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.h"

namespace herald::base {

/// Per-namespace channel options (`namespace.NAME.*`; the default namespace is `channel.*`).
struct NamespaceSettings {
  std::string name;  // "" for channels without a namespace
  size_t history_size = limits::kDefaultHistorySize;
  uint32_t history_ttl_sec = limits::kDefaultHistoryTtlSec;
  bool anonymous = false;  // clients without a token may subscribe (loopback peers only)
  bool publish = false;    // clients (not only the HTTP API) may publish
  bool presence = true;    // presence queries allowed

  /// Whether a client without a token may use this namespace (SPEC §5): the namespace opts in
  /// and the peer is on loopback, whatever the namespace says. One rule for every transport.
  bool allows_anonymous(bool peer_is_loopback) const { return anonymous && peer_is_loopback; }
};

struct Settings {
  // [server]
  std::string listen = "127.0.0.1:8080";
  int threads = 0;          // 0: one loop per core
  std::string web_root;     // "" : the web/ folder next to the binary's source, if found
  bool debug_echo = false;  // GET /ws/echo
  std::string log_level = "info";
  std::string api_key;                       // "" : HTTP API open (default listen is loopback only)
  std::vector<std::string> allowed_origins;  // WebSocket Origin allow-list; empty: any
  uint32_t drain_ms = 2000;                  // SIGTERM: reconnect closes spread over this window
  bool io_uring = false;  // flush output through one io_uring per loop (read at start only)

  // [http]
  size_t max_request_line = limits::kMaxRequestLine;
  size_t max_header_bytes = limits::kMaxHeaderBytes;
  size_t max_header_count = limits::kMaxHeaderCount;
  size_t max_body = limits::kMaxBodyBytes;
  uint32_t header_timeout_ms = limits::kHeaderTimeoutMs;
  uint32_t keepalive_timeout_ms = limits::kKeepAliveTimeoutMs;

  // [limits]
  size_t max_connections = limits::kMaxConnections;
  size_t max_connections_per_ip = limits::kMaxConnections;
  size_t max_output_bytes = limits::kMaxOutputBytes;  // slow consumer threshold
  size_t max_subscriptions = limits::kMaxSubscriptionsPerConnection;
  uint32_t publish_rate = 1000;  // client publishes per second per connection

  // [websocket]
  size_t ws_max_message = limits::kMaxWsMessage;
  uint32_t ws_ping_interval_ms = limits::kWsPingIntervalMs;
  uint32_t ws_pong_timeout_ms = limits::kWsPongTimeoutMs;
  bool ws_compression = true;  // permessage-deflate (RFC 7692) is negotiated when offered

  // [sse] / [poll]
  uint32_t sse_heartbeat_ms = limits::kSseHeartbeatMs;
  uint32_t sse_retry_ms = limits::kSseRetryMs;
  uint32_t poll_max_wait_sec = limits::kMaxLongPollWaitSec;
  size_t poll_max_channels = limits::kMaxChannelsPerPoll;

  // [channel] and [namespace.NAME]
  NamespaceSettings channel_defaults;         // channels without a namespace
  std::vector<NamespaceSettings> namespaces;  // by name

  /// Options of the namespace of `channel` (text before the first ':'), or the defaults.
  const NamespaceSettings& namespace_for(std::string_view channel) const;
};

}  // namespace herald::base
