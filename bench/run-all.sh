#!/usr/bin/env bash
# bench/run-all.sh — every benchmark of docs/benchmarks.md, one after the other, regenerating
# the tables in bench/results/. ~15-20 min on the 2-core machine. Each piece runs alone too:
#   bench/floor/run.sh        raw send/writev floor (C program)          -> floor.{md,json}
#   bench/http/run.sh         GET /health, herald vs nginx (wrk)          -> http.{md,json,log}
#   bench/fanout/run.py       ws/sse/long-poll fan-out vs Nchan + syscalls -> fanout.{md,json}
#   bench/fanout/callgrind.py instructions per delivery / publish         -> callgrind.{md,json}, callgrind-*-top.txt
#   bench/fanout/latency.py   p50/p99 at half the max rate                -> latency.{md,json}
#   bench/replay/callgrind.py instructions per replayed message (storm)   -> replay.{md,json}
#   bench/echo/run.py         /ws/echo vs Node ws                          -> echo.{md,json}
#   bench/memory/run.py       RSS per idle connection at 10,000           -> memory.{md,json}
#   bench/compare/run.sh      herald bench compare, presets               -> compare-*.{md,json,svg}
#   bench/tls/run.py          TLS vs plain, vs Nchan over TLS, handshakes -> tls.{md,json}
# Options: --skip LIST (comma list of floor,http,fanout,callgrind,latency,replay,echo,memory,
#   compare,tls)
# Needs: build/release/herald (make release), nginx-light + libnginx-mod-nchan, wrk, valgrind,
# perf, node + tests/e2e/js/node_modules/ws (scripts/install-deps). Loopback only.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
R=$REPO/bench/results
skip=""
[ "${1:-}" = --skip ] && skip=",$2,"
want() { [[ $skip != *",$1,"* ]]; }
ulimit -n 20000
[ -x "${HERALD:-$REPO/build/release/herald}" ] || { echo "build the release binary first: make release" >&2; exit 1; }
step() { echo "== $1 ($(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2; }
if want floor; then step floor; "$HERE/floor/run.sh" --repeat 5 --json "$R/floor.json" > "$R/floor.md"; fi
if want http; then step http; "$HERE/http/run.sh" --json "$R/http.json" --out-dir "$R/http" > "$R/http.md" 2> "$R/http.log"; fi
if want fanout; then step fanout; "$HERE/fanout/run.py" --repeat 3 > /dev/null; fi
if want callgrind; then step callgrind; "$HERE/fanout/callgrind.py" > /dev/null; fi
if want latency; then step latency; "$HERE/fanout/latency.py" > /dev/null; fi
if want replay; then step replay; /usr/bin/python3 "$HERE/replay/callgrind.py" --json "$R/replay.json" --md "$R/replay.md" > /dev/null; fi
if want echo; then step echo; "$HERE/echo/run.py" > /dev/null; fi
if want memory; then step memory; "$HERE/memory/run.py" > /dev/null; fi
if want compare; then step compare; "$HERE/compare/run.sh" > /dev/null; fi
if want tls; then step tls; "$HERE/tls/run.py" > /dev/null; fi
step done
ls -l "$R"/*.md >&2
