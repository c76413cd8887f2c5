#!/usr/bin/python3
"""bench/cluster/run.py — WebSocket fan-out through cluster mode (two herald nodes on one
Redis) against the memory engine (one herald node), on this machine.

Usage: bench/cluster/run.py [--repeat N] [--quick] [--json OUT] [--md OUT]

Cells as bench/fanout: one channel, 100 and 1,000 WebSocket subscribers, 100-byte messages,
one HTTP keep-alive publisher, sequential (one publish in flight) and burst (32 in flight);
plus a paced cell (100 subscribers, 1,000 publishes/s) for latency at a rate both keep up with.

- memory: herald --threads 1 on CPU 0; subscribers and publisher on it.
- redis:  redis-server (no persistence) and two herald nodes --threads 1, all three on CPU 0;
          subscribers on node 1, the publisher on node 2 (`herald bench --publish-url`), so
          every publication crosses Redis: node 2 runs the publish script, Redis PUBLISHes to
          node 1, node 1 delivers.
The client (`herald bench --threads 1 --no-pin`) runs on CPU 1. Servers alternate within each
repetition, a fresh set per run. Reported per cell: deliveries per wall-second, per herald
CPU-second (both nodes) and per CPU-second of herald + Redis, publish->deliver p50/p99, and
what Redis adds per publish: commands, bytes in and out (INFO stats deltas), Redis CPU, and
the herald nodes' Redis commands (/metrics).
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fanout"))
import harness as h  # noqa: E402

PATTERNS = {"sequential": ["--rate", "0", "--inflight", "1"],
            "burst": ["--rate", "0", "--inflight", "32"],
            "paced": ["--rate", "1000"]}
MESSAGES = {(100, "sequential"): 3000, (1000, "sequential"): 400,
            (100, "burst"): 10000, (1000, "burst"): 1500, (100, "paced"): 4000}
CELLS = [(100, "sequential"), (100, "burst"), (1000, "sequential"), (1000, "burst"),
         (100, "paced")]
PORT = 19700


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_info(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "stats"], capture_output=True,
                         text=True, timeout=10).stdout
    info = {}
    for line in out.splitlines():
        k, _, v = line.partition(":")
        if v.strip().isdigit():
            info[k] = int(v)
    return info


def herald_metrics(port):
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    out = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


class Cluster:
    """redis-server + two herald nodes on the same CPU; looks like harness.Server to run_bench
    (url = node 1, pids = both nodes; the bench samples node 1)."""

    def __init__(self, port1, port2):
        self.dir = tempfile.mkdtemp(prefix="herald-bench-redis-")
        self.redis_port = free_port()
        self.redis = subprocess.Popen(
            ["taskset", "-c", h.SERVER_CPU, "redis-server", "--bind", "127.0.0.1", "--port",
             str(self.redis_port), "--save", "", "--appendonly", "no", "--dir", self.dir,
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if subprocess.run(["redis-cli", "-p", str(self.redis_port), "PING"],
                              capture_output=True, text=True).stdout.strip() == "PONG":
                break
            time.sleep(0.02)
        extra = ["--set", "engine.type=redis",
                 "--set", f"redis.addresses=127.0.0.1:{self.redis_port}"]
        self.nodes = [h.Server("herald", port=p, threads=1, cpus=h.SERVER_CPU, extra=extra)
                      for p in (port1, port2)]
        for n in self.nodes:  # listening is not ready: wait for every Redis link
            for _ in range(200):
                try:
                    if urllib.request.urlopen(f"{n.url}/health?ready", timeout=2).status == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.02)
        self.kind = "herald"
        self.url = self.nodes[0].url
        self.publish_url = self.nodes[1].url
        self.pids = [n.proc.pid for n in self.nodes]
        self.sample_pid = self.nodes[0].proc.pid
        self.target = "herald"
        self.cpus = h.SERVER_CPU

    def stop(self):
        for n in self.nodes:
            n.stop()
        self.redis.kill()
        self.redis.wait()
        subprocess.run(["rm", "-rf", self.dir])


def one_run(kind, n, pat, quick):
    global PORT
    PORT += 2
    m = MESSAGES[(n, pat)]
    if quick:
        m = max(200, m // 4)
    args = ["--transport", "ws", "-n", str(n), "-p", "1", "--payload", "100", "-m", str(m),
            "--drain", "10", *PATTERNS[pat]]
    if kind == "memory":
        s = h.Server("herald", port=PORT, threads=1)
        try:
            r = h.run_bench(s, args)
        finally:
            s.stop()
        return {"figures": h.figures(r), "raw": r}
    c = Cluster(PORT, PORT + 1)

    def snapshot(_):
        # Once every subscriber is in: the per-publish figures leave out the subscribes (each
        # is one read script, counted in the docs separately).
        deadline = time.time() + 30
        while time.time() < deadline:
            if herald_metrics(c.nodes[0].port).get("herald_subscriptions", 0) >= n:
                break
            time.sleep(0.01)
        return {"redis": redis_info(c.redis_port), "redis_cpu": sum(h.proc_times([c.redis.pid])),
                "metrics": [herald_metrics(node.port) for node in c.nodes]}

    try:
        r = h.run_bench(c, args + ["--publish-url", c.publish_url], during=snapshot)
        rcpu1 = sum(h.proc_times([c.redis.pid]))
        after = redis_info(c.redis_port)
        m1 = [herald_metrics(node.port) for node in c.nodes]
    finally:
        c.stop()
    snap = r["_proc"]["extra"]
    before, rcpu0, m0 = snap["redis"], snap["redis_cpu"], snap["metrics"]
    f = h.figures(r)
    pubs = max(1, r["published"])
    herald_cpu = r["_proc"]["server_cpu_s_proc"]
    redis_cpu = rcpu1 - rcpu0
    f["redis_cpu_s"] = redis_cpu
    # Redis CPU counted from the snapshot (publishing), herald's over the whole run: the ratio
    # slightly favours Redis's share; the per-publish Redis figures are exact.
    f["per_cpu_s_with_redis"] = r["delivered"] / (herald_cpu + redis_cpu) if herald_cpu else None
    f["per_herald_cpu_s"] = r["delivered"] / herald_cpu if herald_cpu else None
    f["redis_cpu_us_per_publish"] = redis_cpu * 1e6 / pubs
    f["redis_commands_per_publish"] = (after["total_commands_processed"] -
                                       before["total_commands_processed"]) / pubs
    f["redis_bytes_in_per_publish"] = (after["total_net_input_bytes"] -
                                       before["total_net_input_bytes"]) / pubs
    f["redis_bytes_out_per_publish"] = (after["total_net_output_bytes"] -
                                        before["total_net_output_bytes"]) / pubs
    f["herald_redis_commands_per_publish"] = sum(
        b["herald_redis_commands_total"] - a["herald_redis_commands_total"]
        for a, b in zip(m0, m1)) / pubs
    f["publish_failures"] = sum(b["herald_redis_publish_failures_total"] for b in m1)
    return {"figures": f, "raw": r}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", default=os.path.join(h.REPO, "bench/results/cluster.json"))
    ap.add_argument("--md", default=os.path.join(h.REPO, "bench/results/cluster.md"))
    a = ap.parse_args()
    h.raise_nofile()
    mach = h.machine()
    runs = []
    for rep in range(a.repeat):
        for n, pat in CELLS:
            for kind in (["memory", "redis"] if rep % 2 == 0 else ["redis", "memory"]):
                try:
                    r = one_run(kind, n, pat, a.quick)
                except RuntimeError as e:
                    h.log(f"cluster: {kind} {n} {pat}: {e}")
                    continue
                f = r["figures"]
                h.log(f"cluster rep {rep} n={n:5} {pat:10} {kind:6} {h.fmt(f['per_wall_s'])}/s "
                      f"wall {h.fmt(f.get('per_herald_cpu_s') or f['per_server_cpu_s'])}/herald-cpu-s"
                      f" p50 {h.us(f['p50_us'])} p99 {h.us(f['p99_us'])} clean {f['clean']}"
                      f" others {h.pct(f['others'])}")
                runs.append({"rep": rep, "kind": kind, "subscribers": n, "pattern": pat, **r})
    summary = summarize(runs)
    json.dump({"benchmark": "cluster", "machine": mach, "cells": CELLS, "repeat": a.repeat,
               "messages": {f"{k[0]}-{k[1]}": v for k, v in MESSAGES.items()},
               "summary": summary, "runs": runs}, open(a.json, "w"), indent=1)
    md = render(summary, mach, a.repeat)
    open(a.md, "w").write(md)
    print(md)


KEYS = ("per_wall_s", "per_server_cpu_s", "per_herald_cpu_s", "per_cpu_s_with_redis", "p50_us",
        "p99_us", "others", "client_cpu_frac", "redis_cpu_us_per_publish",
        "redis_commands_per_publish", "redis_bytes_in_per_publish",
        "redis_bytes_out_per_publish", "herald_redis_commands_per_publish")


def summarize(runs):
    out = []
    for n, pat in CELLS:
        cell = {"subscribers": n, "pattern": pat, "kinds": {}}
        for kind in ("memory", "redis"):
            fs = [x["figures"] for x in runs if (x["subscribers"], x["pattern"], x["kind"]) ==
                  (n, pat, kind)]
            cell["kinds"][kind] = {k: h.med([f.get(k) for f in fs]) for k in KEYS}
            cell["kinds"][kind]["all_clean"] = all(f["clean"] for f in fs)
            cell["kinds"][kind]["n_runs"] = len(fs)
        out.append(cell)
    return out


def render(summary, mach, repeat):
    def m(s, k, f=h.fmt):
        return h.fmt_ms(s[k], f) if s[k]["median"] is not None else "-"

    L = [f"# machine: {mach['nproc']} cores, {mach['cpu_model']}, kernel {mach['kernel']}, "
         f"loadavg at start {' '.join(map(str, mach['loadavg_at_start']))}",
         f"# memory: herald --threads 1 on CPU {h.SERVER_CPU}; redis: redis-server + 2 herald "
         f"nodes --threads 1, all on CPU {h.SERVER_CPU}, subscribers on node 1, publisher on "
         f"node 2; client on CPU {h.CLIENT_CPU}; {repeat} runs per cell, median (min..max)", "",
         "| subs | publish | engine | deliveries/s (wall) | per herald CPU-s | per CPU-s incl. "
         "Redis | p50 | p99 | clean | others on server core |",
         "|---:|---|---|---:|---:|---:|---:|---:|---|---:|"]
    for c in summary:
        for kind, s in c["kinds"].items():
            per_herald = s["per_herald_cpu_s"] if kind == "redis" else s["per_server_cpu_s"]
            L.append(f"| {c['subscribers']} | {c['pattern']} | {kind} | {m(s, 'per_wall_s')} "
                     f"| {h.fmt_ms(per_herald) if per_herald['median'] else '-'} "
                     f"| {m(s, 'per_cpu_s_with_redis') if kind == 'redis' else '-'} "
                     f"| {m(s, 'p50_us', h.us)} | {m(s, 'p99_us', h.us)} "
                     f"| {'yes' if s['all_clean'] else 'NO'} ({s['n_runs']}) "
                     f"| {h.pct(s['others']['median'])} |")
    L += ["", "What Redis adds per publish (redis engine runs, medians):", "",
          "| subs | publish | Redis commands | herald->Redis commands | bytes into Redis | "
          "bytes out of Redis | Redis CPU per publish |", "|---:|---|---:|---:|---:|---:|---:|"]
    for c in summary:
        s = c["kinds"]["redis"]
        if s["n_runs"] == 0:
            continue
        L.append(f"| {c['subscribers']} | {c['pattern']} "
                 f"| {s['redis_commands_per_publish']['median']:.2f} "
                 f"| {s['herald_redis_commands_per_publish']['median']:.2f} "
                 f"| {s['redis_bytes_in_per_publish']['median']:.0f} "
                 f"| {s['redis_bytes_out_per_publish']['median']:.0f} "
                 f"| {h.us(s['redis_cpu_us_per_publish']['median'])} |")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
