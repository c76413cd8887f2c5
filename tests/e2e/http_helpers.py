"""Raw-socket HTTP/1.1 client helpers shared by the test_http_*.py files (no tests here).

A Client holds one TCP connection and reads responses exactly as a client would: status line,
headers, a body framed by Content-Length, and whether the server closed the connection.
"""
import json
import select
import socket
import time
import urllib.parse

from harness import DEADLINE


class Response:
    def __init__(self, version, status, reason, headers, body):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) in order
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.headers} {self.body[:200]!r}>"


class Client:
    """One connection; send() raw bytes, response() reads the next response."""

    def __init__(self, srv, timeout=DEADLINE):
        self.sock = socket.create_connection((srv.host, srv.port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False
        self.host = srv.host
        self.timeout = timeout

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def get(self, path, headers="", method="GET"):
        self.send(f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{headers}\r\n")

    def _fill(self, deadline):
        if self.eof:
            return False
        left = deadline - time.time()
        if left <= 0:
            return False
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return False
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def response(self, timeout=None, head=False):
        """The next response; `head=True` for a HEAD request (no body whatever Content-Length
        says). Raises AssertionError if none arrives in time."""
        deadline = time.time() + (timeout or self.timeout)
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise AssertionError(f"no complete response head (eof={self.eof}): {self.buf!r}")
        raw_head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw_head.decode("latin-1").split("\r\n")
        version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        headers = []
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers.append((k.strip(), v.strip()))
        resp = Response(version, int(status), reason, headers, b"")
        if head or resp.status in (204, 304) or 100 <= resp.status < 200:
            return resp
        cl = resp.header("content-length")
        assert cl is not None, f"response without Content-Length: {resp}"
        n = int(cl)
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise AssertionError(f"short body: {len(self.buf)} of {n}")
        resp.body, self.buf = self.buf[:n], self.buf[n:]
        return resp

    def closed_by_server(self, timeout=DEADLINE):
        """True if the server closes the connection within `timeout` (extra bytes fail). To
        show that a connection stays open, send another request on it instead: a short
        timeout here would pass whether or not the server meant to close."""
        deadline = time.time() + timeout
        while self._fill(deadline):
            pass
        assert self.buf == b"" or not self.eof, f"unexpected bytes before close: {self.buf!r}"
        return self.eof

    def close(self):
        self.sock.close()


def sse_connect(srv, channel):
    """Opens an SSE stream on `channel` and returns (socket, buffered bytes after the head)."""
    s = socket.create_connection((srv.host, srv.port), timeout=DEADLINE)
    q = urllib.parse.urlencode({"channel": channel})
    s.sendall(f"GET /sse?{q} HTTP/1.1\r\nHost: {srv.host}\r\nAccept: text/event-stream\r\n\r\n"
              .encode())
    buf = b""
    deadline = time.time() + DEADLINE
    while b"\r\n\r\n" not in buf and time.time() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    assert buf.startswith(b"HTTP/1.1 200"), buf
    return s, buf.split(b"\r\n\r\n", 1)[1]


class SseReader:
    """Reads events from an open SSE stream: next_data() returns the next `data:` payload of a
    message event; other events are kept in `events` as (event, data).

    The constructor returns once the stream is live: the server ends the preamble with an
    id-only event carrying the cursor it subscribed at, so a publication made afterwards is
    delivered (no sleep needed between opening a stream and publishing to it)."""

    def __init__(self, srv, channel):
        self.sock, self.buf = sse_connect(srv, channel)
        self.eof = False
        self.events = []
        deadline = time.time() + DEADLINE
        while not self._preamble_done():
            assert self._fill(deadline), f"SSE preamble never ended: {self.buf!r}"

    def _preamble_done(self):
        """Consumes the data-less blocks at the head of the buffer; True after an id-only one."""
        while b"\n\n" in self.buf:
            block, rest = self.buf.split(b"\n\n", 1)
            lines = block.split(b"\n")
            if any(ln.startswith(b"data") for ln in lines):
                return True  # a replay: the stream was live before it
            self.buf = rest
            if any(ln.startswith(b"id:") for ln in lines):
                return True
        return False

    def _fill(self, deadline):
        left = deadline - time.time()
        if left <= 0 or self.eof:
            return False
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return False
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def next_event(self, timeout=DEADLINE):
        """(event name, data) of the next event with data, or None on timeout / end of stream."""
        deadline = time.time() + timeout
        while True:
            while b"\n\n" not in self.buf:
                if not self._fill(deadline):
                    return None
            block, self.buf = self.buf.split(b"\n\n", 1)
            name, data = "message", []
            for line in block.decode().split("\n"):
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
            if data:
                self.events.append((name, "\n".join(data)))
                return name, "\n".join(data)

    def next_message(self, timeout=DEADLINE):
        deadline = time.time() + timeout
        while True:
            ev = self.next_event(max(0.01, deadline - time.time()))
            if ev is None:
                return None
            if ev[0] == "message":
                return json.loads(ev[1])

    def close(self):
        self.sock.close()
