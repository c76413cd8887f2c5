#pragma once
// The request router of one worker: maps (method, path) to the endpoint that answers it
// (docs/protocol.md): /health, /metrics, /api/*, /ws, /ws/echo, /sse, /poll and the static web/
// files.
#include <optional>
#include <span>
#include <string_view>

#include "access/gate.h"
#include "http/router.h"
#include "http/session.h"

namespace herald::server {

class Server;

class Routes final : public http::RequestHandler {
 public:
  Routes(Server& server, access::Gate& gate);
  void handle(http::HttpSession& session, http::Request& req) override;
  bool may_take_over(const http::Request& req) override;
  /// The real client address (client_of: trusted proxies, PROXY protocol), for the access log.
  std::string client_address(http::HttpSession& session, const http::Request& req) override;

 private:
  enum Route : int;
  /// The query parameters route `route` reads (others are answered 400), or nullopt when the
  /// route does not check them.
  static std::optional<std::span<const std::string_view>> known_params(int route);
  void serve_static(http::HttpSession& session, http::Request& req);
  /// GET /metrics; behind server.metrics_key (or the API key) when one is set.
  void serve_metrics(http::HttpSession& session, const http::Request& req);
  void serve_health(http::HttpSession& session, const http::Request& req);
  /// The /api/* endpoints, for the API key's identity (401 without it when a key is set).
  void serve_api(Route r, http::HttpSession& session, http::Request& req);
  /// What the access layer knows of a client from its connection alone (anonymous).
  access::Client client_of(http::HttpSession& session, const http::Request& req);
  /// Who a client of /ws, /sse or /poll is: its token verified; without one, the connect
  /// hook's answer when auth.connect_url is set, else anonymous. false when the request is
  /// answered (a refused token: 401; a refusing hook on SSE or poll: 401 or 503) or set aside
  /// until the hook answers (ask_connect_hook). A WebSocket upgrade the hook refused returns
  /// true with `*refused` set: the upgrade completes and the session closes at once with the
  /// outcome's close code, since a browser sees no HTTP status of a failed upgrade (only 1006).
  bool identify(http::HttpSession& session, const http::Request& req,
                access::ClientTransport transport, access::Client* out, access::Outcome* refused);
  /// Sets the request aside (HttpSession::defer) and asks the connect hook; its answer is
  /// dispatched again with the request (resumed_), so every transport then serves or refuses it
  /// as usual.
  void ask_connect_hook(http::HttpSession& session, const http::Request& req,
                        const access::Client& c);

  Server& server_;
  access::Gate& gate_;
  http::Router router_;
  // The connect hook's answer for the request being dispatched again (set only during
  // HttpSession::redispatch).
  struct HookAnswer {
    access::Outcome outcome;
    access::IdentityPtr identity;  // when outcome is ok
  };
  std::optional<HookAnswer> resumed_;
};

}  // namespace herald::server
