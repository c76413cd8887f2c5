#!/usr/bin/python3
"""Medians and spreads over repeated bench runs (used by bench/*/run.sh).

  summarize.py floor OUT.json RUN1.json RUN2.json ...
      Merge repeated floor runs: per batch size, median and min..max of messages per
      CPU-second, messages per wall-second and syscalls per message. Prints a markdown
      table and writes OUT.json (machine, per-run raw results, medians).

  summarize.py http OUT.json MACHINE.json SERVERS.tsv RUNS.tsv CLK_TCK [key=value...]
      Parse the wrk outputs named in RUNS.tsv (variant, server, rep, server CPU ticks,
      wall start, wall end, wrk output file, wrk command), and report per variant and
      server the median and min..max of requests per wall-second and per server
      CPU-second, server and wrk CPU use, latency p50/p99, and herald/nginx ratios.
"""
import json
import re
import statistics
import sys


def med_spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None, "runs": []}
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def fmt_rate(v):
    if v is None:
        return "n/a"
    return f"{v / 1e6:.2f}M" if v >= 1e6 else f"{v / 1e3:.0f}k"


def floor(out_path, machine_path, run_paths):
    runs = [json.load(open(p)) for p in run_paths]
    with open(machine_path) as f:
        machine = json.load(f)
    first = runs[0]
    by_batch = {}
    for run in runs:
        for r in run["results"]:
            by_batch.setdefault((r["call"], r["batch"]), []).append(r)
    summary = []
    print(f"Raw floor: {first['pairs']} loopback TCP pairs, {first['msg_size']}-byte messages, "
          f"{first['messages_per_socket']} per socket per batch size, {len(runs)} runs "
          f"(median, min..max).")
    print()
    print("| call | batch | msgs per writer CPU-s | msgs per wall-s | syscalls/msg | sys share of CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    for (call, batch), rs in by_batch.items():
        # A run too short to time (floor reports null) is left out of the median.
        cpu = med_spread([r["msgs_per_cpu_s"] for r in rs])
        wall = med_spread([r["msgs_per_wall_s"] for r in rs])
        sysc = med_spread([r["syscalls_per_msg"] for r in rs])
        sys_share = statistics.median([r["sys_s"] / r["cpu_s"] if r["cpu_s"] else 0 for r in rs])
        summary.append({"call": call, "batch": batch, "msgs_per_cpu_s": cpu,
                        "msgs_per_wall_s": wall, "syscalls_per_msg": sysc,
                        "sys_share_median": sys_share,
                        "all_complete": all(r["complete"] for r in rs)})
        print(f"| {call} | {batch} | {fmt_rate(cpu['median'])} ({fmt_rate(cpu['min'])}..{fmt_rate(cpu['max'])}) "
              f"| {fmt_rate(wall['median'])} ({fmt_rate(wall['min'])}..{fmt_rate(wall['max'])}) "
              f"| {sysc['median']:.4f} | {sys_share * 100:.0f}% |")
    json.dump({"benchmark": "floor", "machine": machine, "runs": runs, "summary": summary},
              open(out_path, "w"), indent=1)


_UNITS_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6}


def _latency_us(text):
    m = re.match(r"([0-9.]+)(us|ms|s|m)$", text)
    if not m:
        return None
    value = float(m.group(1)) * _UNITS_US[m.group(2)]
    # wrk 4.1 prints "0.00us" for a percentile its histogram lost (seen at ~16M
    # pipelined requests per run): that is no measurement, not a zero latency.
    return value if value > 0 else None


def parse_wrk(path):
    """The numbers a wrk --latency output holds (requests, duration, errors, latency)."""
    text = open(path).read()
    out = {"requests": None, "duration_s": None, "non_2xx": 0, "socket_errors": 0,
           "latency_us": {}}
    m = re.search(r"^\s*(\d+) requests in ([0-9.]+)(ms|s|m),", text, re.M)
    if m:
        out["requests"] = int(m.group(1))
        out["duration_s"] = float(m.group(2)) * {"ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(3)]
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        out["non_2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["socket_errors"] = sum(int(x) for x in m.groups())
    for pct, val in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M):
        out["latency_us"]["p" + pct] = _latency_us(val)
    m = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    out["requests_per_s_wrk"] = float(m.group(1)) if m else None
    return out


def http(out_path, machine_path, servers_path, runs_path, clk_tck, extra):
    clk_tck = int(clk_tck)
    params = dict(kv.split("=", 1) for kv in extra)
    syscalls = {}  # (variant, server) -> syscalls per request, from the warm-up run
    tsv = params.pop("syscalls_tsv", None)
    if tsv:
        for line in open(tsv):
            variant, server, calls, requests = line.split()
            if int(requests) > 0:
                syscalls[(variant, server)] = {"syscalls": int(calls), "requests": int(requests),
                                               "per_request": int(calls) / int(requests)}
    machine = json.load(open(machine_path))
    servers = dict(line.rstrip("\n").split("\t", 1) for line in open(servers_path) if line.strip())
    runs = []
    for line in open(runs_path):
        (variant, server, rep, ticks, w0, w1, wrk_out, core_busy, client_core_busy, sys_ticks,
         cmd) = line.rstrip("\n").split("\t")
        wall = float(w1) - float(w0)
        r = {"variant": variant, "server": server, "rep": int(rep),
             "server_cpu_s": int(ticks) / clk_tck, "wall_s": wall,
             "server_sys_share": int(sys_ticks) / int(ticks) if int(ticks) else None,
             # Share of the pinned server core that was busy, and the part of it that was
             # not the server (other processes on a shared machine, plus interrupts).
             "server_core_busy_share": int(core_busy) / clk_tck / wall,
             "server_core_others_share": max(0.0, (int(core_busy) - int(ticks)) / clk_tck / wall),
             "client_core_busy_share": int(client_core_busy) / clk_tck / wall,
             "wrk_command": cmd.strip()}
        r.update(parse_wrk(wrk_out))
        try:
            _, u, s_ = open(wrk_out + ".time").read().split()[:3]
            r["wrk_cpu_s"] = float(u) + float(s_)
        except (OSError, ValueError):
            r["wrk_cpu_s"] = None
        dur = r["duration_s"] or r["wall_s"]
        r["requests_per_s"] = r["requests"] / dur if r["requests"] else None
        r["requests_per_server_cpu_s"] = (r["requests"] / r["server_cpu_s"]
                                          if r["requests"] and r["server_cpu_s"] > 0 else None)
        r["server_cpu_share"] = r["server_cpu_s"] / dur if dur else None
        r["wrk_cpu_share"] = r["wrk_cpu_s"] / r["wall_s"] if r["wrk_cpu_s"] is not None else None
        runs.append(r)

    groups = {}
    for r in runs:
        groups.setdefault((r["variant"], r["server"]), []).append(r)
    summary = []
    for (variant, server), rs in groups.items():
        summary.append({
            "variant": variant, "server": server, "runs": len(rs),
            "requests_per_s": med_spread([r["requests_per_s"] for r in rs]),
            "requests_per_server_cpu_s": med_spread([r["requests_per_server_cpu_s"] for r in rs]),
            "server_cpu_share": med_spread([r["server_cpu_share"] for r in rs]),
            "wrk_cpu_share": med_spread([r["wrk_cpu_share"] for r in rs]),
            "server_sys_share": med_spread([r["server_sys_share"] for r in rs]),
            "server_core_others_share": med_spread([r["server_core_others_share"] for r in rs]),
            "latency_p50_us": med_spread([r["latency_us"].get("p50") for r in rs]),
            "latency_p99_us": med_spread([r["latency_us"].get("p99") for r in rs]),
            "errors": sum(r["non_2xx"] + r["socket_errors"] for r in rs),
            "syscalls_warmup": syscalls.get((variant, server)),
        })
    ratios = []
    for variant in dict.fromkeys(r["variant"] for r in runs):
        h = next((x for x in summary if x["variant"] == variant and x["server"] == "herald"), None)
        for peer in ("nginx", "uws"):
            n = next((x for x in summary if x["variant"] == variant and x["server"] == peer),
                     None)
            if h and n:
                def ratio(key):
                    a, b = h[key]["median"], n[key]["median"]
                    return a / b if a and b else None
                ratios.append({"variant": variant, "peer": peer,
                               f"herald_over_{peer}_per_wall_s": ratio("requests_per_s"),
                               f"herald_over_{peer}_per_server_cpu_s":
                               ratio("requests_per_server_cpu_s")})

    def lat(v):
        if v is None:
            return "n/a"
        return f"{v / 1e3:.2f} ms" if v >= 1000 else f"{v:.0f} µs"

    def sc(v):
        return "n/a" if not v else f"{v['per_request']:.2f}"

    def pct(v):
        return "n/a" if v is None else f"{v * 100:.0f}%"

    print()
    print("| variant | server | req/s (wall) | req per server CPU-s | server CPU | others on server core "
          "| wrk CPU | syscalls/req | kernel share of server CPU | p50 | p99 | errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for x in summary:
        rps, rpc = x["requests_per_s"], x["requests_per_server_cpu_s"]
        print(f"| {x['variant']} | {x['server']} "
              f"| {fmt_rate(rps['median'])} ({fmt_rate(rps['min'])}..{fmt_rate(rps['max'])}) "
              f"| {fmt_rate(rpc['median'])} ({fmt_rate(rpc['min'])}..{fmt_rate(rpc['max'])}) "
              f"| {pct(x['server_cpu_share']['median'])} | {pct(x['server_core_others_share']['median'])} "
              f"| {pct(x['wrk_cpu_share']['median'])} "
              f"| {sc(x['syscalls_warmup'])} | {pct(x['server_sys_share']['median'])} "
              f"| {lat(x['latency_p50_us']['median'])} | {lat(x['latency_p99_us']['median'])} "
              f"| {x['errors']} |")
    if ratios:
        print()
        for q in ratios:
            def f(v):
                return "n/a" if v is None else f"{v:.2f}x"
            p = q["peer"]
            print(f"herald/{p}, {q['variant']}: {f(q[f'herald_over_{p}_per_wall_s'])} per "
                  f"wall-second, {f(q[f'herald_over_{p}_per_server_cpu_s'])} per server CPU-second")
    print()
    print("Medians over the runs, min..max in brackets. 'server CPU' is server CPU-seconds per "
          "wall-second (100% = the one pinned core); 'wrk CPU' the same for the load generator "
          "(near 100% means the client, not the server, was the limit); 'others on server core' "
          "is what the rest of the machine took of the pinned server core during the run "
          "(/proc/stat busy time minus the server's own): high values mean the wall-second "
          "rates are depressed by load, the per-CPU-second rates much less so. 'syscalls/req' "
          "comes from the unmeasured warm-up run (perf stat -e raw_syscalls:sys_enter on the "
          "server's pids, all syscalls included).")
    json.dump({"benchmark": "http", "machine": machine, "servers": servers, "params": params,
               "runs": runs, "summary": summary, "ratios": ratios},
              open(out_path, "w"), indent=1)


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "floor":
        floor(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) >= 7 and sys.argv[1] == "http":
        http(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
