"""A reconnect storm's replays, through the real binary: many clients of every transport ask at
once for the same missed messages.

The server encodes a replayed publication once per loop for the subscribers that replay it
together (src/hub/replay_forms.h), as it does for live ones; each client must still get exactly
what it missed, in order, with its own framing: WebSocket clients with and without
permessage-deflate (the compressed frame is shared between the clients that agreed a 15-bit
window, the plain one between the others), SSE streams and polls; and UDP leases, whose shared
datagram must still carry each lease's own session. Two channels whose
offsets meet in the same slot of the server's table, and a client that asks from a different
cursor, check that nothing is taken for another message.
"""
import asyncio
import json

import websockets

import udp_client as U
from harness import herald_server
from recovery.clients import http_get_json, query, read_response

CONFIG = """
[namespace.public]
history_size = 500
history_ttl = 600
"""
# 70 messages on A and 6 on B: A's offsets 65..70 share table slots with B's 1..6.
PER_CHANNEL = {"public:storm-a": 70, "public:storm-b": 6}
SINCE = {"public:storm-a": 2, "public:storm-b": 0}
TIMEOUT = 60.0


def data_of(ch, off):
    # Distinct per message and channel, with characters a JSON encoder must escape.
    return {"ch": ch, "n": off, "text": f"m\u00e9ss\"age\\{off}\n", "pad": "x" * (off % 7)}


async def publish_all(srv):
    epochs = {}
    reader, writer = await asyncio.open_connection(srv.host, srv.port)
    try:
        for ch, n in PER_CHANNEL.items():
            for off in range(1, n + 1):
                body = json.dumps({"channel": ch, "data": data_of(ch, off)}).encode()
                writer.write(b"POST /api/publish HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Type: application/json\r\nContent-Length: " +
                             str(len(body)).encode() + b"\r\n\r\n" + body)
                status, answer = await asyncio.wait_for(read_response(reader), TIMEOUT)
                assert status == 200, answer
                r = json.loads(answer)
                assert r["offset"] == off, r
                epochs[ch] = r["epoch"]
    finally:
        writer.close()
    return epochs


def expected(since):
    return {ch: [(off, data_of(ch, off)) for off in range(since[ch] + 1, n + 1)]
            for ch, n in PER_CHANNEL.items()}


async def ws_open(srv, deflate):
    ws = await websockets.connect(f"ws://{srv.host}:{srv.port}/ws", max_size=None,
                                  compression="deflate" if deflate else None,
                                  ping_interval=None)
    agreed = ws.response_headers.get("Sec-WebSocket-Extensions", "")
    assert ("permessage-deflate" in agreed) == deflate, agreed
    return ws


async def ws_client(ws, epochs, since, start):
    try:
        await start.wait()
        for i, ch in enumerate(PER_CHANNEL, 1):
            await ws.send(json.dumps({"id": i, "op": "subscribe", "channel": ch,
                                      "since": f"{epochs[ch]}:{since[ch]}"}))
        got = {ch: [] for ch in PER_CHANNEL}
        want = sum(n - since[ch] for ch, n in PER_CHANNEL.items())
        replies = 0
        while replies < len(PER_CHANNEL) or sum(map(len, got.values())) < want:
            msg = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            if "id" in msg:
                assert msg["result"]["recovered"] is True, msg
                replies += 1
            else:
                got[msg["channel"]].append((msg["offset"], msg["data"]))
        return got
    finally:
        await ws.close()


async def sse_client(srv, epochs, since, start):
    await start.wait()
    ch_since = {ch: f"{epochs[ch]}:{since[ch]}" for ch in PER_CHANNEL}
    got = {ch: [] for ch in PER_CHANNEL}
    want = sum(n - since[ch] for ch, n in PER_CHANNEL.items())
    # One stream per channel: each names its channel's cursor.
    for ch in PER_CHANNEL:
        reader, writer = await asyncio.open_connection(srv.host, srv.port)
        try:
            path = "/sse?" + query([ch], since=ch_since[ch])
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
                         .encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
            assert head[9:12] == b"200", head
            buf = b""
            while len(got[ch]) < PER_CHANNEL[ch] - since[ch]:
                chunk = await asyncio.wait_for(reader.read(65536), TIMEOUT)
                assert chunk, "SSE stream closed early"
                buf += chunk
                *blocks, buf = buf.split(b"\n\n")
                for block in blocks:
                    for line in block.split(b"\n"):
                        if line.startswith(b"data: "):
                            msg = json.loads(line[6:])
                            got[msg["channel"]].append((msg["offset"], msg["data"]))
        finally:
            writer.close()
    assert sum(map(len, got.values())) == want
    return got


async def poll_client(srv, epochs, since, start):
    await start.wait()
    got = {ch: [] for ch in PER_CHANNEL}
    for ch in PER_CHANNEL:
        cursor = f"{epochs[ch]}:{since[ch]}"
        # Short polls from the last answer's cursor until one brings nothing.
        for _ in range(PER_CHANNEL[ch] + 1):
            path = "/poll?" + query([ch], since=cursor, wait=0)
            status, r = await http_get_json(srv.host, srv.port, path, TIMEOUT)
            assert status == 200, r
            if not r["messages"]:
                break
            for m in r["messages"]:
                got[m["channel"]].append((m["offset"], m["data"]))
            cursor = r["cursor"]
    return got


def test_every_client_of_a_reconnect_storm_gets_exactly_what_it_missed():
    with herald_server("--threads", "1", config=CONFIG) as srv:
        async def main():
            epochs = await publish_all(srv)
            other = {"public:storm-a": 40, "public:storm-b": 3}  # a different cursor
            # Every WebSocket handshake first, so that their subscribes leave together.
            plain = await asyncio.gather(*(ws_open(srv, False) for _ in range(12)))
            deflated = await asyncio.gather(*(ws_open(srv, True) for _ in range(13)))
            start = asyncio.Event()
            tasks = [("ws", SINCE, ws_client(ws, epochs, SINCE, start)) for ws in plain]
            tasks += [("ws-deflate", SINCE, ws_client(ws, epochs, SINCE, start))
                      for ws in deflated[:-1]]
            tasks.append(("ws-deflate", other, ws_client(deflated[-1], epochs, other, start)))
            tasks += [("sse", SINCE, sse_client(srv, epochs, SINCE, start)) for _ in range(4)]
            tasks.append(("sse", other, sse_client(srv, epochs, other, start)))
            tasks += [("poll", SINCE, poll_client(srv, epochs, SINCE, start)) for _ in range(4)]
            running = [asyncio.create_task(t) for _, _, t in tasks]
            start.set()
            results = await asyncio.wait_for(asyncio.gather(*running), TIMEOUT * 2)
            for (kind, since, _), got in zip(tasks, results):
                assert got == expected(since), f"{kind} from {since}: got {got}"
        asyncio.run(main())


def test_udp_leases_replaying_together_each_get_their_own_session():
    with herald_server("--threads", "1", config=CONFIG) as srv:
        epochs = asyncio.run(publish_all(srv))
        ch = "public:storm-b"
        clients = [U.UdpClient(srv.port) for _ in range(8)]
        try:
            for c in clients:
                assert c.open().type == "opened"
            # Every subscribe sent before any answer is read: the leases replay together.
            rids = []
            for c in clients:
                rid = c.rid()
                rids.append(rid)
                c.send(U.subscribe(c.session, rid, ch, epochs[ch], 0))
            for c, rid in zip(clients, rids):
                s = c.wait_for(lambda m: m.type == "subscribed" and m.id == rid, timeout=TIMEOUT)
                assert s is not None and s.flags == U.HAD_SINCE | U.RECOVERED, s
                pubs = [c.wait_for(lambda m: m.type == "pub", timeout=TIMEOUT)
                        for _ in range(PER_CHANNEL[ch])]
                assert all(p is not None for p in pubs), pubs
                assert [p.offset for p in pubs] == list(range(1, PER_CHANNEL[ch] + 1))
                assert [json.loads(p.data) for p in pubs] == [data_of(ch, o) for o in
                                                             range(1, PER_CHANNEL[ch] + 1)]
                assert all(p.session == c.session and p.epoch == epochs[ch] for p in pubs)
        finally:
            for c in clients:
                c.close()
