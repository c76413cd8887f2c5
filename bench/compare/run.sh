#!/usr/bin/env bash
# bench/compare/run.sh — `herald bench compare` with the presets chat, ticker and fanout
# (same workload over ws, sse, longpoll and poll, then the decision table), for
# docs/transports.md. Each preset spawns its own herald (serve, default threads) on a free
# loopback port. Outputs bench/results/compare-<preset>.{md,json,svg}.
# Usage: bench/compare/run.sh [--duration S] [--presets chat,ticker,fanout]
#        (default 5 s of publishing per transport; poll interval 1 s, long-poll wait 30 s)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
HERALD=${HERALD:-$REPO/build/release/herald}
duration=5 presets=chat,ticker,fanout
while [ $# -gt 0 ]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --presets) presets=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
ulimit -n 20000
out=$REPO/bench/results
IFS=, read -r -a list <<< "$presets"
for p in "${list[@]}"; do
  {
    echo "# $(date -u +%FT%TZ) loadavg $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
    echo "# $HERALD bench compare --preset $p --duration $duration --poll-interval 1 --longpoll-wait 30"
    echo
    timeout 600 "$HERALD" bench compare --preset "$p" --duration "$duration" \
      --poll-interval 1 --longpoll-wait 30 --json "$out/compare-$p.json" \
      --svg "$out/compare-$p.svg" -q || echo "(herald bench compare exited $?: 1 = a transport lost messages, see above)"
  } > "$out/compare-$p.md"
  cat "$out/compare-$p.md"
done
