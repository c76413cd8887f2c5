#!/usr/bin/python3
"""bench/fanout/callgrind.py — user-space instructions per delivery and per publish (docs/benchmarks.md).

Usage: bench/fanout/callgrind.py [--servers herald,herald-writev,nchan,uws] [--json OUT] [--md OUT]

The server runs under `valgrind --tool=callgrind` (herald: serve --threads 1, herald-writev the
same with server.io_uring = false; Nchan: nginx
with -g 'daemon off; master_process off;', one process; uWS: node bench/peers/uws/server.js,
where callgrind counts the native uWS core, Node's own C++ and V8's JIT-compiled JavaScript
alike, every thread of the process), one HTTP keep-alive publisher with one
publish in flight, N WebSocket subscribers on one channel, 100-byte messages. For each
N in {10, 100} the server is run twice, with M1 and M2 publishes; everything else (start,
handshakes, shutdown) is the same in both, so the slope
    s(N) = (Ir(M2) - Ir(M1)) / (M2 - M1)       instructions per publish with N subscribers
is the marginal cost of one message. Per delivery d = (s(100) - s(10)) / 90, per publish
p = s(10) - 10 d (the publish's own cost: HTTP parse, channel lookup, response). The
brief's single-point figure (Ir(M2) - Ir(M1)) / (deliveries) at N=100 is reported too.
callgrind counts user-space instructions only (the kernel's share is not in it) and is
stable to well under 1% between runs, so it is usable while wall time is noisy.
The top functions (self cost) of herald's N=100, M2 run go to bench/results/callgrind-*-top.txt.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

M1, M2 = 100, 500
NS = (10, 100)


class VgServer:
    def __init__(self, kind, port, outfile):
        self.kind, self.port = kind, port
        self.url = f"http://127.0.0.1:{port}"
        self.target = "herald" if kind.startswith("herald") else "nchan"
        self.cpus = h.SERVER_CPU
        self.bench_extra = []  # plain http: no --cacert
        vg = ["taskset", "-c", h.SERVER_CPU, "valgrind", "--tool=callgrind",
              f"--callgrind-out-file={outfile}", "-q"]
        if kind.startswith("herald"):
            # herald-writev: one writev per connection instead of the io_uring submission
            writev = ["--set", "server.io_uring=false"] if kind == "herald-writev" else []
            cmd = vg + [h.HERALD, "serve", "--listen", f"127.0.0.1:{port}", "--threads", "1",
                        "--log-level", "error", *writev]
        elif kind == "uws":
            cmd = vg + ["node", h.UWS_SERVER, str(port)]
        else:
            self.dir = tempfile.mkdtemp(prefix="herald-cg-nchan-")
            os.makedirs(f"{self.dir}/tmp")
            conf = open(os.path.join(h.REPO, "bench/peers/nchan/nginx.conf.in")).read()
            conf = conf.replace("@PORT@", str(port)).replace("@DIR@", self.dir)
            conf = re.sub(r"^(daemon|master_process) .*$", "", conf, flags=re.M)
            open(f"{self.dir}/nginx.conf", "w").write(conf)
            cmd = vg + ["nginx", "-p", self.dir, "-e", f"{self.dir}/error.log", "-c",
                        f"{self.dir}/nginx.conf", "-g", "daemon off; master_process off;"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pids = [self.proc.pid]
        self.sample_pid = self.proc.pid
        s = h.Server.__new__(h.Server)
        s.port, s.kind = port, kind
        # Node under valgrind takes a minute or more to start on a busy machine.
        h.Server.wait_ready(s, timeout=300 if kind == "uws" else 60)

    def stop(self):
        # herald drains on SIGTERM; nginx with master_process off does a graceful stop on
        # SIGQUIT. Either way valgrind writes the profile when the process exits.
        self.proc.send_signal(signal.SIGQUIT if self.kind == "nchan" else signal.SIGTERM)
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def annotate(path):
    """Self Ir per function from callgrind_annotate."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", path],
                         capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            fn = re.sub(r" \[/[^\]]*\]$", "", m.group(2))
            res[fn] = res.get(fn, 0) + int(m.group(1).replace(",", ""))
    return res


def diff_functions(p1, p2, publishes):
    a, b = annotate(p1), annotate(p2)
    return {fn: (b.get(fn, 0) - a.get(fn, 0)) / publishes for fn in set(a) | set(b)}


INFLIGHT = "1"


def one(kind, n, m, port, keep=None):
    fd, out = tempfile.mkstemp(prefix=f"cg-{kind}-", suffix=".out")
    os.close(fd)
    s = VgServer(kind, port, out)
    try:
        r = h.run_bench(s, ["--transport", "ws", "-n", str(n), "-p", "1", "--payload", "100",
                            "--rate", "0", "--inflight", INFLIGHT, "-m", str(m),
                            "--connect-timeout", "60", "--drain", "30"], timeout=600)
    finally:
        s.stop()
    ir = h.total_ir(out)
    if keep:
        os.replace(out, keep)
    else:
        os.unlink(out)
    return {"server": kind, "subscribers": n, "messages": m, "ir": ir,
            "delivered": r["delivered"], "published": r["published"], "clean": r["clean"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--servers", default="herald,nchan")
    ap.add_argument("--inflight", default="1",
                    help="publishes in flight (1: sequential, the default; 32: burst)")
    ap.add_argument("--top", action="store_true",
                    help="write bench/results/callgrind-SERVER-top.txt (default: only with "
                    "--inflight 1)")
    ap.add_argument("--json", default=os.path.join(h.REPO, "bench/results/callgrind.json"))
    ap.add_argument("--md", default=os.path.join(h.REPO, "bench/results/callgrind.md"))
    a = ap.parse_args()
    global INFLIGHT
    INFLIGHT = a.inflight
    port = 19400
    res = {}
    runs = []
    for kind in a.servers.split(","):
        slopes = {}
        diffs = {}
        for n in NS:
            pts = []
            for m in (M1, M2):
                port += 1
                keep = f"/tmp/herald-cg-{kind}-{n}-{m}.out"
                r = one(kind, n, m, port, keep)
                h.log(f"callgrind {kind} n={n} m={m}: Ir={r['ir']} delivered={r['delivered']}")
                runs.append(r)
                pts.append(r)
            a1, a2 = pts
            diffs[n] = diff_functions(f"/tmp/herald-cg-{kind}-{n}-{M1}.out",
                                      f"/tmp/herald-cg-{kind}-{n}-{M2}.out",
                                      a2["published"] - a1["published"])
            slopes[n] = (a2["ir"] - a1["ir"]) / (a2["published"] - a1["published"])
            if n == NS[-1]:
                single = (a2["ir"] - a1["ir"]) / (a2["delivered"] - a1["delivered"])
        d = (slopes[NS[1]] - slopes[NS[0]]) / (NS[1] - NS[0])
        p = slopes[NS[0]] - NS[0] * d
        res[kind] = {"slope_per_publish": slopes, "per_delivery": d, "per_publish": p,
                     "per_delivery_incl_publish_share_n100": single}
        # Per function: instructions per publish (self cost, M2 run minus M1 run) at N=10
        # and at N=100; the difference / 90 is that function's share per delivery.
        fns = set(diffs[NS[0]]) | set(diffs[NS[1]])
        rows = []
        for fn in fns:
            a0, a1_ = diffs[NS[0]].get(fn, 0), diffs[NS[1]].get(fn, 0)
            rows.append((a1_, a0, (a1_ - a0) / (NS[1] - NS[0]), fn))
        rows.sort(reverse=True)
        top = os.path.join(h.REPO, f"bench/results/callgrind-{kind}-top.txt")
        if a.inflight != "1" and not a.top:
            top = os.devnull
        with open(top, "w") as f:
            f.write(f"{kind}: self instructions per publish by function (run with {M2} publishes "
                    f"minus run with {M1}), at N={NS[0]} and N={NS[1]} subscribers, and the "
                    f"implied share per delivery ((N{NS[1]} - N{NS[0]}) / {NS[1] - NS[0]}).\n\n")
            f.write(f"{'per publish N=' + str(NS[1]):>18} {'per publish N=' + str(NS[0]):>18} "
                    f"{'per delivery':>13}  function\n")
            for a1_, a0, d, fn in rows[:40]:
                f.write(f"{a1_:18.0f} {a0:18.0f} {d:13.1f}  {fn[:160]}\n")
        for n in NS:
            for m in (M1, M2):
                os.unlink(f"/tmp/herald-cg-{kind}-{n}-{m}.out")
    json.dump({"benchmark": "callgrind", "machine": h.machine(), "inflight": a.inflight, "m1": M1, "m2": M2,
               "subscribers": NS, "results": res, "runs": runs}, open(a.json, "w"), indent=1)
    L = [f"callgrind (user-space instructions of the server), WebSocket fan-out, 1 HTTP "
         f"keep-alive publisher ({a.inflight} publish(es) in flight), 100-byte messages; slope between "
         f"{M1} and {M2} publishes at N = {NS[0]} and {NS[1]} subscribers.", "",
         "| server | Ir per publish, N=10 | Ir per publish, N=100 | per delivery | per publish "
         "| (Ir(M2)-Ir(M1))/deliveries at N=100 |", "|---|---:|---:|---:|---:|---:|"]
    for kind, x in res.items():
        L.append(f"| {kind} | {x['slope_per_publish'][NS[0]]:.0f} | "
                 f"{x['slope_per_publish'][NS[1]]:.0f} | {x['per_delivery']:.0f} | "
                 f"{x['per_publish']:.0f} | {x['per_delivery_incl_publish_share_n100']:.0f} |")
    for peer, title in (("nchan", "Nchan"), ("uws", "uWS")):
        if "herald" in res and peer in res:
            L += ["", f"herald/{title} instructions per delivery: "
                  f"{res['herald']['per_delivery'] / res[peer]['per_delivery']:.2f}; per publish: "
                  f"{res['herald']['per_publish'] / res[peer]['per_publish']:.2f}"]
    md = "\n".join(L) + "\n"
    open(a.md, "w").write(md)
    print(md)


if __name__ == "__main__":
    main()
