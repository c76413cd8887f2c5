// run_bench: option checks, a server of our own when asked (--serve, or in the lab with
// --netem), the runs and the reports.
#include "bench.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>

#include "base/limits.h"
#include "bench_internal.h"
#include "engine.h"
#include "lab_run.h"
#include "probe.h"
#include "report.h"
#include "runner.h"
#include "server_proc.h"

namespace herald::bench {

void ignore_sigpipe() {
  // A server that goes away turns our writes into EPIPE: without this, SIGPIPE would kill the
  // bench silently instead of letting it report the lost server.
  ::signal(SIGPIPE, SIG_IGN);
}

int finish(const RunReport& rep, const std::string& json, const std::string& svg, bool decision,
           bool limits_ok) {
  print_table(stdout, rep);
  if (decision) print_decision_table(stdout, rep);
  std::fflush(stdout);
  print_verdict(stderr, rep);
  if (!json.empty() && !write_file(json, to_json(rep))) return 2;
  if (!svg.empty() && !write_file(svg, to_svg(rep))) return 2;
  return exit_code(rep, limits_ok);
}

void report_unreachable(const RunReport& rep, const std::string& url) {
  for (const auto& r : rep.runs) {
    if (r.server_gone) {
      std::fprintf(stderr,
                   "herald bench: the server at %s went away during the %s run (connection "
                   "refused); the figures above are partial\n",
                   url.c_str(), r.transport.c_str());
      return;
    }
  }
  if (rep.runs.size() > 1) {
    std::fprintf(stderr, "herald bench: the server at %s went away before the %s run\n",
                 url.c_str(), rep.runs.back().transport.c_str());
    return;
  }
  std::fprintf(stderr, "herald bench: the server at %s could not be used\n", url.c_str());
}

bool reachable(const BenchOptions& o, const char* command) {
  int connect_ms = int(std::max(1.0, o.connect_timeout) * 1000);
  for (const std::string& url : {o.url, o.publish_url}) {
    if (url.empty()) continue;
    std::string why = unusable_server(*parse_url(url), connect_ms);
    if (why.empty()) continue;
    std::fprintf(stderr, "%s: %s: %s\n", command, url.c_str(), why.c_str());
    return false;
  }
  return true;
}

ServerSpec own_server(const BenchOptions& o) {
  ServerSpec spec;
  spec.binary = o.server_binary;
  spec.threads = o.server_threads;
  spec.history_size = o.history_size;
  return spec;
}

void say_lab(const BenchOptions& o, const LabRun& lab) {
  if (o.quiet) return;
  const netlab::Calibration& cal = lab.calibration();
  std::fprintf(stderr,
               "bench lab: server pid %d at %s in its namespace; clients behind the relay; the "
               "relay adds %s per round trip at p50 with nothing to impair\n",
               int(lab.server().pid), lab.server().url.c_str(),
               format_ns(uint64_t(std::max<int64_t>(0, cal.added_ns(0.5)))).c_str());
}

int run_bench(const BenchOptions& opts) {
  ignore_sigpipe();
  BenchOptions o = opts;
  if (netlab::find_net_preset(o.preset)) {
    std::fprintf(stderr,
                 "herald bench: --preset %s is a set of network conditions: run them with `herald "
                 "bench compare --preset %s`, or one condition with --netem\n",
                 o.preset.c_str(), o.preset.c_str());
    return 2;
  }
  std::string err = validate(o);
  if (!err.empty()) {
    std::fprintf(stderr, "herald bench: %s\n", err.c_str());
    return 2;
  }
  // A server of our own is started with enough history for the short polls of this run.
  bool own = o.serve || !o.netem.empty();
  if (own && o.history_size <= 0) o.history_size = history_size_for(o);
  bool unreachable = false;
  RunReport rep;
  if (!o.netem.empty()) {
    std::string why;
    auto lab = LabRun::start(o.seed, own_server(o), &why);
    if (!lab) {
      std::fprintf(stderr, "herald bench: %s\n", why.c_str());
      return 2;
    }
    say_lab(o, *lab);
    rep = lab->run(o, "", *netlab::parse_condition(o.netem), &unreachable);
    rep.server = "spawned in the lab: " + lab->server().desc;
  } else if (o.serve) {
    SpawnedServer s = spawn_server(own_server(o));
    if (s.pid <= 0) {
      std::fprintf(stderr, "herald bench: could not start %s serve\n", o.server_binary.c_str());
      return 2;
    }
    o.url = s.url;
    o.server_pid = s.pid;
    rep = run_all(o, &unreachable);
    rep.server = "spawned: " + s.desc;
    stop_server(s.pid);
  } else {
    if (!reachable(o, "herald bench")) return 2;
    rep = run_all(o, &unreachable);
  }
  int rc = finish(rep, o.json_path, o.svg_path, false, false);
  if (unreachable) {
    report_unreachable(rep, rep.options.url);
    return 2;
  }
  return rc;
}

}  // namespace herald::bench
