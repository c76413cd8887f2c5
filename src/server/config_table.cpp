// The key table: every configuration key with its type, default, environment variable,
// check and description. docs/configuration.md's table is printed from it
// (`herald check-config --keys`, scripts/regen-config-table); config_keys.cpp reads and
// stores values by it.
#include "server/config_keys.h"

#include <algorithm>
#include <cctype>
#include <iterator>

#include "base/log.h"
#include "cluster/codec.h"
#include "hook/client.h"
#include "net/address.h"
#include "server/config.h"
#include "tls/context.h"

namespace herald::server::config_detail {
namespace {

using base::NamespaceSettings;
using base::Settings;

std::string check_listen(std::string_view v) {
  if (net::Address::parse(v).ok()) return {};
  return "expected HOST:PORT with a numeric IPv4 address, [IPv6] or localhost "
         "(e.g. 127.0.0.1:8080, [::1]:8080, :8080), got \"" +
         std::string(v) + "\"";
}

// The plain listener may be turned off ("", for TLS only); the TLS one is off unless set.
std::string check_optional_listen(std::string_view v) {
  if (v.empty()) return {};
  return check_listen(v);
}

std::string check_tls_version(std::string_view v) {
  tls::Version version;
  if (tls::parse_version(v, &version)) return {};
  return "expected \"1.2\" or \"1.3\", got \"" + std::string(v) + "\"";
}

std::string check_engine(std::string_view v) {
  if (v == "memory" || v == "redis") return {};
  return "expected memory or redis, got \"" + std::string(v) + "\"";
}

std::string check_redis_address(std::string_view v) {
  if (net::Address::parse(v).ok() && net::Address::parse(v)->port() != 0) return {};
  return "expected HOST:PORT with a numeric IPv4 address, [IPv6] or localhost and a port "
         "(e.g. 127.0.0.1:6379), got \"" +
         std::string(v) + "\"";
}

std::string check_redis_prefix(std::string_view v) {
  if (cluster::valid_prefix(v)) return {};
  return "expected 1-64 characters of [A-Za-z0-9_.:-] (no braces: they would change the "
         "Redis Cluster hash tag), got \"" +
         std::string(v) + "\"";
}

std::string check_log_level(std::string_view v) {
  base::LogLevel level;
  if (base::parse_log_level(std::string(v).c_str(), &level)) return {};
  return "expected one of debug, info, warn, error, off, got \"" + std::string(v) + "\"";
}

std::string check_log_format(std::string_view v) {
  base::LogFormat format;
  if (base::parse_log_format(std::string(v).c_str(), &format)) return {};
  return "expected text or json, got \"" + std::string(v) + "\"";
}

std::string check_access_log(std::string_view v) {
  // A relative path would depend on the working directory of whoever starts the service.
  if (v.empty() || v == "stderr" || v.front() == '/') return {};
  return "expected \"\" (off), \"stderr\" or an absolute file path, got \"" + std::string(v) + "\"";
}

std::string check_origin(std::string_view v) {
  // Commas and blanks would make the env/flag form (comma-separated) ambiguous, and no origin
  // (RFC 6454 serialization) contains them.
  bool bad = v.empty() || std::any_of(v.begin(), v.end(), [](unsigned char c) {
               return c <= ' ' || c == ',' || c == 0x7f;
             });
  if (!bad) return {};
  return "an origin is \"scheme://host[:port]\" (or \"*\"), without blanks or commas; got \"" +
         std::string(v) + "\"";
}

std::string check_proxy(std::string_view v) {
  if (net::Cidr::parse(v).ok()) return {};
  return "expected an IP address or CIDR (e.g. 127.0.0.1, 10.0.0.0/8, ::1, fd00::/8), got \"" +
         std::string(v) + "\"";
}

std::string check_url(std::string_view v) {
  if (v.empty() || hook::parse_url(v).ok()) return {};
  if (v.starts_with("https://"))
    return "hook URLs are plain http:// (herald's hook client speaks no TLS); point it at the "
           "backend over a private network or a local TLS-terminating proxy, got \"" +
           std::string(v) + "\"";
  return "expected an http:// URL with a numeric host or localhost (e.g. "
         "http://127.0.0.1:9000/connect), got \"" +
         std::string(v) + "\"";
}

std::string check_header_name(std::string_view v) {
  bool ok = !v.empty() && std::all_of(v.begin(), v.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
  if (ok) return {};
  return "expected an HTTP header name, got \"" + std::string(v) + "\"";
}

constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * kKiB;
constexpr int64_t kGiB = 1024 * kMiB;
constexpr int64_t kDayMs = 24 * 3600 * 1000;

// Designated initializers leave the members a key does not need at their defaults; g++ 12
// warns about that (-Wmissing-field-initializers) although it is well-defined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
// clang-format off
const KeyDef<Settings> kKeys[] = {
  {.name = "server.listen", .field = &Settings::listen, .check = check_optional_listen,
   .type_note = "HOST:PORT",
   .description = "address of the HTTP/WebSocket listener (UDP uses the same port); "
                  "\"\" = none (TLS only, with tls.listen)"},
  {.name = "server.threads", .field = &Settings::threads, .min = 0, .max = 64,
   .description = "event loop threads; 0 = one per core"},
  {.name = "server.web_root", .field = &Settings::web_root,
   .description = "folder served at / (demo page, admin, client); empty = found from the "
                  "binary: PREFIX/share/herald/web when installed, else web/ of the source tree"},
  {.name = "server.debug_echo", .field = &Settings::debug_echo,
   .description = "adds the plain RFC 6455 echo endpoint GET /ws/echo"},
  {.name = "server.log_level", .field = &Settings::log_level, .check = check_log_level,
   .type_note = "debug, info, warn, error or off", .description = "least severe level that is logged"},
  {.name = "server.log_format", .field = &Settings::log_format, .check = check_log_format,
   .type_note = "text or json",
   .description = "log lines on stderr (and the access log): text, or one JSON object per line"},
  {.name = "server.access_log", .field = &Settings::access_log, .check = check_access_log,
   .type_note = "\"\", stderr or /path",
   .description = "one line per HTTP request: off (\"\"), on stderr, or appended to a file that "
                  "is reopened on SIGHUP (logrotate); a change takes effect after a restart"},
  {.name = "server.api_key", .field = &Settings::api_key,
   .description = "key of the HTTP API (Authorization: Bearer KEY); empty = API open"},
  {.name = "server.metrics_key", .field = &Settings::metrics_key,
   .description = "key of GET /metrics (Authorization: Bearer KEY; the API key is accepted "
                  "too); empty = /metrics open"},
  {.name = "server.allowed_origins", .field = &Settings::allowed_origins, .check = check_origin,
   .description = "WebSocket Origin allow-list; empty = any origin"},
  {.name = "server.drain_ms", .field = &Settings::drain_ms, .min = 0, .max = 600'000,
   .description = "on SIGTERM, clients are asked to reconnect one by one, evenly over this "
                  "window (new requests get 503 meanwhile)"},
  {.name = "server.trusted_proxies", .field = &Settings::trusted_proxies, .check = check_proxy,
   .type_note = "IPs or CIDRs",
   .description = "reverse proxies whose Forwarded / X-Forwarded-For (or PROXY protocol header) "
                  "give the real client address"},
  {.name = "server.proxy_protocol", .field = &Settings::proxy_protocol,
   .description = "connections from trusted_proxies start with a PROXY protocol v1/v2 header"},
  {.name = "server.io_uring", .field = &Settings::io_uring,
   .description = "flush output through one io_uring per loop (one syscall for many sends; "
                  "false: one writev per connection); falls back to writev if the kernel "
                  "refuses io_uring; read at start only"},

  {.name = "tls.listen", .field = &Settings::tls_listen, .check = check_optional_listen,
   .type_note = "HOST:PORT",
   .description = "address of the TLS listener (https, wss), beside server.listen; \"\" = none"},
  {.name = "tls.cert_file", .field = &Settings::tls_cert_file,
   .description = "PEM file: the server certificate, then its intermediates; re-read on SIGHUP"},
  {.name = "tls.key_file", .field = &Settings::tls_key_file,
   .description = "PEM file: the certificate's private key; re-read on SIGHUP"},
  {.name = "tls.min_version", .field = &Settings::tls_min_version, .check = check_tls_version,
   .type_note = "1.2 or 1.3", .description = "oldest TLS version accepted"},
  {.name = "tls.ciphers", .field = &Settings::tls_ciphers,
   .description = "OpenSSL cipher names, ':'-separated (TLS_* names choose TLS 1.3 suites); "
                  "\"\" = OpenSSL's defaults"},
  {.name = "tls.handshake_timeout_ms", .field = &Settings::tls_handshake_timeout_ms, .min = 1,
   .max = kDayMs,
   .description = "a connection whose TLS handshake has not finished after this is closed"},

  {.name = "http.max_request_line", .field = &Settings::max_request_line, .min = 16, .max = kMiB,
   .description = "longest request line; longer gets 414"},
  {.name = "http.max_header_bytes", .field = &Settings::max_header_bytes, .min = 64,
   .max = 16 * kMiB, .description = "request line + headers; more gets 431"},
  {.name = "http.max_header_count", .field = &Settings::max_header_count, .min = 1, .max = 10'000,
   .description = "header fields per request; more gets 431"},
  {.name = "http.max_body", .field = &Settings::max_body, .min = 1, .max = kGiB,
   .description = "request body bytes; more gets 413"},
  {.name = "http.header_timeout_ms", .field = &Settings::header_timeout_ms, .min = 1, .max = kDayMs,
   .description = "time to receive a request's headers; then 408 and close (slowloris)"},
  {.name = "http.keepalive_timeout_ms", .field = &Settings::keepalive_timeout_ms, .min = 1,
   .max = kDayMs, .description = "an idle keep-alive connection is closed after this"},

  {.name = "limits.max_connections", .field = &Settings::max_connections, .min = 1,
   .max = 10'000'000,
   .description = "open connections per process; one more gets a raw 503 at accept and is closed"},
  {.name = "limits.max_connections_per_ip", .field = &Settings::max_connections_per_ip, .min = 1,
   .max = 10'000'000,
   .description = "open connections per client IP; one more gets a raw 503 at accept and is closed"},
  {.name = "limits.max_output_bytes", .field = &Settings::max_output_bytes, .min = kKiB,
   .max = kGiB,
   .description = "pending output per connection before it is evicted as a slow consumer (4008)"},
  {.name = "limits.max_subscriptions", .field = &Settings::max_subscriptions, .min = 1,
   .max = 1'000'000, .description = "channels one connection may subscribe to"},
  {.name = "limits.publish_rate", .field = &Settings::publish_rate, .min = 1, .max = 10'000'000,
   .description = "client publishes per second, per user (authenticated) or per WebSocket "
                  "connection or UDP lease (anonymous); more gets 429 / an error reply"},
  {.name = "limits.max_connections_per_user", .field = &Settings::max_connections_per_user,
   .min = 1, .max = 10'000'000,
   .description = "open connections of one authenticated user; one more gets 503 / close 4504"},

  {.name = "auth.hmac_secret", .field = &Settings::auth_hmac_secret,
   .description = "secret of HS256/384/512 connection tokens (prefer hmac_secret_file)"},
  {.name = "auth.hmac_secret_file", .field = &Settings::auth_hmac_secret_file,
   .description = "file holding the HMAC secret (a trailing newline is ignored)", .path = true},
  {.name = "auth.public_key_file", .field = &Settings::auth_public_key_file,
   .description = "PEM public key (RSA for RS256/384/512, EC P-256/P-384 for ES256/ES384)", .path = true},
  {.name = "auth.jwks_file", .field = &Settings::auth_jwks_file,
   .description = "JWKS document; a token's kid picks the key; re-read on SIGHUP", .path = true},
  {.name = "auth.audience", .field = &Settings::auth_audience,
   .description = "the aud a token must name; empty = tokens that carry an aud are refused"},
  {.name = "auth.issuer", .field = &Settings::auth_issuer,
   .description = "required iss claim; empty = not checked"},
  {.name = "auth.leeway_sec", .field = &Settings::auth_leeway_sec, .min = 0, .max = 3600,
   .description = "clock skew allowed when checking exp and nbf"},
  {.name = "auth.connect_url", .field = &Settings::auth_connect_url, .check = check_url,
   .description = "backend hook asked who a client without a token is; empty = no hook"},
  {.name = "auth.subscribe_url", .field = &Settings::auth_subscribe_url, .check = check_url,
   .description = "backend hook asked before a subscribe the namespace rules refuse"},
  {.name = "auth.publish_url", .field = &Settings::auth_publish_url, .check = check_url,
   .description = "backend hook asked before every client publish (may replace the data)"},
  {.name = "auth.hook_timeout_ms", .field = &Settings::auth_hook_timeout_ms, .min = 10,
   .max = 600'000, .description = "a hook that has not answered by then fails closed (503)"},
  {.name = "auth.hook_max_inflight", .field = &Settings::auth_hook_max_inflight, .min = 1,
   .max = 100'000, .description = "concurrent hook requests per loop; more fail closed (503)"},
  {.name = "auth.hook_headers", .field = &Settings::auth_hook_headers, .check = check_header_name,
   .description = "request headers copied into hook requests"},

  {.name = "websocket.max_message", .field = &Settings::ws_max_message, .min = 1, .max = kGiB,
   .description = "largest message (after reassembly); larger gets close 1009"},
  {.name = "websocket.ping_interval_ms", .field = &Settings::ws_ping_interval_ms, .min = 100,
   .max = kDayMs, .description = "server ping period"},
  {.name = "websocket.pong_timeout_ms", .field = &Settings::ws_pong_timeout_ms, .min = 100,
   .max = kDayMs, .description = "no pong within this after a ping gets close 4010"},
  {.name = "websocket.compression", .field = &Settings::ws_compression,
   .description = "negotiate permessage-deflate (RFC 7692) with clients that offer it"},

  {.name = "sse.heartbeat_ms", .field = &Settings::sse_heartbeat_ms, .min = 100, .max = kDayMs,
   .description = "a comment line is sent after this much silence"},
  {.name = "sse.retry_ms", .field = &Settings::sse_retry_ms, .min = 0, .max = kDayMs,
   .description = "the retry: field: EventSource reconnect delay"},

  {.name = "poll.max_wait_sec", .field = &Settings::poll_max_wait_sec, .min = 0, .max = 3600,
   .description = "longest long-poll wait; larger wait= values are capped to it"},
  {.name = "poll.max_channels", .field = &Settings::poll_max_channels, .min = 1, .max = 10'000,
   .description = "channels per poll request"},

  {.name = "engine.type", .field = &Settings::engine_type, .check = check_engine,
   .type_note = "memory or redis",
   .description = "where channel streams live: in this process (memory) or in Redis (cluster "
                  "mode: every node on the same Redis serves the same channels); read at start only"},

  {.name = "redis.addresses", .field = &Settings::redis_addresses, .check = check_redis_address,
   .description = "Redis servers (HOST:PORT); several without redis.cluster: channels are sharded "
                  "over them by a hash of the name (list them in the same order on every node)"},
  {.name = "redis.cluster", .field = &Settings::redis_cluster,
   .description = "the addresses are seeds of one Redis Cluster (slots, SSUBSCRIBE/SPUBLISH)"},
  {.name = "redis.prefix", .field = &Settings::redis_prefix, .check = check_redis_prefix,
   .description = "prefix of every Redis key and pub/sub channel herald uses"},
  {.name = "redis.password", .field = &Settings::redis_password,
   .description = "AUTH password; empty = none"},
  {.name = "redis.db", .field = &Settings::redis_db, .min = 0, .max = 1'000'000,
   .description = "database number (SELECT); ignored with redis.cluster"},
  {.name = "redis.timeout_ms", .field = &Settings::redis_timeout_ms, .min = 10, .max = 600'000,
   .description = "a Redis command (or connect) unanswered this long fails: a publish then gets 503"},
  {.name = "redis.pool_size", .field = &Settings::redis_pool_size, .min = 1, .max = 64,
   .description = "command connections per event loop and Redis server"},

  {.name = "udp.enabled", .field = &Settings::udp_enabled,
   .description = "serve UDP datagrams on the port number of server.listen (read at start only)"},
  {.name = "udp.max_datagram", .field = &Settings::udp_max_datagram, .min = 256, .max = 65'507,
   .description = "largest datagram: longer requests are dropped, longer publications are "
                  "announced by offset for the client to fetch over HTTP"},
  {.name = "udp.lease_ms", .field = &Settings::udp_lease_ms, .min = 100, .max = kDayMs,
   .description = "a lease that no datagram renews for this long is dropped"},
  {.name = "udp.max_leases", .field = &Settings::udp_max_leases, .min = 1, .max = 10'000'000,
   .description = "UDP leases per process; one more open gets error 503"},
  {.name = "udp.max_leases_per_ip", .field = &Settings::udp_max_leases_per_ip, .min = 1,
   .max = 10'000'000, .description = "UDP leases per client IP address; one more gets error 503"},
};

const KeyDef<NamespaceSettings> kNamespaceKeys[] = {
  {.name = "history_size", .field = &NamespaceSettings::history_size, .min = 0, .max = 1'000'000,
   .description = "messages kept per channel for recovery; 0 disables history"},
  {.name = "history_ttl", .field = &NamespaceSettings::history_ttl_sec, .min = 0,
   .max = 31'536'000, .type_note = "seconds",
   .description = "how long a message stays in history; 0 disables history"},
  {.name = "anonymous", .field = &NamespaceSettings::anonymous,
   .description = "clients without identity may subscribe (from loopback unless anonymous_remote)"},
  {.name = "anonymous_remote", .field = &NamespaceSettings::anonymous_remote,
   .description = "anonymous access also from non-loopback addresses"},
  {.name = "authenticated", .field = &NamespaceSettings::authenticated,
   .description = "every client with a verified identity (a token) may subscribe"},
  {.name = "publish", .field = &NamespaceSettings::publish,
   .description = "whoever may subscribe may also publish (a token's publish grants "
                  "allow it regardless)"},
  {.name = "history", .field = &NamespaceSettings::history,
   .description = "whoever may subscribe may read history"},
  {.name = "presence", .field = &NamespaceSettings::presence,
   .description = "whoever may subscribe may read presence"},
  {.name = "join_leave", .field = &NamespaceSettings::join_leave,
   .description = "subscribers (WebSocket, SSE) get join and leave pushes"},
  {.name = "udp_publish", .field = &NamespaceSettings::udp_publish,
   .description = "publishing over UDP datagrams is allowed (to whoever may publish)"},
};
// clang-format on
#pragma GCC diagnostic pop

// ConfigDraft::own_keys holds a bit per namespace key.
static_assert(std::size(kNamespaceKeys) <= 32);

}  // namespace

std::span<const SettingsKey> settings_keys() {
  return kKeys;
}

std::span<const NamespaceKey> namespace_keys() {
  return kNamespaceKeys;
}

}  // namespace herald::server::config_detail
