#!/usr/bin/env bash
# bench/netlab/run.sh — `herald bench compare --preset P` for the network presets (the lab:
# namespaces, TUN devices and the impairing relay; needs root), for docs/transports.md's
# decision guide. Each preset starts its own herald inside the lab and runs ws, sse, longpoll
# and poll under each of its conditions. Outputs bench/results/netlab-<preset>.{md,json,svg}.
# Usage: bench/netlab/run.sh [--duration S] [--presets lossy,rtt,mobile,satellite,bandwidth]
#        [--seed N]   (default 5 s of publishing per transport and condition, seed 1)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
HERALD=${HERALD:-$REPO/build/release/herald}
duration=5 presets=lossy,rtt,mobile,satellite,bandwidth seed=1
while [ $# -gt 0 ]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --presets) presets=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
ulimit -n 20000
out=$REPO/bench/results
# The commit the binary was built from is not recorded in it: take HEAD once, before the runs.
rev=$(git -C "$REPO" rev-parse --short HEAD)
IFS=, read -r -a list <<< "$presets"
for p in "${list[@]}"; do
  {
    echo "# $(date -u +%FT%TZ) loadavg $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; binary $rev"
    echo "# $HERALD bench compare --preset $p --duration $duration --seed $seed"
    echo
    timeout 1200 "$HERALD" bench compare --preset "$p" --duration "$duration" --seed "$seed" \
      --json "$out/netlab-$p.json" --svg "$out/netlab-$p.svg" -q \
      || echo "(herald bench compare exited $?)"
  } > "$out/netlab-$p.md" 2>&1
  cat "$out/netlab-$p.md"
done
