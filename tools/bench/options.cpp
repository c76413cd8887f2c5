// Names, URLs and presets.
#include <charconv>
#include <cstdio>

#include "engine.h"

namespace herald::bench {

bool parse_transport(std::string_view s, Transport* t) {
  if (s == "ws")
    *t = Transport::ws;
  else if (s == "sse")
    *t = Transport::sse;
  else if (s == "longpoll")
    *t = Transport::longpoll;
  else if (s == "poll")
    *t = Transport::poll;
  else if (s == "echo")
    *t = Transport::echo;
  else
    return false;
  return true;
}

bool parse_target(std::string_view s, Target* t) {
  if (s == "herald")
    *t = Target::herald;
  else if (s == "nchan")
    *t = Target::nchan;
  else if (s == "ws-echo")
    *t = Target::ws_echo;
  else
    return false;
  return true;
}

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  std::string out = buf;
  while (!out.empty() && out.back() == '0') out.pop_back();
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

base::Result<Endpoint> parse_url(std::string_view url) {
  for (std::string_view scheme : {"http://", "ws://"}) {
    if (url.substr(0, scheme.size()) == scheme) {
      url.remove_prefix(scheme.size());
      break;
    }
  }
  if (url.substr(0, 8) == "https://" || url.substr(0, 6) == "wss://")
    return base::Errc::bad_request;
  Endpoint ep;
  size_t slash = url.find('/');
  std::string_view host = url.substr(0, slash);
  if (slash != std::string_view::npos) ep.path = std::string(url.substr(slash));
  if (ep.path == "/") ep.path.clear();
  std::string hp(host);
  if (hp.find(':') == std::string::npos || hp.back() == ']') hp += ":80";
  auto a = net::Address::parse(hp);
  if (!a) return a.error();
  ep.addr = *a;
  ep.host = std::string(host);
  return ep;
}

bool apply_preset(const std::string& name, BenchOptions& o) {
  if (name.empty()) return true;
  if (name == "chat") {
    // Many rooms, many idle members, a message now and then.
    o.subscribers = 1000;
    o.channels = 100;
    o.rate = 50;
    o.payload = 200;
  } else if (name == "ticker") {
    // Few instruments, a high update rate, small messages.
    o.subscribers = 50;
    o.channels = 5;
    o.rate = 5000;
    o.payload = 64;
    o.publishers = 2;
  } else if (name == "fanout") {
    // One channel, many subscribers.
    o.subscribers = 2000;
    o.channels = 1;
    o.rate = 100;
    o.payload = 100;
  } else {
    return false;
  }
  return true;
}

}  // namespace herald::bench
