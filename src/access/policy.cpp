#include "access/policy.h"

#include "jwt/grants.h"

namespace herald::access {

bool user_list(std::string_view channel, std::string_view* users) {
  size_t hash = channel.find('#');
  if (hash == std::string_view::npos) return false;
  *users = channel.substr(hash + 1);
  return true;
}

bool lists_user(std::string_view channel, std::string_view user) {
  std::string_view users;
  if (user.empty() || !user_list(channel, &users)) return false;
  while (true) {
    size_t comma = users.find(',');
    if (users.substr(0, comma) == user) return true;
    if (comma == std::string_view::npos) return false;
    users.remove_prefix(comma + 1);
  }
}

namespace {

bool may_subscribe(const base::NamespaceSettings& ns, const Requester& r,
                   std::string_view channel) {
  const Identity* id = r.identity;
  if (id && id->admin()) return true;
  if (id && jwt::any_grant_matches(id->channels, channel)) return true;
  std::string_view users;
  if (user_list(channel, &users)) {
    // Only the users it names, whatever the namespace allows others.
    return id && lists_user(channel, id->user);
  }
  if (id && id->authenticated() && ns.authenticated) return true;
  return ns.allows_anonymous(r.loopback);
}

}  // namespace

Outcome decide(const base::NamespaceSettings& ns, const Requester& r, Action a,
               std::string_view channel) {
  const Identity* id = r.identity;
  bool admin = id && id->admin();
  switch (a) {
    case Action::subscribe:
      return may_subscribe(ns, r, channel) ? Outcome::ok : Outcome::forbidden;
    case Action::publish:
      // A publish datagram's source address is only as good as the lease that validated it,
      // so UDP publishing is a namespace's explicit choice, whoever the client is.
      if (r.udp && !ns.udp_publish) return Outcome::forbidden;
      if (admin || (id && jwt::any_grant_matches(id->publish, channel))) return Outcome::ok;
      return ns.publish && may_subscribe(ns, r, channel) ? Outcome::ok : Outcome::forbidden;
    case Action::history:
      if (!admin && !(ns.history && may_subscribe(ns, r, channel))) return Outcome::forbidden;
      return ns.history_size == 0 || ns.history_ttl_sec == 0 ? Outcome::not_available : Outcome::ok;
    case Action::presence:
      // The operator sees presence whatever the namespace lets clients see.
      if (admin) return Outcome::ok;
      if (!may_subscribe(ns, r, channel)) return Outcome::forbidden;
      return ns.presence ? Outcome::ok : Outcome::not_available;
  }
  return Outcome::forbidden;
}

}  // namespace herald::access
