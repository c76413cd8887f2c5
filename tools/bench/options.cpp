// Names, URLs, presets and the short-poll arithmetic.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "base/limits.h"
#include "engine.h"
#include "tools/netlab/condition.h"

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
  else if (s == "udp")
    *t = Transport::udp;
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
  Endpoint ep;
  for (std::string_view scheme : {"http://", "ws://", "https://", "wss://"}) {
    if (url.substr(0, scheme.size()) == scheme) {
      url.remove_prefix(scheme.size());
      ep.tls = scheme == "https://" || scheme == "wss://";
      break;
    }
  }
  size_t slash = url.find('/');
  std::string_view host = url.substr(0, slash);
  if (slash != std::string_view::npos) ep.path = std::string(url.substr(slash));
  if (ep.path == "/") ep.path.clear();
  std::string hp(host);
  if (hp.find(':') == std::string::npos || hp.back() == ']') hp += ep.tls ? ":443" : ":80";
  auto a = net::Address::parse(hp);
  if (!a) return a.error();
  ep.addr = *a;
  ep.host = std::string(host);
  // The name without the port (and without an IPv6 literal's brackets).
  std::string_view name = std::string_view(hp).substr(0, hp.rfind(':'));
  if (name.size() >= 2 && name.front() == '[') name = name.substr(1, name.size() - 2);
  ep.name = std::string(name);
  return ep;
}

namespace {
// The server's upper bound for channel.history_size (its config key's max).
constexpr int kMaxHistorySize = 1'000'000;
}  // namespace

double link_rtt_s(const BenchOptions& o) {
  if (o.netem.empty()) return 0;
  auto c = netlab::parse_condition(o.netem);
  return c ? c->max_rtt_ms() / 1000 : 0;
}

double messages_per_poll(const BenchOptions& o) {
  if (o.rate <= 0) return 0;
  double interval = o.poll_interval > 0 ? o.poll_interval : kMaxAutoPollInterval;
  return o.rate / double(std::max(1, o.channels)) * (interval + link_rtt_s(o));
}

int history_size_for(const BenchOptions& o) {
  double want = std::ceil(2 * messages_per_poll(o));
  if (want > kMaxHistorySize) return kMaxHistorySize;
  return std::max(int(base::limits::kDefaultHistorySize), int(want));
}

double auto_poll_interval(const BenchOptions& o) {
  if (o.rate <= 0) return kMaxAutoPollInterval;
  double history =
      double(o.history_size > 0 ? size_t(o.history_size) : base::limits::kDefaultHistorySize);
  double per_channel = o.rate / double(std::max(1, o.channels));
  // Half the history per answer leaves room for polls that come late under load.
  double fits = history / 2 / per_channel - link_rtt_s(o);
  // Rounded down to 10 ms, so the report shows the interval that was used.
  fits = std::floor(fits * 100) / 100;
  return std::clamp(fits, kMinAutoPollInterval, kMaxAutoPollInterval);
}

void resolve_poll_interval(BenchOptions& o) {
  if (o.poll_interval > 0) return;
  o.poll_interval = auto_poll_interval(o);
  o.poll_interval_auto = true;
}

bool apply_preset(const std::string& name, BenchOptions& o) {
  if (name.empty()) return true;
  if (netlab::find_net_preset(name)) {
    // A network preset's link is shared by every client of the run: a few subscribers at a
    // rate the tightest of its conditions can carry on the push transports.
    o.subscribers = 10;
    o.channels = 1;
    o.rate = 50;
    o.payload = 100;
    if (name == "mobile") o.subscribers = 5, o.rate = 10;
    if (name == "satellite") o.rate = 20;
    if (name == "bandwidth") o.rate = 100;
    return true;
  }
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
