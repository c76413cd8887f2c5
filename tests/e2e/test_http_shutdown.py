"""SIGTERM through the real binary: open SSE and WebSocket clients are asked to reconnect
(SSE `event: reconnect`, WebSocket close 4001), idle connections are closed, and the process
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
