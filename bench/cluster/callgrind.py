#!/usr/bin/python3
"""bench/cluster/callgrind.py — user-space instructions per publish and per delivery, cluster
mode (two herald nodes and Redis) against the memory engine (one herald).

Usage: bench/cluster/callgrind.py [--json OUT] [--md OUT]

As bench/fanout/callgrind.py: one HTTP keep-alive publisher with one publish in flight,
N WebSocket subscribers on one channel, 100-byte messages, runs with M1 and M2 publishes at
N = 10 and 100; the slope between M1 and M2 is the marginal cost of one publication, the
difference between N = 10 and 100 (over 90) the cost of one delivery. In cluster mode every
process runs under callgrind: node 2 takes the publishes (its slope is the cost of turning an
HTTP publish into an EVALSHA and answering it), node 1 holds the subscribers (a publication
arriving from Redis, then the deliveries), and redis-server (the script, the Stream, the
PUBLISH). Instruction counts are stable to well under 1% between runs, so this is usable while
the machine's wall times are not.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fanout"))
import harness as h  # noqa: E402

M1, M2 = 100, 500
NS = (10, 100)


def vg(outfile):
    return ["taskset", "-c", h.SERVER_CPU, "valgrind", "--tool=callgrind",
            f"--callgrind-out-file={outfile}", "-q"]


class Proc:
    def __init__(self, cmd, port, ready_path=None):
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.port = port
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if ready_path:
                    if urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}",
                                              timeout=5).status == 200:
                        return
                else:
                    import socket
                    socket.create_connection(("127.0.0.1", port), 0.5).close()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{cmd[0]} on {port} not ready")

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        try:
            self.proc.wait(180)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Target:
    """What run_bench needs: url, target, cpus, pids, sample_pid, bench_extra."""

    def __init__(self, url, pid):
        self.url, self.target, self.cpus = url, "herald", h.SERVER_CPU
        self.pids, self.sample_pid = [pid], pid
        self.bench_extra = []  # plain http: no --cacert


def bench(url, n, m, publish_url=None):
    args = ["--transport", "ws", "-n", str(n), "-p", "1", "--payload", "100", "--rate", "0",
            "--inflight", "1", "-m", str(m), "--connect-timeout", "60", "--drain", "30"]
    if publish_url:
        args += ["--publish-url", publish_url]
    return args


def run_memory(n, m, port):
    fd, out = tempfile.mkstemp(prefix="cgc-mem-", suffix=".out")
    os.close(fd)
    p = Proc(vg(out) + [h.HERALD, "serve", "--listen", f"127.0.0.1:{port}", "--threads", "1",
                        "--log-level", "error"], port, "/health")
    try:
        r = h.run_bench(Target(f"http://127.0.0.1:{port}", p.proc.pid), bench(None, n, m),
                        timeout=900)
    finally:
        p.stop()
    ir = h.total_ir(out)
    os.unlink(out)
    return {"ir": {"herald": ir}, "published": r["published"], "delivered": r["delivered"],
            "clean": r["clean"]}


def run_redis(n, m, port):
    tmp = tempfile.mkdtemp(prefix="cgc-redis-")
    outs = {k: os.path.join(tmp, f"{k}.out") for k in ("redis", "node1", "node2")}
    rport = port + 2
    redis = Proc(vg(outs["redis"]) + ["redis-server", "--bind", "127.0.0.1", "--port",
                                      str(rport), "--save", "", "--appendonly", "no", "--dir",
                                      tmp], rport)
    extra = ["--set", "engine.type=redis", "--set", f"redis.addresses=127.0.0.1:{rport}",
             "--set", "redis.timeout_ms=60000"]
    nodes = []
    try:
        for i, k in enumerate(("node1", "node2")):
            nodes.append(Proc(vg(outs[k]) + [h.HERALD, "serve", "--listen",
                                             f"127.0.0.1:{port + i}", "--threads", "1",
                                             "--log-level", "error", *extra],
                              port + i, "/health?ready"))
        r = h.run_bench(Target(f"http://127.0.0.1:{port}", nodes[0].proc.pid),
                        bench(None, n, m, publish_url=f"http://127.0.0.1:{port + 1}"),
                        timeout=900)
    finally:
        for p in nodes:
            p.stop()
        redis.stop()
    ir = {k: h.total_ir(v) for k, v in outs.items()}
    subprocess.run(["rm", "-rf", tmp])
    return {"ir": ir, "published": r["published"], "delivered": r["delivered"],
            "clean": r["clean"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default=os.path.join(h.REPO, "bench/results/cluster-callgrind.json"))
    ap.add_argument("--md", default=os.path.join(h.REPO, "bench/results/cluster-callgrind.md"))
    a = ap.parse_args()
    port = 19800
    runs = []
    slopes = {}
    for kind, fn in (("memory", run_memory), ("redis", run_redis)):
        for n in NS:
            pts = []
            for m in (M1, M2):
                port += 3
                r = fn(n, m, port)
                h.log(f"callgrind {kind} n={n} m={m}: {r['ir']} published={r['published']} "
                      f"delivered={r['delivered']} clean={r['clean']}")
                runs.append({"engine": kind, "subscribers": n, "messages": m, **r})
                pts.append(r)
            a1, a2 = pts
            dp = a2["published"] - a1["published"]
            slopes[(kind, n)] = {k: (a2["ir"][k] - a1["ir"][k]) / dp for k in a2["ir"]}
    res = {}
    for kind in ("memory", "redis"):
        s10, s100 = slopes[(kind, NS[0])], slopes[(kind, NS[1])]
        per = {}
        for proc in s10:
            d = (s100[proc] - s10[proc]) / (NS[1] - NS[0])
            per[proc] = {"per_publish_n10": s10[proc], "per_publish_n100": s100[proc],
                         "per_delivery": d, "per_publish": s10[proc] - NS[0] * d}
        res[kind] = per
    json.dump({"benchmark": "cluster-callgrind", "machine": h.machine(), "m1": M1, "m2": M2,
               "subscribers": NS, "results": res, "runs": runs}, open(a.json, "w"), indent=1)
    L = ["callgrind (user-space instructions), WebSocket fan-out, one HTTP keep-alive publisher "
         f"(one publish in flight), 100-byte messages; slope between {M1} and {M2} publishes at "
         f"N = {NS[0]} and {NS[1]} subscribers. memory: one herald; redis: subscribers on node "
         "1, publisher on node 2, one redis-server.", "",
         "| engine | process | Ir per publish, N=10 | Ir per publish, N=100 | per delivery | "
         "per publish (without deliveries) |", "|---|---|---:|---:|---:|---:|"]
    for kind, per in res.items():
        for proc, x in per.items():
            L.append(f"| {kind} | {proc} | {x['per_publish_n10']:.0f} | "
                     f"{x['per_publish_n100']:.0f} | {x['per_delivery']:.0f} | "
                     f"{x['per_publish']:.0f} |")
    md = "\n".join(L) + "\n"
    open(a.md, "w").write(md)
    print(md)


if __name__ == "__main__":
    main()
