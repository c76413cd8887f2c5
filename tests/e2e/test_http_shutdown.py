"""SIGTERM through the real binary: open SSE and WebSocket clients are asked to reconnect
(SSE `event: reconnect`, WebSocket close 4001) one by one, spread evenly over
`server.drain_ms`; during the window new connections are still accepted and answered 503
(`/health` says draining, `/health?ready` is 503); idle connections are closed, and the process
exits 0 once the drain is over although its clients never hang up themselves.

"Once the drain is over" is bounded by drain_ms + LATE: generous, because a loaded machine may
run the server's timers and its exit (with an ASan leak check) late, and still far below
"never", which is what a drain that waited for its clients would do."""
import asyncio
import json
import signal
import time

import websockets

from harness import DEADLINE, herald_server
from http_helpers import Client, SseReader

DRAIN_MS = 500
LATE = 20.0


def test_sigterm_drains_sse_and_websocket_then_exits_0():
    with herald_server("--threads", "2", "--set", f"server.drain_ms={DRAIN_MS}") as srv:
        sse = SseReader(srv, "public:x")
        idle = Client(srv)  # a plain keep-alive connection, idle between requests
        idle.get("/health")
        assert idle.response().status == 200

        async def scenario():
            ws = await websockets.connect(f"ws://{srv.host}:{srv.port}/ws",
                                          subprotocols=["herald.v1"])
            assert ws.subprotocol == "herald.v1"
            await ws.send(json.dumps({"id": 1, "op": "subscribe", "channel": "public:x"}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
            assert reply["id"] == 1 and "result" in reply, reply
            # Both clients are live before the signal.
            srv.publish("public:x", "before")
            push = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
            assert push["data"] == "before"
            assert sse.next_message()["data"] == "before"

            t0 = time.time()
            srv.proc.send_signal(signal.SIGTERM)
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), DRAIN_MS / 1000 + LATE)
            except websockets.ConnectionClosed:
                pass
            ws_closed_after = time.time() - t0
            return ws.close_code, ws.close_reason, ws_closed_after, t0

        code, reason, ws_after, t0 = asyncio.run(scenario())
        assert code == 4001, (code, reason)
        assert ws_after <= DRAIN_MS / 1000 + LATE

        # SSE: a reconnect event, then the end of the stream.
        names = []
        while True:
            ev = sse.next_event(timeout=DRAIN_MS / 1000 + LATE)
            if ev is None:
                break
            names.append(ev[0])
        assert "reconnect" in names, (names, sse.buf)
        assert sse.eof, "SSE stream not ended after the reconnect event"

        # The idle keep-alive connection is closed too, without a stray response.
        assert idle.closed_by_server(timeout=DRAIN_MS / 1000 + LATE)

        rc = srv.proc.wait(timeout=DRAIN_MS / 1000 + LATE)
        elapsed = time.time() - t0
        assert rc == 0, srv.log()[-3000:]
        assert elapsed <= DRAIN_MS / 1000 + LATE, elapsed
        # (No connect to the old port afterwards: the process has exited, and a parallel
        # suite's server may already have been given that port.)
        sse.close()
        idle.close()


def test_during_the_drain_new_requests_get_503_and_health_says_draining():
    window_ms = 4000
    with herald_server("--threads", "1", "--set", f"server.drain_ms={window_ms}") as srv:
        # One long-lived client keeps the drain busy for the window.
        sse = SseReader(srv, "public:drain503")
        srv.proc.send_signal(signal.SIGTERM)
        # The drain begins on the loop's thread soon after the signal: wait for the readiness
        # check to say so.
        deadline = time.time() + 10
        while True:
            status, headers, body = srv.request("GET", "/health?ready")
            if status == 503:
                break
            assert status == 200 and time.time() < deadline, (status, body)
            time.sleep(0.02)
        assert json.loads(body) == {"status": "draining"}
        assert headers.get("connection") == "close"
        # Liveness: the process is alive and says it drains.
        status, headers, body = srv.request("GET", "/health")
        assert status == 200 and json.loads(body) == {"status": "draining"}, (status, body)
        status, headers, body = srv.request("GET", "/poll?channel=public:drain503")
        assert status == 503, body
        assert json.loads(body) == {"error": {"code": 503, "message": "draining"}}
        assert headers.get("retry-after") == "1"
        status, _, body = srv.request("POST", "/api/publish",
                                      json.dumps({"channel": "public:drain503", "data": 1}))
        assert status == 503, body
        # A WebSocket handshake is refused with a status, not a reset.
        c = Client(srv)
        c.get("/ws", headers="Upgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
        r = c.response()
        assert r.status == 503
        assert c.closed_by_server()
        c.close()
        # An SSE stream opened now is a 200 that only says "reconnect", with a retry: that
        # outlasts the window (an EventSource gives up for good on a 503).
        c = Client(srv)
        c.get("/sse?channel=public:drain503", headers="Accept: text/event-stream\r\n")
        r = c.response()
        assert r.status == 200 and r.header("content-type") == "text/event-stream", r
        lines = r.body.decode().split("\n")
        retry = int(lines[0].removeprefix("retry: "))
        assert 2000 < retry <= window_ms + 2000, lines
        assert lines[2:4] == ["event: reconnect", 'data: {"reason":"shutdown"}'], lines
        assert c.closed_by_server()
        c.close()
        # /metrics still answers while draining.
        assert srv.request("GET", "/metrics")[0] == 200
        assert srv.proc.wait(timeout=window_ms / 1000 + 10) == 0
        sse.close()


def test_reconnect_requests_are_spread_over_the_whole_window():
    # 20 connections on one loop and a 4 s window: asked one at a time, every 200 ms, not in
    # one burst (batches every 10 ms asked all 20 within the first 200 ms).
    window_ms, n = 4000, 20
    with herald_server("--threads", "1", "--set", f"server.drain_ms={window_ms}") as srv:
        closes = []

        async def scenario():
            conns = []
            for _ in range(n):
                ws = await websockets.connect(f"ws://{srv.host}:{srv.port}/ws",
                                              subprotocols=["herald.v1"])
                await ws.send(json.dumps({"id": 1, "op": "ping"}))
                await asyncio.wait_for(ws.recv(), 10)
                conns.append(ws)

            async def wait_close(ws):
                try:
                    while True:
                        await asyncio.wait_for(ws.recv(), window_ms / 1000 + 10)
                except websockets.ConnectionClosed:
                    closes.append((time.monotonic(), ws.close_code))

            t0 = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            await asyncio.gather(*(wait_close(ws) for ws in conns))
            return t0

        t0 = asyncio.run(scenario())
        assert len(closes) == n
        assert all(code == 4001 for _, code in closes), closes
        times = sorted(t - t0 for t, _ in closes)
        # Evenly spread: the k-th (0-based) is asked at k/n of the window after the drain began
        # (after t0), so the middle one no sooner than 2 s and the last no sooner than 3.8 s. A
        # busy machine makes closes late, never early, so these lower bounds hold under any load
        # (10% off for the loop's coarse clock).
        assert times[n // 2] >= 0.9 * (n // 2) / n * window_ms / 1000, times
        assert times[-1] >= 0.9 * (n - 1) / n * window_ms / 1000, times
        assert srv.proc.wait(timeout=window_ms / 1000 + 10) == 0
