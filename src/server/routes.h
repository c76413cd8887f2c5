#pragma once
// The request router of one worker: maps (method, path) to the endpoint that answers it
// (SPEC §3): /health, /metrics, /api/*, /ws, /ws/echo, /sse, /poll and the static web/ files.
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

 private:
  enum Route : int;
  void serve_static(http::HttpSession& session, http::Request& req);
  void serve_metrics(http::HttpSession& session);
  void serve_health(http::HttpSession& session, const http::Request& req);
  /// The /api/* endpoints, for the API key's identity (401 without it when a key is set).
  void serve_api(Route r, http::HttpSession& session, http::Request& req);
  /// What the access layer knows of a client from its connection alone (anonymous).
  access::Client client_of(http::HttpSession& session, const http::Request& req);
  /// Who a client of /ws, /sse or /poll is: its token verified, or anonymous without one.
  /// false when the token is refused (answered 401).
  bool identify(http::HttpSession& session, const http::Request& req, access::Client* out);

  Server& server_;
  access::Gate& gate_;
  http::Router router_;
};

}  // namespace herald::server
