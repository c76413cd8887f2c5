#pragma once
// A small request router: (method, path pattern) -> route id and handler. Patterns are an exact
// path ("/api/publish") or a prefix ending in '*' ("/static/*" matches "/static/" and every
// path under it). Matching is on the raw (undecoded) path. No templates: a handler receives the
// caller's context as `void*`, or the caller dispatches on the returned route id.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http_codec/parser.h"

namespace herald::http {

class Router {
 public:
  /// Called with the request and the context passed to dispatch().
  using Handler = std::function<void(const Request&, void* ctx)>;
  using RouteId = int;

  /// Registers `pattern` for one method; returns the route's id (0, 1, 2... in order of
  /// registration). `handler` may be empty when the caller dispatches on the id.
  RouteId add(Method method, std::string_view pattern, Handler handler = {});
  /// Registers `pattern` for every method.
  RouteId add_any(std::string_view pattern, Handler handler = {});

  enum class MatchStatus { found, not_found, method_not_allowed };
  struct Match {
    MatchStatus status = MatchStatus::not_found;
    RouteId route = -1;       // when found
    std::string allow;        // when method_not_allowed: the Allow header value, e.g. "GET, HEAD"
    int http_status() const;  // 200, 404 or 405
  };

  /// Finds the route for (method, path). Candidates are tried from the most specific (exact
  /// pattern, then prefixes, longest first), and the first whose method matches wins. A HEAD
  /// request also matches a GET route. If the path matches but no method does: 405 with Allow.
  Match match(Method method, std::string_view path) const;

  /// match() on the request, then calls the route's handler (if it has one) with `ctx`.
  Match dispatch(const Request& req, void* ctx) const;

 private:
  struct Route {
    std::string prefix;  // the pattern without its trailing '*'
    bool is_prefix = false;
    bool any_method = false;
    Method method = Method::get;
    Handler handler;
  };
  RouteId add_route(Route route);

  std::vector<Route> routes_;
  std::vector<RouteId> order_;  // route ids, most specific first
};

}  // namespace herald::http
