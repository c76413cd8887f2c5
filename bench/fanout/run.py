#!/usr/bin/python3
"""bench/fanout/run.py — WebSocket/SSE/long-poll fan-out: herald (1 and 2 loops) vs Nchan and uWS.

Usage: bench/fanout/run.py [--repeat N] [--quick] [--no-syscalls] [--servers LIST]
                           [--cells LIST] [--json OUT] [--md OUT]

One channel, N subscribers (100 and 1,000 WebSocket; 1,000 SSE and long-poll), 100-byte
messages, one HTTP keep-alive publisher either sequential (--rate 0 --inflight 1: one publish
in flight) or burst (--inflight 32: pipelined publishes). Servers: herald --threads 1 pinned to
CPU 0 (herald-1; herald-1-writev is the same with server.io_uring = false), herald --threads 2 on CPUs 0,1 (shares CPU 1 with the client: said in the table), Nchan
worker_processes 1 on CPU 0, uWebSockets.js (bench/peers/uws, WebSocket cells only: it has
no SSE or long-poll) on CPU 0; the client (`herald bench --threads 1 --no-pin`) on CPU 1.
Each cell runs --repeat times (default 3), servers alternating within each repetition; a fresh
server per repetition. Reported: medians and min..max of deliveries per wall-second and per
server CPU-second (server CPU from the bench's schedstat sampling of the server's threads),
kernel share of the server's CPU (/proc stime/(utime+stime)), client CPU per wall-second,
and how much of the server core the rest of the machine took meanwhile.
Then (unless --no-syscalls) one extra run per cell with `perf stat` attached to the server,
counting write-side syscalls per delivery.
Marginal cost per delivery: from the WebSocket cells at 100 and 1,000 subscribers, server CPU
per publish c(N) = N / (deliveries per CPU-second); per delivery = (c(1000) - c(100)) / 900,
which leaves out each publish's own cost (HTTP parse, and for uWS its JavaScript handler).
--servers herald-1,uws (say) runs only those; --cells ws-100-burst,... only those cells.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SERVERS = {
    "herald-1": dict(kind="herald", threads=1, cpus=h.SERVER_CPU),
    "herald-2": dict(kind="herald", threads=2, cpus=f"{h.SERVER_CPU},{h.CLIENT_CPU}"),
    # herald-1 with one writev per connection instead of its default io_uring submission
    "herald-1-writev": dict(kind="herald", threads=1, cpus=h.SERVER_CPU,
                            extra=("--set", "server.io_uring=false")),
    "nchan": dict(kind="nchan", threads=1, cpus=h.SERVER_CPU),
    "uws": dict(kind="uws", threads=1, cpus=h.SERVER_CPU),
}
PEERS = ("nchan", "uws")  # the servers herald's figures are divided by
PEER_TITLE = {"nchan": "Nchan", "uws": "uWS"}
PATTERNS = {"sequential": ["--rate", "0", "--inflight", "1"],
            "burst": ["--rate", "0", "--inflight", "32"]}
# (transport, subscribers, pattern) -> publishes: each run is ~1-4 s of publishing.
MESSAGES = {("ws", 100, "sequential"): 3000, ("ws", 1000, "sequential"): 400,
            ("ws", 100, "burst"): 10000, ("ws", 1000, "burst"): 1500,
            ("sse", 1000, "burst"): 1500, ("longpoll", 1000, "burst"): 1500}
CELLS = [  # (transport, subscribers, pattern, servers)
    ("ws", 100, "sequential", ["herald-1", "herald-1-writev", "herald-2", "nchan", "uws"]),
    ("ws", 100, "burst", ["herald-1", "herald-1-writev", "herald-2", "nchan", "uws"]),
    ("ws", 1000, "sequential", ["herald-1", "herald-1-writev", "herald-2", "nchan", "uws"]),
    ("ws", 1000, "burst", ["herald-1", "herald-1-writev", "herald-2", "nchan", "uws"]),
    ("sse", 1000, "burst", ["herald-1", "nchan"]),
    ("longpoll", 1000, "burst", ["herald-1", "nchan"]),
]
WRITE_CALLS = ["write", "writev", "sendmsg", "sendto", "sendmmsg", "io_uring_enter"]
PORT = 19100


def bench_args(tr, n, pat, quick):
    m = MESSAGES[(tr, n, pat)]
    if quick:
        m = max(100, m // 4)
    return ["--transport", tr, "-n", str(n), "-p", "1", "--payload", "100", "-m", str(m),
            "--drain", "10", *PATTERNS[pat]]


def one_run(name, tr, n, pat, quick):
    global PORT
    PORT += 1
    s = h.Server(port=PORT, **SERVERS[name])
    try:
        return h.run_bench(s, bench_args(tr, n, pat, quick))
    finally:
        s.stop()


def syscall_run(name, tr, n, pat, quick):
    """One run with perf stat on the server: write-side syscalls per delivery and publish."""
    global PORT
    PORT += 1
    s = h.Server(port=PORT, **SERVERS[name])
    events = [f"syscalls:sys_enter_{c}" for c in WRITE_CALLS] + ["raw_syscalls:sys_enter"]
    out = f"/tmp/herald-bench-perf-{os.getpid()}.txt"
    perf = None
    try:
        def attach(server):
            nonlocal perf
            # Attach once the bench started; subscribers connect in the first ~100 ms, so
            # the count includes their handshakes (small next to thousands of deliveries).
            perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", out, "-e",
                                     ",".join(events), "-p",
                                     ",".join(str(p) for p in server.pids)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r = h.run_bench(s, bench_args(tr, n, pat, quick), during=attach)
        perf.send_signal(signal.SIGINT)
        perf.wait(10)
        counts = {}
        with open(out) as f:
            for line in f:
                p = line.strip().split(",")
                if len(p) > 2 and p[0].isdigit():
                    counts[p[2].split(":")[-1].replace("sys_enter_", "")] = int(p[0])
        os.unlink(out)
        d = max(1, r["delivered"])
        writes = sum(counts.get(c, 0) for c in WRITE_CALLS)
        return {"server": name, "transport": tr, "subscribers": n, "pattern": pat,
                "delivered": r["delivered"], "published": r["published"], "counts": counts,
                "write_calls_per_delivery": writes / d,
                "syscalls_per_delivery": counts.get("sys_enter", 0) / d,
                "write_calls_per_publish": writes / max(1, r["published"])}
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a quarter of the messages")
    ap.add_argument("--no-syscalls", action="store_true")
    ap.add_argument("--servers", default=",".join(SERVERS),
                    help="comma-separated subset of " + ",".join(SERVERS))
    ap.add_argument("--cells", default="",
                    help="comma-separated subset of cells named TRANSPORT-SUBS-PATTERN, "
                    "e.g. ws-100-burst (default: all)")
    ap.add_argument("--json", default=os.path.join(h.REPO, "bench/results/fanout.json"))
    ap.add_argument("--md", default=os.path.join(h.REPO, "bench/results/fanout.md"))
    a = ap.parse_args()
    h.raise_nofile()
    mach = h.machine()
    keep = set(a.servers.split(","))
    want = set(x for x in a.cells.split(",") if x)
    cells = [(tr, n, pat, [x for x in sv if x in keep]) for tr, n, pat, sv in CELLS
             if not want or f"{tr}-{n}-{pat}" in want]
    cells = [c for c in cells if c[3]]
    runs = []
    for rep in range(a.repeat):
        for tr, n, pat, servers in cells:
            order = servers if rep % 2 == 0 else list(reversed(servers))
            for name in order:
                try:
                    r = one_run(name, tr, n, pat, a.quick)
                except RuntimeError as e:
                    h.log(f"fanout: {name} {tr} {n} {pat}: {e}")
                    continue
                f = h.figures(r)
                h.log(f"fanout rep {rep} {tr:8} n={n:5} {pat:10} {name:9} "
                      f"{h.fmt(f['per_wall_s'])}/s wall {h.fmt(f['per_server_cpu_s'])}/cpu-s "
                      f"client {h.pct(f['client_cpu_frac'])} others {h.pct(f['others'])} "
                      f"load {r['_proc']['loadavg'][0]}")
                runs.append({"rep": rep, "server": name, "transport": tr, "subscribers": n,
                             "pattern": pat, "figures": f, "raw": r})
    sysc = []
    if not a.no_syscalls:
        for tr, n, pat, servers in cells:
            for name in servers:
                if name == "herald-2":
                    continue
                try:
                    sc = syscall_run(name, tr, n, pat, a.quick)
                except (RuntimeError, OSError) as e:
                    h.log(f"syscalls: {name} {tr} {n} {pat}: {e}")
                    continue
                h.log(f"syscalls {tr} n={n} {pat} {name}: "
                      f"{sc['write_calls_per_delivery']:.3f} writes/delivery")
                sysc.append(sc)
    summary = summarize(runs, cells)
    marginal = marginal_costs(summary)
    json.dump({"benchmark": "fanout", "machine": mach, "cells": cells, "marginal": marginal, "messages":
               {f"{k[0]}-{k[1]}-{k[2]}": v for k, v in MESSAGES.items()}, "repeat": a.repeat,
               "summary": summary, "syscalls": sysc, "runs": runs}, open(a.json, "w"), indent=1)
    md = render(summary, sysc, mach, a.repeat, marginal)
    open(a.md, "w").write(md)
    print(md)


def summarize(runs, cells):
    out = []
    for tr, n, pat, servers in cells:
        cell = {"transport": tr, "subscribers": n, "pattern": pat, "servers": {}}
        for name in servers:
            rs = [x["figures"] for x in runs if (x["transport"], x["subscribers"],
                                                  x["pattern"], x["server"]) == (tr, n, pat, name)]
            cell["servers"][name] = {k: h.med([f[k] for f in rs]) for k in (
                "per_wall_s", "per_server_cpu_s", "kernel_share", "client_cpu_frac",
                "server_cpu_frac", "others", "p50_us", "p99_us")}
            cell["servers"][name]["all_clean"] = all(f["clean"] for f in rs)
            cell["servers"][name]["n_runs"] = len(rs)
        for peer in PEERS:
            pc = cell["servers"].get(peer)
            for name in servers:
                if name in PEERS or not pc:
                    continue
                s = cell["servers"][name]
                for k in ("per_wall_s", "per_server_cpu_s"):
                    a, b = s[k]["median"], pc[k]["median"]
                    s[f"ratio_{peer}_{k}"] = a / b if a and b else None
        out.append(cell)
    return out


def marginal_costs(summary):
    """Server CPU per publish at 100 and 1,000 WebSocket subscribers and the slope between
    them: the cost of one more delivery without the publish's own share."""
    out = []
    for pat in PATTERNS:
        cells = {c["subscribers"]: c for c in summary
                 if c["transport"] == "ws" and c["pattern"] == pat}
        if 100 not in cells or 1000 not in cells:
            continue
        for name in cells[100]["servers"]:
            if name not in cells[1000]["servers"]:
                continue
            r100 = cells[100]["servers"][name]["per_server_cpu_s"]["median"]
            r1k = cells[1000]["servers"][name]["per_server_cpu_s"]["median"]
            if not r100 or not r1k:
                continue
            c100, c1k = 100 / r100 * 1e9, 1000 / r1k * 1e9  # ns of server CPU per publish
            per_delivery = (c1k - c100) / 900
            out.append({"server": name, "pattern": pat, "cpu_ns_per_publish_100": c100,
                        "cpu_ns_per_publish_1000": c1k, "marginal_ns_per_delivery": per_delivery,
                        "publish_own_ns": c100 - 100 * per_delivery,
                        "marginal_deliveries_per_cpu_s": 1e9 / per_delivery
                        if per_delivery > 0 else None})
    return out


def render(summary, sysc, mach, repeat, marginal):
    def ratio(v):
        return "%.2fx" % v if v else "-"
    L = [f"# machine: {mach['nproc']} cores, {mach['cpu_model']}, kernel {mach['kernel']}, "
         f"loadavg at start {' '.join(map(str, mach['loadavg_at_start']))}",
         f"# servers on CPU {h.SERVER_CPU} (herald-2: CPUs {h.SERVER_CPU},{h.CLIENT_CPU}), "
         f"client `herald bench --threads 1 --no-pin` on CPU {h.CLIENT_CPU}; "
         f"{repeat} runs per cell, median (min..max)", "",
         "| transport | subs | publish | server | deliveries/s (wall) | deliveries per server CPU-s "
         "| vs Nchan CPU-s | vs uWS wall | vs uWS CPU-s | server CPU | kernel share | client CPU "
         "| others on server core | p50 | p99 | clean |",
         "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for c in summary:
        for name, s in c["servers"].items():
            L.append(f"| {c['transport']} | {c['subscribers']} | {c['pattern']} | {name} "
                     f"| {h.fmt_ms(s['per_wall_s'])} | {h.fmt_ms(s['per_server_cpu_s'])} "
                     f"| {ratio(s.get('ratio_nchan_per_server_cpu_s'))} "
                     f"| {ratio(s.get('ratio_uws_per_wall_s'))} "
                     f"| {ratio(s.get('ratio_uws_per_server_cpu_s'))} "
                     f"| {h.pct(s['server_cpu_frac']['median'])} "
                     f"| {h.pct(s['kernel_share']['median'])} "
                     f"| {h.pct(s['client_cpu_frac']['median'])} "
                     f"| {h.pct(s['others']['median'])} | {h.us(s['p50_us']['median'])} "
                     f"| {h.us(s['p99_us']['median'])} | {'yes' if s['all_clean'] else 'NO'} |")
    if sysc:
        L += ["", "Syscalls on the server during one extra run per cell (perf stat -p, all "
              "threads; includes the subscribers' handshakes):", "",
              "| transport | subs | publish | server | write-side calls per delivery "
              "| all syscalls per delivery | write-side calls per publish | calls seen |",
              "|---|---:|---|---|---:|---:|---:|---|"]
        for sc in sysc:
            seen = ", ".join(f"{k} {v}" for k, v in sc["counts"].items()
                             if v and k != "sys_enter")
            L.append(f"| {sc['transport']} | {sc['subscribers']} | {sc['pattern']} "
                     f"| {sc['server']} | {sc['write_calls_per_delivery']:.3f} "
                     f"| {sc['syscalls_per_delivery']:.3f} | {sc['write_calls_per_publish']:.1f} "
                     f"| {seen} |")
    if marginal:
        L += ["", "Marginal cost per WebSocket delivery (server CPU per publish at 100 and 1,000 "
              "subscribers, from the medians above; the slope leaves out each publish's own cost):",
              "", "| server | publish | CPU per publish, 100 subs | CPU per publish, 1,000 subs "
              "| per delivery | deliveries per CPU-s, marginal | publish's own cost |",
              "|---|---|---:|---:|---:|---:|---:|"]
        for m in marginal:
            L.append(f"| {m['server']} | {m['pattern']} | {m['cpu_ns_per_publish_100'] / 1e3:.1f} µs "
                     f"| {m['cpu_ns_per_publish_1000'] / 1e3:.1f} µs "
                     f"| {m['marginal_ns_per_delivery']:.0f} ns "
                     f"| {h.fmt(m['marginal_deliveries_per_cpu_s'])} "
                     f"| {m['publish_own_ns'] / 1e3:.1f} µs |")
    L += ["", "'server CPU' = server CPU-seconds per wall-second of publishing (100% = one core); "
          "'client CPU' = the bench process's CPU per wall-second over its whole life "
          "(near 100% = the client was the limit); 'others on server core' = what the rest "
          "of the machine took of the server's core(s) meanwhile (wall rates shrink with it, "
          "per-CPU-second rates much less)."]
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
