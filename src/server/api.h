#pragma once
// The HTTP API: POST /api/publish, POST /api/broadcast, GET /api/history,
// GET /api/channels, GET /api/presence, POST /api/disconnect. Behind `Authorization: Bearer
// <api_key>` when a key is configured. Answers are JSON; errors are
// {"error":{"code":N,"message":"..."}}.
#include "access/gate.h"
#include "http/session.h"
#include "http_codec/parser.h"

namespace herald::server {
class Server;
}

namespace herald::server::api {

/// Every API endpoint answers for `client` (the API key's identity, or a client's own) and
/// reaches the hub through `gate`, whose refusals it answers from access::answer().
void publish(http::HttpSession& session, http::Request& req, access::Gate& gate,
             access::Client& client);
void broadcast(http::HttpSession& session, http::Request& req, access::Gate& gate,
               access::Client& client);
void history(http::HttpSession& session, http::Request& req, access::Gate& gate,
             access::Client& client);
void channels(http::HttpSession& session, http::Request& req, access::Gate& gate,
              access::Client& client);
void presence(http::HttpSession& session, http::Request& req, access::Gate& gate,
              access::Client& client);
/// Ends the WebSocket and SSE connections of a user (or one client id) on every loop: the
/// operator (API key) only. Answers {"disconnected":N}.
void disconnect(http::HttpSession& session, http::Request& req, Server& server,
                access::Client& client);

}  // namespace herald::server::api
