"""herald.v1 over WebSocket (GET /ws), driven by Python's `websockets` (a client nobody here
wrote) and, where a polite library cannot misbehave on purpose, a raw socket client."""
import asyncio
import json
import socket

import pytest
import websockets

from harness import DEADLINE, herald_server, wait_until
from ws_util import Herald, RawWs, error_of, mask_frame, run

RO_CONFIG = """
[namespace.ro]
publish = false
anonymous = true
"""


@pytest.fixture(scope="module")
def srv():
    with herald_server("--debug-echo", config=RO_CONFIG) as s:
        yield s


def test_handshake_selects_herald_v1(srv):
    async def go():
        async with websockets.connect(f"ws://{srv.host}:{srv.port}/ws",
                                      subprotocols=["other", "herald.v1"]) as ws:
            assert ws.subprotocol == "herald.v1"
            await ws.send(json.dumps({"id": 1, "op": "ping"}))
            assert json.loads(await ws.recv()) == {"id": 1, "result": {}}
    run(go())


def test_handshake_refusals(srv):
    base = (f"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
    out = srv.raw((base + "Sec-WebSocket-Version: 8\r\n\r\n").encode())
    assert out.startswith(b"HTTP/1.1 426 "), out
    assert b"Sec-WebSocket-Version: 13" in out
    out = srv.raw(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Version: 13\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 "), out


def test_origin_allow_list():
    cfg = '[server]\nallowed_origins = ["https://good.example"]\n'
    with herald_server(config=cfg) as s:
        async def go():
            async with websockets.connect(f"ws://{s.host}:{s.port}/ws", subprotocols=["herald.v1"],
                                          origin="https://good.example") as ws:
                assert ws.subprotocol == "herald.v1"
            with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
                await websockets.connect(f"ws://{s.host}:{s.port}/ws", subprotocols=["herald.v1"],
                                         origin="https://evil.example")
            assert e.value.status_code == 403
        run(go())


def test_connect_anonymous_and_token(srv):
    async def go():
        h = await Herald.connect(srv)
        r = await h.call("connect")
        client = r["result"]["client"]
        assert client
        assert (await h.call("connect"))["result"]["client"] == client  # stable per connection
        # A token the server cannot verify (none is configured here): 401, then close 4500.
        r = await h.call("connect", token="a.b.c")
        assert error_of(r) == (401, "unauthorized")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await h.recv(timeout=30)
        assert closed.value.code == 4500
    run(go())


def test_subscribe_then_publish_over_http_and_ws(srv):
    async def go():
        sub = await Herald.connect(srv)
        pub = await Herald.connect(srv)
        r = await sub.call("subscribe", channel="public:live")
        assert r["result"]["cursor"].endswith(":0") and "recovered" not in r["result"]
        epoch = r["result"]["cursor"].split(":")[0]
        http = await asyncio.get_running_loop().run_in_executor(
            None, srv.publish, "public:live", {"n": 1})
        assert http == {"offset": 1, "epoch": epoch}
        r = await pub.call("publish", channel="public:live", data={"n": 2, "s": "é\"x"})
        assert r == {"id": 1, "result": {"offset": 2, "epoch": epoch}}
        assert await sub.push() == {"channel": "public:live", "offset": 1, "data": {"n": 1}}
        assert await sub.push() == {"channel": "public:live", "offset": 2, "data": {"n": 2, "s": "é\"x"}}
        # unsubscribe stops the pushes
        assert await sub.call("unsubscribe", channel="public:live") == {"id": 2, "result": {}}
        await pub.call("publish", channel="public:live", data=3)
        r = await sub.call("ping")
        assert r == {"id": 3, "result": {}} and sub.pushes == []
        await sub.close()
        await pub.close()
    run(go())


def test_recovery_replays_then_goes_live(srv):
    async def go():
        for i in range(1, 4):
            srv.publish("public:rec", {"i": i})
        h = await Herald.connect(srv)
        hist = await h.call("history", channel="public:rec")
        epoch = hist["result"]["cursor"].split(":")[0]
        assert [p["offset"] for p in hist["result"]["publications"]] == [1, 2, 3]
        r = await h.call("subscribe", channel="public:rec", since=f"{epoch}:1")
        assert r["result"] == {"cursor": f"{epoch}:3", "recovered": True}
        assert await h.push() == {"channel": "public:rec", "offset": 2, "data": {"i": 2}}
        assert await h.push() == {"channel": "public:rec", "offset": 3, "data": {"i": 3}}
        srv.publish("public:rec", {"i": 4})
        assert await h.push() == {"channel": "public:rec", "offset": 4, "data": {"i": 4}}
        # a foreign epoch: not recovered, current cursor, no replay
        h2 = await Herald.connect(srv)
        r = await h2.call("subscribe", channel="public:rec", since="Zz9:2")
        assert r["result"] == {"cursor": f"{epoch}:4", "recovered": False}
        # past the end: not recovered either
        r = await h2.call("subscribe", channel="public:rec2", since=f"{epoch}:99")
        assert r["result"]["recovered"] is False
        srv.publish("public:rec", {"i": 5})
        assert await h2.push() == {"channel": "public:rec", "offset": 5, "data": {"i": 5}}
        # history with since and limit
        r = await h.call("history", channel="public:rec", since=f"{epoch}:2", limit=2)
        assert [p["offset"] for p in r["result"]["publications"]] == [3, 4]
        await h.close()
        await h2.close()
    run(go())


def test_error_replies_with_codes(srv):
    async def go():
        h = await Herald.connect(srv)
        cases = [
            ({"op": "subscribe"}, 400),                          # missing channel
            ({"op": "subscribe", "channel": "bad channel!"}, 400),
            ({"op": "subscribe", "channel": "public:x", "since": "nope"}, 400),
            ({"op": "fly"}, 400),                                # unknown op
            ({"op": "publish", "channel": "public:x"}, 400),     # missing data
            ({"op": "subscribe", "channel": "private:x"}, 403),  # not anonymous
            ({"op": "publish", "channel": "ro:x", "data": 1}, 403),
            ({"op": "publish", "channel": "news", "data": 1}, 403),
            ({"op": "unsubscribe", "channel": "public:never"}, 404),
            ({"op": "history", "channel": "private:x"}, 403),
            ({"op": "presence", "channel": "private:x"}, 403),
        ]
        for i, (cmd, code) in enumerate(cases, 100):
            await h.send(dict(id=i, **cmd))
            r = await h.recv()
            assert r.get("id") == i and r["error"]["code"] == code, (cmd, r)
        assert (await h.call("subscribe", channel="public:dup"))["result"]
        assert error_of(await h.call("subscribe", channel="public:dup"))[0] == 409
        # a subscribe to ro: is allowed (anonymous = true), publishing there over HTTP works
        assert (await h.call("subscribe", channel="ro:feed"))["result"]["cursor"]
        srv.publish("ro:feed", "x")
        assert (await h.push())["data"] == "x"
        await h.close()
    run(go())


def test_invalid_json_keeps_the_connection(srv):
    async def go():
        h = await Herald.connect(srv)
        await h.send("{not json")
        r = await h.recv()
        assert "id" not in r and r["error"]["code"] == 400
        await h.send(b"\x00\x01binary")
        r = await h.recv()
        assert "id" not in r and r["error"]["code"] == 400
        await h.send('{"id":7,"op":"subscribe","channel":5}')
        r = await h.recv()
        assert r["id"] == 7 and r["error"]["code"] == 400
        assert (await h.call("ping")) == {"id": 1, "result": {}}
        await h.close()
    run(go())


def test_presence_lists_clients(srv):
    async def go():
        a = await Herald.connect(srv)
        b = await Herald.connect(srv)
        ca = (await a.call("connect"))["result"]["client"]
        await a.call("subscribe", channel="public:room")
        await b.call("subscribe", channel="public:room")  # without connect: it has an id too
        cb = (await b.call("connect"))["result"]["client"]
        r = await b.call("presence", channel="public:room")
        assert r["result"]["connections"] == 2 and r["result"]["users"] == 0, r
        assert r["result"]["clients"] == [{"client": c} for c in sorted([ca, cb])], r
        await a.close()
        await b.close()
    run(go())


def test_too_many_subscriptions():
    with herald_server(config="[limits]\nmax_subscriptions = 3\n") as s:
        async def go():
            h = await Herald.connect(s)
            for i in range(3):
                assert "result" in await h.call("subscribe", channel=f"public:c{i}")
            code, msg = error_of(await h.call("subscribe", channel="public:c3"))
            assert code == 429 and "subscriptions" in msg
            await h.call("unsubscribe", channel="public:c0")
            assert "result" in await h.call("subscribe", channel="public:c3")
            await h.close()
        run(go())


def test_publish_rate_limit():
    with herald_server(config="[limits]\npublish_rate = 5\n") as s:
        # Ten publishes in one write: the server reads them together, so the bucket (5 per
        # second, refilled continuously) cannot refill between them, as it could between ten
        # round trips on a busy machine.
        raw = RawWs(s)
        raw.sock.sendall(b"".join(
            mask_frame(1, json.dumps({"id": i, "op": "publish", "channel": "public:r",
                                      "data": i}).encode()) for i in range(1, 11)))
        codes = {}
        while len(codes) < 10:  # refusals answer at once, accepted publishes after the hub
            op, payload = raw.frame()
            assert op == 1, (op, payload)
            r = json.loads(payload)
            codes[r["id"]] = r["error"]["code"] if "error" in r else 200
        got = [codes[i] for i in range(1, 11)]
        assert got[:5] == [200] * 5 and 429 in got[5:], got
        raw.close()


def test_oversize_message_closes_1009():
    with herald_server(config="[websocket]\nmax_message = 1024\n") as s:
        async def go():
            h = await Herald.connect(s)
            assert (await h.call("ping"))["result"] == {}
            await h.send(json.dumps({"id": 2, "op": "publish", "channel": "public:x", "data": "x" * 2000}))
            with pytest.raises(websockets.exceptions.ConnectionClosed) as e:
                await h.recv()
            assert e.value.code == 1009
        run(go())


def test_no_pong_closes_4010():
    # Two clients side by side: one that answers pings (websockets does) and, connected after
    # it, one that never does. Once the silent one is closed 4010, the polite one has been
    # connected longer and must still be served: no fixed sleep decides what "long enough"
    # is. A pong may be 2 s late (a busy machine) before the server gives up.
    cfg = "[websocket]\nping_interval_ms = 200\npong_timeout_ms = 2000\n"
    with herald_server(config=cfg) as s:
        async def go():
            h = await Herald.connect(s)
            raw = RawWs(s)

            def silent():
                op, payload = raw.frame()
                assert op == 9, (op, payload)  # the server's ping; never answered
                while op == 9:
                    op, payload = raw.frame()
                return op, payload

            op, payload = await asyncio.get_running_loop().run_in_executor(None, silent)
            raw.close()
            assert op == 8 and int.from_bytes(payload[:2], "big") == 4010, (op, payload)
            assert (await h.call("ping"))["result"] == {}
            await h.close()
        run(go())


def test_client_close_is_echoed(srv):
    async def go():
        h = await Herald.connect(srv)
        await h.ws.close(code=4321, reason="bye")
        assert h.ws.close_code == 4321
    run(go())


def slow_reader(srv, channel):
    """A raw WebSocket client with a 4 KiB receive buffer, subscribed to `channel`, that reads
    nothing more until the test says so."""
    slow = RawWs(srv, rcvbuf=4096)
    slow.send_text(json.dumps({"id": 1, "op": "subscribe", "channel": channel}))
    op, payload = slow.frame()
    assert op == 1 and json.loads(payload)["id"] == 1
    return slow


def test_slow_consumer_is_evicted_4008_others_get_everything():
    cfg = "[limits]\nmax_output_bytes = 65536\n"
    with herald_server(config=cfg) as s:
        slow = slow_reader(s, "public:flood")
        n, size = 400, 32 * 1024
        blob = "b" * size

        async def go():
            # The fast reader gets each publication before the next one is made, so what it
            # is sent never waits for Python to be scheduled: only the reader that never
            # reads can be judged slow, however busy the machine is.
            fast = await Herald.connect(s)
            await fast.call("subscribe", channel="public:flood")
            loop = asyncio.get_running_loop()
            got = []
            for i in range(n):
                await loop.run_in_executor(None, s.publish, "public:flood", {"i": i, "b": blob})
                got.append((await fast.push())["offset"])
            assert got == list(range(1, n + 1))  # everything, in order, nothing lost
            await fast.close()
        run(go(), timeout=10 * DEADLINE)

        # The slow reader was cut off: reading what reached it ends with close 4008 or a reset,
        # never with all n publications.
        slow.sock.settimeout(DEADLINE)
        frames, close_code = 0, None
        try:
            while True:
                op, payload = slow.frame()
                if op == 8:
                    close_code = int.from_bytes(payload[:2], "big")
                    break
                frames += 1
        except (EOFError, ConnectionResetError, socket.timeout):
            pass
        slow.close()
        assert frames < n
        assert close_code in (None, 4008)
        status, _, body = s.request("GET", "/metrics")
        assert status == 200
        line = [l for l in body.decode().splitlines() if l.startswith("herald_slow_consumer_evictions_total")]
        assert line and float(line[0].split()[-1]) >= 1, line


def test_an_evicted_peer_that_never_reads_is_reset_at_the_close_deadline():
    # The 4008 close frame queues behind output the peer never reads, so the closing handshake
    # cannot finish; the server resets the connection at its close deadline (3 s) instead of
    # holding it open as long as the peer likes. The reader never reads until the server let go.
    # Keepalive an hour away: no other deadline may end the connection within the test.
    cfg = "[limits]\nmax_output_bytes = 65536\n[websocket]\nping_interval_ms = 3600000\n"
    ws_open = 'herald_transport_connections{transport="ws"}'
    with herald_server(config=cfg) as s:
        slow = slow_reader(s, "public:stuck")
        assert s.metric(ws_open) == 1
        blob = "s" * (32 * 1024)
        published = 0
        while not s.metric("herald_slow_consumer_evictions_total"):
            assert published < 2000, "never evicted"
            s.publish("public:stuck", {"b": blob})
            published += 1
        wait_until(lambda: s.metric(ws_open) == 0, what="the evicted connection's reset")
        frames = 0
        try:
            while True:
                op, _ = slow.frame()
                assert op != 8, "the close frame got through: nothing was stuck"
                frames += 1
        except (EOFError, ConnectionResetError):
            pass
        slow.close()
        assert frames < published


def test_echo_endpoint_only_with_debug_echo(srv):
    async def go():
        async with websockets.connect(f"ws://{srv.host}:{srv.port}/ws/echo", max_size=None) as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"
            await ws.send(b"\x00\xff" * 40000)
            assert await ws.recv() == b"\x00\xff" * 40000
    run(go())
    with herald_server() as plain:
        out = plain.raw(b"GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 404 "), out


def test_sigterm_sends_4001_shutdown():
    with herald_server() as s:
        async def go():
            h = await Herald.connect(s)
            await h.call("subscribe", channel="public:bye")
            s.proc.terminate()
            with pytest.raises(websockets.exceptions.ConnectionClosed) as e:
                await h.recv()
            assert e.value.code == 4001 and e.value.reason == "shutdown"
        run(go())
        assert s.proc.wait(timeout=60) == 0
