#include "http/router.h"

#include <algorithm>

namespace herald::http {
namespace {

constexpr Method kAllMethods[] = {Method::get, Method::head,    Method::post, Method::put,
                                  Method::del, Method::options, Method::patch};

}  // namespace

int Router::Match::http_status() const {
  switch (status) {
    case MatchStatus::found:
      return 200;
    case MatchStatus::not_found:
      return 404;
    case MatchStatus::method_not_allowed:
      return 405;
  }
  return 404;
}

Router::RouteId Router::add(Method method, std::string_view pattern, Handler handler) {
  Route r;
  r.method = method;
  r.is_prefix = !pattern.empty() && pattern.back() == '*';
  r.prefix = std::string(r.is_prefix ? pattern.substr(0, pattern.size() - 1) : pattern);
  r.handler = std::move(handler);
  return add_route(std::move(r));
}

Router::RouteId Router::add_any(std::string_view pattern, Handler handler) {
  RouteId id = add(Method::other, pattern, std::move(handler));
  routes_[static_cast<size_t>(id)].any_method = true;
  return id;
}

Router::RouteId Router::add_route(Route route) {
  auto id = static_cast<RouteId>(routes_.size());
  routes_.push_back(std::move(route));
  order_.push_back(id);
  // Exact patterns before prefixes, longer prefixes before shorter; registration order
  // otherwise (stable sort), so the first registered of two equal patterns wins.
  std::stable_sort(order_.begin(), order_.end(), [this](RouteId a, RouteId b) {
    const Route& ra = routes_[static_cast<size_t>(a)];
    const Route& rb = routes_[static_cast<size_t>(b)];
    if (ra.is_prefix != rb.is_prefix) return !ra.is_prefix;
    return ra.prefix.size() > rb.prefix.size();
  });
  return id;
}

Router::Match Router::match(Method method, std::string_view path) const {
  Match m;
  bool path_matched = false;
  bool allowed[std::size(kAllMethods)] = {};
  bool allow_any = false;
  for (RouteId id : order_) {
    const Route& r = routes_[static_cast<size_t>(id)];
    bool path_ok = r.is_prefix ? path.substr(0, r.prefix.size()) == r.prefix : path == r.prefix;
    if (!path_ok) continue;
    path_matched = true;
    bool method_ok =
        r.any_method || r.method == method || (method == Method::head && r.method == Method::get);
    if (method_ok) {
      m.status = MatchStatus::found;
      m.route = id;
      return m;
    }
    for (size_t i = 0; i < std::size(kAllMethods); ++i) {
      // A GET route also serves HEAD, so both are allowed.
      if (kAllMethods[i] == r.method ||
          (kAllMethods[i] == Method::head && r.method == Method::get)) {
        allowed[i] = true;
      }
    }
    allow_any = allow_any || r.any_method;
  }
  if (!path_matched) return m;
  m.status = MatchStatus::method_not_allowed;
  for (size_t i = 0; i < std::size(kAllMethods); ++i) {
    if (!allowed[i]) continue;
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += method_name(kAllMethods[i]);
  }
  return m;
}

Router::Match Router::dispatch(const Request& req, void* ctx) const {
  Match m = match(req.method, req.path);
  if (m.status == MatchStatus::found) {
    const Handler& h = routes_[static_cast<size_t>(m.route)].handler;
    if (h) h(req, ctx);
  }
  return m;
}

}  // namespace herald::http
