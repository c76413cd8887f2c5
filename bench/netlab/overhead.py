#!/usr/bin/env python3
"""bench/netlab/overhead.py - what the lab's relay costs, so that it does not distort figures.

For each rate, alternating runs of the same WebSocket workload:
  lab      `herald bench --netem none` (server in the lab's namespace, subscribers behind the
           relay, nothing impaired: every packet crosses the relay at once)
  loopback `herald bench --serve` (the same server and clients on 127.0.0.1, no relay)
and reports medians (min..max) of publish->deliver p50/p99, the relay's CPU per packet and per
second, and the round trip the relay adds with nothing else running (the lab's UDP
calibration, 200 echoes per run). Needs root (the lab).
Usage: bench/netlab/overhead.py [--rates 100,1000,5000] [--repeat 3] [--duration 5]
       [--subscribers 10] [--json FILE] [--md FILE]
       bench/netlab/overhead.py --render   (rewrite the .md from the .json, no runs)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
HERALD = os.environ.get("HERALD", os.path.join(REPO, "build", "release", "herald"))


def run(mode, rate, args):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [HERALD, "bench", "--transport", "ws", "--subscribers", str(args.subscribers),
               "--rate", str(rate), "--duration", str(args.duration), "-q", "--json", f.name]
        cmd += ["--netem", "none"] if mode == "lab" else ["--serve"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            sys.exit(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
        return json.load(open(f.name))


def med(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    m = statistics.median(values)
    return m, min(values), max(values)


def fmt_us(t):
    if t == "-":
        return t
    m, lo, hi = t
    return f"{m / 1e3:.0f} us ({lo / 1e3:.0f}..{hi / 1e3:.0f})"


def fmt(t, unit="", digits=1):
    if t == "-":
        return t
    m, lo, hi = t
    return f"{m:.{digits}f}{unit} ({lo:.{digits}f}..{hi:.{digits}f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rates", default="100,1000,5000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--subscribers", type=int, default=10)
    ap.add_argument("--json", default=os.path.join(REPO, "bench", "results", "netlab-overhead.json"))
    ap.add_argument("--md", default=os.path.join(REPO, "bench", "results", "netlab-overhead.md"))
    ap.add_argument("--render", action="store_true", help="rewrite --md from --json, no runs")
    args = ap.parse_args()
    if args.render:
        with open(args.json) as f:
            saved = json.load(f)
        for k in ("rates", "repeat", "duration", "subscribers"):
            setattr(args, k, saved["args"][k])
        render(args, saved["started"], saved["loadavg"], saved["rows"])
        return
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load = open("/proc/loadavg").read().split()[:3]
    rows, raw = [], []
    for rate in [int(r) for r in args.rates.split(",")]:
        got = {"lab": [], "loopback": []}
        for i in range(args.repeat):
            for mode in ("lab", "loopback") if i % 2 == 0 else ("loopback", "lab"):
                rep = run(mode, rate, args)
                got[mode].append(rep)
                for r in rep["runs"]:
                    r["latency_ns"].pop("buckets", None)  # the summary is enough here
                raw.append({"rate": rate, "mode": mode, "load": open("/proc/loadavg").read().split()[:3],
                            "report": rep})
                print(f"rate {rate} {mode} run {i + 1}: p50 {rep['runs'][0]['latency_ns']['p50']} ns",
                      file=sys.stderr)
        lab_runs = [r["runs"][0] for r in got["lab"]]
        lo_runs = [r["runs"][0] for r in got["loopback"]]
        links = [r["link"] for r in lab_runs]
        packets = [l["to_clients"]["packets"] + l["to_server"]["packets"] for l in links]
        cpu = [l["relay_cpu_seconds"] for l in links]
        wall = [l["window_seconds"] for l in links]
        cal = [r["lab"]["calibration"] for r in got["lab"]]
        rows.append({
            "rate": rate,
            "lab_p50": med([r["latency_ns"]["p50"] for r in lab_runs]),
            "loopback_p50": med([r["latency_ns"]["p50"] for r in lo_runs]),
            "lab_p99": med([r["latency_ns"]["p99"] for r in lab_runs]),
            "loopback_p99": med([r["latency_ns"]["p99"] for r in lo_runs]),
            "relay_us_per_packet": med([c * 1e6 / p if p else None for c, p in zip(cpu, packets)]),
            "relay_cpu_share": med([100 * c / w if w else None for c, w in zip(cpu, wall)]),
            "packets_per_s": med([p / w if w else None for p, w in zip(packets, wall)]),
            "cal_added_p50": med([c["added_p50_ns"] for c in cal]),
            "cal_added_p99": med([c["added_p99_ns"] for c in cal]),
            "late_p99": med([max(l["to_clients"]["lateness_ns"]["p99"],
                                 l["to_server"]["lateness_ns"]["p99"]) for l in links]),
            "realtime": all(r["lab"]["relay_realtime"] for r in got["lab"]),
        })
    render(args, started, load, rows)
    with open(args.json, "w") as f:
        json.dump({"started": started, "loadavg": load, "args": vars(args), "rows": rows,
                   "runs": raw}, f)


def render(args, started, load, rows):
    lines = [
        f"# bench/netlab/overhead.py {started}, loadavg {' '.join(load)}, {os.cpu_count()} cores, "
        f"{args.subscribers} ws subscribers, {args.duration:g} s per run, {args.repeat} runs per cell "
        "(median (min..max))",
        "",
        "| rate /s | p50 lab | p50 loopback | p99 lab | p99 loopback | relay CPU per packet | "
        "relay CPU share of a core | packets/s through the relay | "
        "calibration: added RTT p50 | added RTT p99 | real-time relay |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['rate']} | {fmt_us(r['lab_p50'])} | {fmt_us(r['loopback_p50'])} | "
            f"{fmt_us(r['lab_p99'])} | {fmt_us(r['loopback_p99'])} | "
            f"{fmt(r['relay_us_per_packet'], ' us')} | {fmt(r['relay_cpu_share'], '%')} | "
            f"{fmt(r['packets_per_s'], '', 0)} | "
            f"{fmt_us(r['cal_added_p50'])} | {fmt_us(r['cal_added_p99'])} | "
            f"{'yes' if r['realtime'] else 'no'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.md, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
