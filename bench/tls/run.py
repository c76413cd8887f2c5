#!/usr/bin/python3
"""bench/tls/run.py — TLS against plain on the same run, herald against Nchan over TLS.

Usage: bench/tls/run.py [--repeat N] [--quick] [--handshake-seconds S] [--json OUT] [--md OUT]

A throw-away CA and a P-256 (ECDSA) server certificate are made with openssl in a temporary
folder. Servers, one at a time, pinned to CPU 0 with one loop / one worker:
  herald            plain TCP, server.io_uring = false (one writev per connection)
  herald-tls        TLS only (tls.listen, `--set listen=`), server.io_uring = false
  herald-uring      plain, server.io_uring = true (the default)
  herald-tls-uring  TLS with server.io_uring = true (the sealed buffer goes out as an io_uring send)
  nchan             nginx + Nchan, plain (bench/peers/nchan)
  nchan-tls         nginx + Nchan, `listen ... ssl` (bench/peers/nchan-tls)
The client, `herald bench --threads 1 --no-pin` (https:// and wss:// with --cacert for the TLS
servers), runs on CPU 1. Cells:
  fan-out  WebSocket 100 subscribers, sequential and burst publishing; WebSocket 1,000 and SSE
           1,000 under burst (one channel, 100-byte messages, one HTTP keep-alive publisher)
  echo     /ws/echo, 100 connections, 100-byte messages (herald plain against TLS)
  handshakes  `openssl s_time -new` (a full TLS 1.3 handshake per connection, no resumption)
           for --handshake-seconds against herald-tls and nchan-tls: handshakes per server
           CPU-second (the server's utime+stime from /proc)
Each cell runs --repeat times (default 3), servers alternating; a fresh server per run.
Reported: medians and min..max per wall-second and per server CPU-second, herald-tls / herald
(what TLS costs), herald-tls / nchan-tls (against the peer, both on TLS).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fanout"))
import harness as h  # noqa: E402

PATTERNS = {"sequential": ["--rate", "0", "--inflight", "1"],
            "burst": ["--rate", "0", "--inflight", "32"]}
# Publishes per run: 0.1-1.5M deliveries, a few seconds each even on a busy machine.
MESSAGES = {("ws", 100, "sequential"): 1000, ("ws", 100, "burst"): 5000,
            ("ws", 1000, "burst"): 1500, ("sse", 1000, "burst"): 1000}
ALL = ["herald", "herald-uring", "herald-tls", "herald-tls-uring", "nchan", "nchan-tls"]
CELLS = [  # (transport, subscribers, pattern, servers)
    ("ws", 100, "sequential", ALL),
    ("ws", 100, "burst", ALL),
    ("ws", 1000, "burst", ALL),
    ("sse", 1000, "burst", ["herald", "herald-tls", "nchan", "nchan-tls"]),
]
ECHO_SERVERS = ["herald", "herald-tls"]
HANDSHAKE_SERVERS = ["herald-tls", "nchan-tls"]
PORT = 19500


def start(name, tls, extra=()):
    global PORT
    PORT += 1
    kind = "nchan-tls" if name == "nchan-tls" else ("nchan" if name == "nchan" else "herald")
    use_tls = tls if name.endswith("-tls") or "-tls-" in name else None
    if kind == "herald":
        uring = "true" if name.endswith("-uring") else "false"
        extra = ("--set", f"server.io_uring={uring}", *extra)
    return h.Server(kind, PORT, threads=1, cpus=h.SERVER_CPU, extra=extra, tls=use_tls)


def fanout_run(name, tr, n, pat, quick, tls):
    m = MESSAGES[(tr, n, pat)]
    if quick:
        m = max(100, m // 4)
    s = start(name, tls)
    try:
        return h.run_bench(s, ["--transport", tr, "-n", str(n), "-p", "1", "--payload", "100",
                               "-m", str(m), "--drain", "10", *PATTERNS[pat]])
    finally:
        s.stop()


def echo_run(name, seconds, tls):
    s = start(name, tls, extra=("--debug-echo",))
    s.target = "ws-echo"
    try:
        return h.run_bench(s, ["-n", "100", "--payload", "100", "-d", str(seconds)])
    finally:
        s.stop()


def handshake_run(name, seconds, tls):
    """Full handshakes with openssl s_time (pinned to the client CPU) for `seconds`."""
    s = start(name, tls)
    try:
        u0, s0 = h.proc_times(s.pids)
        busy0 = h.core_busy([h.SERVER_CPU])
        t0 = time.time()
        p = subprocess.run(["taskset", "-c", h.CLIENT_CPU, "openssl", "s_time", "-connect",
                            f"127.0.0.1:{s.port}", "-new", "-time", str(seconds),
                            "-CAfile", tls["ca"]],
                           capture_output=True, text=True, timeout=seconds + 60)
        wall = time.time() - t0
        u1, s1 = h.proc_times(s.pids)
        busy1 = h.core_busy([h.SERVER_CPU])
    finally:
        s.stop()
    m = re.search(r"(\d+) connections in ([\d.]+)s", p.stdout)
    if not m:
        raise RuntimeError(f"s_time said: {p.stdout[-500:]} {p.stderr[-500:]}")
    count = int(m.group(1))
    cpu = (u1 - u0) + (s1 - s0)
    return {"handshakes": count, "wall_s": wall, "server_cpu_s": cpu,
            "per_wall_s": count / wall, "per_server_cpu_s": count / cpu if cpu else None,
            "kernel_share": (s1 - s0) / cpu if cpu else None,
            "others": max(0.0, (busy1 - busy0 - cpu) / wall)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a quarter of the messages")
    ap.add_argument("--echo-seconds", type=float, default=3)
    ap.add_argument("--handshake-seconds", type=int, default=5)
    ap.add_argument("--json", default=os.path.join(h.REPO, "bench/results/tls.json"))
    ap.add_argument("--md", default=os.path.join(h.REPO, "bench/results/tls.md"))
    a = ap.parse_args()
    h.raise_nofile()
    mach = h.machine()
    pki_dir, tls = h.test_pki()
    runs, echoes, handshakes = [], [], []
    try:
        for rep in range(a.repeat):
            for tr, n, pat, servers in CELLS:
                order = servers if rep % 2 == 0 else list(reversed(servers))
                for name in order:
                    try:
                        r = fanout_run(name, tr, n, pat, a.quick, tls)
                    except RuntimeError as e:
                        h.log(f"tls: {name} {tr} {n} {pat}: {e}")
                        continue
                    f = h.figures(r)
                    h.log(f"fanout rep {rep} {tr:4} n={n:5} {pat:10} {name:16} "
                          f"{h.fmt(f['per_wall_s'])}/s wall {h.fmt(f['per_server_cpu_s'])}/cpu-s "
                          f"client {h.pct(f['client_cpu_frac'])} others {h.pct(f['others'])}")
                    runs.append({"rep": rep, "server": name, "transport": tr, "subscribers": n,
                                 "pattern": pat, "figures": f, "raw": r})
            for name in (ECHO_SERVERS if rep % 2 == 0 else list(reversed(ECHO_SERVERS))):
                r = echo_run(name, a.echo_seconds, tls)
                f = h.figures(r)
                h.log(f"echo rep {rep} {name:16} {h.fmt(f['per_wall_s'])} rt/s "
                      f"{h.fmt(f['per_server_cpu_s'])} rt/cpu-s client {h.pct(f['client_cpu_frac'])}")
                echoes.append({"rep": rep, "server": name, "figures": f, "raw": r})
            for name in (HANDSHAKE_SERVERS if rep % 2 == 0 else list(reversed(HANDSHAKE_SERVERS))):
                r = handshake_run(name, a.handshake_seconds, tls)
                h.log(f"handshakes rep {rep} {name:16} {h.fmt(r['per_wall_s'])}/s "
                      f"{h.fmt(r['per_server_cpu_s'])}/cpu-s others {h.pct(r['others'])}")
                handshakes.append({"rep": rep, "server": name, **r})
    finally:
        shutil.rmtree(pki_dir, ignore_errors=True)
    summary = summarize(runs, echoes, handshakes)
    json.dump({"benchmark": "tls", "machine": mach, "repeat": a.repeat, "quick": a.quick,
               "cells": CELLS, "summary": summary, "runs": runs, "echo": echoes,
               "handshakes": handshakes}, open(a.json, "w"), indent=1)
    md = render(summary, mach, a.repeat)
    open(a.md, "w").write(md)
    print(md)


KEYS = ("per_wall_s", "per_server_cpu_s", "kernel_share", "client_cpu_frac", "server_cpu_frac",
        "others", "p50_us", "p99_us")


def ratio(a, b, k="per_server_cpu_s"):
    x, y = a[k]["median"], b[k]["median"]
    return x / y if x and y else None


def summarize(runs, echoes, handshakes):
    cells = []
    for tr, n, pat, servers in CELLS:
        cell = {"transport": tr, "subscribers": n, "pattern": pat, "servers": {}}
        for name in servers:
            fs = [x["figures"] for x in runs if (x["transport"], x["subscribers"], x["pattern"],
                                                  x["server"]) == (tr, n, pat, name)]
            if not fs:
                continue
            cell["servers"][name] = {k: h.med([f[k] for f in fs]) for k in KEYS}
            cell["servers"][name]["all_clean"] = all(f["clean"] for f in fs)
        s = cell["servers"]
        if "herald" in s and "herald-tls" in s:
            cell["tls_over_plain_herald"] = ratio(s["herald-tls"], s["herald"])
        if "herald-uring" in s and "herald-tls-uring" in s:
            cell["tls_over_plain_herald_uring"] = ratio(s["herald-tls-uring"], s["herald-uring"])
        if "nchan" in s and "nchan-tls" in s:
            cell["tls_over_plain_nchan"] = ratio(s["nchan-tls"], s["nchan"])
        if "nchan-tls" in s and "herald-tls" in s:
            cell["herald_tls_over_nchan_tls"] = ratio(s["herald-tls"], s["nchan-tls"])
            cell["herald_tls_over_nchan_tls_wall"] = ratio(s["herald-tls"], s["nchan-tls"],
                                                           "per_wall_s")
        cells.append(cell)
    echo = {}
    for name in ECHO_SERVERS:
        fs = [x["figures"] for x in echoes if x["server"] == name]
        if fs:
            echo[name] = {k: h.med([f[k] for f in fs]) for k in KEYS}
    hs = {}
    for name in HANDSHAKE_SERVERS:
        rs = [x for x in handshakes if x["server"] == name]
        if rs:
            hs[name] = {k: h.med([r[k] for r in rs]) for k in
                        ("per_wall_s", "per_server_cpu_s", "kernel_share", "others")}
    return {"fanout": cells, "echo": echo, "handshakes": hs}


def render(summary, mach, repeat):
    L = [f"# machine: {mach['nproc']} cores, {mach['cpu_model']}, kernel {mach['kernel']}, "
         f"loadavg at start {' '.join(map(str, mach['loadavg_at_start']))}; "
         f"{time.strftime('%Y-%m-%d %H:%M', time.localtime())}",
         f"# servers on CPU {h.SERVER_CPU} (one loop / one worker), client on CPU {h.CLIENT_CPU}; "
         f"{repeat} runs per cell, median (min..max); TLS 1.3, ECDSA P-256 certificate", "",
         "## Fan-out (one channel, 100-byte messages, one HTTP keep-alive publisher)", "",
         "| transport | subs | publish | server | deliveries/s (wall) | deliveries per server CPU-s "
         "| server CPU | kernel share | client CPU | others | p50 | p99 | clean |",
         "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for c in summary["fanout"]:
        for name, s in c["servers"].items():
            L.append(f"| {c['transport']} | {c['subscribers']} | {c['pattern']} | {name} "
                     f"| {h.fmt_ms(s['per_wall_s'])} | {h.fmt_ms(s['per_server_cpu_s'])} "
                     f"| {h.pct(s['server_cpu_frac']['median'])} "
                     f"| {h.pct(s['kernel_share']['median'])} "
                     f"| {h.pct(s['client_cpu_frac']['median'])} | {h.pct(s['others']['median'])} "
                     f"| {h.us(s['p50_us']['median'])} | {h.us(s['p99_us']['median'])} "
                     f"| {'yes' if s['all_clean'] else 'NO'} |")
    L += ["", "Ratios of the medians per server CPU-second (last column: per wall-second):", "",
          "| transport | subs | publish | herald TLS / plain | herald TLS / plain, io_uring "
          "| Nchan TLS / plain | herald TLS / Nchan TLS | herald TLS / Nchan TLS (wall) |",
          "|---|---:|---|---:|---:|---:|---:|---:|"]

    def x(v):
        return f"{v:.2f}x" if v else "-"
    for c in summary["fanout"]:
        L.append(f"| {c['transport']} | {c['subscribers']} | {c['pattern']} "
                 f"| {x(c.get('tls_over_plain_herald'))} "
                 f"| {x(c.get('tls_over_plain_herald_uring'))} | {x(c.get('tls_over_plain_nchan'))} "
                 f"| {x(c.get('herald_tls_over_nchan_tls'))} "
                 f"| {x(c.get('herald_tls_over_nchan_tls_wall'))} |")
    L += ["", "## Echo (/ws/echo, 100 connections, 100-byte messages)", "",
          "| server | round trips/s (wall) | round trips per server CPU-s | kernel share "
          "| client CPU | p50 | p99 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, s in summary["echo"].items():
        L.append(f"| {name} | {h.fmt_ms(s['per_wall_s'])} | {h.fmt_ms(s['per_server_cpu_s'])} "
                 f"| {h.pct(s['kernel_share']['median'])} | {h.pct(s['client_cpu_frac']['median'])} "
                 f"| {h.us(s['p50_us']['median'])} | {h.us(s['p99_us']['median'])} |")
    e = summary["echo"]
    if "herald" in e and "herald-tls" in e:
        L += ["", f"herald TLS / plain echo: {x(ratio(e['herald-tls'], e['herald']))} per server "
              f"CPU-second, {x(ratio(e['herald-tls'], e['herald'], 'per_wall_s'))} per wall-second"]
    L += ["", "## Full TLS 1.3 handshakes (`openssl s_time -new`, one client process)", "",
          "| server | handshakes/s (wall) | handshakes per server CPU-s | kernel share | others |",
          "|---|---:|---:|---:|---:|"]
    for name, s in summary["handshakes"].items():
        L.append(f"| {name} | {h.fmt_ms(s['per_wall_s'])} | {h.fmt_ms(s['per_server_cpu_s'])} "
                 f"| {h.pct(s['kernel_share']['median'])} | {h.pct(s['others']['median'])} |")
    L += ["", "'server CPU' = server CPU-seconds per wall-second of publishing (100% = one core); "
          "'client CPU' = the bench process's CPU per wall-second (near 100% = the client was "
          "the limit); 'others' = what the rest of the machine took of the server's core."]
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
