// run_compare: the same workload over ws, sse, longpoll, poll and udp against a --url server or a
// server of our own; with --netem or a network preset, in the lab, once per condition.
#include <algorithm>
#include <cstdio>

#include "bench.h"
#include "bench_internal.h"
#include "lab_run.h"
#include "report.h"
#include "runner.h"
#include "tools/netlab/condition.h"

namespace herald::bench {

namespace {

// The conditions a compare runs in the lab: a network preset's, or the one of --netem.
std::vector<netlab::NamedCondition> lab_conditions(const CompareOptions& c) {
  if (const netlab::NetPreset* p = netlab::find_net_preset(c.preset)) return p->conditions;
  if (c.netem.empty()) return {};
  return {{"", *netlab::parse_condition(c.netem)}};
}

int run_matrix(const CompareOptions& c, BenchOptions o,
               const std::vector<netlab::NamedCondition>& conditions) {
  // One server for every condition, with history enough for the longest round trip's polls.
  if (c.history_size > 0) {
    o.history_size = c.history_size;
  } else {
    for (const auto& nc : conditions) {
      BenchOptions probe = o;
      probe.netem = nc.condition.to_string();
      o.history_size = std::max(o.history_size, history_size_for(probe));
    }
  }
  std::string why;
  auto lab = LabRun::start(o.seed, own_server(o), &why);
  if (!lab) {
    std::fprintf(stderr, "herald bench compare: %s\n", why.c_str());
    return 2;
  }
  say_lab(o, *lab);
  std::vector<RunReport> reports;
  bool unreachable = false;
  for (const auto& nc : conditions) {
    if (!o.quiet && !nc.name.empty())
      std::fprintf(stderr, "bench lab: condition %s (%s)\n", nc.name.c_str(),
                   nc.condition.to_string().c_str());
    RunReport rep = lab->run(o, nc.name, nc.condition, &unreachable);
    rep.compare = true;
    rep.server = "spawned in the lab: " + lab->server().desc;
    reports.push_back(std::move(rep));
    if (unreachable) break;
  }
  lab.reset();
  int rc = 0;
  if (reports.size() == 1 && reports[0].lab.name.empty()) {
    rc = finish(reports[0], c.json_path, c.svg_path, true, true);
  } else {
    for (const RunReport& rep : reports) {
      std::printf("\n=== condition %s: %s ===\n", rep.lab.name.c_str(),
                  rep.lab.condition.to_string().c_str());
      print_table(stdout, rep);
      print_decision_table(stdout, rep);
    }
    print_matrix_table(stdout, reports);
    std::fflush(stdout);
    for (const RunReport& rep : reports) {
      print_verdict(stderr, rep);
      rc = std::max(rc, exit_code(rep, true));
    }
    if (!c.json_path.empty() && !write_file(c.json_path, to_json_matrix(c.preset, reports))) rc = 2;
    if (!c.svg_path.empty() && !write_file(c.svg_path, to_svg_matrix(c.preset, reports))) rc = 2;
  }
  if (unreachable) {
    report_unreachable(reports.back(), reports.back().options.url);
    return 2;
  }
  return rc;
}

void list_presets() {
  std::printf("workload presets (loopback): chat, ticker, fanout\n");
  std::printf("network presets (the lab; delay, jitter and loss apply each way):\n");
  for (const netlab::NetPreset& p : netlab::net_presets()) {
    std::printf("%s: %s\n", p.name.c_str(), p.about.c_str());
    for (const netlab::NamedCondition& nc : p.conditions)
      std::printf("  %-10s %s\n", nc.name.c_str(), nc.condition.to_string().c_str());
  }
}

}  // namespace

int run_compare(const CompareOptions& c) {
  ignore_sigpipe();
  if (c.list_presets) {
    list_presets();
    return 0;
  }
  BenchOptions o;
  o.rate = kDefaultCompareRate;
  if (!c.preset.empty() && !apply_preset(c.preset, o)) {
    std::fprintf(stderr, "herald bench compare: unknown preset %s\n", c.preset.c_str());
    return 2;
  }
  bool net_preset = netlab::find_net_preset(c.preset) != nullptr;
  if (net_preset && !c.netem.empty()) {
    std::fprintf(stderr,
                 "herald bench compare: --preset %s brings its own conditions: leave "
                 "out --netem\n",
                 c.preset.c_str());
    return 2;
  }
  bool lab = net_preset || !c.netem.empty();
  if (lab && !c.url.empty()) {
    std::fprintf(stderr,
                 "herald bench compare: the lab starts its own server in a namespace of "
                 "its own: leave out --url\n");
    return 2;
  }
  o.preset = c.preset;
  o.target = c.target;
  o.api_key = c.api_key;
  o.token = c.token;
  // UDP datagrams ride on herald's plain listener: not with Nchan, not to an https:// URL.
  o.transports = {"ws", "sse", "longpoll", "poll", "udp"};
  if (c.url.starts_with("https://") || c.url.starts_with("wss://")) o.transports.pop_back();
  if (c.target == "nchan") o.transports = {"ws", "sse", "longpoll"};
  o.duration = c.duration;
  if (c.subscribers > 0) o.subscribers = c.subscribers;
  if (c.rate >= 0) o.rate = c.rate;
  if (c.payload > 0) o.payload = c.payload;
  if (c.channels > 0) o.channels = c.channels;
  o.poll_interval = c.poll_interval;
  o.longpoll_wait = c.longpoll_wait;
  o.threads = c.threads;
  o.server_pid = c.server_pid;
  o.quiet = c.quiet;
  o.seed = c.seed;
  o.netem = c.netem;
  o.server_binary = c.server_binary;
  o.server_threads = c.server_threads;
  std::string err = validate(o);
  if (!err.empty()) {
    std::fprintf(stderr, "herald bench compare: %s\n", err.c_str());
    return 2;
  }
  if (lab) return run_matrix(c, o, lab_conditions(c));

  SpawnedServer server;
  if (c.url.empty()) {
    if (c.target != "herald") {
      std::fprintf(stderr, "herald bench compare: --url is required for --target %s\n",
                   c.target.c_str());
      return 2;
    }
    // Enough history that a short poll a little late is still recoverable: with the default
    // 100, ticker's 1,000 messages per channel per poll came back recovered:false every time.
    o.history_size = c.history_size > 0 ? c.history_size : history_size_for(o);
    server = spawn_server(own_server(o));
    if (server.pid <= 0) {
      std::fprintf(stderr, "herald bench compare: could not start %s serve\n",
                   c.server_binary.c_str());
      return 2;
    }
    o.url = server.url;
    o.server_pid = server.pid;
  } else {
    o.url = c.url;
    o.history_size = c.history_size;
    if (!reachable(o, "herald bench compare")) return 2;
  }
  bool unreachable = false;
  RunReport rep = run_all(o, &unreachable);
  rep.compare = true;
  rep.server = c.url.empty() ? "spawned: " + server.desc : c.url;
  stop_server(server.pid);
  int rc = finish(rep, c.json_path, c.svg_path, true, true);
  if (unreachable) {
    report_unreachable(rep, o.url);
    return 2;
  }
  return rc;
}

}  // namespace herald::bench
