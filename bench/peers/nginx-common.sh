#!/usr/bin/env bash
# Shared start/stop logic for the private nginx peers under bench/peers/<name>/.
# Called as: nginx-common.sh PEER_DIR start|stop|pids|status PORT DIR [-- nginx-prefix-cmd...]
set -euo pipefail

PEER_DIR=$1; shift
PEER=$(basename "$PEER_DIR")
. "$PEER_DIR/../../lib/cpu.sh"

usage() {
  cat <<USAGE
Usage: bench/peers/$PEER/run.sh start PORT DIR [--cpu LIST]
       bench/peers/$PEER/run.sh stop PORT DIR
       bench/peers/$PEER/run.sh pids PORT DIR

Runs a private nginx ($PEER peer, config $PEER_DIR/nginx.conf.in) on 127.0.0.1:PORT.
Everything it writes (rendered nginx.conf, pid file, error.log, temp dirs) lives under DIR;
the system nginx (/etc/nginx, /var/log/nginx, /run/nginx.pid) is never used or touched.
One worker process (worker_processes 1).

  start   render DIR/nginx.conf from the template, start nginx (daemonised, master +
          1 worker), wait until PORT accepts connections; prints the master pid.
          --cpu LIST  start it under 'taskset -c LIST' (master and worker inherit it).
  stop    stop the nginx whose pid is in DIR/nginx.pid (SIGQUIT, then SIGTERM after 5 s,
          SIGKILL after 10 s) and wait for it to exit.
  pids    print the master and worker pids (for CPU accounting from /proc/PID/stat).

About this peer (from the head of its nginx.conf.in):
USAGE
  awk '/^#/ { sub(/^# ?/, "  "); print; next } { exit }' "$PEER_DIR/nginx.conf.in"
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
case $1 in -h|--help|help) usage; exit 0 ;; esac
[ $# -ge 3 ] || { usage >&2; exit 2; }
cmd=$1 port=$2 dir=$3; shift 3
cpu=""
while [ $# -gt 0 ]; do
  case $1 in
    --cpu) cpu=$2; shift 2 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $port =~ ^[0-9]+$ ]] || { echo "PORT must be a number: $port" >&2; exit 2; }

master_pid() {
  [ -s "$dir/nginx.pid" ] || return 1
  local pid; pid=$(cat "$dir/nginx.pid")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

case $cmd in
  start)
    mkdir -p "$dir/tmp"
    dir=$(cd "$dir" && pwd)
    if master_pid >/dev/null; then echo "already running in $dir (pid $(master_pid))" >&2; exit 1; fi
    if ! port_free "$port"; then echo "127.0.0.1:$port is already in use" >&2; exit 1; fi
    sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" "$PEER_DIR/nginx.conf.in" > "$dir/nginx.conf"
    launcher=()
    [ -n "$cpu" ] && launcher=(taskset -c "$cpu")
    # -p: private prefix; -e: early error log (before the config is read) goes to DIR too.
    "${launcher[@]}" nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
    if ! wait_port 127.0.0.1 "$port" 10; then
      echo "nginx did not open 127.0.0.1:$port; see $dir/error.log" >&2
      tail -5 "$dir/error.log" >&2 || true
      exit 1
    fi
    master_pid
    ;;
  stop)
    pid=$(master_pid) || { echo "not running ($dir/nginx.pid)" >&2; exit 0; }
    kill -QUIT "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
      kill -0 "$pid" 2>/dev/null || exit 0
      [ $i -eq 100 ] && kill -TERM "$pid" 2>/dev/null || true
      sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    ;;
  pids)
    pid=$(master_pid) || { echo "not running ($dir/nginx.pid)" >&2; exit 1; }
    proc_tree "$pid"
    ;;
  *) usage >&2; exit 2 ;;
esac
