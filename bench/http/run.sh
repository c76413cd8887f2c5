#!/usr/bin/env bash
# bench/http/run.sh — GET /health on herald (1 loop) vs plain nginx (1 worker) and uWS, pinned,
# keep-alive and pipelined, alternating, medians. See --help.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/../lib/cpu.sh"

usage() {
  cat <<USAGE
Usage: bench/http/run.sh [options]

Measures GET /health throughput of herald (serve --threads 1) against plain nginx
(bench/peers/nginx-http, worker_processes 1) and uWebSockets.js (bench/peers/uws: the
native uWS HTTP server, a one-line JavaScript handler per request) on the same machine in
the same run:
servers pinned to one CPU (taskset -c SERVER_CPU), wrk pinned to another
(taskset -c CLIENT_CPU wrk -t1 -cC -dD). Two variants: keep-alive (one request per
write) and pipelined (bench/http/pipeline.lua, DEPTH requests per write). Each variant
is repeated N times alternating herald/nginx (after one unmeasured warm-up run per
server and variant); medians and min..max are reported. Server CPU seconds are read from
/proc/PID/stat (utime+stime of all threads; nginx: master + worker) before and after
each run, so results are given per wall-second and per server CPU-second. The warm-up
runs also count the server's syscalls (perf stat -e raw_syscalls:sys_enter -p PIDS, when
perf works; it is kept out of the measured runs because tracing costs a little CPU) to
report syscalls per request.

Options:
  --herald PATH        herald binary (default \$HERALD or $REPO/build/release/herald)
  --herald-args "..."  extra arguments after 'serve --listen ... --threads 1'
  --servers LIST       comma list of herald,nginx,uws (default all three)
  --variants LIST      comma list of keepalive,pipeline (default both)
  --repeat N           measured runs per server and variant (default 3)
  --duration D         wrk -d (default 10s)
  --connections C      wrk -c (default 50)
  --depth N            requests per write in the pipelined variant (default 16)
  --server-cpu C       CPU for the servers (default 0)
  --client-cpu C       CPU for wrk (default 1)
  --port-base P        nginx listens on P, herald on P+1, uws on P+2 (default 18180)
  --json FILE          write machine, commands, every run and the medians to FILE
  --out-dir DIR        keep each wrk output there (http-<variant>-<server>-<n>.txt)
  --no-warmup          skip the warm-up runs

Total time is about (repeat + 1) x servers x variants x duration; everything is on
127.0.0.1 and every server started here is stopped on exit.
USAGE
}

herald=${HERALD:-$REPO/build/release/herald}
herald_args="" servers="herald,nginx,uws" variants="keepalive,pipeline" repeat=3
duration=10s connections=50 depth=16 server_cpu=0 client_cpu=1 port_base=18180
json="" out_dir="" warmup=1
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --herald) herald=$2; shift 2 ;;
    --herald-args) herald_args=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --depth) depth=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --client-cpu) client_cpu=$2; shift 2 ;;
    --port-base) port_base=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    --out-dir) out_dir=$2; shift 2 ;;
    --no-warmup) warmup=0; shift ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

IFS=, read -r -a server_list <<< "$servers"
IFS=, read -r -a variant_list <<< "$variants"
for s in "${server_list[@]}"; do
  case $s in herald|nginx|uws) ;; *) echo "unknown server: $s" >&2; exit 2 ;; esac
done
for v in "${variant_list[@]}"; do
  case $v in keepalive|pipeline) ;; *) echo "unknown variant: $v" >&2; exit 2 ;; esac
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
if [[ ,$servers, == *,herald,* ]] && [ ! -x "$herald" ]; then
  echo "herald binary not found at $herald (build it, pass --herald, or use --servers nginx)" >&2
  exit 1
fi

nginx_port=$port_base
herald_port=$((port_base + 1))
uws_port=$((port_base + 2))
work=$(mktemp -d)
nginx_dir="$work/nginx"
herald_pid=""
uws_pid=""

cleanup() {
  [ -n "$herald_pid" ] && kill "$herald_pid" 2>/dev/null && wait "$herald_pid" 2>/dev/null || true
  [ -n "$uws_pid" ] && kill "$uws_pid" 2>/dev/null && wait "$uws_pid" 2>/dev/null || true
  "$HERE/../peers/nginx-http/run.sh" stop "$nginx_port" "$nginx_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A server_pids server_cmd
for s in "${server_list[@]}"; do
  case $s in
    nginx)
      server_cmd[nginx]="taskset -c $server_cpu nginx -p DIR -c DIR/nginx.conf (bench/peers/nginx-http/nginx.conf.in, port $nginx_port)"
      "$HERE/../peers/nginx-http/run.sh" start "$nginx_port" "$nginx_dir" --cpu "$server_cpu" >/dev/null
      server_pids[nginx]=$("$HERE/../peers/nginx-http/run.sh" pids "$nginx_port" "$nginx_dir" | tr '\n' ' ')
      ;;
    herald)
      port_free "$herald_port" || { echo "127.0.0.1:$herald_port is in use" >&2; exit 1; }
      # shellcheck disable=SC2206
      cmd=(taskset -c "$server_cpu" "$herald" serve --listen "127.0.0.1:$herald_port" --threads 1 $herald_args)
      server_cmd[herald]="${cmd[*]}"
      "${cmd[@]}" > "$work/herald.log" 2>&1 &
      herald_pid=$!
      if ! wait_port 127.0.0.1 "$herald_port" 15; then
        echo "herald did not open 127.0.0.1:$herald_port; its output:" >&2
        tail -20 "$work/herald.log" >&2
        exit 1
      fi
      server_pids[herald]=$herald_pid
      ;;
    uws)
      port_free "$uws_port" || { echo "127.0.0.1:$uws_port is in use" >&2; exit 1; }
      cmd=(taskset -c "$server_cpu" node "$REPO/bench/peers/uws/server.js" "$uws_port")
      server_cmd[uws]="${cmd[*]}"
      "${cmd[@]}" > "$work/uws.log" 2>&1 &
      uws_pid=$!
      if ! wait_port 127.0.0.1 "$uws_port" 15; then
        echo "uws did not open 127.0.0.1:$uws_port; its output:" >&2
        tail -20 "$work/uws.log" >&2
        exit 1
      fi
      server_pids[uws]=$uws_pid
      ;;
  esac
done

url_of() {
  case $1 in
    nginx) echo "http://127.0.0.1:$nginx_port/health" ;;
    uws) echo "http://127.0.0.1:$uws_port/health" ;;
    *) echo "http://127.0.0.1:$herald_port/health" ;;
  esac
}

# Both servers must answer 200 before anything is measured.
for s in "${server_list[@]}"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$(url_of "$s")")
  [ "$code" = 200 ] || { echo "$s: GET /health answered $code, expected 200" >&2; exit 1; }
done

wrk_cmd() { # variant url
  local c=(taskset -c "$client_cpu" wrk -t1 -c"$connections" -d"$duration" --latency)
  if [ "$1" = pipeline ]; then
    c+=(-s "$HERE/pipeline.lua" "$2" -- "$depth")
  else
    c+=("$2")
  fi
  printf '%q ' "${c[@]}"
}

# Syscall counting needs perf with tracepoint access; probe it once on our own shell.
have_perf=0
if [ "$warmup" = 1 ] && command -v perf >/dev/null &&
   perf stat -e raw_syscalls:sys_enter -x, -o /dev/null -p $$ -- sleep 0.1 >/dev/null 2>&1; then
  have_perf=1
fi
: > "$work/syscalls.tsv"

herald_version=n/a
if [[ ,$servers, == *,herald,* ]]; then
  herald_version=$("$herald" --version 2>&1 | head -1 || true)
fi

machine_json > "$work/machine.json"
echo "# machine: $(machine_text)"
echo "# wrk: $(wrk --version 2>&1 | head -1 | cut -c1-40); servers on CPU $server_cpu, wrk on CPU $client_cpu"
for s in "${server_list[@]}"; do echo "# $s: ${server_cmd[$s]}"; done

runs_tsv="$work/runs.tsv"
: > "$runs_tsv"
one_run() { # variant server rep(0 = warm-up)
  local variant=$1 server=$2 rep=$3 url cmd t0 t1 s0 s1 w0 w1 b0 b1 k0 k1 out
  url=$(url_of "$server")
  cmd=$(wrk_cmd "$variant" "$url")
  out="$work/wrk-$variant-$server-$rep.txt"
  # shellcheck disable=SC2086
  t0=$(cpu_ticks ${server_pids[$server]}); s0=$(cpu_sys_ticks ${server_pids[$server]})
  b0=$(core_busy_ticks "$server_cpu"); k0=$(core_busy_ticks "$client_cpu")
  w0=$(date +%s.%N)
  local perf_pid=""
  if [ "$rep" -eq 0 ] && [ "$have_perf" = 1 ]; then
    perf stat -e raw_syscalls:sys_enter -x, -o "$out.perf" \
      -p "$(echo ${server_pids[$server]} | tr ' ' ,)" >/dev/null 2>&1 &
    perf_pid=$!
    sleep 0.5   # perf attaches asynchronously
  fi
  eval "/usr/bin/time -f 'wrk_cpu %U %S' -o '$out.time' $cmd" > "$out" 2>&1 || {
    echo "wrk failed for $server/$variant:" >&2; cat "$out" >&2; exit 1; }
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    local calls requests
    calls=$(awk -F, '/raw_syscalls:sys_enter/ { print $1 }' "$out.perf" 2>/dev/null)
    requests=$(awk '/ requests in / { print $1 }' "$out")
    if [[ $calls =~ ^[0-9]+$ ]] && [[ $requests =~ ^[0-9]+$ ]]; then
      printf '%s\t%s\t%s\t%s\n' "$variant" "$server" "$calls" "$requests" >> "$work/syscalls.tsv"
    fi
  fi
  w1=$(date +%s.%N)
  # shellcheck disable=SC2086
  t1=$(cpu_ticks ${server_pids[$server]}); s1=$(cpu_sys_ticks ${server_pids[$server]})
  b1=$(core_busy_ticks "$server_cpu"); k1=$(core_busy_ticks "$client_cpu")
  for pid in ${server_pids[$server]}; do
    kill -0 "$pid" 2>/dev/null || { echo "$server (pid $pid) died during the run" >&2; exit 1; }
  done
  if [ "$rep" -gt 0 ]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$server" "$rep" "$((t1 - t0))" \
      "$w0" "$w1" "$out" "$((b1 - b0))" "$((k1 - k0))" "$((s1 - s0))" "$cmd" >> "$runs_tsv"
    if [ -n "$out_dir" ]; then mkdir -p "$out_dir"; cp "$out" "$out_dir/http-$variant-$server-$rep.txt"; fi
  fi
  echo "#   $variant $server ${rep/#0/warm-up}: $(grep -E '^Requests/sec' "$out" | tr -s ' ') server CPU $(ticks_to_seconds $((t1 - t0))) s" >&2
}

for variant in "${variant_list[@]}"; do
  if [ "$warmup" = 1 ]; then
    for s in "${server_list[@]}"; do one_run "$variant" "$s" 0; done
  fi
  for ((rep = 1; rep <= repeat; rep++)); do
    # Alternate which server goes first so drift in the machine's load hits both alike.
    order=("${server_list[@]}")
    if ((rep % 2 == 0)); then order=($(printf '%s\n' "${server_list[@]}" | tac)); fi
    for s in "${order[@]}"; do one_run "$variant" "$s" "$rep"; done
  done
done

{
  for s in "${server_list[@]}"; do printf '%s\t%s\n' "$s" "${server_cmd[$s]}"; done
} > "$work/servers.tsv"
"$BENCH_PY" "$HERE/../lib/summarize.py" http "$work/summary.json" "$work/machine.json" \
  "$work/servers.tsv" "$runs_tsv" "$CLK_TCK" "syscalls_tsv=$work/syscalls.tsv" \
  "depth=$depth" "connections=$connections" "duration=$duration" "repeat=$repeat" \
  "server_cpu=$server_cpu" "client_cpu=$client_cpu" \
  "git_commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "herald_binary=$herald" "herald_version=$herald_version" \
  "nginx_version=$(nginx -v 2>&1 | sed 's/.*: //')" "wrk_version=$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
[ -n "$json" ] && cp "$work/summary.json" "$json"
exit 0
