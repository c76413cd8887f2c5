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
  bool anonymous = false;         // clients without identity may subscribe (loopback peers)
  bool anonymous_remote = false;  // ... from any address, not only loopback
  bool authenticated = false;     // every client with an identity may subscribe, no grant needed
  bool publish = false;           // whoever may subscribe may also publish
  bool history = true;            // whoever may subscribe may read history (when it is kept)
  bool presence = true;           // presence is readable by whoever may subscribe
  bool join_leave = false;        // subscribers get join/leave pushes
  bool udp_publish = false;       // publishing over UDP datagrams is allowed (same rules)

  /// Whether a client without identity may subscribe here from a peer that is (or is not) on
  /// loopback: the namespace opts in, and remote peers need anonymous_remote as well.
  bool allows_anonymous(bool peer_is_loopback) const {
    return anonymous && (peer_is_loopback || anonymous_remote);
  }
};

struct Settings {
  // [server]
  std::string listen = "127.0.0.1:8080";  // "" : no plain listener (TLS only, with tls_listen)
  int threads = 0;                        // 0: one loop per core
  std::string web_root;     // "" : the web/ folder next to the binary's source, if found
  bool debug_echo = false;  // GET /ws/echo
  std::string log_level = "info";
  std::string log_format = "text";  // "text" or "json" (base/log.h)
  std::string access_log;           // "" off, "stderr", or an absolute path (reopened on SIGHUP)
  std::string api_key;              // "" : HTTP API open (default listen is loopback only)
  std::string metrics_key;          // "" : GET /metrics open (the API key works too)
  std::vector<std::string> allowed_origins;  // WebSocket Origin allow-list; empty: any
  uint32_t drain_ms = 2000;                  // SIGTERM: reconnect closes spread over this window
  bool io_uring = true;  // flush output through one io_uring per loop (read at start only)
  std::vector<std::string> trusted_proxies;  // addresses / CIDRs whose forwarding headers count
  bool proxy_protocol = false;  // trusted proxies send a PROXY protocol v1/v2 header first

  // [tls]
  std::string tls_listen;  // "" : no TLS listener
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_min_version = "1.2";
  std::string tls_ciphers;  // "" : OpenSSL's defaults
  uint32_t tls_handshake_timeout_ms = limits::kTlsHandshakeTimeoutMs;

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
  uint32_t publish_rate = 1000;  // client publishes per second per connection (per user)
  size_t max_connections_per_user = limits::kMaxConnections;

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

  // [udp] (docs/protocol.md, "UDP datagrams")
  bool udp_enabled = true;  // a UDP socket per loop on the port number of `listen` (at start)
  size_t udp_max_datagram = limits::kUdpMaxDatagram;
  uint32_t udp_lease_ms = limits::kUdpLeaseMs;
  size_t udp_max_leases = limits::kUdpMaxLeases;
  size_t udp_max_leases_per_ip = limits::kUdpMaxLeasesPerIp;

  // [auth] (docs/security.md): JWT connection tokens and backend hooks.
  std::string auth_hmac_secret;       // HS256/384/512
  std::string auth_hmac_secret_file;  // the same, read from a file
  std::string auth_public_key_file;   // PEM, RSA (RS*) or EC P-256/P-384 (ES256/ES384)
  std::string auth_jwks_file;         // JWKS; a token's kid picks the key; re-read on SIGHUP
  std::string auth_audience;          // required "aud" ("" : not checked)
  std::string auth_issuer;            // required "iss" ("" : not checked)
  uint32_t auth_leeway_sec = 0;       // clock skew allowed on exp / nbf
  std::string auth_connect_url;       // backend hooks: herald POSTs, the backend decides
  std::string auth_subscribe_url;
  std::string auth_publish_url;
  uint32_t auth_hook_timeout_ms = limits::kHookTimeoutMs;
  uint32_t auth_hook_max_inflight = limits::kHookMaxInflight;  // per loop
  std::vector<std::string> auth_hook_headers = {"Cookie", "Authorization", "User-Agent", "Origin",
                                                "X-Request-Id"};

  bool has_token_keys() const {
    return !auth_hmac_secret.empty() || !auth_hmac_secret_file.empty() ||
           !auth_public_key_file.empty() || !auth_jwks_file.empty();
  }

  // [engine] and [redis] (read at start only)
  std::string engine_type = "memory";  // "memory" (this process) or "redis" (cluster mode)
  std::vector<std::string> redis_addresses = {"127.0.0.1:6379"};
  bool redis_cluster = false;  // the addresses are seeds of one Redis Cluster
  std::string redis_prefix = "herald";
  std::string redis_password;
  int redis_db = 0;
  uint32_t redis_timeout_ms = limits::kRedisTimeoutMs;
  size_t redis_pool_size = limits::kRedisPoolSize;

  // [channel] and [namespace.NAME]
  NamespaceSettings channel_defaults;         // channels without a namespace
  std::vector<NamespaceSettings> namespaces;  // by name

  /// Options of the namespace of `channel` (text before the first ':'), or the defaults.
  const NamespaceSettings& namespace_for(std::string_view channel) const;
};

}  // namespace herald::base
