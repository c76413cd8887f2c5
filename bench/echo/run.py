#!/usr/bin/python3
"""bench/echo/run.py — WebSocket echo: herald /ws/echo vs uWebSockets.js and Node `ws`.

Usage: bench/echo/run.py [--repeat N] [--duration S] [--servers LIST] [--json OUT] [--md OUT]

herald serve --threads 1 --debug-echo, bench/peers/uws/server.js (uWebSockets.js: the native
uWS core; its echo handler is one line of JavaScript per message) and
bench/echo/node-ws-echo.js (Node 20, ws 8.x, perMessageDeflate off), each pinned to CPU 0 in
turn (alternating, fresh server per run);
`herald bench --target ws-echo -n 100 --payload 100` on CPU 1: 100 connections, each with
one 100-byte message in flight, for --duration seconds (default 3). Reported: round trips
per wall-second and per server CPU-second (median, min..max over --repeat runs, default 3),
the herald/peer ratios (targets: >= 2.5x Node ws, >= 1.1x uWS per server CPU-second), kernel
share, client CPU.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fanout"))
import harness as h  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=float, default=3)
    ap.add_argument("--servers", default="herald,uws,node-ws")
    ap.add_argument("--json", default=os.path.join(h.REPO, "bench/results/echo.json"))
    ap.add_argument("--md", default=os.path.join(h.REPO, "bench/results/echo.md"))
    a = ap.parse_args()
    mach = h.machine()
    runs = []
    port = 19300
    servers = [k for k in a.servers.split(",") if k]
    for rep in range(a.repeat):
        order = servers if rep % 2 == 0 else servers[::-1]
        for kind in order:
            port += 1
            extra = ("--debug-echo",) if kind == "herald" else ()
            s = h.Server(kind, port, threads=1, extra=extra)
            s.target = "ws-echo"
            try:
                r = h.run_bench(s, ["-n", "100", "--payload", "100", "-d", str(a.duration)])
            finally:
                s.stop()
            f = h.figures(r)
            h.log(f"echo rep {rep} {kind:8} {h.fmt(f['per_wall_s'])} rt/s wall "
                  f"{h.fmt(f['per_server_cpu_s'])} rt/cpu-s client {h.pct(f['client_cpu_frac'])} "
                  f"others {h.pct(f['others'])} clean {f['clean']}")
            runs.append({"rep": rep, "server": kind, "figures": f, "raw": r})
    summ = {}
    for kind in servers:
        fs = [x["figures"] for x in runs if x["server"] == kind]
        summ[kind] = {k: h.med([f[k] for f in fs]) for k in (
            "per_wall_s", "per_server_cpu_s", "kernel_share", "client_cpu_frac",
            "server_cpu_frac", "others", "p50_us", "p99_us")}
        summ[kind]["all_clean"] = all(f["clean"] for f in fs)
    ratio = {peer: {k: summ["herald"][k]["median"] / summ[peer][k]["median"]
                    for k in ("per_wall_s", "per_server_cpu_s")}
             for peer in servers if peer != "herald" and "herald" in summ}
    json.dump({"benchmark": "echo", "machine": mach, "repeat": a.repeat,
               "duration": a.duration, "summary": summ, "ratio_herald_over": ratio,
               "runs": runs}, open(a.json, "w"), indent=1)
    L = [f"# machine: {mach['nproc']} cores, {mach['cpu_model']}, kernel {mach['kernel']}, "
         f"loadavg at start {' '.join(map(str, mach['loadavg_at_start']))}",
         f"# server on CPU {h.SERVER_CPU}, `herald bench --target ws-echo -n 100 --payload 100 "
         f"-d {a.duration:g} --threads 1 --no-pin` on CPU {h.CLIENT_CPU}; {a.repeat} runs each",
         "", "| server | round trips/s (wall) | round trips per server CPU-s | server CPU "
         "| kernel share | client CPU | others on server core | p50 | p99 |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, s in summ.items():
        L.append(f"| {kind} | {h.fmt_ms(s['per_wall_s'])} | {h.fmt_ms(s['per_server_cpu_s'])} "
                 f"| {h.pct(s['server_cpu_frac']['median'])} | {h.pct(s['kernel_share']['median'])} "
                 f"| {h.pct(s['client_cpu_frac']['median'])} | {h.pct(s['others']['median'])} "
                 f"| {h.us(s['p50_us']['median'])} | {h.us(s['p99_us']['median'])} |")
    targets = {"node-ws": ">= 2.5x", "uws": ">= 1.1x"}
    for peer, r in ratio.items():
        L += ["", f"herald/{peer}: {r['per_wall_s']:.2f}x per wall-second, "
              f"{r['per_server_cpu_s']:.2f}x per server CPU-second "
              f"(target {targets.get(peer, '-')})"]
    md = "\n".join(L) + "\n"
    open(a.md, "w").write(md)
    print(md)


if __name__ == "__main__":
    main()
