"""Presence and join/leave through the real binary, across loops (--threads 2): clients with
tokens (user, info) on WebSocket and SSE are listed by the WebSocket `presence` op and
GET /api/presence with counts of clients and unique users; with `join_leave`, subscribers get
{"channel":..,"join":{..}} / {"channel":..,"leave":{..}} pushes. Presence stays correct when a
connection is reset or evicted as a slow consumer. Long-polls are not present."""
import asyncio
import json
import os
import socket
import struct
import tempfile
import time
import urllib.parse

import jwt
import pytest

from harness import herald_server
from test_sse import SseStream, push, settle, sse_path
from ws_util import Herald, RawWs, run

SECRET = "presence-secret-presence-secret-presence!"
CONFIG = """
[auth]
hmac_secret_file = "{secret}"

[limits]
publish_rate = 1000000

[namespace.room]
authenticated = true
join_leave = true
"""


def mint(sub, info=None):
    claims = {"sub": sub, "exp": int(time.time()) + 3600}
    if info is not None:
        claims["info"] = info
    return jwt.encode(claims, SECRET, algorithm="HS256")


@pytest.fixture(scope="module")
def srv():
    d = tempfile.mkdtemp(prefix="herald-presence-")
    with open(os.path.join(d, "secret"), "w") as f:
        f.write(SECRET)
    with herald_server("--threads", "2", config=CONFIG.format(secret=os.path.join(d, "secret"))) as s:
        yield s


def api_presence(srv, channel):
    st, _, body = srv.request("GET", "/api/presence?channel=" + urllib.parse.quote(channel))
    assert st == 200, body
    return json.loads(body)


def wait_presence(srv, channel, pred, what):
    deadline = time.time() + 30
    while True:
        p = api_presence(srv, channel)
        if pred(p):
            return p
        assert time.time() < deadline, f"{what}: {p}"
        time.sleep(0.05)


async def next_event(h, kind, timeout=30):
    """The next join/leave push of kind `kind`, skipping anything else."""
    deadline = time.time() + timeout
    while True:
        msg = await h.push(timeout=max(0.1, deadline - time.time()))
        if kind in msg:
            return msg


def test_presence_lists_users_and_info_across_loops_and_transports(srv):
    async def go():
        conns = []
        clients = {}
        for user in ("alice", "alice", "bob", "carol"):
            h = await Herald.connect(srv)
            r = await h.call("connect", token=mint(user, {"name": user.title()}))
            clients[r["result"]["client"]] = user
            assert "result" in await h.call("subscribe", channel="room:p1")
            conns.append(h)
        sse = SseStream(srv, sse_path("room:p1") + "&token=" + mint("dave", {"name": "Dave"}))
        assert sse.read_head(timeout=30) == 200
        settle(sse)
        p = wait_presence(srv, "room:p1", lambda p: p["connections"] == 5, "5 subscribers")
        assert p["users"] == 4, p
        by_user = sorted((c["user"], c["info"]["name"]) for c in p["clients"])
        assert by_user == [("alice", "Alice"), ("alice", "Alice"), ("bob", "Bob"),
                           ("carol", "Carol"), ("dave", "Dave")], p
        assert {c["client"] for c in p["clients"]} >= set(clients)
        # The WebSocket op answers the same.
        r = await conns[0].call("presence", channel="room:p1")
        assert r["result"]["users"] == 4 and len(r["result"]["clients"]) == 5, r
        for h in conns:
            await h.close()
        sse.sock.close()
        wait_presence(srv, "room:p1", lambda p: p["connections"] == 0 and p["clients"] == [],
                      "everyone gone")
    run(go(), timeout=120)


def test_join_and_leave_pushes_on_websocket_and_sse(srv):
    async def go():
        watcher = await Herald.connect(srv)
        await watcher.call("connect", token=mint("watcher"))
        assert "result" in await watcher.call("subscribe", channel="room:jl")
        assert "watcher" == (await next_event(watcher, "join"))["join"]["user"]  # its own join
        sse = SseStream(srv, sse_path("room:jl") + "&token=" + mint("sse-watcher"))
        assert sse.read_head(timeout=30) == 200
        settle(sse)
        j = await next_event(watcher, "join")
        assert j["channel"] == "room:jl" and j["join"]["user"] == "sse-watcher", j

        h = await Herald.connect(srv)
        r = await h.call("connect", token=mint("erin", {"role": "guest"}))
        erin = r["result"]["client"]
        assert "result" in await h.call("subscribe", channel="room:jl")
        j = await next_event(watcher, "join")
        assert j["join"] == {"client": erin, "user": "erin", "info": {"role": "guest"}}, j
        ev = sse.next_event(timeout=30)
        while json.loads(ev["data"]).get("join", {}).get("client") != erin:
            ev = sse.next_event(timeout=30)
        assert ev["id"] is None  # a presence event moves no cursor

        # Unsubscribe: leave.
        await h.call("unsubscribe", channel="room:jl")
        lv = await next_event(watcher, "leave")
        assert lv["leave"]["client"] == erin, lv
        # An abrupt reset (no close handshake): leave too.
        h2 = await Herald.connect(srv)
        c2 = (await h2.call("connect", token=mint("frank")))["result"]["client"]
        assert "result" in await h2.call("subscribe", channel="room:jl")
        assert (await next_event(watcher, "join"))["join"]["client"] == c2
        h2.ws.transport.abort()
        lv = await next_event(watcher, "leave")
        assert lv["leave"]["client"] == c2, lv
        await h.close()
        await watcher.close()
        sse.sock.close()
    run(go(), timeout=120)


def test_a_slow_consumer_eviction_leaves_and_presence_forgets_it():
    d = tempfile.mkdtemp(prefix="herald-presence-slow-")
    with open(os.path.join(d, "secret"), "w") as f:
        f.write(SECRET)
    cfg = CONFIG.format(secret=os.path.join(d, "secret")) + "\n[websocket]\ncompression = false\n"
    cfg = cfg.replace("[limits]\n", "[limits]\nmax_output_bytes = 65536\n")
    with herald_server(config=cfg) as srv:
        async def go():
            watcher = await Herald.connect(srv)
            await watcher.call("connect", token=mint("watcher"))
            await watcher.call("subscribe", channel="room:slow")
            await next_event(watcher, "join")
            # A raw client that never reads, with a tiny receive buffer.
            slow = RawWs(srv, path="/ws?token=" + mint("sloth"), rcvbuf=4096)
            slow.send_text(json.dumps({"id": 1, "op": "subscribe", "channel": "room:slow"}))
            j = await next_event(watcher, "join")
            assert j["join"]["user"] == "sloth"
            # Flood until the sloth is evicted; the watcher reads each publication as it goes.
            payload = "x" * 8000
            for i in range(1500):
                st, _, _ = srv.request("POST", "/api/publish",
                                       json.dumps({"channel": "room:slow", "data": [i, payload]}))
                assert st == 200
                got = await watcher.push(timeout=30)
                if "leave" in got:
                    assert got["leave"]["user"] == "sloth", got
                    break
            else:
                raise AssertionError("the slow consumer was never evicted")
            p = wait_presence(srv, "room:slow", lambda p: p["connections"] == 1, "sloth gone")
            assert [c["user"] for c in p["clients"]] == ["watcher"], p
            slow.close()
            await watcher.close()
        run(go(), timeout=180)
