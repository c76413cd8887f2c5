#pragma once
// WebSocket sessions (RFC 6455) on top of an HTTP upgrade: the herald.v1 JSON protocol on
// GET /ws, and a plain echo endpoint on GET /ws/echo (--debug-echo) for conformance runs and
// echo benchmarks.
#include "access/gate.h"
#include "http/session.h"
#include "http_codec/parser.h"

namespace herald::ws {

enum class Endpoint { herald_v1, echo };

/// Validates the upgrade request in `req`; on success answers 101 and takes the connection
/// over with a WebSocket session for `endpoint` (herald.v1 sessions reach the hub through
/// `gate` as `client`); otherwise answers the HTTP error (400, 403 for an Origin not allowed,
/// 426...). With `refused` other than ok (the connect hook refused the client) a valid upgrade
/// still succeeds and the session is closed at once with that outcome's close code.
void handle_upgrade(http::HttpSession& session, http::Request& req, Endpoint endpoint,
                    access::Gate& gate, access::Client client,
                    access::Outcome refused = access::Outcome::ok);

/// SIGTERM drain: when `conn`'s handler is a WebSocket session (herald.v1 or echo), sends it a
/// close 4001 "shutdown" (clients reconnect elsewhere), closes it gracefully and returns true.
/// Returns false for any other connection. Call on the connection's loop.
bool drain(net::Connection& conn);

}  // namespace herald::ws
