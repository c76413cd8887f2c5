#!/usr/bin/python3
"""bench/logs/conn_log_cost.py — what connection events and the access log cost in a connect storm.

Usage: bench/logs/conn_log_cost.py [--sessions N] [--repeat R] [--md OUT] [--json OUT]

herald (release build, --threads 1, pinned to CPU 0) serves N WebSocket sessions, 50 at a
time, from a Python client on CPU 1 (the session of bench/auth/subscribe_cost.py: open /ws,
connect, subscribe to one channel, close). Each session logs a conn_open and a conn_close line
at info, and one access line for its upgrade when the access log is on. The server's
CPU-seconds (utime + stime from /proc) and write syscalls (/proc/PID/io syscw) over the N
sessions, divided by N, are compared between log settings, with stderr (and the access log)
going to a regular file. Runs alternate between settings, R rounds, medians reported.

--callgrind runs the server under valgrind's callgrind instead and reports instructions per
session (the whole run's count, start-up and warm-up included, minus that of a run with 0
measured sessions; user space only, deterministic where CPU time on a shared machine is not).
"""
import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fanout"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "auth"))
import harness as h  # noqa: E402
from subscribe_cost import cpu_seconds, sessions  # noqa: E402

SETTINGS = {
    "warn (no connection lines)": ["--set", "server.log_level=warn"],
    "info, text": ["--set", "server.log_level=info"],
    "info, json": ["--set", "server.log_level=info", "--set", "server.log_format=json"],
    "info, json + access log": ["--set", "server.log_level=info", "--set",
                                "server.log_format=json", "--set", "server.access_log={access}"],
}


def writes(pid):
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("syscw:"):
                return int(line.split()[1])
    return 0


def wait_port(port, proc):
    import socket
    for _ in range(400):
        if proc.poll() is not None:
            raise RuntimeError(f"herald exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("herald did not listen")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=os.path.join(h.REPO, "bench/results/logs-conn-cost.json"))
    ap.add_argument("--md", default=os.path.join(h.REPO, "bench/results/logs-conn-cost.md"))
    ap.add_argument("--callgrind", action="store_true")
    a = ap.parse_args()
    if a.callgrind:
        return callgrind(a)
    d = tempfile.mkdtemp(prefix="herald-logcost-")
    results = {k: [] for k in SETTINGS}
    port = 19830
    for rnd in range(a.repeat):
        for name, extra in SETTINGS.items():
            port += 1
            access = os.path.join(d, f"access-{rnd}-{port}.log")
            extra = [x.format(access=access) for x in extra]
            err = open(os.path.join(d, f"stderr-{rnd}-{port}.log"), "w")
            cmd = ["taskset", "-c", h.SERVER_CPU, h.HERALD, "serve", "--listen",
                   f"127.0.0.1:{port}", "--threads", "1", "--set",
                   "limits.max_connections_per_ip=100000", *extra]
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
            try:
                wait_port(port, proc)
                asyncio.run(sessions(port, 200, None, "public:cost"))  # warm-up
                c0, w0 = cpu_seconds(proc.pid), writes(proc.pid)
                t0 = time.time()
                failures = asyncio.run(sessions(port, a.sessions, None, "public:cost"))
                wall = time.time() - t0
                c1, w1 = cpu_seconds(proc.pid), writes(proc.pid)
            finally:
                proc.terminate()
                proc.wait()
                err.close()
            us = (c1 - c0) / a.sessions * 1e6
            wps = (w1 - w0) / a.sessions
            results[name].append({"us_per_session": us, "writes_per_session": wps,
                                  "failures": failures, "wall_s": wall,
                                  "loadavg": os.getloadavg()})
            h.log(f"{name}: {us:.1f} us of server CPU, {wps:.2f} write syscalls per session "
                  f"({failures} failures)")

    def med(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2]

    summary = {k: {"us": med([r["us_per_session"] for r in v]),
                   "writes": med([r["writes_per_session"] for r in v])}
               for k, v in results.items()}
    with open(a.json, "w") as f:
        import json
        json.dump({"benchmark": "logs-conn-cost", "machine": h.machine(), "args": vars(a),
                   "results": results, "summary": summary}, f, indent=1)
    base = summary["warn (no connection lines)"]["us"]
    L = [f"connection log cost ({time.strftime('%Y-%m-%d')}): server CPU and write syscalls per "
         f"WebSocket session (open, connect, subscribe, close), herald --threads 1 on CPU 0, "
         f"{a.sessions} sessions 50 at a time, stderr to a file, medians of {a.repeat} rounds; "
         f"/proc CPU ticks are 10 ms, so differences under ~5 us per session are noise.", "",
         "| log setting | server CPU per session (us) | range over rounds | over warn (us) | "
         "write syscalls per session |", "|---|---:|---:|---:|---:|"]
    for k, v in summary.items():
        xs = [r["us_per_session"] for r in results[k]]
        L.append(f"| {k} | {v['us']:.1f} | {min(xs):.1f}-{max(xs):.1f} | {v['us'] - base:+.1f} | "
                 f"{v['writes']:.2f} |")
    L.append("")
    with open(a.md, "w") as f:
        f.write("\n".join(L))
    print("\n".join(L))


def instructions(outfile):
    with open(outfile) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError("no totals in " + outfile)


def callgrind(a):
    d = tempfile.mkdtemp(prefix="herald-logcost-cg-")
    port = 19930
    rows = {}
    for name, extra in SETTINGS.items():
        counts = []
        for n in (0, a.sessions):
            port += 1
            access = os.path.join(d, f"access-{port}.log")
            out = os.path.join(d, f"cg-{port}.out")
            err = open(os.path.join(d, f"stderr-{port}.log"), "w")
            cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", h.HERALD,
                   "serve", "--listen", f"127.0.0.1:{port}", "--threads", "1", "--set",
                   "limits.max_connections_per_ip=100000",
                   *[x.format(access=access) for x in extra]]
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
            try:
                wait_port(port, proc)
                asyncio.run(sessions(port, 50, None, "public:cost"))  # warm-up
                if n:
                    asyncio.run(sessions(port, n, None, "public:cost"))
            finally:
                proc.terminate()
                proc.wait()
                err.close()
            counts.append(instructions(out))
        per = (counts[1] - counts[0]) / a.sessions
        rows[name] = per
        h.log(f"{name}: {per:.0f} instructions per session")
    base = rows["warn (no connection lines)"]
    L = [f"connection log cost under callgrind ({time.strftime('%Y-%m-%d')}): user-space "
         f"instructions per WebSocket session (open, connect, subscribe, close), herald "
         f"--threads 1, {a.sessions} sessions 50 at a time, stderr to a file.", "",
         "| log setting | instructions per session | over warn |", "|---|---:|---:|"]
    for k, v in rows.items():
        L.append(f"| {k} | {v:.0f} | {v - base:+.0f} |")
    L.append("")
    print("\n".join(L))


if __name__ == "__main__":
    main()
