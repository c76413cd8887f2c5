#pragma once
// The HTTP API (SPEC §3): POST /api/publish, POST /api/broadcast, GET /api/history,
// GET /api/channels, GET /api/presence. Behind `Authorization: Bearer <api_key>` when a key is
// configured. Answers are JSON; errors are {"error":{"code":N,"message":"..."}}.
#include "http/parser.h"
#include "http/session.h"

namespace herald::server::api {

/// True when the request may use the API (no key configured, or the right bearer token);
/// otherwise answers 401 and returns false.
bool authorize(http::HttpSession& session, const http::Request& req);

void publish(http::HttpSession& session, http::Request& req);
void broadcast(http::HttpSession& session, http::Request& req);
void history(http::HttpSession& session, http::Request& req);
void channels(http::HttpSession& session, http::Request& req);
void presence(http::HttpSession& session, http::Request& req);

}  // namespace herald::server::api
