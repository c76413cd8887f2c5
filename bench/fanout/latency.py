#!/usr/bin/python3
"""bench/fanout/latency.py — publish->deliver latency at half of the maximum rate.

Usage: bench/fanout/latency.py [--repeat N] [--subscribers N] [--servers herald-1,nchan]
                               [--transports ws,sse,longpoll] [--fractions 0.5]
                               [--json OUT] [--md OUT]

For each transport (ws, sse, longpoll) and server (herald --threads 1 and Nchan, 1 worker,
on CPU 0; client on CPU 1): first the maximum publish rate with 100 subscribers on one
channel (one HTTP publisher, --inflight 32, 3 s), then --repeat runs (default 3) at half of
that rate (--rate R, paced publishes), 4 s each, reporting p50/p90/p99/p99.9 of the
publish->deliver latency the bench measures (timestamp in every payload, same clock on
both sides). docs/benchmarks.md target: p99 <= 1 ms on loopback (the brief: 1-2 ms).
--fractions 0.5,0.25,0.125 runs the paced runs at each of those fractions of the maximum
instead (one row each): how the tail follows the load, and the bench client's CPU with it.
For herald the server's own share is read too: its herald_deliver_latency_microseconds
histogram (publish received -> frames queued to every subscriber) from /metrics before and
after each paced run, reported as the bucket bound that holds 99% of that run's deliveries.
"""
import argparse
import json
import os
import re
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

SERVERS = {"herald-1": dict(kind="herald", threads=1),
           "herald-1-writev": dict(kind="herald", threads=1, extra=("--set", "server.io_uring=false")),
           "nchan": dict(kind="nchan", threads=1)}


def deliver_buckets(s):
    """herald's publish -> queued histogram from /metrics: {upper bound in µs: count}."""
    if not s.kind.startswith("herald"):
        return None
    text = urllib.request.urlopen(s.url + "/metrics", timeout=10).read().decode()
    out = {}
    for m in re.finditer(r'^herald_deliver_latency_microseconds_bucket\{le="([^"]+)"\} (\d+)',
                         text, re.M):
        out[float("inf") if m.group(1) == "+Inf" else float(m.group(1))] = int(m.group(2))
    return out


def server_p99_bound(before, after):
    """The smallest bucket bound (µs) holding 99% of the deliveries between two scrapes."""
    if before is None or after is None:
        return None
    diff = {b: after[b] - before.get(b, 0) for b in after}
    total = diff.get(float("inf"), 0)
    if total == 0:
        return None
    return next(b for b in sorted(diff) if diff[b] >= 0.99 * total)


def paced_runs(a, s, tr, name, common, rate, failures):
    runs = []
    for rep in range(a.repeat):
        try:
            before = deliver_buckets(s)
            r = h.run_bench(s, common + ["--rate", str(rate), "-d", "4"])
            server_p99 = server_p99_bound(before, deliver_buckets(s))
        except RuntimeError as e:
            # Recorded, not hidden: a crashed client run counts as not clean.
            h.log(f"latency {tr} {name}: {str(e)[:300]}")
            failures.append({"transport": tr, "server": name, "error": str(e)[:2000]})
            continue
        lat = {k: r["latency_ns"][k] / 1e3 for k in ("p50", "p90", "p99", "p99_9")}
        runs.append({"latency_us": lat, "clean": r["clean"],
                     "not_clean_because": {k: r.get(k) for k in (
                         "failed", "missing", "duplicates", "out_of_order",
                         "publish_errors", "errors") if r.get(k)},
                     "achieved_rate": r["published"] / r["publish_seconds"],
                     "others": r["_proc"]["others_on_server_cores"],
                     "client_cpu_frac": r["_proc"]["client_cpu_frac"],
                     "server_cpu_frac": h.figures(r)["server_cpu_frac"],
                     "server_queued_p99_us_at_most": server_p99,
                     "loadavg": r["_proc"]["loadavg"]})
        h.log(f"latency {tr:8} {name:8} rate {rate:.0f}/s: p50 {lat['p50']:.0f} µs "
              f"p99 {lat['p99']:.0f} µs others {h.pct(runs[-1]['others'])}")
    return runs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--subscribers", type=int, default=100)
    ap.add_argument("--servers", default="herald-1,nchan")
    ap.add_argument("--transports", default="ws,sse,longpoll")
    ap.add_argument("--fractions", default="0.5",
                    help="paced rates as fractions of the maximum (comma-separated)")
    ap.add_argument("--json", default=os.path.join(h.REPO, "bench/results/latency.json"))
    ap.add_argument("--md", default=os.path.join(h.REPO, "bench/results/latency.md"))
    a = ap.parse_args()
    mach = h.machine()
    port = 19600
    out = []
    failures = []
    fractions = [float(x) for x in a.fractions.split(",")]
    for tr in a.transports.split(","):
        for name in a.servers.split(","):
            common = ["--transport", tr, "-n", str(a.subscribers), "-p", "1", "--payload",
                      "100", "--drain", "10"]
            port += 1
            s = h.Server(port=port, **SERVERS[name])
            try:
                mx = h.run_bench(s, common + ["--rate", "0", "--inflight", "32", "-d", "3"])
                max_rate = mx["published"] / mx["publish_seconds"]
                for frac in fractions:
                    rate = max(1.0, round(max_rate * frac))
                    runs = paced_runs(a, s, tr, name, common, rate, failures)
                    out.append({"transport": tr, "server": name, "max_publish_rate": max_rate,
                                "max_deliveries_per_s": mx["deliveries_per_second"],
                                "max_run_cpu": {"server": h.figures(mx)["server_cpu_frac"],
                                                "client": mx["_proc"]["client_cpu_frac"]},
                                "fraction": frac, "rate": rate, "runs": runs,
                                "summary": {k: h.med([x["latency_us"][k] for x in runs])
                                            for k in ("p50", "p90", "p99", "p99_9")}})
            finally:
                s.stop()
    json.dump({"benchmark": "latency", "machine": mach, "subscribers": a.subscribers,
               "results": out, "failures": failures}, open(a.json, "w"), indent=1)
    L = [f"# machine: {mach['nproc']} cores, {mach['cpu_model']}, kernel {mach['kernel']}, "
         f"loadavg at start {' '.join(map(str, mach['loadavg_at_start']))}",
         f"# {a.subscribers} subscribers on one channel, 1 HTTP publisher, 100-byte messages; "
         f"max rate from one --inflight 32 run, then {a.repeat} paced runs at "
         f"{' / '.join(f'{x:g}' for x in fractions)} of it; "
         "median (min..max)", "",
         "'server CPU' / 'client CPU': CPU-seconds per wall-second of the server (while "
         "publishing) and of the bench client (its whole run), medians of the paced runs; a "
         "client near 100% means the client's own queueing is part of the latency.", "",
         "| transport | server | max publishes/s (server / client CPU) | fraction | paced at "
         "| p50 | p90 | p99 | p99.9 | server's own p99 (publish -> queued) | server CPU "
         "| client CPU | clean |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]

    def cpu(x, k):
        v = [r[k] for r in x["runs"] if r.get(k) is not None]
        return h.pct(sorted(v)[len(v) // 2]) if v else "-"

    def own(x):
        v = [r["server_queued_p99_us_at_most"] for r in x["runs"]
             if r.get("server_queued_p99_us_at_most") is not None]
        return f"≤ {h.us(max(v))}" if v else "-"

    def col(m):
        return f"{h.us(m['median'])} ({h.us(m['min'])}..{h.us(m['max'])})"
    for x in out:
        s = x["summary"]
        mc = x["max_run_cpu"]
        L.append(f"| {x['transport']} | {x['server']} | {x['max_publish_rate']:.0f} "
                 f"({h.pct(mc['server'])} / {h.pct(mc['client'])}) "
                 f"| {x['fraction']:g} | {x['rate']:.0f}/s | {col(s['p50'])} | {col(s['p90'])} "
                 f"| {col(s['p99'])} | {col(s['p99_9'])} | {own(x)} "
                 f"| {cpu(x, 'server_cpu_frac')} "
                 f"| {cpu(x, 'client_cpu_frac')} "
                 f"| {'yes' if all(r['clean'] for r in x['runs']) else 'NO'} |")
    for f in failures:
        L.append(f"\nFAILED run ({f['transport']}, {f['server']}): {f['error'].splitlines()[0]}")
    md = "\n".join(L) + "\n"
    open(a.md, "w").write(md)
    print(md)


if __name__ == "__main__":
    main()
