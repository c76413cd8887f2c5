"""Start the real herald binary on a free loopback port for end-to-end tests.

Usage (pytest):
    from harness import herald_server
    def test_x():
        with herald_server("--threads", "2") as srv:
            srv.url("/health"); srv.port; srv.host
Runs under /usr/bin/python3 (Debian's python3-websockets and python3-autobahn live there).
HERALD_BIN names the binary (ctest sets it); otherwise build/asan/herald is tried.

Tests run beside other suites on a busy machine (ctest -j, an ASan build): wait for events with
wait_until() and generous deadlines (DEADLINE), never for a fixed time. docs/testing.md has the
rules.
"""
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.environ.get("HERALD_SOURCE") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def cache_value(build_dir, name):
    """The value of `name` in a CMake build directory's CMakeCache.txt."""
    with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split("=", 1)[1].strip()
    raise AssertionError(f"{name} not in CMakeCache.txt")


def herald_bin():
    b = os.environ.get("HERALD_BIN")
    if b:
        return b
    for cand in ("build/asan/herald", "build/release/herald", "build/debug/herald"):
        p = os.path.join(ROOT, cand)
        if os.path.exists(p):
            return p
    raise RuntimeError("herald binary not found: set HERALD_BIN")


LISTENING = re.compile(r"herald listening on http://127\.0\.0\.1:(\d+)/")
LISTENING_TLS = re.compile(r"herald listening on https://127\.0\.0\.1:(\d+)/")

# How long a test waits for something that must happen (an answer, an event, a close). On a
# quiet machine it happens in milliseconds; the deadline only bounds a failing test, so it is
# far above what an ASan build sharing two cores with other suites ever needs.
DEADLINE = 30.0


def wait_until(pred, timeout=DEADLINE, interval=0.02, what="the condition"):
    """Polls `pred` until it returns a true value (returned) or `timeout` s pass (AssertionError
    naming `what`). The event-driven replacement for a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout} s")
        time.sleep(interval)


@contextlib.contextmanager
def closed_port():
    """A loopback port where nothing listens, for "connection refused" tests. It is bound (not
    listening) for the duration, so no other suite's port-0 server can be given it meanwhile,
    as could happen with a port that was merely free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


class Relay:
    """A loopback port the test owns for its whole life, forwarding each new connection to the
    port in `backend` (None: a new connection is closed at once, as by a server that is down).
    For tests where clients must find a *restarted* server at the same address: restarting
    herald on its old port would race with parallel suites for that port, the relay's port
    never changes hands."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.backend = None
        self._conns = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return  # closed
            port = self.backend
            try:
                if port is None:
                    raise OSError("no backend")
                b = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
                b.settimeout(None)
            except OSError:
                c.close()
                continue
            pair = [c, b, 2]  # two pumps; the last one to end closes both sockets
            with self._lock:
                self._conns.append(pair)
            for src, dst in ((c, b), (b, c)):
                threading.Thread(target=self._pump, args=(src, dst, pair), daemon=True).start()

    def _pump(self, src, dst, pair):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)  # pass the FIN on
        except OSError:
            for s in pair[:2]:  # a reset or a closed peer: end both sides now
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        with self._lock:
            pair[2] -= 1
            last = pair[2] == 0
            if last and pair in self._conns:
                self._conns.remove(pair)
        if last:
            pair[0].close()
            pair[1].close()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        except OSError:
            pass
        self.sock.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for pair in conns:
            for s in pair[:2]:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class Server:
    def __init__(self, proc, port, log_path):
        self.proc = proc
        self.port = port
        self.tls_port = 0  # set when the server has a TLS listener (tls.listen)
        self.host = "127.0.0.1"
        self.log_path = log_path
        self.killed = False

    def url(self, path="/", scheme="http"):
        return f"{scheme}://{self.host}:{self.port}{path}"

    def tls_url(self, path="/", scheme="https"):
        return f"{scheme}://{self.host}:{self.tls_port}{path}"

    def tls_request(self, method, path, cafile=None, body=None, headers=None, timeout=10):
        """request() on the TLS port; verifies against `cafile` (None: no verification)."""
        ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
        conn = http.client.HTTPSConnection(self.host, self.tls_port, timeout=timeout, context=ctx)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def request(self, method, path, body=None, headers=None, timeout=DEADLINE):
        """One HTTP request on a fresh connection; returns (status, headers dict, body bytes)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def publish(self, channel, data, api_key=None):
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = "Bearer " + api_key
        status, _, body = self.request("POST", "/api/publish",
                                       json.dumps({"channel": channel, "data": data}), headers)
        assert status == 200, (status, body)
        return json.loads(body)

    def raw(self, data, read_timeout=DEADLINE, shutdown=False):
        """Sends raw bytes on a new connection and returns what is read until the server closes
        or one complete response (head and Content-Length body) is in; `read_timeout` bounds
        the wait."""
        s = socket.create_connection((self.host, self.port))
        s.settimeout(read_timeout)
        try:
            if data:
                s.sendall(data)
            if shutdown:
                s.shutdown(socket.SHUT_WR)
            out = b""
            while not _complete_response(out):
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()

    def metric(self, name):
        """The value of one sample of /metrics (`name` with its labels, exactly as exported),
        or None when the server does not export it."""
        status, _, body = self.request("GET", "/metrics")
        assert status == 200, status
        for line in body.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.rsplit(" ", 1)[1])
        return None

    def kill(self):
        """SIGKILL, for tests of a server that goes away; herald_server then accepts the -9."""
        self.killed = True
        self.proc.kill()

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        """kill -9 (a crashed or lost node): the end of the test expects it dead, not clean."""
        self.killed = True
        self.proc.kill()
        self.proc.wait()


def _complete_response(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"^content-length:\s*(\d+)\s*$", head, re.I | re.M)
    return m is not None and len(body) >= int(m.group(1))


@contextlib.contextmanager
def herald_server(*args, config=None, env=None, ready_path="/health", timeout=60, plain=True):
    """Starts `herald serve --listen 127.0.0.1:0 ARGS...` and yields a Server once `ready_path`
    answers 200 (over TLS with plain=False: the server then has no plain listener, `--set
    listen=`, and ARGS must open a TLS one, tls.listen); stops it (SIGTERM) at the end and fails the test if it crashed or a sanitizer
    reported anything. Its temporary directory (config, log) is removed when all went well and
    kept, with its path printed, when something failed."""
    # Port 0: the kernel picks a free port and herald prints it ("herald listening on
    # http://127.0.0.1:PORT/"), so suites running in parallel never race for a port.
    tmp = tempfile.mkdtemp(prefix="herald-e2e-")
    ok = False
    try:
        cmd = [herald_bin(), "serve"] + (["--listen", "127.0.0.1:0"] if plain else ["--set", "listen="])
        if config is not None:
            path = os.path.join(tmp, "herald.toml")
            with open(path, "w") as f:
                f.write(config)
            cmd += ["--config", path]
        cmd += list(args)
        log_path = os.path.join(tmp, "herald.log")
        full_env = dict(os.environ)
        full_env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        if env:
            full_env.update(env)
        with open(log_path, "w") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=full_env)
        srv = Server(proc, 0, log_path)
        try:
            _wait_ready(srv, ready_path, timeout, plain)
            yield srv
        finally:
            _stop(srv)
        log = srv.log()
        if "ERROR: AddressSanitizer" in log or "runtime error:" in log or "ERROR: LeakSanitizer" in log:
            raise AssertionError("sanitizer report in herald's log:\n" + log[-8000:])
        allowed = (0, -15, -9) if srv.killed else (0, -15)
        if proc.returncode not in allowed:
            raise AssertionError(f"herald exited with {proc.returncode}:\n{log[-8000:]}")
        ok = True
    finally:
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"herald_server: kept {tmp} (config and log)", file=sys.stderr)


def _wait_ready(srv, ready_path, timeout, plain):
    deadline = time.monotonic() + timeout
    while True:
        if srv.proc.poll() is not None:
            raise RuntimeError(f"herald exited with {srv.proc.returncode}:\n{srv.log()}")
        if not srv.port:
            m = LISTENING.search(srv.log())
            srv.port = int(m.group(1)) if m else 0
        if not srv.tls_port:
            m = LISTENING_TLS.search(srv.log())
            srv.tls_port = int(m.group(1)) if m else 0
        try:
            if srv.port and ready_path is None:
                return  # the caller probes readiness itself (e.g. behind a PROXY header)
            if plain and srv.port and srv.request("GET", ready_path, timeout=10)[0] == 200:
                return
            if not plain and srv.tls_port and srv.tls_request("GET", ready_path, timeout=10)[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"herald did not become ready within {timeout} s:\n{srv.log()}")
        time.sleep(0.05)


def _stop(srv):
    """SIGTERM and wait; SIGKILL after a generous grace (the drain is 2 s by default, and an
    ASan process still runs its leak check on exit). Never leaves the process behind."""
    proc = srv.proc
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
