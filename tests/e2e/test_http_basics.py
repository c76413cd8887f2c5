"""HTTP/1.1 through the real binary: what a client sees on the happy paths.

/health (GET and HEAD), keep-alive, pipelining (in order, across a held response), HTTP/1.0,
Connection: close, the Date header, 404, 405 with Allow, static files (/ and /admin) and path
traversal, the per-IP connection limit (503), and /metrics counting up.
"""
import email.utils
import json
import re
import socket
import subprocess
import time

import pytest

from harness import DEADLINE, herald_server, wait_until
from http_helpers import Client


@pytest.fixture(scope="module")
def srv():
    with herald_server("--threads", "2", "--set", "server.drain_ms=100") as s:
        yield s


def curl(*args):
    r = subprocess.run(["curl", "-s", "--max-time", str(int(DEADLINE)), *args],
                       capture_output=True, timeout=2 * DEADLINE)
    return r


def test_health_get_is_json(srv):
    c = Client(srv)
    c.get("/health")
    r = c.response()
    assert r.version == "HTTP/1.1" and r.status == 200 and r.reason == "OK"
    assert r.header("content-type").startswith("application/json")
    assert int(r.header("content-length")) == len(r.body)
    assert r.json() == {"status": "ok"}
    c.close()


def test_health_with_curl(srv):
    r = curl("-i", srv.url("/health"))
    assert r.returncode == 0
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(body) == {"status": "ok"}


def test_head_has_length_and_no_body(srv):
    c = Client(srv)
    c.get("/health")
    full = c.response()
    c.get("/health", method="HEAD")
    r = c.response(head=True)
    assert r.status == 200
    assert r.header("content-length") == str(len(full.body))
    # No body bytes follow the head: the next response starts right away.
    c.get("/health")
    after = c.response()
    assert after.status == 200 and after.json() == {"status": "ok"}
    assert c.buf == b""
    c.close()


def test_keep_alive_two_requests_one_connection(srv):
    c = Client(srv)
    c.get("/health")
    r1 = c.response()
    assert r1.header("connection") in (None, "keep-alive")
    c.get("/health")
    r2 = c.response()
    assert r1.status == r2.status == 200
    c.get("/health")  # and it stays open: a third request is answered
    assert c.response().status == 200
    c.close()


def test_pipelining_answers_in_order(srv):
    # Four requests in one write, with a held response (/metrics gathers from every loop) in
    # the middle: answers must come back in request order.
    c = Client(srv)
    req = "".join(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n"
                  for p in ("/health", "/no-such-thing", "/metrics", "/health"))
    c.send(req)
    rs = [c.response() for _ in range(4)]
    assert [r.status for r in rs] == [200, 404, 200, 200]
    assert rs[0].json() == {"status": "ok"}
    assert rs[1].json()["error"]["code"] == 404
    assert b"herald_connections" in rs[2].body
    assert rs[3].json() == {"status": "ok"}
    c.get("/health")  # still open after the pipeline
    assert c.response().status == 200
    c.close()


def test_http10_without_keep_alive_closes(srv):
    c = Client(srv)
    c.send("GET /health HTTP/1.0\r\n\r\n")
    r = c.response()
    assert r.status == 200 and r.json() == {"status": "ok"}
    assert r.version in ("HTTP/1.1", "HTTP/1.0")
    assert c.closed_by_server()
    c.close()


def test_http10_keep_alive_stays_open(srv):
    c = Client(srv)
    c.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    r = c.response()
    assert r.status == 200
    assert r.header("connection").lower() == "keep-alive"
    c.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert c.response().status == 200
    c.close()


def test_connection_close_is_honoured(srv):
    c = Client(srv)
    c.get("/health", headers="Connection: close\r\n")
    r = c.response()
    assert r.status == 200
    assert r.header("connection").lower() == "close"
    assert c.closed_by_server()
    c.close()


def test_pipelined_after_connection_close_is_ignored(srv):
    c = Client(srv)
    c.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
           "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
    r = c.response()
    assert r.status == 200 and r.header("connection").lower() == "close"
    assert c.closed_by_server(), "answered a request sent after Connection: close"
    c.close()


def test_head_of_error_has_no_body(srv):
    c = Client(srv)
    c.get("/nope", method="HEAD")
    r = c.response(head=True)
    assert r.status == 404 and int(r.header("content-length")) > 0
    c.get("/health")
    assert c.response().json() == {"status": "ok"}  # no stray body bytes in between
    c.close()


def test_options_204_has_no_content_length(srv):
    c = Client(srv)
    c.send("OPTIONS /api/publish HTTP/1.1\r\nHost: x\r\nOrigin: http://a.example\r\n\r\n")
    r = c.response()
    assert r.status == 204
    assert r.header("access-control-allow-methods")
    assert r.header("content-length") is None


def test_date_header_is_imf_fixdate_and_current(srv):
    c = Client(srv)
    before = int(time.time())  # Date has whole seconds: compare with the second it began
    c.get("/health")
    r = c.response()
    after = time.time()
    date = r.header("date")
    assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|"
                        r"Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT", date), date
    when = email.utils.parsedate_to_datetime(date).timestamp()
    # Current: made between the request and its answer (1 s of slack for a cached string).
    assert before - 1 <= when <= after, (before, date, after)
    c.close()


def test_unknown_path_404(srv):
    c = Client(srv)
    c.get("/api/no-such-endpoint")
    r = c.response()
    assert r.status == 404
    assert r.json()["error"]["code"] == 404
    c.close()


def test_wrong_method_405_with_allow(srv):
    c = Client(srv)
    c.send("DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n")
    r = c.response()
    assert r.status == 405
    allow = [m.strip() for m in r.header("allow").split(",")]
    assert "GET" in allow and "DELETE" not in allow
    # GET-only API endpoint: POST is refused, the connection stays usable.
    c.send("POST /api/history HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    r = c.response()
    assert r.status == 405 and "GET" in r.header("allow")
    c.get("/health")
    assert c.response().status == 200
    c.close()


def test_root_serves_index_html(srv):
    c = Client(srv)
    c.get("/")
    r = c.response()
    assert r.status == 200
    assert r.header("content-type").startswith("text/html")
    assert b"<html" in r.body.lower() and b'from "/herald.js"' in r.body and b"public:chat" in r.body
    c.close()


def test_admin_serves_admin_html(srv):
    r = curl("-i", srv.url("/admin"))
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"content-type: text/html" in head.lower()
    assert b"/metrics" in body


@pytest.mark.parametrize("path", [
    "/../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2fetc/passwd",
    "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd",
    "/admin/../../etc/passwd",
    "/.%2e/.%2e/.%2e/etc/passwd",
    "/..\\..\\etc\\passwd",
    "/%00../etc/passwd",
])
def test_path_traversal_never_serves_the_file(srv, path):
    # Raw socket: the path goes out exactly as written (no client-side normalisation).
    c = Client(srv)
    c.get(path)
    r = c.response()
    assert r.status in (400, 404), r
    assert b"root:" not in r.body
    c.close()
    # curl with --path-as-is too.
    out = curl("--path-as-is", "-o", "-", "-w", "\n%{http_code}", srv.url(path))
    code = out.stdout.rsplit(b"\n", 1)[-1]
    assert code in (b"400", b"404"), out.stdout
    assert b"root:" not in out.stdout


def metric(text, name):
    m = re.search(rb"^" + re.escape(name.encode()) + rb" (\d+)$", text, re.M)
    assert m, f"{name} not in metrics"
    return int(m.group(1))


def test_metrics_prometheus_text_counts_up(srv):
    c = Client(srv)
    c.get("/metrics")
    r1 = c.response()
    assert r1.status == 200
    assert r1.header("content-type").startswith("text/plain")
    assert b"# TYPE herald_connections gauge" in r1.body
    assert b"# TYPE herald_http_requests_total counter" in r1.body
    # Every non-comment line is "name[{labels}] value".
    for line in r1.body.decode().splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+-]+", line), line
    before = metric(r1.body, "herald_http_requests_total")
    assert metric(r1.body, "herald_connections") >= 1
    others = [Client(srv) for _ in range(3)]
    for o in others:
        o.get("/health")
        o.response()
    for _ in range(5):
        c.get("/health")
        c.response()
    c.get("/metrics")
    r2 = c.response()
    # 3 + 5 /health and this /metrics; other tests may not run concurrently, so at least 9.
    assert metric(r2.body, "herald_http_requests_total") >= before + 9
    assert metric(r2.body, "herald_connections") >= 4
    for o in others:
        o.close()
    c.close()


def test_connection_limit_per_ip_503():
    with herald_server("--threads", "2", "--set", "limits.max_connections_per_ip=3",
                       "--set", "server.drain_ms=100") as s:
        # The readiness probes' connections may still be closing. Wait (no fixed sleep) until
        # the server counts one connection, the probe's own, and keep that probe as the first
        # of the three: the per-IP count drops with the connection count (both on close).
        def probe_alone():
            c = Client(s)
            try:
                c.get("/metrics")
                r = c.response()
            except (OSError, AssertionError):
                r = None
            if r is not None and r.status == 200 and metric(r.body, "herald_connections") == 1:
                return c
            c.close()
            return None

        first = [wait_until(probe_alone, what="the readiness probes' connections to close")]
        first += [Client(s) for _ in range(2)]
        for c in first:
            c.get("/health")
            assert c.response().status == 200
        fourth = Client(s)
        r = fourth.response()
        assert r.status == 503
        assert b"limit" in r.body
        assert r.header("connection").lower() == "close"
        assert fourth.closed_by_server()
        fourth.close()
        for c in first:
            c.get("/health")
            assert c.response().status == 200
        # A slot frees when one of the three leaves.
        first[0].close()

        def admitted():
            c = Client(s)
            try:
                # A rejected connection has its 503 waiting; an admitted one answers /health.
                c.get("/health")
                return c.response().status == 200
            except (OSError, AssertionError):
                return False
            finally:
                c.close()

        wait_until(admitted, what="a closed connection freeing its slot")
        for c in first[1:]:
            c.close()


def test_expect_100_continue_gets_interim_response(srv):
    # RFC 9110 §10.1.1: a client that sends Expect: 100-continue waits for the interim 100
    # before its body (curl does so for large uploads); without it the upload stalls.
    import socket as _socket
    s = _socket.create_connection((srv.host, srv.port))
    s.settimeout(DEADLINE)
    body = b'{"channel":"public:expect","data":1}'
    s.sendall(b"POST /api/publish HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
              b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() +
              b"\r\n\r\n")
    interim = s.recv(4096)
    assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), interim
    s.sendall(body)
    final = b""
    while b"\r\n\r\n" not in final or not final.rstrip().endswith(b"}"):
        chunk = s.recv(4096)
        if not chunk:
            break
        final += chunk
    s.close()
    assert final.startswith(b"HTTP/1.1 200 OK"), final
    assert b'"offset":1' in final
