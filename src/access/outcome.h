#pragma once
// The outcome of an access decision or of a hub operation made on a client's behalf, and the
// one table that turns each outcome into every transport's answer. WebSocket (herald.v1), SSE,
// long-poll and short poll, and the HTTP API all answer from this table, so a refusal reads the
// same everywhere: the HTTP status is also the herald.v1 error code, the message is the same
// text, and an outcome that ends a WebSocket connection has its close code here.
//
//   outcome                 status  message                     WebSocket close (connection)
//   ok                       200    -                           -
//   bad_channel              400    bad channel name            -
//   bad_cursor               400    bad cursor                  -
//   bad_request              400    bad request                 -
//   unauthorized             401    unauthorized                4500 bad token
//   token_expired            401    token expired               4005 token expired
//   forbidden                403    permission denied           4503 forbidden
//   not_available            404    not available               -
//   not_subscribed           404    not subscribed              -
//   already_subscribed       409    already subscribed          -
//   message_too_large        413    message too large           -
//   rate_limited             429    rate limit exceeded         -
//   too_many_subscriptions   429    too many subscriptions      -
//   limit_reached            503    connection limit reached    4504 connection limit
//   unavailable              503    unavailable                 4002 unavailable
//   disconnected             503    disconnected                4006 disconnected (operator)
//   disconnected_final       403    disconnected                4506 disconnected (operator)
//   hook_unavailable         503    auth backend unavailable    4002 auth backend unavailable
//   internal                 500    internal error              -
//
// A 401 carries `WWW-Authenticate: Bearer error="invalid_token"` over HTTP. On an SSE stream
// that is already running, an expired token and `disconnected` end the stream with
// `event: reconnect`, `disconnected_final` with `event: disconnect`.
#include <cstdint>
#include <string_view>
#include <system_error>

namespace herald::access {

enum class Outcome : uint8_t {
  ok,
  bad_channel,
  bad_cursor,
  bad_request,
  unauthorized,
  token_expired,
  forbidden,
  not_available,
  not_subscribed,
  already_subscribed,
  message_too_large,
  rate_limited,
  too_many_subscriptions,
  limit_reached,
  unavailable,
  disconnected,        // POST /api/disconnect: the client may reconnect
  disconnected_final,  // POST /api/disconnect with "reconnect": false
  hook_unavailable,    // a backend hook failed (no answer, timeout, overload): fail closed
  internal,
};

/// One row of the table above.
struct Answer {
  int status;                // HTTP status, and the herald.v1 error "code"
  std::string_view message;  // the error "message" (and the WebSocket close reason)
  uint16_t ws_close;         // close code when the outcome ends a WebSocket connection, or 0
  bool challenge;            // 401: add WWW-Authenticate: Bearer error="invalid_token"
};

/// The row of `o`.
const Answer& answer(Outcome o);

/// The value of the WWW-Authenticate header that a 401 carries.
inline constexpr std::string_view kBearerChallenge = "Bearer error=\"invalid_token\"";

/// The error category of outcomes: a refusal travels as a std::error_code through callbacks
/// typed for the hub (Gate::publish hands the caller's callback to the hub as it is).
const std::error_category& outcome_category();

/// `o` as an error code of outcome_category() (never for Outcome::ok, which is value 0).
inline std::error_code make_error_code(Outcome o) {
  return {static_cast<int>(o), outcome_category()};
}

/// The outcome of an error code: an outcome's own (make_error_code), or one from the hub or an
/// engine (base::Errc), e.g. unavailable for an engine that cannot be reached; anything
/// unknown is `internal`.
Outcome outcome_of(std::error_code ec);

/// A stable snake_case name for logs and metric labels ("forbidden", "token_expired", ...).
std::string_view outcome_name(Outcome o);

}  // namespace herald::access

template <>
struct std::is_error_code_enum<herald::access::Outcome> : std::true_type {};
