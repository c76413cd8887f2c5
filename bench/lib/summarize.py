#!/usr/bin/python3
"""Medians and spreads over repeated bench runs (used by bench/*/run.sh).

  summarize.py floor OUT.json RUN1.json RUN2.json ...
      Merge repeated floor runs: per batch size, median and min..max of messages per
      CPU-second, messages per wall-second and syscalls per message. Prints a markdown
      table and writes OUT.json (machine, per-run raw results, medians).
"""
import json
import statistics
import sys


def med_spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None, "runs": []}
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def fmt_rate(v):
    if v is None:
        return "n/a"
    return f"{v / 1e6:.2f}M" if v >= 1e6 else f"{v / 1e3:.0f}k"


def floor(out_path, machine_path, run_paths):
    runs = [json.load(open(p)) for p in run_paths]
    with open(machine_path) as f:
        machine = json.load(f)
    first = runs[0]
    by_batch = {}
    for run in runs:
        for r in run["results"]:
            by_batch.setdefault((r["call"], r["batch"]), []).append(r)
    summary = []
    print(f"Raw floor: {first['pairs']} loopback TCP pairs, {first['msg_size']}-byte messages, "
          f"{first['messages_per_socket']} per socket per batch size, {len(runs)} runs "
          f"(median, min..max).")
    print()
    print("| call | batch | msgs per writer CPU-s | msgs per wall-s | syscalls/msg | sys share of CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    for (call, batch), rs in by_batch.items():
        # A run too short to time (floor reports null) is left out of the median.
        cpu = med_spread([r["msgs_per_cpu_s"] for r in rs])
        wall = med_spread([r["msgs_per_wall_s"] for r in rs])
        sysc = med_spread([r["syscalls_per_msg"] for r in rs])
        sys_share = statistics.median([r["sys_s"] / r["cpu_s"] if r["cpu_s"] else 0 for r in rs])
        summary.append({"call": call, "batch": batch, "msgs_per_cpu_s": cpu,
                        "msgs_per_wall_s": wall, "syscalls_per_msg": sysc,
                        "sys_share_median": sys_share,
                        "all_complete": all(r["complete"] for r in rs)})
        print(f"| {call} | {batch} | {fmt_rate(cpu['median'])} ({fmt_rate(cpu['min'])}..{fmt_rate(cpu['max'])}) "
              f"| {fmt_rate(wall['median'])} ({fmt_rate(wall['min'])}..{fmt_rate(wall['max'])}) "
              f"| {sysc['median']:.4f} | {sys_share * 100:.0f}% |")
    json.dump({"benchmark": "floor", "machine": machine, "runs": runs, "summary": summary},
              open(out_path, "w"), indent=1)


if __name__ == "__main__":
    if len(sys.argv) < 5 or sys.argv[1] != "floor":
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    floor(sys.argv[2], sys.argv[3], sys.argv[4:])
