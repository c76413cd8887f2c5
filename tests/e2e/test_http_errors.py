"""HTTP/1.1 errors through the real binary, each crossing its limit with small settings.

For every bad request: the client gets the right status, `Connection: close` and then the end
of the connection; meanwhile a keep-alive client opened before it still gets its answers, an
SSE subscriber still gets a publication made after it, and the server is still running.
Timeouts (slowloris 408, idle keep-alive) run on their own server with short timers. They
measure from before the client acts, so "not before the timeout" holds however late the
client runs; "soon after it" has a bound far above the timer (LATE), since a loaded machine
may run either side late.
"""
import re
import time

import pytest

from harness import DEADLINE, herald_server
from http_helpers import Client, SseReader

LIMITS = """
[http]
max_request_line = 256
max_header_bytes = 1024
max_header_count = 10
max_body = 1000
"""


@pytest.fixture(scope="module")
def srv():
    with herald_server("--threads", "2", "--set", "server.drain_ms=100", config=LIMITS) as s:
        yield s


def req(*lines, body=b""):
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


PUBLISH_HEAD = ["POST /api/publish HTTP/1.1", "Host: x", "Content-Type: application/json"]

CASES = {
    "request_line_garbage": (req("GARBAGE"), 400),
    "request_line_no_version": (req("GET /health", "Host: x"), 400),
    "request_line_bad_version": (req("GET /health HTTX/1.1", "Host: x"), 400),
    "http_2_0_version": (req("GET /health HTTP/2.0", "Host: x"), 505),
    "uri_too_long": (req("GET /" + "a" * 400 + " HTTP/1.1", "Host: x"), 414),
    "header_bytes_too_large": (req("GET /health HTTP/1.1", "Host: x", "X-Big: " + "b" * 1100), 431),
    "too_many_headers": (req("GET /health HTTP/1.1", "Host: x",
                             *[f"X-H{i}: {i}" for i in range(20)]), 431),
    "body_too_large_content_length": (
        req(*PUBLISH_HEAD, "Content-Length: 5000", body=b"x" * 5000), 413),
    "body_too_large_content_length_head_only": (req(*PUBLISH_HEAD, "Content-Length: 5000"), 413),
    "body_too_large_chunked": (
        req(*PUBLISH_HEAD, "Transfer-Encoding: chunked", body=b"7d0\r\n" + b"y" * 2000 + b"\r\n"),
        413),
    "body_too_large_chunked_many_chunks": (
        req(*PUBLISH_HEAD, "Transfer-Encoding: chunked",
            body=b"".join(b"64\r\n" + b"z" * 100 + b"\r\n" for _ in range(12)) + b"0\r\n\r\n"),
        413),
    # A 532-byte body (under max_body) in 1-byte chunks with long extensions: 27 kB on the
    # wire. It cannot be buffered whole; the client must get a 413, not a reset.
    "chunked_framing_overhead": (
        req(*PUBLISH_HEAD, "Transfer-Encoding: chunked",
            body=b"".join(b"1;ext=" + b"e" * 40 + b"\r\n" + bytes([ch]) + b"\r\n"
                          for ch in b'{"channel":"public:x","data":"' + b"a" * 500 + b'"}')
            + b"0\r\n\r\n"), 413),
    "transfer_encoding_gzip": (
        req(*PUBLISH_HEAD, "Transfer-Encoding: gzip", body=b"\x1f\x8b"), 501),
    "conflicting_content_length": (
        req(*PUBLISH_HEAD, "Content-Length: 5", "Content-Length: 6", body=b"{}{}{}"), 400),
    "content_length_and_transfer_encoding": (
        req(*PUBLISH_HEAD, "Content-Length: 4", "Transfer-Encoding: chunked",
            body=b"0\r\n\r\n"), 400),
    "content_length_not_a_number": (req(*PUBLISH_HEAD, "Content-Length: 1x"), 400),
    "obs_fold": (req("GET /health HTTP/1.1", "Host: x", "X-Folded: a", "  b"), 400),
    "bare_lf": (b"GET /health HTTP/1.1\nHost: x\n\n", 400),
    "bare_lf_in_headers": (b"GET /health HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", 400),
    "space_before_colon": (req("GET /health HTTP/1.1", "Host: x", "X-A : b"), 400),
    "duplicate_host": (req("GET /health HTTP/1.1", "Host: a", "Host: b"), 400),
    "missing_host_http11": (req("GET /health HTTP/1.1"), 400),
}


def check_bystanders(srv, ka, sse, tag):
    """The keep-alive client and the SSE subscriber opened before the bad request still work."""
    ka.get("/health")
    r = ka.response()
    assert r.status == 200 and r.json() == {"status": "ok"}
    srv.publish("public:x", {"after": tag})
    push = sse.next_message()
    assert push is not None, "SSE subscriber got nothing after the bad request"
    assert push["channel"] == "public:x" and push["data"] == {"after": tag}
    assert srv.alive()


@pytest.mark.parametrize("name", list(CASES))
def test_bad_request(srv, name):
    raw, status = CASES[name]
    ka = Client(srv)
    ka.get("/health")
    assert ka.response().status == 200
    sse = SseReader(srv, "public:x")  # returns once subscribed: no sleep before publishing

    bad = Client(srv)
    bad.send(raw)
    r = bad.response()
    assert r.status == status, r
    assert r.header("connection").lower() == "close"
    assert r.header("content-length") == str(len(r.body))
    assert r.body.startswith(str(status).encode()), r.body
    assert bad.closed_by_server(), "connection left open after an error"
    bad.close()

    check_bystanders(srv, ka, sse, name)
    ka.close()
    sse.close()


def test_limits_are_exact(srv):
    """Just under each limit is served; the crossing tests above are not off by a mile."""
    c = Client(srv)
    # Request line of exactly max_request_line bytes (256): "GET /aaa... HTTP/1.1".
    path = "/" + "a" * (256 - len("GET  HTTP/1.1") - 1)
    c.send(req(f"GET {path} HTTP/1.1", "Host: x"))
    assert c.response().status == 404
    # 10 headers (the maximum), Host included.
    c.send(req("GET /health HTTP/1.1", "Host: x", *[f"X-H{i}: {i}" for i in range(9)]))
    assert c.response().status == 200
    # A body of exactly max_body bytes.
    data = '{"channel":"public:y","data":"' + "d" * (1000 - 32) + '"}'
    assert len(data) == 1000
    c.send(req(*PUBLISH_HEAD, f"Content-Length: {len(data)}", body=data.encode()))
    r = c.response()
    assert r.status == 200, r
    # And chunked, in two chunks.
    c.send(req(*PUBLISH_HEAD, "Transfer-Encoding: chunked",
               body=b"1f4\r\n" + data[:500].encode() + b"\r\n1f4\r\n" + data[500:].encode()
               + b"\r\n0\r\n\r\n"))
    r = c.response()
    assert r.status == 200, r
    # Chunk framing within reason is accepted: 100 chunks of 10 bytes (1.5 kB on the wire).
    c.send(req(*PUBLISH_HEAD, "Transfer-Encoding: chunked",
               body=b"".join(b"a\r\n" + data[i:i + 10].encode() + b"\r\n"
                             for i in range(0, 1000, 10)) + b"0\r\n\r\n"))
    r = c.response()
    assert r.status == 200, r
    c.get("/health")  # still open: the next request is answered
    assert c.response().status == 200
    c.close()


def test_error_after_good_pipelined_requests(srv):
    """Requests before the bad one in the same write are answered first, in order."""
    c = Client(srv)
    c.send(req("GET /health HTTP/1.1", "Host: x") + req("GET /nope HTTP/1.1", "Host: x")
           + b"BROKEN\r\n\r\n" + req("GET /health HTTP/1.1", "Host: x"))
    assert c.response().status == 200
    assert c.response().status == 404
    r = c.response()
    assert r.status == 400
    assert c.closed_by_server()
    c.close()


# --- timeouts ------------------------------------------------------------------------------

HEADER_TIMEOUT_MS = 500
KEEPALIVE_TIMEOUT_MS = 2000
# How much later than its timer a close may come and still count as "on time": far more than
# a loaded machine delays a timer or a reader, far less than never.
LATE = 10.0


@pytest.fixture(scope="module")
def timed():
    with herald_server("--threads", "2", "--set", "server.drain_ms=100",
                       "--set", f"http.header_timeout_ms={HEADER_TIMEOUT_MS}",
                       "--set", f"http.keepalive_timeout_ms={KEEPALIVE_TIMEOUT_MS}") as s:
        yield s


def wait_close(c, limit):
    t0 = time.time()
    assert c.closed_by_server(timeout=limit), "server never closed the connection"
    return time.time() - t0


def test_slowloris_partial_header_gets_408_then_close(timed):
    sse = SseReader(timed, "public:x")
    c = Client(timed)
    t0 = time.time()
    c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    r = c.response(timeout=HEADER_TIMEOUT_MS / 1000 + LATE)
    elapsed = time.time() - t0
    assert r.status == 408, r
    assert r.header("connection").lower() == "close"
    assert HEADER_TIMEOUT_MS / 1000 - 0.1 <= elapsed <= HEADER_TIMEOUT_MS / 1000 + LATE, elapsed
    assert c.closed_by_server()
    c.close()
    # The SSE stream (taken over from HTTP, so no header timer) is still live.
    timed.publish("public:x", "after-408")
    push = sse.next_message()
    assert push and push["data"] == "after-408"
    sse.close()


def test_slowloris_trickle_does_not_extend_the_deadline(timed):
    # One byte every 50 ms of a head that would take ~30 s to finish (60 times the header
    # timeout): a server that restarted its timer on each byte would answer the finished
    # request with 200. The 408 must come while the head is still incomplete.
    c = Client(timed)
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Trickle: " + b"a" * 560 + b"\r\n\r\n"
    sent = 0
    for byte in head:
        try:
            c.send(bytes([byte]))
        except OSError:
            break
        sent += 1
        if c._fill(time.time() + 0.05):
            break
    assert sent < len(head), "the whole head went out: the deadline was extended"
    got = c.response()
    assert got.status == 408, got
    assert c.closed_by_server()
    c.close()


def test_idle_keep_alive_is_closed(timed):
    c = Client(timed)
    # t0 before the request: the server's idle timer starts after it answered, so the close
    # cannot come sooner than the timeout after t0, however late this client reads.
    t0 = time.time()
    c.get("/health")
    assert c.response().status == 200
    assert c.closed_by_server(timeout=KEEPALIVE_TIMEOUT_MS / 1000 + LATE), "idle connection kept"
    elapsed = time.time() - t0
    assert c.buf == b"", "an idle close sends nothing (no 408)"
    assert KEEPALIVE_TIMEOUT_MS / 1000 - 0.1 <= elapsed <= KEEPALIVE_TIMEOUT_MS / 1000 + LATE
    c.close()


def test_connection_that_never_sends_is_closed(timed):
    c = Client(timed)
    t0 = time.time()
    assert c.closed_by_server(timeout=KEEPALIVE_TIMEOUT_MS / 1000 + LATE)
    assert c.buf == b""
    assert time.time() - t0 <= KEEPALIVE_TIMEOUT_MS / 1000 + LATE


def test_header_timeout_is_not_shortened_by_an_idle_loop(timed):
    # Keep-alive connection idles (the loop sleeps), then a request starts and stalls: the
    # 408 must come a full header timeout after the first byte of that request.
    shortest = None
    for idle in (0.35, 0.55, 0.7):
        c = Client(timed)
        c.get("/health")
        assert c.response().status == 200
        time.sleep(idle)  # the scenario itself: an idle keep-alive connection
        t0 = time.time()
        c.send("GET /health HTTP/1.1\r\nHost: x\r\n")
        r = c.response(timeout=HEADER_TIMEOUT_MS / 1000 + LATE)
        elapsed = time.time() - t0
        c.close()
        assert r.status == 408
        shortest = elapsed if shortest is None else min(shortest, elapsed)
    assert shortest >= HEADER_TIMEOUT_MS / 1000 - 0.05, f"408 after {shortest:.3f} s"


def test_active_keep_alive_is_not_closed(timed):
    # Requests every 100 ms: each answer restarts the idle timer, so 3 idle timeouts (6 s) of
    # traffic on one connection never hit the 2 s idle limit. The gaps leave 1.9 s for a
    # client or server descheduled between a request and the next.
    c = Client(timed)
    t0 = time.time()
    while time.time() - t0 < 3 * KEEPALIVE_TIMEOUT_MS / 1000:
        c.get("/health")
        assert c.response().status == 200
        time.sleep(0.1)
    c.close()
    assert timed.alive()


def errors_total(srv):
    status, _, body = srv.request("GET", "/metrics")
    assert status == 200
    m = re.search(rb"^herald_http_errors_total (\d+)$", body, re.M)
    assert m, body
    return int(m.group(1))


def test_each_error_response_is_counted_once(srv):
    before = errors_total(srv)
    for raw in (b"BAD\r\n\r\n", req("GET /health HTTP/1.1"), req("GET /nope HTTP/1.1", "Host: x")):
        c = Client(srv)
        c.send(raw)
        assert c.response().status in (400, 404)
        c.close()
    assert errors_total(srv) - before == 3
