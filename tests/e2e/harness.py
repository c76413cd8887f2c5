"""Start the real herald binary on a free loopback port for end-to-end tests.

Usage (pytest):
    from harness import herald_server
    def test_x():
        with herald_server("--threads", "2") as srv:
            srv.url("/health"); srv.port; srv.host
Runs under /usr/bin/python3 (Debian's python3-websockets and python3-autobahn live there).
HERALD_BIN names the binary (ctest sets it); otherwise build/asan/herald is tried.
"""
import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("HERALD_SOURCE") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, proc, port, log_path):
        self.proc = proc
        self.port = port
        self.host = "127.0.0.1"
        self.log_path = log_path
        self.killed = False

    def url(self, path="/", scheme="http"):
        return f"{scheme}://{self.host}:{self.port}{path}"

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def request(self, method, path, body=None, headers=None, timeout=10):
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

    def raw(self, data, read_timeout=2.0, shutdown=False):
        """Sends raw bytes on a new connection and returns everything read until close/timeout."""
        s = socket.create_connection((self.host, self.port))
        s.settimeout(read_timeout)
        try:
            if data:
                s.sendall(data)
            if shutdown:
                s.shutdown(socket.SHUT_WR)
            out = b""
            while True:
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

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        """kill -9 (a crashed or lost node): the end of the test expects it dead, not clean."""
        self.killed = True
        self.proc.kill()
        self.proc.wait()


@contextlib.contextmanager
def herald_server(*args, config=None, env=None, ready_path="/health", timeout=20):
    """Starts `herald serve --listen 127.0.0.1:PORT ARGS...`; stops it (SIGTERM) at the end and
    fails the test if it crashed or a sanitizer reported anything."""
    # Port 0: the kernel picks a free port and herald prints it ("herald listening on
    # http://127.0.0.1:PORT/"), so suites running in parallel never race for a port.
    tmp = tempfile.mkdtemp(prefix="herald-e2e-")
    cmd = [herald_bin(), "serve", "--listen", "127.0.0.1:0"]
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
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"herald exited with {proc.returncode}:\n{srv.log()}")
        if not srv.port:
            m = LISTENING.search(srv.log())
            srv.port = int(m.group(1)) if m else 0
        try:
            if srv.port and srv.request("GET", ready_path, timeout=2)[0] == 200:
                break
        except OSError:
            pass
        if time.time() > deadline:
            proc.kill()
            raise RuntimeError(f"herald did not become ready:\n{srv.log()}")
        time.sleep(0.05)
    try:
        yield srv
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log = srv.log()
        if "ERROR: AddressSanitizer" in log or "runtime error:" in log or "ERROR: LeakSanitizer" in log:
            raise AssertionError("sanitizer report in herald's log:\n" + log[-8000:])
        if proc.returncode not in (0, -15) and not srv.killed:
            raise AssertionError(f"herald exited with {proc.returncode}:\n{log[-8000:]}")
