// herald bench advise: the four transports in the lab under the described conditions, and a
// recommendation with the figures behind it.
#include "advise.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>

#include "bench_internal.h"
#include "engine.h"
#include "lab_run.h"
#include "proto/json.h"
#include "report.h"
#include "runner.h"
#include "tools/netlab/condition.h"

namespace herald::bench {

namespace {

double wire_per_delivery(const TransportResult& r) {
  if (!r.delivered) return 0;
  if (r.link.present) {
    const netlab::RelayStats& s = r.link.relay;
    return double(s.to_client.delivered_bytes + s.to_server.delivered_bytes) / double(r.delivered);
  }
  return double(r.sub_bytes_in + r.sub_bytes_out) / double(r.delivered);
}

bool ties(uint64_t a, uint64_t b, uint64_t tie_ns) {
  uint64_t hi = std::max(a, b), lo = std::min(a, b);
  return hi - lo <= tie_ns || double(hi - lo) <= kLatencyTieShare * double(hi);
}

std::string figures(const TransportResult& r) {
  char b[200];
  std::snprintf(b, sizeof b, "p50 %s, p99 %s, %.0f wire B and %.3f requests per delivery",
                format_ns(r.latency_ns.percentile(0.5)).c_str(),
                format_ns(r.latency_ns.percentile(0.99)).c_str(), wire_per_delivery(r),
                costs_of(r).requests_per_msg);
  return b;
}

}  // namespace

bool parse_quantity(const std::string& text, const char* unit, double* value) {
  std::string_view s = text;
  std::string_view u = unit;
  if (s.size() > u.size() && s.substr(s.size() - u.size()) == u) s.remove_suffix(u.size());
  auto r = std::from_chars(s.data(), s.data() + s.size(), *value);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && *value >= 0;
}

uint64_t latency_tie_ns(const RunReport& rep) {
  if (!rep.lab.present || rep.lab.condition.loss_pct <= 0) return kLatencyTieNs;
  double ms = kMinRtoMs + rep.lab.condition.max_rtt_ms();
  return std::max(kLatencyTieNs, uint64_t(ms * 1e6));
}

Advice choose_transport(const RunReport& rep, const AdviseEnv& env) {
  Advice a;
  std::vector<const TransportResult*> usable;
  for (const TransportResult& r : rep.runs) {
    bool streaming = r.transport == "ws" || r.transport == "sse";
    if (env.proxies && streaming) {
      a.ruled_out.push_back(r.transport +
                            ": buffering proxies hold streaming responses and may refuse the "
                            "WebSocket upgrade");
    } else if (r.verdict() != Verdict::ok) {
      a.ruled_out.push_back(r.transport + ": did not deliver every message here (" +
                            std::to_string(r.missing) + " of " + std::to_string(r.expected) +
                            " missing)");
    } else {
      usable.push_back(&r);
    }
  }
  if (usable.empty()) return a;
  // The fastest at p99; among those that tie with it, the cheapest on the wire, then on the
  // server's CPU; WebSocket first among ties when the clients also send.
  const TransportResult* fastest = *std::min_element(
      usable.begin(), usable.end(), [](const TransportResult* x, const TransportResult* y) {
        return x->latency_ns.percentile(0.99) < y->latency_ns.percentile(0.99);
      });
  uint64_t tie = latency_tie_ns(rep);
  std::vector<const TransportResult*> tied;
  for (const TransportResult* r : usable)
    if (ties(r->latency_ns.percentile(0.99), fastest->latency_ns.percentile(0.99), tie))
      tied.push_back(r);
  auto cheaper = [](const TransportResult* x, const TransportResult* y) {
    double wx = wire_per_delivery(*x), wy = wire_per_delivery(*y);
    if (wx != wy) return wx < wy;
    return costs_of(*x).server_cpu_ms_per_1k < costs_of(*y).server_cpu_ms_per_1k;
  };
  const TransportResult* pick = *std::min_element(tied.begin(), tied.end(), cheaper);
  if (env.sends) {
    for (const TransportResult* r : tied)
      if (r->transport == "ws") pick = r;
  }
  a.transport = pick->transport;
  a.reasons.push_back(pick->transport + ": " + figures(*pick) + ".");
  if (tied.size() > 1) {
    std::string others;
    for (const TransportResult* r : tied)
      if (r != pick) others += (others.empty() ? "" : ", ") + r->transport;
    a.reasons.push_back("its p99 ties with " + others + " (within " +
                        std::to_string(int(kLatencyTieShare * 100)) + "% or " + format_ns(tie) +
                        (tie > kLatencyTieNs ? ", one loss recovery" : "") + "); " +
                        (env.sends && pick->transport == "ws"
                             ? "the clients also send, and WebSocket carries both ways on one "
                               "connection"
                             : "it costs the fewest bytes on the wire per delivery") +
                        ".");
  } else {
    a.reasons.push_back("the lowest p99 latency of the transports that delivered everything.");
  }
  if (pick->transport == "sse" && env.browser)
    a.reasons.push_back(
        "browsers reconnect an EventSource by themselves and resume with "
        "Last-Event-ID; mind the 6-connection limit per origin over HTTP/1.1.");
  if (pick->transport == "longpoll" || pick->transport == "poll")
    a.reasons.push_back(
        "every answer is a complete HTTP response, which passes proxies that "
        "buffer or cut streams.");
  for (const TransportResult* r : usable)
    if (r != pick) a.ruled_out.push_back(r->transport + ": " + figures(*r) + ".");
  return a;
}

int run_advise(const AdviseOptions& in) {
  ignore_sigpipe();
  double rtt = 0, jitter = 0, loss = 0, rate = 0, bandwidth = 0;
  if (!parse_quantity(in.rtt, "ms", &rtt) || !parse_quantity(in.jitter, "ms", &jitter) ||
      !parse_quantity(in.loss, "%", &loss) || !parse_quantity(in.rate, "/s", &rate) ||
      (!in.bandwidth.empty() && !parse_quantity(in.bandwidth, "kbps", &bandwidth))) {
    std::fprintf(stderr,
                 "herald bench advise: --rtt 80ms, --jitter 5ms, --loss 1%%, --rate 10/s, "
                 "--bandwidth 2000kbps (units optional)\n");
    return 2;
  }
  if (in.client != "browser" && in.client != "native") {
    std::fprintf(stderr, "herald bench advise: --client is browser or native\n");
    return 2;
  }
  netlab::Condition c{rtt / 2, jitter, loss, bandwidth};
  std::string why;
  if (!netlab::parse_condition(c.to_string(), &why)) {
    std::fprintf(stderr, "herald bench advise: %s\n", why.c_str());
    return 2;
  }
  BenchOptions o;
  o.transports = {"ws", "sse", "longpoll", "poll"};
  o.subscribers = in.subscribers;
  o.channels = in.channels;
  o.payload = in.payload;
  o.rate = rate;
  o.duration = in.duration;
  o.seed = in.seed;
  o.netem = c.to_string();
  o.quiet = in.quiet;
  o.server_binary = in.server_binary;
  o.server_threads = in.server_threads;
  o.history_size = history_size_for(o);
  std::string err = validate(o);
  if (!err.empty()) {
    std::fprintf(stderr, "herald bench advise: %s\n", err.c_str());
    return 2;
  }
  auto lab = LabRun::start(o.seed, own_server(o), &why);
  if (!lab) {
    std::fprintf(stderr, "herald bench advise: %s\n", why.c_str());
    return 2;
  }
  say_lab(o, *lab);
  bool unreachable = false;
  RunReport rep = lab->run(o, "advise", c, &unreachable);
  rep.compare = true;
  rep.server = "spawned in the lab: " + lab->server().desc;
  lab.reset();
  print_table(stdout, rep);
  print_decision_table(stdout, rep);
  Advice a = choose_transport(rep, AdviseEnv{in.client == "browser", in.proxies, in.sends});
  std::printf(
      "\nAdvice for %d %s subscriber(s)%s%s, %s messages/s, round trip %s ms, loss %s%% "
      "each way%s:\n",
      in.subscribers, in.client.c_str(), in.sends ? " that also send" : "",
      in.proxies ? " behind buffering proxies" : "", format_seconds(rate).c_str(),
      format_seconds(rtt).c_str(), format_seconds(loss).c_str(),
      bandwidth > 0 ? (", " + format_seconds(bandwidth) + " kbit/s shared").c_str() : "");
  if (a.transport.empty()) {
    std::printf("  no transport delivered every message under these conditions.\n");
  } else {
    std::printf("  use %s\n", a.transport.c_str());
    for (const std::string& r : a.reasons) std::printf("  - %s\n", r.c_str());
  }
  for (const std::string& r : a.ruled_out) std::printf("  not %s\n", r.c_str());
  std::printf("  (measured here, now: re-run to see the spread; seed %" PRIu64 ")\n", o.seed);
  std::fflush(stdout);
  print_verdict(stderr, rep);
  if (!in.json_path.empty()) {
    std::string j = to_json(rep);
    while (!j.empty() && j.back() == '\n') j.pop_back();
    j.pop_back();  // the closing brace: the advice joins the report
    j += ",\"advice\":{\"transport\":";
    proto::append_json_string(j, a.transport);
    j += ",\"reasons\":[";
    for (size_t i = 0; i < a.reasons.size(); ++i) {
      if (i) j += ',';
      proto::append_json_string(j, a.reasons[i]);
    }
    j += "],\"ruled_out\":[";
    for (size_t i = 0; i < a.ruled_out.size(); ++i) {
      if (i) j += ',';
      proto::append_json_string(j, a.ruled_out[i]);
    }
    j += "]}}\n";
    if (!write_file(in.json_path, j)) return 2;
  }
  if (unreachable) return 2;
  return a.transport.empty() ? 1 : 0;
}

}  // namespace herald::bench
