#!/usr/bin/python3
"""Shared helpers for bench/fanout, bench/memory, bench/echo, bench/compare.

Starts herald / Nchan / Node ws pinned to a CPU, runs `herald bench` pinned to another CPU
(--no-pin --threads 1, so the client stays where taskset put it: the bench would otherwise pin
its loop 0 to core 0, on top of the server), and measures around each run from /proc:
server utime/stime (kernel share), client CPU (rusage of the bench process), the load average
and how much of the server's core the rest of the machine took ("others").
Everything binds 127.0.0.1; every process started here is stopped by its pid.
"""
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERALD = os.environ.get("HERALD", os.path.join(REPO, "build", "release", "herald"))
NCHAN_RUN = os.path.join(REPO, "bench", "peers", "nchan", "run.sh")
NCHAN_TLS_RUN = os.path.join(REPO, "bench", "peers", "nchan-tls", "run.sh")
UWS_SERVER = os.path.join(REPO, "bench", "peers", "uws", "server.js")
CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVER_CPU = os.environ.get("SERVER_CPU", "0")
CLIENT_CPU = os.environ.get("CLIENT_CPU", "1")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def raise_nofile(n=20000):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": os.uname().release,
            "loadavg_at_start": loadavg()}


def proc_times(pids):
    """(utime, stime) in seconds summed over pids (all threads)."""
    u = s = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        u += int(rest[11])
        s += int(rest[12])
    return u / CLK_TCK, s / CLK_TCK


def core_busy(cpus):
    """Busy seconds of the given CPU numbers since boot (all processes)."""
    total = 0
    with open("/proc/stat") as f:
        for line in f:
            p = line.split()
            if p[0] in {f"cpu{c}" for c in cpus}:
                total += sum(int(x) for x in (p[1], p[2], p[3], p[6], p[7], p[8]))
    return total / CLK_TCK


def total_ir(path):
    """The total instruction count (Ir) of a callgrind output file."""
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


class Server:
    """A running server: kind, url, pids (for CPU), sample_pid (for herald bench).

    tls: {"cert": PEM, "key": PEM, "ca": PEM} makes herald listen with TLS only on `port`
    (kind "herald") and is required by kind "nchan-tls"; the url is then https:// and
    bench_extra passes --cacert to herald bench."""

    def __init__(self, kind, port, threads=1, cpus=None, extra=(), tls=None):
        self.kind, self.port, self.threads = kind, port, threads
        self.cpus = cpus or SERVER_CPU
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        self.bench_extra = ["--cacert", tls["ca"]] if tls else []
        self.proc = None
        self.dir = None
        if kind == "herald" and tls:
            extra = ("--set", "listen=", "--set", f"tls.listen=127.0.0.1:{port}",
                     "--set", f"tls.cert_file={tls['cert']}", "--set", f"tls.key_file={tls['key']}",
                     *extra)
        if kind == "herald":
            cmd = ["taskset", "-c", self.cpus, HERALD, "serve", "--listen",
                   f"127.0.0.1:{port}", "--threads", str(threads), "--log-level", "error",
                   *extra]
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, preexec_fn=raise_nofile)
            self.pids = [self.proc.pid]
            self.sample_pid = self.proc.pid
            self.target = "herald"
        elif kind in ("nchan", "nchan-tls"):
            self.run_sh = NCHAN_TLS_RUN if kind == "nchan-tls" else NCHAN_RUN
            self.dir = tempfile.mkdtemp(prefix=f"herald-bench-{kind}-")
            if kind == "nchan-tls":
                shutil.copy(tls["cert"], os.path.join(self.dir, "cert.pem"))
                shutil.copy(tls["key"], os.path.join(self.dir, "key.pem"))
            subprocess.run([self.run_sh, "start", str(port), self.dir, "--cpu", self.cpus],
                           check=True, stdout=subprocess.DEVNULL)
            # The worker may not be forked yet when the port opens: wait for master + worker.
            for _ in range(100):
                pids = subprocess.run([self.run_sh, "pids", str(port), self.dir], check=True,
                                      capture_output=True, text=True).stdout.split()
                if len(pids) >= 2:
                    break
                time.sleep(0.05)
            self.pids = [int(p) for p in pids]
            self.sample_pid = self.pids[-1]  # the worker (the master only forks)
            self.target = "nchan"
        elif kind == "uws":
            # uWebSockets.js (bench/peers/uws): Nchan's URLs for pub/sub, any other WebSocket
            # path echoes. One process, one thread of uWS's loop (V8's helper threads are
            # counted too: /proc sums every thread of the pid).
            cmd = ["taskset", "-c", self.cpus, "node", UWS_SERVER, str(port)]
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                         preexec_fn=raise_nofile)
            self.pids = [self.proc.pid]
            self.sample_pid = self.proc.pid
            self.target = "nchan"
        elif kind == "node-ws":
            cmd = ["taskset", "-c", self.cpus, "node",
                   os.path.join(REPO, "bench", "echo", "node-ws-echo.js"), str(port)]
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                         preexec_fn=raise_nofile,
                                         env={**os.environ, "NODE_PATH": os.path.join(
                                             REPO, "tests", "e2e", "js", "node_modules")})
            self.pids = [self.proc.pid]
            self.sample_pid = self.proc.pid
            self.target = "ws-echo"
        else:
            raise ValueError(kind)
        self.wait_ready()

    def wait_ready(self, timeout=10):
        import socket
        end = time.time() + timeout
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.kind} did not listen on {self.port}")

    def stop(self):
        if self.kind in ("nchan", "nchan-tls"):
            subprocess.run([self.run_sh, "stop", str(self.port), self.dir],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(self.dir, ignore_errors=True)
        elif self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_bench(server, args, client_cpu=None, timeout=120, during=None):
    """Runs herald bench against server; returns its first run's JSON plus our /proc figures.

    during(server) is called while the bench runs (e.g. to sample RSS), after it started.
    """
    client_cpu = client_cpu or CLIENT_CPU
    fd, jpath = tempfile.mkstemp(suffix=".json", prefix="herald-bench-")
    os.close(fd)
    cmd = ["taskset", "-c", client_cpu, HERALD, "bench", "--url", server.url, "--target",
           server.target, "--no-pin", "--threads", "1", "--server-pid",
           str(server.sample_pid), "--json", jpath, "-q", *server.bench_extra, *args]
    load = loadavg()
    busy0 = core_busy(server.cpus.split(","))
    u0, s0 = proc_times(server.pids)
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=raise_nofile)
    extra = during(server) if during else None
    try:
        _, status, ru = os.wait4(p.pid, 0)
    except KeyboardInterrupt:
        p.kill()
        raise
    wall = time.time() - t0
    u1, s1 = proc_times(server.pids)
    busy1 = core_busy(server.cpus.split(","))
    err = p.stderr.read().decode(errors="replace")
    try:
        with open(jpath) as f:
            j = json.load(f)
    except (OSError, ValueError):
        j = {"runs": []}
    os.unlink(jpath)
    if not j.get("runs"):
        raise RuntimeError(f"bench failed ({status}): {' '.join(cmd)}\n{err[-2000:]}")
    r = j["runs"][0]
    srv_cpu = (u1 - u0) + (s1 - s0)
    ncores = len(server.cpus.split(","))
    r["_proc"] = {
        "cmd": " ".join(cmd),
        "exit": os.waitstatus_to_exitcode(status),
        "wall_s": wall,
        "loadavg": load,
        "server_cpu_s_proc": srv_cpu,
        "kernel_share": (s1 - s0) / srv_cpu if srv_cpu > 0 else None,
        "client_cpu_s": ru.ru_utime + ru.ru_stime,
        # The client's CPU over its whole life (connect + publish + drain) per wall second.
        "client_cpu_frac": (ru.ru_utime + ru.ru_stime) / wall if wall > 0 else None,
        # What the rest of the machine took of the server's core(s) meanwhile.
        "others_on_server_cores": max(0.0, (busy1 - busy0 - srv_cpu) / (wall * ncores)),
        "extra": extra,
    }
    return r


def test_pki():
    """A throw-away CA and a P-256 server certificate for 127.0.0.1 / localhost, made with
    openssl in a temporary folder: (folder, {"cert", "key", "ca"}). Remove the folder after."""
    d = tempfile.mkdtemp(prefix="herald-bench-pki-")

    def ossl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=herald bench CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    with open(os.path.join(d, "leaf.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", "key.pem", "-out", "leaf.csr", "-subj", "/CN=localhost")
    ossl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-set_serial", "1", "-days", "2", "-extfile", "leaf.ext", "-out", "cert.pem")
    return d, {"cert": os.path.join(d, "cert.pem"), "key": os.path.join(d, "key.pem"),
               "ca": os.path.join(d, "ca.pem")}


def server_for(name, port, tls=None, **kw):
    """A Server by bench name: herald, nchan, or their TLS variants herald-tls, nchan-tls
    (which need `tls`, from test_pki())."""
    if name == "herald-tls":
        return Server("herald", port, tls=tls, **kw)
    if name == "nchan-tls":
        return Server("nchan-tls", port, tls=tls, **kw)
    return Server(name, port, **kw)


def figures(r):
    """The figures the tables use, from one run."""
    d = r["delivered"] if r.get("delivered") else r.get("round_trips", 0)
    cpu_ms_1k = r["per_delivery"].get("server_cpu_ms_per_1000") or 0
    return {
        "per_wall_s": r["deliveries_per_second"],
        "per_server_cpu_s": 1e6 / cpu_ms_1k if cpu_ms_1k else None,
        "server_cpu_frac": (cpu_ms_1k * d / 1e6) / r["publish_seconds"]
        if r.get("publish_seconds") else None,
        "kernel_share": r["_proc"]["kernel_share"],
        "client_cpu_frac": r["_proc"]["client_cpu_frac"],
        "others": r["_proc"]["others_on_server_cores"],
        "p50_us": r["latency_ns"]["p50"] / 1e3,
        "p99_us": r["latency_ns"]["p99"] / 1e3,
        "clean": r["clean"],
        "missing": r.get("missing", 0),
    }


def med(values):
    v = [x for x in values if x is not None]
    if not v:
        return {"median": None, "min": None, "max": None, "runs": []}
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "runs": v}


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if abs(v) >= 1e6:
        return f"{v / 1e6:.2f}M{unit}"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.0f}k{unit}"
    if abs(v) >= 100:
        return f"{v:.0f}{unit}"
    return f"{v:.2f}{unit}"


def fmt_ms(m, f=fmt):
    return f"{f(m['median'])} ({f(m['min'])}..{f(m['max'])})"


def pct(v):
    return "n/a" if v is None else f"{v * 100:.0f}%"


def us(v):
    if v is None:
        return "n/a"
    return f"{v / 1e3:.2f} ms" if v >= 1000 else f"{v:.0f} µs"
