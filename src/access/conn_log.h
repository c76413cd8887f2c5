#pragma once
// The connection events of the log (docs/operations.md, "Logs"): `conn_open` when a session
// that lives longer than one request begins (WebSocket, SSE stream, long-poll), `conn_close`
// when it ends, with why. Each session records its reason where it decides to end (eviction,
// expiry, an operator's disconnect, the drain...) and logs once, at the one place every way of
// ending goes through (its on_close / finish), so a reason is never guessed from a socket error.
#include <cstdint>
#include <string_view>

#include "access/gate.h"
#include "access/outcome.h"
#include "base/metrics.h"

namespace herald::access {

/// Why a connection ended. `none` until something decides; a session that closes with `none`
/// was closed by its client (a close frame, EOF, a reset, a request aborted).
enum class CloseReason : uint8_t {
  none,
  client_closed,      // the client closed (close frame, EOF, reset, an abandoned request)
  slow_consumer,      // evicted: more than max_output_bytes queued that the client did not read
  heartbeat_timeout,  // WebSocket: no pong within ws_pong_timeout_ms
  token_expired,      // the connection token expired (no refresh in time)
  disconnected,       // POST /api/disconnect
  refused,            // the token or a hook refused the client (401/403)
  limit,              // a limit: connections per user, a message too large...
  protocol_error,     // the client broke the protocol (bad frame, bad UTF-8, bad request)
  drain,              // SIGTERM: asked to reconnect elsewhere
  unavailable,        // the engine or an auth backend could not be reached, or an internal error
  answered,           // long-poll: answered (messages, or the wait elapsed)
  server_closed,      // anything else the server decided
};

/// The stable name in log lines ("slow_consumer", ...).
std::string_view close_reason_name(CloseReason r);
/// The reason an outcome gives when it ends a connection (token_expired, disconnected...).
CloseReason close_reason_of(Outcome o);

/// `conn_open` (info): id, remote (the real client address), transport, user when known.
void log_conn_open(const Client& c, base::Transport t);
/// `conn_close` (info): as conn_open, plus reason, duration_ms, bytes_in, bytes_out.
void log_conn_close(const Client& c, base::Transport t, CloseReason r, uint64_t duration_ms,
                    uint64_t bytes_in, uint64_t bytes_out);

}  // namespace herald::access
