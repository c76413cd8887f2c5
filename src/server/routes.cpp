#include "server/routes.h"

#include <optional>
#include <span>
#include <string>

#include "access/credentials.h"
#include "base/time.h"
#include "http/static_files.h"
#include "http_codec/query.h"
#include "http_codec/syntax.h"
#include "server/api.h"
#include "server/metrics_text.h"
#include "server/server.h"
#include "sse/transports.h"
#include "ws/session.h"

namespace herald::server {

enum Routes::Route : int {
  kHealth,
  kMetrics,
  kPublish,
  kBroadcast,
  kHistory,
  kChannels,
  kPresence,
  kDisconnect,
  kWs,
  kWsEcho,
  kSse,
  kPoll,
  kStatic,
  kOptions,
};

namespace {

// Every field of `name` joined with ", " (RFC 9110 5.3): forwarding lists may span several.
std::string joined_header(const http::Request& req, std::string_view name) {
  std::string out;
  for (const http::Header& h : req.headers) {
    if (!http::syntax::iequals(h.name, name)) continue;
    if (!out.empty()) out += ", ";
    out.append(h.value);
  }
  return out;
}

// Where a client's token travels: `Authorization: Bearer` on any request, or `?token=` (an
// EventSource cannot set headers).
std::string_view token_of(const http::Request& req, std::string& storage) {
  std::string_view t;
  if (access::bearer_token(req.header("authorization"), &t)) return t;
  if (req.query.find("token=") == std::string_view::npos) return {};
  auto q = http::QueryParams::parse(req.query);
  if (!q) return {};
  storage = std::string(q->get("token"));
  return storage;
}

}  // namespace

// The query parameters each endpoint reads. Any other name is answered 400: a misspelt one
// (`?cursor=` for `?since=`) would otherwise be ignored and a stream would start from now,
// losing messages without an error. nullopt: not checked (static files, whose URLs may carry
// cache busters; /health and /metrics, which probes call with whatever they add; OPTIONS).
std::optional<std::span<const std::string_view>> Routes::known_params(int route) {
  static constexpr std::string_view kPublishParams[] = {"channel"};  // octet-stream bodies
  static constexpr std::string_view kHistoryParams[] = {"channel", "since", "limit"};
  static constexpr std::string_view kPresenceParams[] = {"channel"};
  static constexpr std::string_view kWsParams[] = {"token"};
  static constexpr std::string_view kSseParams[] = {"channel", "since", "token"};
  static constexpr std::string_view kPollParams[] = {"channel", "since", "wait", "token"};
  switch (route) {
    case kPublish:
      return kPublishParams;
    case kBroadcast:
    case kChannels:
      return std::span<const std::string_view>{};
    case kHistory:
      return kHistoryParams;
    case kPresence:
      return kPresenceParams;
    case kWs:
      return kWsParams;
    case kSse:
      return kSseParams;
    case kPoll:
      return kPollParams;
    default:
      return std::nullopt;
  }
}

Routes::Routes(Server& server, access::Gate& gate) : server_(server), gate_(gate) {
  using M = http::Method;
  // Registration order is the route id (Router numbers routes 0, 1, 2...).
  router_.add(M::get, "/health");
  router_.add(M::get, "/metrics");
  router_.add(M::post, "/api/publish");
  router_.add(M::post, "/api/broadcast");
  router_.add(M::get, "/api/history");
  router_.add(M::get, "/api/channels");
  router_.add(M::get, "/api/presence");
  router_.add(M::post, "/api/disconnect");
  router_.add(M::get, "/ws");
  router_.add(M::get, "/ws/echo");
  router_.add(M::get, "/sse");
  router_.add(M::get, "/poll");
  router_.add(M::get, "/*");
  router_.add(M::options, "/*");
}

void Routes::handle(http::HttpSession& s, http::Request& req) {
  http::Router::Match m = router_.match(req.method, req.path);
  if (m.status == http::Router::MatchStatus::method_not_allowed) {
    const http::Header allow[] = {{"Allow", m.allow}};
    return s.respond_error(405, "method not allowed", allow);
  }
  if (m.status != http::Router::MatchStatus::found) return s.respond_error(404, "not found");
  if (s.context().draining && m.route != kHealth && m.route != kMetrics && m.route != kSse) {
    // SIGTERM: this node is leaving. Every new request is sent elsewhere (the response closes
    // the connection); /health says draining and /metrics still answers. SSE answers in its
    // own terms (an EventSource gives up for good on a 503): sse::handle_sse.
    static const http::Header kRetry[] = {{"Retry-After", "1"}};
    return s.respond_error(503, "draining", kRetry);
  }
  if (auto known = known_params(m.route); known && !req.query.empty()) {
    std::string unknown = http::first_unknown_param(req.query, *known);
    if (!unknown.empty()) {
      std::string message = "unknown parameter: " + unknown;
      for (size_t i = 0; i < known->size(); ++i)
        message += (i ? ", " : " (known: ") + std::string((*known)[i]);
      if (!known->empty()) message += ')';
      return s.respond_error(400, message);
    }
  }
  switch (static_cast<Route>(m.route)) {
    case kHealth:
      return serve_health(s, req);
    case kMetrics:
      return serve_metrics(s, req);
    case kPublish:
    case kBroadcast:
    case kHistory:
    case kChannels:
    case kPresence:
    case kDisconnect:
      return serve_api(static_cast<Route>(m.route), s, req);
    case kWs:
    case kSse:
    case kPoll: {
      access::Client c;
      access::ClientTransport transport = access::ClientTransport::websocket;
      if (m.route == kSse) transport = access::ClientTransport::sse;
      if (m.route == kPoll) {
        auto q = http::QueryParams::parse(req.query);
        std::string_view wait = q ? q->get("wait") : std::string_view();
        transport = !wait.empty() && wait.find_first_not_of('0') != std::string_view::npos
                        ? access::ClientTransport::long_poll
                        : access::ClientTransport::poll;
      }
      access::Outcome refused = access::Outcome::ok;
      if (!identify(s, req, transport, &c, &refused)) return;
      if (m.route == kWs)
        return ws::handle_upgrade(s, req, ws::Endpoint::herald_v1, gate_, c, refused);
      if (m.route == kSse) return sse::handle_sse(s, req, gate_, std::move(c));
      return sse::handle_poll(s, req, gate_, std::move(c));
    }
    case kWsEcho:
      if (!s.context().settings->debug_echo)
        return s.respond_error(404, "not found (start with --debug-echo)");
      return ws::handle_upgrade(s, req, ws::Endpoint::echo, gate_, client_of(s, req));
    case kStatic:
      return serve_static(s, req);
    case kOptions: {
      // CORS preflight for the HTTP transports and the API.
      static const http::Header kCors[] = {
          {"Access-Control-Allow-Origin", "*"},
          {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
          {"Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID"},
          {"Access-Control-Max-Age", "600"},
      };
      return s.respond(204, {}, {}, kCors);
    }
  }
  s.respond_error(404, "not found");
}

access::Client Routes::client_of(http::HttpSession& s, const http::Request& req) {
  access::Client c;
  net::Address peer = s.peer();
  std::optional<net::Address> address;
  if (!gate_.trusted_proxies().contains(peer)) {
    // Forwarding headers count only from a trusted proxy (client_address would answer the
    // same): most requests need not gather them.
    address = peer;
  } else {
    std::string forwarded = joined_header(req, "forwarded");
    std::string xff = joined_header(req, "x-forwarded-for");
    if (s.connection().peer_from_proxy_header && forwarded.empty() && xff.empty()) {
      address = peer;  // named by the proxy's PROXY header: final, even if in the list
    } else {
      address = access::client_address(peer, forwarded, xff, gate_.trusted_proxies());
    }
  }
  if (address) c.address = net::PackedAddress(*address);
  c.loopback = address && address->is_loopback();
  return c;
}

std::string Routes::client_address(http::HttpSession& s, const http::Request& req) {
  return client_of(s, req).address_text();
}

bool Routes::identify(http::HttpSession& s, const http::Request& req,
                      access::ClientTransport transport, access::Client* out,
                      access::Outcome* refused) {
  *out = client_of(s, req);
  out->transport = transport;
  std::string storage;
  std::string_view token = token_of(req, storage);
  if (token.empty()) {
    if (resumed_) {
      HookAnswer answer = std::move(*resumed_);
      resumed_.reset();
      if (answer.outcome == access::Outcome::ok) {
        out->identity = std::move(answer.identity);
        return true;
      }
      if (transport == access::ClientTransport::websocket) {
        *refused = answer.outcome;
        return true;
      }
      const access::Answer& a = access::answer(answer.outcome);
      const http::Header challenge[] = {{"WWW-Authenticate", access::challenge(false)}};
      s.respond_error(a.status, a.message, std::span(challenge, a.challenge ? 1 : 0));
      return false;
    }
    if (!gate_.has_connect_hook()) return true;
    ask_connect_hook(s, req, *out);
    return false;
  }
  access::Outcome o = gate_.authenticate(token, out->address_text(), &out->identity);
  if (o == access::Outcome::ok) return true;
  const access::Answer& a = access::answer(o);
  const http::Header challenge[] = {{"WWW-Authenticate", access::challenge(true)}};
  s.respond_error(a.status, a.message, challenge);
  return false;
}

void Routes::ask_connect_hook(http::HttpSession& s, const http::Request& req,
                              const access::Client& c) {
  std::vector<access::HookHeader> headers;
  for (const std::string& name : s.context().settings->auth_hook_headers) {
    std::string value = joined_header(req, name);
    if (!value.empty()) headers.emplace_back(name, std::move(value));
  }
  std::string address = c.address ? c.address.address().host() : std::string();
  http::HeldRef ref = s.defer();
  gate_.identify(c.transport, address, headers,
                 [this, ref](access::Outcome o, access::IdentityPtr id) {
                   http::HttpSession* session = http::HttpSession::resolve(ref);
                   if (!session) return;  // the client went away meanwhile
                   resumed_ = HookAnswer{o, std::move(id)};
                   session->redispatch(ref);
                   resumed_.reset();
                 });
}

void Routes::serve_api(Route r, http::HttpSession& s, http::Request& req) {
  // Who is asking: the API key (the operator); else a client's own token, within its grants;
  // else, when no key is configured, anyone (the API is open; the default listens on loopback).
  access::Client c = client_of(s, req);
  const base::Settings& settings = *s.context().settings;
  std::string_view authorization = req.header("authorization");
  std::string_view bearer;
  bool had = access::bearer_token(authorization, &bearer);
  if (had && !settings.api_key.empty() && access::secrets_equal(bearer, settings.api_key)) {
    c.identity = access::admin_identity();
  } else if (had && bearer.find('.') != std::string_view::npos) {
    access::Outcome o = gate_.authenticate(bearer, c.address_text(), &c.identity);
    if (o != access::Outcome::ok) {
      const access::Answer& a = access::answer(o);
      const http::Header challenge[] = {{"WWW-Authenticate", access::challenge(true)}};
      return s.respond_error(a.status, a.message, challenge);
    }
  } else if (settings.api_key.empty()) {
    c.identity = access::admin_identity();
  } else {
    const http::Header challenge[] = {{"WWW-Authenticate", access::challenge(had)}};
    return s.respond_error(401, access::answer(access::Outcome::unauthorized).message, challenge);
  }
  switch (r) {
    case kPublish:
      return api::publish(s, req, gate_, c);
    case kBroadcast:
      return api::broadcast(s, req, gate_, c);
    case kHistory:
      return api::history(s, req, gate_, c);
    case kChannels:
      return api::channels(s, req, gate_, c);
    case kPresence:
      return api::presence(s, req, gate_, c);
    case kDisconnect:
      return api::disconnect(s, req, server_, c);
    default:
      return s.respond_error(404, "not found");
  }
}

bool Routes::may_take_over(const http::Request& req) {
  // WebSocket upgrades and SSE streams write to the connection themselves: they wait for the
  // responses to earlier pipelined requests. Both are GETs: a pipelined publish (POST) is
  // admitted without a second route lookup.
  if (req.method != http::Method::get) return false;
  http::Router::Match m = router_.match(req.method, req.path);
  if (m.status != http::Router::MatchStatus::found) return false;
  Route r = static_cast<Route>(m.route);
  return r == kWs || r == kWsEcho || r == kSse;
}

// GET /health is liveness: 200 while the process serves. GET /health?ready is readiness: 503
// while this node cannot do its job (draining, or its engine's backplane is down), so a load
// balancer sends clients elsewhere. With the Redis engine both say the engine's state.
void Routes::serve_health(http::HttpSession& s, const http::Request& req) {
  bool want_ready = false;
  if (auto q = http::QueryParams::parse(req.query); q.ok()) q->get("ready", &want_ready);
  bool draining = s.context().draining;
  bool ready = !draining && server_.engine_ready();
  std::string body = draining ? "{\"status\":\"draining\"" : "{\"status\":\"ok\"";
  if (server_.redis())
    body += server_.engine_ready() ? ",\"engine\":\"redis\",\"ready\":true"
                                   : ",\"engine\":\"redis\",\"ready\":false";
  body += '}';
  s.respond_json(want_ready && !ready ? 503 : 200, body);
}

void Routes::serve_static(http::HttpSession& s, http::Request& req) {
  std::string_view path = req.path;
  if (path == "/admin" || path == "/admin/") path = "/admin.html";
  auto file = http::load_static_file(server_.web_root(), path, http::kMaxStaticFileBytes);
  if (!file.ok()) {
    if (file.error() == base::Errc::bad_request) return s.respond_error(400, "bad path");
    return s.respond_error(404, "not found");
  }
  // no-cache, not a long max-age: pages import /herald.js by that fixed name, so a browser must
  // ask each time whether it changed (a stale client against a newer server is the failure to
  // avoid); the ETag makes that question a 304 without a body.
  const http::Header headers[] = {{"Cache-Control", "no-cache"}, {"ETag", file->etag}};
  if (http::not_modified(req, file->etag)) return s.respond(304, {}, {}, headers);
  s.respond(200, file->content_type, file->content, headers);
}

void Routes::serve_metrics(http::HttpSession& s, const http::Request& req) {
  const base::Settings& settings = *s.context().settings;
  if (!settings.metrics_key.empty()) {
    // A scraper gets a key of its own, so that it need not hold the key that publishes.
    std::string_view bearer;
    bool had = access::bearer_token(req.header("authorization"), &bearer);
    bool ok =
        had && (access::secrets_equal(bearer, settings.metrics_key) ||
                (!settings.api_key.empty() && access::secrets_equal(bearer, settings.api_key)));
    if (!ok) {
      const http::Header challenge[] = {{"WWW-Authenticate", access::challenge(had)}};
      return s.respond_error(401, access::answer(access::Outcome::unauthorized).message, challenge);
    }
  }
  http::HeldRef held = s.hold();
  Server* server = &server_;
  server_.gather([held, server](std::vector<LoopSnapshot> snaps) {
    http::HttpSession* session = http::HttpSession::resolve(held);
    if (!session) return;
    server->hub().gather_counters([held, server, snaps = std::move(snaps)](hub::HubCounters hc) {
      http::HttpSession* session = http::HttpSession::resolve(held);
      if (!session) return;
      std::string text = render_metrics(*server, snaps, hc);
      session->respond(held, 200, "text/plain; version=0.0.4; charset=utf-8", text);
    });
  });
}

}  // namespace herald::server
