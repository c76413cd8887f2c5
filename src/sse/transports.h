#pragma once
// The HTTP push and pull transports: Server-Sent Events (GET /sse) and long/short polling
// (GET /poll). Both speak the channel model through the access layer and deliver the same
// JSON push objects as the WebSocket protocol.
#include "access/gate.h"
#include "http/session.h"
#include "http_codec/parser.h"
#include "net/connection.h"

namespace herald::sse {

/// GET /sse?channel=a&channel=b[&since=CURSOR]: takes the connection over with an SSE stream
/// for `client` (or answers an HTTP error: 400 bad channel/cursor, 401, 403...).
void handle_sse(http::HttpSession& session, http::Request& req, access::Gate& gate,
                access::Client client);

/// GET /poll?channel=..&since=..&wait=S: answers at once (wait=0 or messages available) or
/// holds the request until a message arrives or S seconds pass.
void handle_poll(http::HttpSession& session, http::Request& req, access::Gate& gate,
                 access::Client client);

/// SIGTERM drain (docs/operations.md): when `conn` carries an SSE stream, sends it `event:
/// reconnect` and closes it gracefully (the browser's EventSource reconnects after `retry:`, with
/// Last-Event-ID); when it holds a long-poll, answers it at once with what it has (an empty
/// list and the same cursor), so the client polls again elsewhere. Returns false, doing
/// nothing, for any other connection.
bool drain(net::Connection& conn);

}  // namespace herald::sse
