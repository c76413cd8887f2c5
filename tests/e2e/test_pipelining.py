"""Pipelined HTTP requests across held responses, through the real binary with two loops.

A held response (the publish API's answer comes from the channel's owner loop; a long-poll
waits for a publication) no longer stops the session from reading: later pipelined requests
are dispatched meanwhile, and the responses still leave in request order.
"""
import json
import time
import urllib.parse

import pytest

from harness import herald_server
from http_helpers import Client

CONFIG = """
[limits]
publish_rate = 10000000
"""


def fnv1a(name):
    h = 14695981039346656037
    for b in name.encode():
        h ^= b
        h = (h * 1099511628211) % (1 << 64)
    return h


def owned_by(loop, prefix, count=3):
    """`count` channel names that loop `loop` (of 2) owns (docs/design.md: fnv1a(name) % N)."""
    names = []
    i = 0
    while len(names) < count:
        n = f"{prefix}{i}"
        if fnv1a(n) % 2 == loop:
            names.append(n)
        i += 1
    return names


def publish_request(channel, data):
    body = json.dumps({"channel": channel, "data": data})
    return (f"POST /api/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}")


@pytest.fixture(scope="module")
def srv():
    with herald_server("--threads", "2", config=CONFIG) as s:
        yield s


def test_fifty_pipelined_publishes_to_both_loops_answer_in_order(srv):
    channels = owned_by(0, "public:pipe-a") + owned_by(1, "public:pipe-b")
    c = Client(srv)
    sent = [(channels[i % len(channels)], i) for i in range(50)]
    c.send("".join(publish_request(ch, {"i": i}) for ch, i in sent))
    rs = [c.response() for _ in sent]
    assert [r.status for r in rs] == [200] * 50
    # Each answer belongs to its own request: per channel, offsets 1, 2, 3... in request order.
    last = {}
    for (ch, _), r in zip(sent, rs):
        body = r.json()
        assert body["offset"] == last.get(ch, 0) + 1, (ch, body)
        last[ch] = body["offset"]
    # And the stored data matches: history returns what each request carried, in order.
    for ch in channels:
        st, _, body = srv.request("GET", "/api/history?" + urllib.parse.urlencode({"channel": ch}))
        assert st == 200
        got = [p["data"]["i"] for p in json.loads(body)["publications"]]
        assert got == [i for c2, i in sent if c2 == ch]
    c.get("/health")  # the connection is still open and in order
    assert c.response().status == 200
    c.close()


@pytest.mark.parametrize("loop", [0, 1])
def test_pipelined_long_poll_then_publish_to_it_answers_both_in_order(srv, loop):
    ch = owned_by(loop, f"public:lp{loop}-", 1)[0]
    c = Client(srv)
    c.get("/poll?" + urllib.parse.urlencode({"channel": ch, "wait": 0}))
    cursor = c.response().json()["cursor"]
    q = urllib.parse.urlencode({"channel": ch, "since": cursor, "wait": 120})
    # The long-poll is held; the publish behind it is read anyway, and its publication is what
    # answers the long-poll. Before, the publish waited for the poll: a 120 s stall, which the
    # client's 30 s timeout turns into a failure.
    c.send(f"GET /poll?{q} HTTP/1.1\r\nHost: x\r\n\r\n" + publish_request(ch, "hello"))
    poll = c.response()
    pub = c.response()
    assert poll.status == 200 and pub.status == 200
    body = poll.json()
    assert [m["data"] for m in body["messages"]] == ["hello"]
    assert body["messages"][0]["offset"] == pub.json()["offset"]
    assert body["cursor"].endswith(f":{pub.json()['offset']}")
    c.close()


def test_sync_answers_behind_held_publishes_and_upgrade_waits(srv):
    # A /health behind held publishes waits its turn; a WebSocket upgrade behind them is
    # answered (101) only after both, and the connection then speaks WebSocket.
    ch = owned_by(1, "public:mix", 1)[0]
    c = Client(srv)
    c.send(publish_request(ch, 1) + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n" +
           publish_request(ch, 2) +
           "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    rs = [c.response() for _ in range(4)]
    assert [r.status for r in rs] == [200, 200, 200, 101]
    assert rs[0].json()["offset"] + 1 == rs[2].json()["offset"]
    assert rs[1].json()["status"] == "ok"
    assert rs[3].header("upgrade").lower() == "websocket"
    c.close()


def test_connection_close_behind_held_publish_closes_after_it(srv):
    ch = owned_by(0, "public:cl", 1)[0]
    c = Client(srv)
    c.send(publish_request(ch, 1) +
           "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" +
           publish_request(ch, 2))
    a = c.response()
    b = c.response()
    assert a.status == 200 and "offset" in a.json()
    assert b.status == 200 and b.header("connection") == "close"
    assert c.closed_by_server()
    # Nothing after the closing request was processed: the second publish never happened.
    st, _, body = srv.request("GET", "/api/history?" + urllib.parse.urlencode({"channel": ch}))
    assert [p["data"] for p in json.loads(body)["publications"]] == [1]


def test_requests_cut_anywhere_across_reads_are_answered_in_order(srv):
    # The server reads into a per-loop scratch buffer and parses it in place; only what a read
    # leaves unparsed (part of a request) is copied into the connection's own buffer, and the
    # next read is appended to it. Cuts in the request line, a header, the body, and between
    # two requests exercise every hand-over; the pauses make separate reads likely (the
    # answers must be the same whether or not the kernel merges the pieces).
    ch = owned_by(0, "public:pipe-cut", 1)[0]
    stream = "".join(publish_request(ch, {"i": i, "pad": "x" * 40}) for i in range(3))
    stream += "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    first = stream.index("\r\n\r\n")
    cuts = [7, stream.index("Content-Type") + 5, first + 10,  # request line, header, body
            stream.index("POST", 1),                          # exactly between two requests
            stream.index("POST", 1) + 3, stream.rindex("GET") - 2, len(stream) - 1]
    c = Client(srv)
    at = 0
    for cut in cuts + [len(stream)]:
        c.send(stream[at:cut])
        at = cut
        time.sleep(0.05)
    rs = [c.response() for _ in range(4)]
    assert [r.status for r in rs] == [200] * 4
    offsets = [r.json()["offset"] for r in rs[:3]]
    assert offsets == [offsets[0], offsets[0] + 1, offsets[0] + 2]
    assert rs[3].json()["status"] == "ok"
    c.close()
