#include "ws/session.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ws/session_base.h"
#include "ws/session_herald.h"
#include "ws_codec/extension.h"
#include "ws_codec/handshake.h"

namespace herald::ws {

namespace {

// Every occurrence of a header joined with ", " (RFC 9110 §5.3), as accept_upgrade expects.
std::string joined_header(const http::Request& req, std::string_view name) {
  std::string out;
  for (const http::Header& h : req.headers) {
    if (h.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) same = (h.name[i] | 0x20) == (name[i] | 0x20);
    if (!same) continue;
    if (!out.empty()) out += ", ";
    out.append(h.value);
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The Origin allow-list protects browsers (cross-site WebSocket hijacking). Only browsers send
// Origin, so a request without one (a server-side client) is let through; "*" allows any.
bool origin_allowed(const base::Settings& s, std::string_view origin) {
  if (s.allowed_origins.empty() || origin.empty()) return true;
  for (const std::string& allowed : s.allowed_origins) {
    if (allowed == "*") return true;
    if (allowed.size() != origin.size()) continue;
    bool same = true;
    for (size_t i = 0; i < origin.size() && same; ++i)
      same = (allowed[i] | 0x20) == (origin[i] | 0x20);
    if (same) return true;
  }
  return false;
}

}  // namespace

void handle_upgrade(http::HttpSession& session, http::Request& req, Endpoint endpoint,
                    access::Gate& gate, access::Client client, access::Outcome refused) {
  http::Context& ctx = session.context();
  const base::Settings& s = *ctx.settings;
  if (endpoint == Endpoint::echo && !s.debug_echo) {
    session.respond_error(404, "not found");
    return;
  }
  if (ctx.draining) {
    session.close_after_response();
    session.respond_error(503, "server is shutting down");
    return;
  }
  if (req.method == http::Method::head) {
    // HEAD never upgrades (RFC 6455 needs GET): it gets the head a GET without Upgrade would
    // get, and the connection goes on with the next request.
    const http::Header h[] = {{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}};
    session.respond(426, "text/plain; charset=utf-8", "WebSocket upgrade required\n", h);
    return;
  }
  std::string connection = joined_header(req, "connection");
  std::string upgrade = joined_header(req, "upgrade");
  std::string protocols = joined_header(req, "sec-websocket-protocol");
  std::string origin = joined_header(req, "origin");
  UpgradeRequest up;
  up.method = req.method_text;
  up.version = req.version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
  up.upgrade = upgrade;
  up.connection = connection;
  up.key = req.header("sec-websocket-key");
  up.ws_version = req.header("sec-websocket-version");
  up.protocols = protocols;
  up.origin = origin;

  // /ws speaks herald.v1 only (a client that offers nothing gets it too); the echo endpoint
  // accepts whatever the client offers first, or none.
  std::vector<std::string_view> supported;
  if (endpoint == Endpoint::herald_v1) {
    supported.push_back(kHeraldProtocol);
  } else if (!protocols.empty()) {
    std::string_view list = protocols;
    supported.push_back(trim(list.substr(0, list.find(','))));
  }
  // permessage-deflate (RFC 7692): a malformed header fails the handshake, but only once the
  // request is otherwise a valid upgrade (its own errors, 405/426, say more).
  NegotiationResult ext;
  if (s.ws_compression)
    ext = negotiate_permessage_deflate(joined_header(req, "sec-websocket-extensions"));
  HandshakeResult hs = accept_upgrade(up, supported, ext.response_header);
  if (hs.ok() && ext.outcome == NegotiationResult::malformed) {
    hs.status = 400;
    hs.error = ext.error;
  }
  if (!hs.ok()) {
    session.close_after_response();
    std::string body(hs.error.empty() ? "bad upgrade request" : hs.error);
    body += '\n';
    if (hs.status == 426) {
      const http::Header h[] = {{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}};
      session.respond(hs.status, "text/plain; charset=utf-8", body, h);
    } else if (hs.status == 405) {
      const http::Header h[] = {{"Allow", "GET"}};
      session.respond(hs.status, "text/plain; charset=utf-8", body, h);
    } else {
      session.respond(hs.status, "text/plain; charset=utf-8", body);
    }
    return;
  }
  if (!origin_allowed(s, trim(origin))) {
    session.close_after_response();
    session.respond_error(403, "origin not allowed");
    return;
  }

  if (endpoint == Endpoint::herald_v1 && !gate.admit_user(client.identity.get())) {
    // Over limits.max_connections_per_user: refused before the handshake completes.
    session.close_after_response();
    const access::Answer& a = access::answer(access::Outcome::limit_reached);
    session.respond_error(a.status, a.message);
    return;
  }
  net::Connection& conn = session.connection();
  conn.send(hs.response);
  if (endpoint == Endpoint::herald_v1) {
    auto herald = std::make_unique<HeraldSession>(ctx, gate, conn, std::move(client), ext.params);
    HeraldSession* opened = herald.get();
    session.take_over(std::move(herald), 101, hs.response.size());
    // Refused by the connect hook: open, then close with the outcome's code (4500, or 4002
    // when the backend failed), which a browser can read and an HTTP status it cannot.
    if (refused != access::Outcome::ok) opened->disconnect(refused);
  } else {
    session.take_over(std::make_unique<EchoSession>(ctx, conn, ext.params), 101,
                      hs.response.size());
  }
}

bool drain(net::Connection& conn) {
  auto* ws = dynamic_cast<WsSessionBase*>(conn.handler());
  if (!ws) return false;
  ws->close_with(app_close::kShutdown, "shutdown");
  return true;
}

}  // namespace herald::ws
