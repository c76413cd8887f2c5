#!/usr/bin/python3
"""bench/fanout/run.py — WebSocket/SSE/long-poll fan-out: herald (1 and 2 loops) vs Nchan.

Usage: bench/fanout/run.py [--repeat N] [--quick] [--no-syscalls] [--json OUT] [--md OUT]

One channel, N subscribers (100 and 1,000 WebSocket; 1,000 SSE and long-poll), 100-byte
messages, one HTTP keep-alive publisher either sequential (--rate 0 --inflight 1: one publish
in flight) or burst (--inflight 32: pipelined publishes). Servers: herald --threads 1 pinned to
CPU 0, herald --threads 2 on CPUs 0,1 (shares CPU 1 with the client: said in the table), Nchan
worker_processes 1 on CPU 0; the client (`herald bench --threads 1 --no-pin`) on CPU 1.
Each cell runs --repeat times (default 3), servers alternating within each repetition; a fresh
server per repetition. Reported: medians and min..max of deliveries per wall-second and per
server CPU-second (server CPU from the bench's schedstat sampling of the server's threads),
kernel share of the server's CPU (/proc stime/(utime+stime)), client CPU per wall-second,
and how much of the server core the rest of the machine took meanwhile.
Then (unless --no-syscalls) one extra run per cell with `perf stat` attached to the server,
counting write-side syscalls per delivery.
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
    "nchan": dict(kind="nchan", threads=1, cpus=h.SERVER_CPU),
}
PATTERNS = {"sequential": ["--rate", "0", "--inflight", "1"],
            "burst": ["--rate", "0", "--inflight", "32"]}
# (transport, subscribers, pattern) -> publishes: each run is ~1-4 s of publishing.
MESSAGES = {("ws", 100, "sequential"): 3000, ("ws", 1000, "sequential"): 400,
            ("ws", 100, "burst"): 10000, ("ws", 1000, "burst"): 1500,
            ("sse", 1000, "burst"): 1500, ("longpoll", 1000, "burst"): 1500}
CELLS = [  # (transport, subscribers, pattern, servers)
    ("ws", 100, "sequential", ["herald-1", "herald-2", "nchan"]),
    ("ws", 100, "burst", ["herald-1", "herald-2", "nchan"]),
    ("ws", 1000, "sequential", ["herald-1", "herald-2", "nchan"]),
    ("ws", 1000, "burst", ["herald-1", "herald-2", "nchan"]),
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
    ap.add_argument("--json", default=os.path.join(h.REPO, "bench/results/fanout.json"))
    ap.add_argument("--md", default=os.path.join(h.REPO, "bench/results/fanout.md"))
    a = ap.parse_args()
    h.raise_nofile()
    mach = h.machine()
    runs = []
    for rep in range(a.repeat):
        for tr, n, pat, servers in CELLS:
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
        for tr, n, pat, servers in CELLS:
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
    summary = summarize(runs, sysc)
    json.dump({"benchmark": "fanout", "machine": mach, "cells": CELLS, "messages":
               {f"{k[0]}-{k[1]}-{k[2]}": v for k, v in MESSAGES.items()}, "repeat": a.repeat,
               "summary": summary, "syscalls": sysc, "runs": runs}, open(a.json, "w"), indent=1)
    md = render(summary, sysc, mach, a.repeat)
    open(a.md, "w").write(md)
    print(md)


def summarize(runs, sysc):
    out = []
    for tr, n, pat, servers in CELLS:
        cell = {"transport": tr, "subscribers": n, "pattern": pat, "servers": {}}
        for name in servers:
            rs = [x["figures"] for x in runs if (x["transport"], x["subscribers"],
                                                  x["pattern"], x["server"]) == (tr, n, pat, name)]
            cell["servers"][name] = {k: h.med([f[k] for f in rs]) for k in (
                "per_wall_s", "per_server_cpu_s", "kernel_share", "client_cpu_frac",
                "server_cpu_frac", "others", "p50_us", "p99_us")}
            cell["servers"][name]["all_clean"] = all(f["clean"] for f in rs)
            cell["servers"][name]["n_runs"] = len(rs)
        nc = cell["servers"].get("nchan")
        for name in servers:
            if name == "nchan" or not nc:
                continue
            s = cell["servers"][name]
            for k in ("per_wall_s", "per_server_cpu_s"):
                a, b = s[k]["median"], nc[k]["median"]
                s[f"ratio_{k}"] = a / b if a and b else None
        out.append(cell)
    return out


def render(summary, sysc, mach, repeat):
    L = [f"# machine: {mach['nproc']} cores, {mach['cpu_model']}, kernel {mach['kernel']}, "
         f"loadavg at start {' '.join(map(str, mach['loadavg_at_start']))}",
         f"# servers on CPU {h.SERVER_CPU} (herald-2: CPUs {h.SERVER_CPU},{h.CLIENT_CPU}), "
         f"client `herald bench --threads 1 --no-pin` on CPU {h.CLIENT_CPU}; "
         f"{repeat} runs per cell, median (min..max)", "",
         "| transport | subs | publish | server | deliveries/s (wall) | deliveries per server CPU-s "
         "| vs Nchan wall | vs Nchan CPU-s | server CPU | kernel share | client CPU | others on server core | p50 | p99 | clean |",
         "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for c in summary:
        for name, s in c["servers"].items():
            rw = s.get("ratio_per_wall_s")
            rc = s.get("ratio_per_server_cpu_s")
            L.append(f"| {c['transport']} | {c['subscribers']} | {c['pattern']} | {name} "
                     f"| {h.fmt_ms(s['per_wall_s'])} | {h.fmt_ms(s['per_server_cpu_s'])} "
                     f"| {'%.2fx' % rw if rw else '-'} | {'%.2fx' % rc if rc else '-'} "
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
    L += ["", "'server CPU' = server CPU-seconds per wall-second of publishing (100% = one core); "
          "'client CPU' = the bench process's CPU per wall-second over its whole life "
          "(near 100% = the client was the limit); 'others on server core' = what the rest "
          "of the machine took of the server's core(s) meanwhile (wall rates shrink with it, "
          "per-CPU-second rates much less)."]
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
