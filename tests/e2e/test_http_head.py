"""HEAD on every streaming and upgrade route, and query parameters nobody reads.

RFC 9110 §9.3.2: a HEAD response has no content. A HEAD on /sse must not turn the connection
into an event stream (it used to, and streamed later publications, so a request pipelined after
it was never answered); a HEAD on /ws must not upgrade, and a 405 there carries `Allow`. A
parameter an endpoint does not read (a misspelt `cursor=` for `since=`) is answered 400 instead
of being ignored.
"""
import json
import urllib.parse

import pytest

from harness import herald_server
from http_helpers import Client


@pytest.fixture(scope="module")
def srv():
    with herald_server("--threads", "2", "--debug-echo") as s:
        yield s


def test_head_sse_answers_the_stream_head_only_and_serves_the_next_request(srv):
    c = Client(srv)
    # HEAD, then a publication (which a stream would carry), then a pipelined GET.
    c.get("/sse?channel=public:head", method="HEAD")
    r = c.response(head=True)
    assert r.status == 200
    assert r.header("content-type") == "text/event-stream"
    assert r.header("cache-control") == "no-cache"
    # A GET's body is a stream of unknown length: no Content-Length may be claimed.
    assert r.header("content-length") is None
    srv.publish("public:head", {"n": 1})
    c.get("/health")
    after = c.response()
    assert after.status == 200 and after.json() == {"status": "ok"}, after
    # Nothing of the publication reached this connection.
    assert c.buf == b""
    c.close()


def test_head_sse_with_bad_input_gets_the_get_answer_without_body(srv):
    c = Client(srv)
    c.get("/sse?channel=bad%20name", method="HEAD")
    r = c.response(head=True)
    assert r.status == 400
    c.get("/sse", method="HEAD")
    r = c.response(head=True)
    assert r.status == 400
    c.get("/health")
    assert c.response().status == 200
    c.close()


@pytest.mark.parametrize("path", ["/ws", "/ws/echo"])
def test_head_on_upgrade_routes_never_upgrades(srv, path):
    c = Client(srv)
    # Even with every upgrade header, HEAD is not an upgrade (RFC 6455 needs GET).
    c.get(path, method="HEAD", headers="Upgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
    r = c.response(head=True)
    assert r.status == 426, r
    assert r.header("upgrade") == "websocket"
    assert r.header("sec-websocket-version") == "13"
    # Same head as a GET without Upgrade, no body, and the connection goes on.
    c.get(path)
    full = c.response()
    assert full.status == 426
    assert r.header("content-length") == full.header("content-length")
    c.close()
    c = Client(srv)
    c.get(path, method="HEAD")
    assert c.response(head=True).status == 426
    c.get("/health")
    assert c.response().status == 200
    c.close()


def test_head_poll_has_the_get_head(srv):
    c = Client(srv)
    c.get("/poll?channel=public:headpoll", method="HEAD")
    r = c.response(head=True)
    assert r.status == 200
    assert r.header("content-type") == "application/json"
    c.get("/poll?channel=public:headpoll")
    full = c.response()
    assert int(r.header("content-length")) == len(full.body)
    c.close()


@pytest.mark.parametrize("path,bad,known", [
    ("/poll?channel=public:p&cursor=abc:1", "cursor", "channel, since, wait, token"),
    ("/poll?channel=public:p&Since=abc:1", "Since", "channel, since, wait, token"),
    ("/sse?channel=public:p&last_event_id=abc:1", "last_event_id", "channel, since, token"),
    ("/ws?access_token=x", "access_token", "token"),
    ("/api/history?channel=public:p&offset=3", "offset", "channel, since, limit"),
    ("/api/presence?channel=public:p&verbose=1", "verbose", "channel"),
    ("/api/channels?prefix=public", "prefix", None),
])
def test_unknown_parameters_are_refused(srv, path, bad, known):
    status, _, body = srv.request("GET", path)
    assert status == 400, body
    msg = json.loads(body)["error"]["message"]
    expected = f"unknown parameter: {bad}" + (f" (known: {known})" if known else "")
    assert msg == expected


def test_parameters_on_publish(srv):
    # ?channel= belongs to a bytes publish (application/octet-stream); a JSON body names its
    # channel itself, so the two together are refused rather than one silently ignored.
    status, _, body = srv.request("POST", "/api/publish?channel=public:p",
                                  json.dumps({"channel": "public:p", "data": 1}))
    assert status == 400
    assert json.loads(body)["error"]["message"] == \
        "channel parameter is for application/octet-stream bodies"
    status, _, body = srv.request("POST", "/api/publish?chanel=public:p",
                                  json.dumps({"channel": "public:p", "data": 1}))
    assert status == 400
    assert json.loads(body)["error"]["message"] == \
        "unknown parameter: chanel (known: channel)"


def test_known_parameters_percent_encoded_and_static_cache_busters_pass(srv):
    q = urllib.parse.urlencode({"channel": "public:ok"})
    assert srv.request("GET", f"/poll?{q}&%77ait=0")[0] == 200
    assert srv.request("GET", "/herald.js?v=123")[0] == 200
    assert srv.request("GET", "/health?probe=lb")[0] == 200
