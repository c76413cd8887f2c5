# bench/lib/cpu.sh — shell helpers shared by the bench/ scripts. Source it:
#   . "$(dirname "$0")/../lib/cpu.sh"
#
# Functions:
#   cpu_ticks PID...        utime+stime of the given processes (all their threads),
#                           in clock ticks, summed. Reads /proc/PID/stat fields 14+15.
#   cpu_sys_ticks PID...    stime only (kernel time), same units: with cpu_ticks it gives
#                           the kernel share of the server's CPU.
#   cpu_seconds PID...      same, in seconds (ticks / CLK_TCK), e.g. "12.34".
#   ticks_to_seconds N      N clock ticks as seconds.
#   core_busy_ticks CPU     ticks CPU number CPU spent not idle since boot (all processes:
#                           user+nice+system+irq+softirq+steal from /proc/stat). The delta
#                           over a run, minus the server's own ticks, shows how much of the
#                           pinned core other work (e.g. builds on a shared machine) took.
#   proc_tree PID           PID and all its descendants (nginx master + workers).
#   median N...             median of the numbers (mean of the two middle ones if even).
#   spread N...             "min..max" of the numbers.
#   machine_json            {"nproc":..,"cpu_model":..,"kernel":..,"loadavg":..} on stdout.
#   machine_text            the same as one human line.
#   wait_port HOST PORT [TIMEOUT_S]   wait until a TCP connect succeeds (default 10 s).
#   port_free PORT          exit 0 when nothing listens on 127.0.0.1:PORT.
#
# Everything here only reads /proc and talks to loopback.

BENCH_PY=/usr/bin/python3   # the Debian python; pyenv shims may shadow python3 in PATH

CLK_TCK=$(getconf CLK_TCK)

cpu_ticks() {
  local total=0 pid rest
  for pid in "$@"; do
    # Field 2 (comm) may contain spaces and parentheses: cut after the last ')'.
    rest=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    [ -n "$rest" ] || continue
    # After comm, field 3 (state) is word 1, so utime (14) is word 12, stime (15) word 13.
    set -- $rest
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

core_busy_ticks() {
  awk -v cpu="cpu$1" '$1 == cpu { print $2 + $3 + $4 + $7 + $8 + $9; found = 1 }
                      END { if (!found) print 0 }' /proc/stat
}

ticks_to_seconds() {
  "$BENCH_PY" -c "import sys; print('%.2f' % (int(sys.argv[1]) / int(sys.argv[2])))" "$1" "$CLK_TCK"
}

cpu_sys_ticks() {
  local total=0 pid rest
  for pid in "$@"; do
    rest=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    [ -n "$rest" ] || continue
    set -- $rest
    total=$((total + ${13}))
  done
  echo "$total"
}

cpu_seconds() {
  ticks_to_seconds "$(cpu_ticks "$@")"
}

proc_tree() {
  local pid=$1 child
  echo "$pid"
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
    proc_tree "$child"
  done
}

median() {
  "$BENCH_PY" -c 'import sys, statistics; v=[float(x) for x in sys.argv[1:]]; print("%g" % statistics.median(v))' "$@"
}

spread() {
  "$BENCH_PY" -c 'import sys; v=[float(x) for x in sys.argv[1:]]; print("%g..%g" % (min(v), max(v)))' "$@"
}

machine_json() {
  "$BENCH_PY" - <<'PY'
import json, os, platform
model = "unknown"
with open("/proc/cpuinfo") as f:
    for line in f:
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
with open("/proc/loadavg") as f:
    load = f.read().split()[:3]
print(json.dumps({
    "nproc": os.cpu_count(),
    "cpu_model": model,
    "kernel": platform.release(),
    "os": platform.freedesktop_os_release().get("PRETTY_NAME", "") if hasattr(platform, "freedesktop_os_release") else "",
    "loadavg_at_start": [float(x) for x in load],
}))
PY
}

machine_text() {
  machine_json | "$BENCH_PY" -c 'import json,sys; m=json.load(sys.stdin); print("%s cores, %s, kernel %s, %s, loadavg %s" % (m["nproc"], m["cpu_model"], m["kernel"], m["os"], " ".join(str(x) for x in m["loadavg_at_start"])))'
}

wait_port() {
  local host=$1 port=$2 timeout=${3:-10} i
  for ((i = 0; i < timeout * 20; i++)); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
