#!/usr/bin/python3
"""bench/memory/run.py — resident memory per idle subscribed connection, herald vs Nchan and uWS.

Usage: bench/memory/run.py [--connections N] [--repeat R]
                           [--servers herald,nchan[,uws,herald-tls,nchan-tls]]
                           [--transports ws,sse] [--shapes ramp,storm] [--json OUT] [--md OUT]

For each server (herald serve --threads 1, Nchan worker_processes 1, uWebSockets.js; all on
CPU 0; uWS has no SSE and is measured on WebSocket only) and each
transport (WebSocket, SSE): a fresh server, its RSS read from /proc/PID/status (VmRSS; Nchan:
the worker) once it listens, then `herald bench` in another process (CPU 1) opens N
(default 10,000) subscribers on one channel and publishes one 100-byte message a second;
shape 'ramp' spreads the connects over 2 s, shape 'storm' opens all N at once (as clients
do after a restart or a drain: every handshake in flight together);
once the server holds N more descriptors (/proc/PID/fd) and 2.5 seconds have passed, RSS is read
again. Per connection = (RSS with N subscribed - RSS at start) / N. The soft fd limit is
raised to 20,000 (the hard limit here) for both processes. docs/benchmarks.md target: <= 1 KiB.
RSS includes the kernel-independent user-space memory only (socket buffers are kernel memory).
"""
import argparse
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fanout"))
import harness as h  # noqa: E402


RAMP_UP = {"ramp": "2", "storm": "0"}


def measure(kind, tr, n, port, shape="ramp", tls=None):
    s = h.server_for(kind, port, tls=tls, threads=1)
    try:
        time.sleep(0.3)
        pid = s.sample_pid
        cold_kb = h.rss_kb(pid)
        # Warm-up: a few subscribers of the same transport connect, receive and leave, so that
        # what a server loads once on first use (herald: libcrypto's SHA-1 for the first
        # WebSocket handshake, ~2 MB of code and tables) is in the baseline, not spread over
        # the N connections as if it were per connection.
        h.run_bench(s, ["--transport", tr, "-n", "10", "-p", "1", "--payload", "100",
                        "--messages", "5", "--rate", "50", "--drain", "2"])
        time.sleep(0.3)
        rss0, fd0 = h.rss_kb(pid), h.fd_count(pid)

        def during(server):
            end = time.time() + 90
            while time.time() < end and h.fd_count(pid) < fd0 + n:
                time.sleep(0.1)
            held = h.fd_count(pid) - fd0
            # Settled: 2.5 s covers two ticks of herald's 1-second timer, which gives free heap
            # pages back once a burst of connections is over (a storm's handshakes).
            time.sleep(2.5)
            return {"rss_kb": h.rss_kb(pid), "held": held}

        r = h.run_bench(s, ["--transport", tr, "-n", str(n), "-p", "1", "--payload", "100",
                            "--rate", "1", "-d", "6", "--connect-timeout", "60",
                            "--ramp-up", RAMP_UP[shape]], during=during)
    finally:
        s.stop()
    x = r["_proc"]["extra"]
    per = (x["rss_kb"] - rss0) * 1024 / max(1, x["held"])
    return {"server": kind, "transport": tr, "shape": shape, "connections": x["held"],
            "cold_rss_kb": cold_kb,
            "bytes_per_connection_cold": (x["rss_kb"] - cold_kb) * 1024 / max(1, x["held"]),
            "rss0_kb": rss0,
            "rss_kb": x["rss_kb"], "bytes_per_connection": per, "ready": r["ready"],
            "clean": r["clean"], "loadavg": r["_proc"]["loadavg"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--servers", default="herald,nchan",
                    help="comma-separated servers to measure (herald, nchan, uws, herald-tls, "
                         "nchan-tls)")
    ap.add_argument("--transports", default="ws,sse",
                    help="comma-separated transports to measure (ws, sse)")
    ap.add_argument("--shapes", default="ramp,storm",
                    help="ramp (connects spread over 2 s), storm (all at once)")
    ap.add_argument("--json", default=os.path.join(h.REPO, "bench/results/memory.json"))
    ap.add_argument("--md", default=os.path.join(h.REPO, "bench/results/memory.md"))
    a = ap.parse_args()
    servers = [k for k in a.servers.split(",") if k]
    transports = [t for t in a.transports.split(",") if t]
    shapes = [x for x in a.shapes.split(",") if x]
    h.raise_nofile()
    mach = h.machine()
    port = 19500
    runs = []
    pki_dir, tls = h.test_pki() if any(k.endswith("-tls") for k in servers) else (None, None)
    for rep in range(a.repeat):
        for shape in shapes:
            for tr in transports:
                for kind in (servers if rep % 2 == 0 else servers[::-1]):
                    if kind == "uws" and tr != "ws":
                        continue  # uWebSockets.js has no SSE
                    port += 1
                    m = measure(kind, tr, a.connections, port, shape, tls)
                    h.log(f"memory rep {rep} {shape:5} {kind:6} {tr:3}: {m['connections']} "
                          f"conns, {m['rss0_kb']} -> {m['rss_kb']} KiB, "
                          f"{m['bytes_per_connection']:.0f} B/conn")
                    runs.append(m)
    if pki_dir:
        shutil.rmtree(pki_dir, ignore_errors=True)
    summ = {}
    for shape in shapes:
        for kind in servers:
            for tr in transports:
                mine = [m for m in runs if (m["server"], m["transport"], m["shape"]) ==
                        (kind, tr, shape)]
                if not mine:
                    continue
                # A run where the server never held the connections measured nothing.
                summ[f"{kind}/{tr}/{shape}"] = h.med([m["bytes_per_connection"] for m in mine
                                                      if m["connections"] >= 0.9 * a.connections])
    json.dump({"benchmark": "memory", "machine": mach, "connections": a.connections,
               "summary": summ, "runs": runs}, open(a.json, "w"), indent=1)
    L = [f"# machine: {mach['nproc']} cores, {mach['cpu_model']}, kernel {mach['kernel']}",
         f"# {a.connections} idle subscribed connections on one channel, one 100-byte message "
         f"a second; {a.repeat} runs each, median (min..max)", "",
         "'RSS per connection' = (RSS with the connections - RSS after a 10-subscriber warm-up "
         "of the same transport) / connections; 'from cold' uses the RSS before the warm-up "
         "(it spreads one-time costs over the connections).", "",
         "| server | transport | connects | RSS per connection | from cold | runs (RSS cold, "
         "after warm-up -> with connections, KiB) |",
         "|---|---|---|---:|---:|---|"]
    for key, s in summ.items():
        kind, tr, shape = key.split("/")
        mine = [m for m in runs if (m["server"], m["transport"], m["shape"]) == (kind, tr, shape)]
        detail = "; ".join(f"{m['cold_rss_kb']}, {m['rss0_kb']} -> {m['rss_kb']} "
                           f"({m['connections']} conns)" for m in mine)
        cold = h.med([m["bytes_per_connection_cold"] for m in mine])
        if s["median"] is None:
            L.append(f"| {kind} | {tr} | {shape} | n/a | n/a | {detail} |")
            continue
        L.append(f"| {kind} | {tr} | {shape} | {s['median']:.0f} B ({s['min']:.0f}..{s['max']:.0f}) "
                 f"| {cold['median']:.0f} B | {detail} |")
    md = "\n".join(L) + "\n"
    open(a.md, "w").write(md)
    print(md)


if __name__ == "__main__":
    main()
