#!/usr/bin/env bash
# bench/floor/run.sh — build and run the raw floor program (floor.c) several times and
# report medians. See --help.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/../lib/cpu.sh"

usage() {
  cat <<USAGE
Usage: bench/floor/run.sh [--repeat N] [--json FILE] [--out-dir DIR] [-- floor options]

Builds bench/floor/floor.c into \$BUILD_DIR (default $REPO/build/bench) with
  cc -O2 -Wall -Wextra -Werror -pthread -o \$BUILD_DIR/floor bench/floor/floor.c
then runs it N times (default 3) and prints a markdown table of medians and min..max:
messages per writer CPU-second and syscalls per message for send() per message and for
writev of 10 and of 100 messages per call, 1,000 loopback TCP pairs, 100-byte messages
(floor defaults; pass e.g. '-- --pairs 5000 --messages 500' to change them, and
'-- --help' via \$BUILD_DIR/floor --help for the list).

  --repeat N     runs (default 3)
  --json FILE    write machine + raw runs + medians as JSON to FILE
  --out-dir DIR  also keep each run's table and JSON in DIR (floor-runN.{txt,json})

Bounded: every batch size stops after its message count or 10 s (floor --max-seconds).
USAGE
}

repeat=3 json="" out_dir="" floor_args=()
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --repeat) repeat=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    --out-dir) out_dir=$2; shift 2 ;;
    --) shift; floor_args=("$@"); break ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

BUILD_DIR=${BUILD_DIR:-$REPO/build/bench}
mkdir -p "$BUILD_DIR"
build_cmd=(cc -O2 -Wall -Wextra -Werror -pthread -o "$BUILD_DIR/floor" "$HERE/floor.c")
"${build_cmd[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
machine_json > "$work/machine.json"
echo "# machine: $(machine_text)"
echo "# build: ${build_cmd[*]}"
echo "# run: $BUILD_DIR/floor ${floor_args[*]:-} --json FILE   (x$repeat)"
runs=()
for ((i = 1; i <= repeat; i++)); do
  "$BUILD_DIR/floor" "${floor_args[@]}" --json "$work/run$i.json" > "$work/run$i.txt"
  runs+=("$work/run$i.json")
  if [ -n "$out_dir" ]; then
    mkdir -p "$out_dir"
    cp "$work/run$i.txt" "$out_dir/floor-run$i.txt"
    cp "$work/run$i.json" "$out_dir/floor-run$i.json"
  fi
done
echo
"$BENCH_PY" "$HERE/../lib/summarize.py" floor "$work/summary.json" "$work/machine.json" "${runs[@]}"
if [ -n "$json" ]; then cp "$work/summary.json" "$json"; fi
