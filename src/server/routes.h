#pragma once
// The request router of one worker: maps (method, path) to the endpoint that answers it
// (SPEC §3): /health, /metrics, /api/*, /ws, /ws/echo, /sse, /poll and the static web/ files.
#include "http/router.h"
#include "http/session.h"

namespace herald::server {

class Server;

class Routes final : public http::RequestHandler {
 public:
  explicit Routes(Server& server);
  void handle(http::HttpSession& session, http::Request& req) override;
  bool may_take_over(const http::Request& req) override;

 private:
  enum Route : int;
  void serve_static(http::HttpSession& session, http::Request& req);
  void serve_metrics(http::HttpSession& session);
  void serve_health(http::HttpSession& session);

  Server& server_;
  http::Router router_;
};

}  // namespace herald::server
