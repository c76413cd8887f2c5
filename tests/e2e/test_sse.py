"""GET /sse end to end: the real binary with raw sockets, curl and Node's `eventsource`.

docs/protocol.md: each event's data is the JSON push object, its id a cursor over every channel of
the stream (Last-Event-ID, or ?since=, resumes them all with no gap and no duplicate), a
cursor that cannot be honoured gives `event: recovery` before any publication of its channel,
heartbeat comments, `retry:`, slow consumers are cut off, SIGTERM sends `event: reconnect`.
"""
import base64
import http.client
import json
import os
import select
import shutil
import socket
import subprocess
import time
import urllib.parse

import pytest

from harness import DEADLINE, ROOT, Relay, herald_server, wait_until

# Tests publish a lot from one connection: lift the per-connection publish rate.
BASE_CONFIG = """
[limits]
publish_rate = 10000000
"""


def sse_path(*channels, since=None):
    q = [("channel", c) for c in channels]
    if since is not None:
        q.append(("since", since))
    return "/sse?" + urllib.parse.urlencode(q)


def multi_cursor(entries):
    """Builds the "m1." multi-channel cursor (src/proto/cursor.h) from [(channel, epoch, offset)]."""
    payload = ",".join(f"{c} {e}:{o}" for c, e, o in entries)
    return "m1." + base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


class SseStream:
    """A raw-socket SSE reader: sends the request, parses the head, then events."""

    def __init__(self, srv, path, headers=None, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect((srv.host, srv.port))
        lines = [f"GET {path} HTTP/1.1", f"Host: {srv.host}", "Accept: text/event-stream"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        self.closed = False
        self.comments = []
        self.last_id = None
        self.retry = None
        self.status, self.headers, self.body = None, {}, b""

    def read_head(self, timeout=DEADLINE):
        deadline = time.time() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline):
                raise AssertionError(f"no response head: {self.buf!r}")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        for ln in lines[1:]:
            k, v = ln.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        return self.status

    def read_error_body(self, timeout=DEADLINE):
        n = int(self.headers.get("content-length", "0"))
        deadline = time.time() + timeout
        while len(self.buf) < n and self._fill(deadline):
            pass
        return json.loads(self.buf[:n])

    def _fill(self, deadline):
        if self.closed:
            return False
        # A past deadline still polls once, so timeout=0 reads what is already there.
        r, _, _ = select.select([self.sock], [], [], max(0.0, deadline - time.time()))
        if not r:
            return False
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.buf += chunk
        return True

    def next_event(self, timeout=DEADLINE, with_empty=False):
        """The next dispatched event as {"id","event","data"}, or None on timeout/close.
        Events without data (id-only) only update last_id unless with_empty."""
        deadline = time.time() + timeout
        while True:
            while b"\n\n" not in self.buf:
                if not self._fill(deadline):
                    return None
            block, self.buf = self.buf.split(b"\n\n", 1)
            ev = {"id": None, "event": "message", "data": None}
            data = []
            for line in block.decode().split("\n"):
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "id":
                    ev["id"] = value
                    self.last_id = value
                elif field == "event":
                    ev["event"] = value
                elif field == "data":
                    data.append(value)
                elif field == "retry":
                    self.retry = int(value)
            if data:
                ev["data"] = "\n".join(data)
                return ev
            if with_empty and ev["id"] is not None:
                return ev

    def events(self, n, timeout=DEADLINE):
        out = []
        for _ in range(n):
            ev = self.next_event(timeout)
            assert ev is not None, f"got {len(out)} of {n} events: {out}"
            out.append(ev)
        return out

    def close(self):
        self.sock.close()


def push(ev):
    assert ev["event"] == "message", ev
    return json.loads(ev["data"])


def open_stream(srv, path, headers=None, **kw):
    s = SseStream(srv, path, headers, **kw)
    assert s.read_head() == 200, s.buf
    return s


def settle(stream):
    """Reads the preamble up to the id-only event that ends it (the stream is then live)."""
    ev = stream.next_event(timeout=DEADLINE, with_empty=True)
    assert ev is not None and ev["data"] is None, ev
    return ev["id"]


def test_head_retry_and_live_events():
    with herald_server(config=BASE_CONFIG) as srv:
        s = open_stream(srv, sse_path("public:live"), headers={"Origin": "https://app.example"})
        assert s.headers["content-type"] == "text/event-stream"
        assert s.headers["cache-control"] == "no-cache"
        assert s.headers["access-control-allow-origin"] == "*"
        assert "content-length" not in s.headers and "transfer-encoding" not in s.headers
        start = settle(s)
        assert start.endswith(":0")  # an empty stream's cursor E:0
        assert s.retry == 2000
        r1 = srv.publish("public:live", {"n": 1})
        r2 = srv.publish("public:live", "two\nlines")
        e1, e2 = s.events(2)
        assert push(e1) == {"channel": "public:live", "offset": 1, "data": {"n": 1}}
        assert push(e2) == {"channel": "public:live", "offset": 2, "data": "two\nlines"}
        # Single-channel streams use the plain cursor as id.
        assert e1["id"] == f"{r1['epoch']}:1" and e2["id"] == f"{r2['epoch']}:2"
        s.close()


def test_replay_then_live_with_since():
    with herald_server(config=BASE_CONFIG) as srv:
        r = [srv.publish("public:r", i) for i in range(1, 5)]
        epoch = r[0]["epoch"]
        s = open_stream(srv, sse_path("public:r", since=f"{epoch}:1"))
        got = s.events(3)
        assert [push(e)["offset"] for e in got] == [2, 3, 4]
        assert [push(e)["data"] for e in got] == [2, 3, 4]
        assert got[-1]["id"] == f"{epoch}:4"
        srv.publish("public:r", 5)
        live = s.next_event()
        assert push(live)["offset"] == 5 and live["id"] == f"{epoch}:5"
        # Nothing twice: the next event is the next publication (a marker, not a timed
        # silence, which a busy machine would pass whatever the server sent).
        srv.publish("public:r", 6)
        assert push(s.next_event())["offset"] == 6
        s.close()


def test_last_event_id_resumes_two_channels_without_gap_or_duplicate():
    with herald_server(config=BASE_CONFIG) as srv:
        s = open_stream(srv, sse_path("public:a", "public:b"))
        first = settle(s)
        assert first.startswith("m1.")
        srv.publish("public:a", "a1")
        srv.publish("public:b", "b1")
        srv.publish("public:a", "a2")
        seen = [push(e)["data"] for e in s.events(3)]
        assert seen == ["a1", "b1", "a2"]
        last = s.last_id
        s.close()
        # While disconnected.
        for ch, d in [("public:a", "a3"), ("public:b", "b2"), ("public:b", "b3")]:
            srv.publish(ch, d)
        # The browser reconnects with the original URL (here a stale ?since=) plus
        # Last-Event-ID: the header wins.
        stale = multi_cursor([("public:a", "zzz", 0), ("public:b", "zzz", 0)])
        s2 = open_stream(srv, sse_path("public:a", "public:b", since=stale),
                         headers={"Last-Event-ID": last})
        replay = s2.events(3)
        assert all(e["event"] == "message" for e in replay), replay
        pushes = [push(e) for e in replay]
        by_channel = {}
        for p in pushes:
            by_channel.setdefault(p["channel"], []).append(p["data"])
        assert by_channel == {"public:a": ["a3"], "public:b": ["b2", "b3"]}
        srv.publish("public:b", "b4")
        srv.publish("public:a", "a4")
        live = [push(e)["data"] for e in s2.events(2)]
        assert live == ["b4", "a4"]
        srv.publish("public:a", "a5")  # a marker: nothing came twice before it
        assert push(s2.next_event())["data"] == "a5"
        # The last id resumes both channels at their ends: nothing more to replay, the next
        # event is the next publication.
        s3 = open_stream(srv, sse_path("public:b", "public:a"), headers={"Last-Event-ID": s2.last_id})
        settle(s3)
        srv.publish("public:b", "b5")
        assert push(s3.next_event())["data"] == "b5"
        s2.close()
        s3.close()


def test_id_before_any_publication_resumes_from_the_start():
    with herald_server(config=BASE_CONFIG) as srv:
        s = open_stream(srv, sse_path("public:x", "public:y"))
        start = settle(s)
        s.close()
        srv.publish("public:y", "missed?")
        s2 = open_stream(srv, sse_path("public:x", "public:y"), headers={"Last-Event-ID": start})
        ev = s2.next_event()
        assert push(ev) == {"channel": "public:y", "offset": 1, "data": "missed?"}
        s2.close()


def test_recovery_event_for_unknown_epoch_and_past_the_end():
    with herald_server(config=BASE_CONFIG) as srv:
        r = srv.publish("public:rec", "old")
        cur = f"{r['epoch']}:1"
        for since in ("otherEpoch:1", f"{r['epoch']}:99"):
            s = open_stream(srv, sse_path("public:rec", since=since))
            ev = s.next_event()
            assert ev["event"] == "recovery" and ev["id"] is None, ev
            assert json.loads(ev["data"]) == {"channel": "public:rec", "recovered": False,
                                              "cursor": cur}
            assert settle(s) == cur  # the stream now stands at the current end
            s.close()
        # Two channels, one recoverable: recovery only for the other, replay for the first.
        srv.publish("public:ok", "k1")
        ok = srv.publish("public:ok", "k2")
        since = multi_cursor([("public:rec", "nope", 3), ("public:ok", ok["epoch"], 1)])
        s = open_stream(srv, sse_path("public:rec", "public:ok", since=since))
        e1, e2 = s.events(2)
        assert e1["event"] == "recovery" and json.loads(e1["data"])["channel"] == "public:rec"
        assert push(e2) == {"channel": "public:ok", "offset": 2, "data": "k2"}
        srv.publish("public:rec", "new")
        assert push(s.next_event()) == {"channel": "public:rec", "offset": 2, "data": "new"}
        s.close()


@pytest.mark.parametrize("path,status,message", [
    ("/sse", 400, "missing channel"),
    ("/sse?channel=public:a%20b", 400, "bad channel name"),
    ("/sse?channel=private:x", 403, "permission denied"),
    ("/sse?channel=public:a&channel=private:x", 403, "permission denied"),
    ("/sse?channel=public:a&since=notacursor", 400, "bad cursor"),
    ("/sse?channel=public:a&since=E:01", 400, "bad cursor"),
    ("/sse?channel=public:a&channel=public:b&since=E:1", 400, "bad cursor"),
    ("/sse?channel=public:a&since=m1.%21", 400, "bad cursor"),
    ("/sse?" + "&".join(f"channel=public:c{i}" for i in range(65)), 400, "too many channels"),
])
def test_errors(path, status, message):
    with herald_server(config=BASE_CONFIG) as srv:
        s = SseStream(srv, path)
        assert s.read_head() == status
        assert s.headers["access-control-allow-origin"] == "*"
        assert s.read_error_body() == {"error": {"code": status, "message": message}}
        s.close()


def test_streams_of_long_channel_names_get_their_own_events_only():
    # Names past 15 bytes, alike but for the last letter, on one loop: each one-channel stream
    # is sent its own channel's events and ids only (once its subscription stands, the stream
    # tells events apart without the name), in order, none of the other's.
    names = ["public:a-channel-name-well-past-fifteen-bytes-A",
             "public:a-channel-name-well-past-fifteen-bytes-B"]
    with herald_server("--threads", "1", config=BASE_CONFIG) as srv:
        streams = [open_stream(srv, sse_path(n)) for n in names]
        for st in streams:
            settle(st)
        for i in range(10):
            srv.publish(names[i % 2], {"i": i})
        for k, st in enumerate(streams):
            got = [push(e) for e in st.events(5)]
            assert [g["channel"] for g in got] == [names[k]] * 5, got
            assert [g["data"]["i"] for g in got] == list(range(k, 10, 2)), got
            assert [g["offset"] for g in got] == [1, 2, 3, 4, 5], got
            assert st.next_event(timeout=0.5) is None  # nothing more: none of the other's
            st.close()


def test_bad_last_event_id_is_400_even_with_good_since():
    with herald_server(config=BASE_CONFIG) as srv:
        st, _, body = srv.request("GET", "/sse?channel=public:a&since=E:0",
                                  headers={"Last-Event-ID": "garbage"})
        assert st == 400 and json.loads(body)["error"]["message"] == "bad cursor"


def test_heartbeat_comment():
    cfg = BASE_CONFIG + "\n[sse]\nheartbeat_ms = 200\nretry_ms = 750\n"
    with herald_server(config=cfg) as srv:
        s = open_stream(srv, sse_path("public:hb"))
        settle(s)
        assert s.retry == 750
        # Read until the first heartbeat (whenever a busy machine sends it): comments are
        # not events, so nothing is returned meanwhile.
        deadline = time.time() + DEADLINE
        while "ping" not in s.comments:
            assert time.time() < deadline, "no heartbeat"
            assert s.next_event(timeout=0.2) is None  # comments are not events
        assert not s.closed
        s.close()


def test_curl_streams_events():
    with herald_server(config=BASE_CONFIG) as srv:
        srv.publish("public:curl", "before")
        proc = subprocess.Popen(["curl", "-sN", "-H", "Accept: text/event-stream",
                                 srv.url(sse_path("public:curl"))],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out = LineReader(proc.stdout.fileno())
            lines = []
            # Wait for the stream to be live (the id-only event), then publish.
            while not any(ln.startswith("id: ") for ln in lines):
                lines.append(out.line())
            srv.publish("public:curl", {"via": "curl"})
            while not any(ln.startswith("data: ") for ln in lines):
                lines.append(out.line())
        finally:
            proc.terminate()
            proc.wait()
        assert "retry: 2000" in lines
        data = [json.loads(ln[6:]) for ln in lines if ln.startswith("data: ")]
        assert data == [{"channel": "public:curl", "offset": 2, "data": {"via": "curl"}}]


class LineReader:
    """Lines from a pipe's fd with a deadline per line (a bare readline() on a pipe blocks
    forever if the writer goes quiet)."""

    def __init__(self, fd):
        self.fd = fd
        self.pending = b""

    def line(self, timeout=DEADLINE):
        deadline = time.time() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.time()
            assert left > 0, f"no complete line within {timeout} s: {self.pending!r}"
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                chunk = os.read(self.fd, 65536)
                assert chunk, f"stream ended: {self.pending!r}"
                self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()


def test_slow_consumer_is_evicted_while_another_gets_everything():
    # The slow reader never reads (and has a tiny receive buffer): once the kernel holds all it
    # can, more than max_output_bytes queue behind it and it is evicted. The fast reader proves
    # that nobody else pays: it reads each publication before the next one is published, so
    # what it is sent never waits for Python to be scheduled, however busy the machine is.
    cfg = BASE_CONFIG + "max_output_bytes = 65536\n"
    with herald_server(config=cfg) as srv:
        slow = open_stream(srv, sse_path("public:flood"), rcvbuf=4096)
        fast = open_stream(srv, sse_path("public:flood"))
        settle(slow)
        settle(fast)
        payload = "x" * 8000
        n = 1200  # ~10 MB: more than the kernel buffers plus max_output_bytes
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=30)
        got = []
        for i in range(1, n + 1):
            conn.request("POST", "/api/publish",
                         json.dumps({"channel": "public:flood", "data": [i, payload]}),
                         {"Content-Type": "application/json"})
            resp = conn.getresponse()
            assert resp.status == 200, resp.read()
            resp.read()
            ev = fast.next_event(timeout=30)
            assert ev is not None, f"fast subscriber stopped at {len(got)}"
            got.append(push(ev)["data"][0])
            assert got[-1] == i, got[-5:]
        conn.close()
        assert got == list(range(1, n + 1))
        # The slow one was cut off: reading it now ends (reset or EOF) before all events.
        slow_count = 0
        while slow.next_event(timeout=10) is not None:
            slow_count += 1
        assert slow.closed and slow_count < n, slow_count
        st, _, metrics = srv.request("GET", "/metrics")
        line = [ln for ln in metrics.decode().splitlines()
                if ln.startswith("herald_slow_consumer_evictions_total")]
        assert line and int(line[0].split()[-1]) >= 1, line
        slow.close()
        fast.close()


def test_sigterm_sends_reconnect_event():
    with herald_server(config=BASE_CONFIG) as srv:
        s = open_stream(srv, sse_path("public:bye"))
        settle(s)
        srv.proc.terminate()
        ev = s.next_event()
        assert ev is not None and ev["event"] == "reconnect", ev
        assert s.next_event() is None and s.closed
        srv.proc.wait(timeout=60)
        assert srv.proc.returncode == 0


def test_metrics_gauge_counts_open_streams():
    def gauge(srv):
        _, _, body = srv.request("GET", "/metrics")
        for ln in body.decode().splitlines():
            if ln.startswith('herald_transport_connections{transport="sse"}'):
                return int(ln.split()[-1])
        raise AssertionError("no sse gauge")

    with herald_server(config=BASE_CONFIG) as srv:
        a = open_stream(srv, sse_path("public:g"))
        b = open_stream(srv, sse_path("public:g", "public:h"))
        settle(a)
        settle(b)
        assert gauge(srv) == 2
        a.close()
        b.close()
        wait_until(lambda: gauge(srv) == 0, what="the sse gauge back at 0")


# ---- Node's eventsource (npm eventsource@4) -------------------------------------------------

def node_path():
    paths = [os.path.join(ROOT, "tests", "e2e", d, "node_modules") for d in ("js-sse", "js")]
    return [p for p in paths if os.path.isdir(os.path.join(p, "eventsource"))]


needs_eventsource = pytest.mark.skipif(
    not shutil.which("node") or not node_path(),
    reason="node or npm eventsource not installed (scripts/install-deps)")


class NodeClient:
    def __init__(self, url, last_event_id=None):
        args = ["node", os.path.join(ROOT, "tests", "e2e", "js", "eventsource_client.js"), url]
        if last_event_id:
            args.append(last_event_id)
        env = dict(os.environ, NODE_PATH=os.pathsep.join(node_path()))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.fd = self.proc.stdout.fileno()
        self.pending = b""

    def next(self, timeout=DEADLINE):
        """The next JSON line, or None after `timeout` s. Reads the pipe's fd itself: select()
        on it and then a buffered readline() would strand a second line that came in the same
        read inside Python's buffer, where select() cannot see it (node writes `open` and the
        first message back to back when the head and the replay arrive together)."""
        deadline = time.time() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    def until(self, pred, timeout=DEADLINE):
        deadline = time.time() + timeout
        seen = []
        while time.time() < deadline:
            m = self.next(deadline - time.time())
            if m is None:
                break
            seen.append(m)
            if pred(m):
                return m, seen
        raise AssertionError(f"not seen; got {seen}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=DEADLINE)


@needs_eventsource
def test_node_eventsource_replay_live_and_resume():
    with herald_server(config=BASE_CONFIG) as srv:
        r = srv.publish("public:es", "one")
        srv.publish("public:es", "two")
        epoch = r["epoch"]
        c = NodeClient(srv.url(sse_path("public:es", "public:es2")),
                       last_event_id=multi_cursor([("public:es", epoch, 1)]))
        try:
            c.until(lambda m: m["type"] == "open")
            m, _ = c.until(lambda m: m["type"] == "message")
            assert json.loads(m["data"]) == {"channel": "public:es", "offset": 2, "data": "two"}
            assert m["lastEventId"].startswith("m1.")
            srv.publish("public:es2", {"k": "v"})
            m2, _ = c.until(lambda m: m["type"] == "message")
            assert json.loads(m2["data"]) == {"channel": "public:es2", "offset": 1, "data": {"k": "v"}}
            last = m2["lastEventId"]
        finally:
            c.stop()
        # A new client resuming from that id sees only what came after.
        srv.publish("public:es", "three")
        c2 = NodeClient(srv.url(sse_path("public:es", "public:es2")), last_event_id=last)
        try:
            m3, seen = c2.until(lambda m: m["type"] == "message")
            assert json.loads(m3["data"])["data"] == "three"
            assert not any(x["type"] == "recovery" for x in seen)
        finally:
            c2.stop()


@needs_eventsource
def test_node_eventsource_reconnects_after_drain_and_gets_recovery_from_new_server():
    """SIGTERM -> `event: reconnect`; EventSource reconnects by itself with Last-Event-ID to
    a fresh server at the same address (new epochs), which answers with `event: recovery`.

    The address is a Relay's port, which the test holds throughout: the first server, then
    nothing (connections are closed at once, as by a stopped server, and EventSource keeps
    retrying every 300 ms), then the second server once it has a publication."""
    cfg = BASE_CONFIG + "\n[sse]\nretry_ms = 300\n"
    relay = Relay()
    c = None
    try:
        with herald_server(config=cfg) as s1:
            relay.backend = s1.port
            c = NodeClient(f"http://127.0.0.1:{relay.port}" + sse_path("public:d"))
            c.until(lambda m: m["type"] == "open")
            s1.publish("public:d", "first")
            m, _ = c.until(lambda m: m["type"] == "message")
            old_id = m["lastEventId"]
            relay.backend = None
            s1.proc.terminate()
            c.until(lambda m: m["type"] == "reconnect")
            assert s1.proc.wait(timeout=60) == 0
        with herald_server(config=cfg) as s2:
            new_epoch = s2.publish("public:d", "on-new-server")["epoch"]
            relay.backend = s2.port
            c.until(lambda m: m["type"] == "open" and m["n"] == 2)
            rec, seen = c.until(lambda m: m["type"] == "recovery")
            info = json.loads(rec["data"])
            # The old cursor cannot be honoured: the stream stands at the new server's end.
            assert info == {"channel": "public:d", "recovered": False,
                            "cursor": f"{new_epoch}:1"}, info
            assert info["cursor"] != old_id
            assert not [x for x in seen if x["type"] == "message"], seen
            s2.publish("public:d", "live")
            m, _ = c.until(lambda m: m["type"] == "message")
            assert json.loads(m["data"])["data"] == "live"
    finally:
        if c:
            c.stop()
        relay.close()
