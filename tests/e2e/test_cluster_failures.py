"""Cluster mode under failure, against real redis-server processes and real herald nodes:

- kill -9 of a node mid-stream: its WebSocket clients reconnect to the other node with their
  cursors; nothing is lost, nothing duplicated;
- the pub/sub links cut (CLIENT KILL TYPE pubsub) mid-stream: each node re-reads what it missed
  from the Redis Streams; every subscriber still gets exactly 1..N;
- Redis restarted empty: a new epoch; cursors of the old one get recovered: false on every
  transport, and subscribers that stayed connected are told so (never a silent partial stream);
- Redis stopped: publishes answer 503 within redis.timeout_ms, subscribers keep their
  connections, /health?ready says 503; Redis back: publishes and deliveries resume by themselves.

Run: HERALD_BIN=build/asan/herald /usr/bin/python3 -m pytest -q -s tests/e2e/test_cluster_failures.py
"""
import asyncio
import base64
import json
import time

import websockets

from cluster.redis import herald_nodes, metrics, redis_server, wait_ready
from cluster.scenario import RoamingWs, run, seed_for, verdict
from recovery.clients import PollSubscriber, SseSubscriber, WsSubscriber, http_get_json


def test_node_killed_mid_stream_websocket_clients_resume_on_the_other_node():
    seed = seed_for("node killed")
    per = 400
    chans = [f"public:k{i}" for i in range(5)]
    total = per * len(chans)
    with redis_server() as redis, herald_nodes(2, [redis.address]) as (a, b):

        async def make(epochs, rng, published):
            return [RoamingWs(a, f"ws-{i}", chans, per, epochs=epochs, seed=rng.random(),
                              graceful=False).roam([a, b]) for i in range(3)]

        async def kill_a(pub):
            deadline = time.monotonic() + 60
            while pub.progress() < total // 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            a.kill()

        problems, pub, subs = asyncio.run(
            run([a, b], chans, per, make, seed, publish_via=[b], during=kill_a))
        for s in subs:
            if s.hops < 1 or not s.unplanned:
                problems.append(f"{s.name}: never lost node 1 ({s.hops} moves, {s.unplanned})")
        assert not a.alive()
        verdict([a, b], problems)


def test_pubsub_links_cut_mid_stream_gaps_are_filled_from_the_stream():
    seed = seed_for("pubsub cut")
    per = 500
    chans = [f"public:g{i}" for i in range(10)]
    total = per * len(chans)
    with redis_server() as redis, herald_nodes(2, [redis.address]) as (a, b):

        async def make(epochs, rng, published):
            start = await http_get_json(a.host, a.port, "/poll?" + "&".join(
                f"channel={c}" for c in chans) + "&wait=0")
            return [
                WsSubscriber(a, "ws-a", chans, per, epochs=epochs, seed=rng.random()),
                WsSubscriber(b, "ws-b", chans[:5], per, epochs=epochs, seed=rng.random()),
                SseSubscriber(b, "sse-b", chans, per, seed=rng.random()),
                PollSubscriber(b, "longpoll-b", chans, per, cursor=start[1]["cursor"], wait=5,
                               seed=rng.random()),
            ]

        kills = []

        async def cut(pub):
            deadline = time.monotonic() + 60
            for mark in (0.2, 0.5, 0.8):
                while pub.progress() < total * mark and time.monotonic() < deadline:
                    await asyncio.sleep(0.005)
                kills.append(redis.cli("CLIENT", "KILL", "TYPE", "pubsub"))

        problems, pub, subs = asyncio.run(run([a, b], chans, per, make, seed, during=cut))
        m = [metrics(n) for n in (a, b)]
        print("killed pub/sub clients:", kills)
        for n, mm in zip((a, b), m):
            print(f"node {n.port}: " + ", ".join(
                f"{k.removeprefix('herald_redis_')}={mm.get(k)}" for k in (
                    "herald_redis_resyncs_total", "herald_redis_gap_fills_total",
                    "herald_redis_gap_publications_total", "herald_redis_reconnects_total",
                    "herald_redis_stream_resets_total")))
            if mm["herald_redis_resyncs_total"] < 1:
                problems.append(f"node {n.port} never resynced after its pub/sub link was cut")
            if mm["herald_redis_stream_resets_total"] != 0:
                problems.append(f"node {n.port} reset a stream the history covered")
        if sum(mm["herald_redis_gap_publications_total"] for mm in m) < 1:
            problems.append("no publication was ever read from a stream: no gap was tested")
        verdict([a, b], problems)


# ---- Redis restarted empty / stopped -----------------------------------------------------------

class WsClient:
    """A herald.v1 WebSocket client that records every frame it receives."""

    def __init__(self):
        self.frames = []
        self.ws = None
        self.task = None

    async def open(self, node):
        self.ws = await websockets.connect(f"ws://{node.host}:{node.port}/ws",
                                           subprotocols=["herald.v1"], ping_interval=None,
                                           close_timeout=1)
        self.task = asyncio.ensure_future(self._read())
        return self

    async def _read(self):
        try:
            async for m in self.ws:
                self.frames.append(json.loads(m))
        except websockets.ConnectionClosed:
            pass

    async def call(self, msg, timeout=15):
        await self.ws.send(json.dumps(msg))
        return await self.wait_for(lambda f: f.get("id") == msg["id"], timeout)

    async def wait_for(self, pred, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for f in self.frames:
                if pred(f):
                    return f
            await asyncio.sleep(0.01)
        raise AssertionError(f"no such frame within {timeout}s; got {self.frames[-5:]}")

    async def close(self):
        await self.ws.close()
        self.task.cancel()


class SseClient:
    """A raw EventSource: records (event, data, id) blocks."""

    def __init__(self):
        self.events = []
        self.closed = False

    async def open(self, node, path, last_event_id=None):
        self.reader, self.writer = await asyncio.open_connection(node.host, node.port)
        req = f"GET {path} HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n"
        if last_event_id:
            req += f"Last-Event-ID: {last_event_id}\r\n"
        self.writer.write((req + "\r\n").encode())
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 200"), head
        self.task = asyncio.ensure_future(self._read())
        return self

    async def _read(self):
        buf = b""
        while True:
            chunk = await self.reader.read(65536)
            if not chunk:
                self.closed = True
                return
            buf += chunk
            *blocks, buf = buf.split(b"\n\n")
            for block in blocks:
                ev = {"event": "message"}
                for line in block.decode().split("\n"):
                    k, _, v = line.partition(": ")
                    if k in ("event", "data", "id"):
                        ev[k] = v
                if "data" in ev or "id" in ev:
                    self.events.append(ev)

    async def wait_for(self, pred, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.events:
                if pred(e):
                    return e
            await asyncio.sleep(0.01)
        raise AssertionError(f"no such event within {timeout}s; got {self.events[-5:]}")

    def close(self):
        self.writer.transport.abort()
        self.task.cancel()


def wait_metric(node, name, at_least, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if metrics(node).get(name, 0) >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"node {node.port}: {name} < {at_least} after {timeout}s")


async def block_after(client, ev):
    """The block that follows `ev` on `client` (an id line follows a recovery event)."""
    i = next(k for k, e in enumerate(client.events) if e is ev)
    await client.wait_for(lambda e: len(client.events) > i + 1)
    return client.events[i + 1]


def multi_cursor(text):
    """{channel: "epoch:offset"} of an SSE id naming several channels ("m1." + base64url)."""
    assert text.startswith("m1."), text
    body = text[3:] + "=" * (-len(text[3:]) % 4)
    return dict(entry.split(" ") for entry in base64.urlsafe_b64decode(body).decode().split(","))


def test_redis_restarted_empty_means_a_new_epoch_and_recovered_false_everywhere():
    ch = "public:restart"
    with redis_server() as redis, herald_nodes(2, [redis.address]) as (a, b):
        for i in range(5):
            r = a.publish(ch, {"i": i})
        e1 = r["epoch"]
        old = f"{e1}:5"

        async def scenario():
            # Subscribers that stay connected through the restart.
            live_ws = await WsClient().open(a)
            reply = await live_ws.call({"id": 1, "op": "subscribe", "channel": ch, "since": old})
            assert reply["result"] == {"cursor": old, "recovered": True}, reply
            live_sse = await SseClient().open(b, f"/sse?channel={ch}&since={old}")
            await live_sse.wait_for(lambda e: e.get("id") == old)
            # A stream of two channels keeps a cursor for both; a one-channel stream keeps none
            # once its start is written (each event carries its own id): both are told.
            two_sse = await SseClient().open(b, f"/sse?channel={ch}&channel=public:other")
            await two_sse.wait_for(lambda e: "id" in e)

            redis.restart_on_same_port()
            for n in (a, b):
                wait_ready(n)
            # Each node re-read its watched channel: the history is gone, so it says so.
            push = await live_ws.wait_for(lambda f: f.get("channel") == ch and "recovered" in f)
            assert push["recovered"] is False, push
            e2, _, top = push["cursor"].partition(":")
            assert e2 != e1, push
            ev = await live_sse.wait_for(lambda e: e.get("event") == "recovery")
            assert json.loads(ev["data"]) == {"channel": ch, "recovered": False,
                                              "cursor": push["cursor"]}, ev
            assert (await block_after(live_sse, ev))["id"] == push["cursor"]
            # Its other channel was reset too (the Redis lost every stream): told apart by name.
            ev = await two_sse.wait_for(lambda e: e.get("event") == "recovery" and
                                        json.loads(e["data"])["channel"] == ch)
            assert json.loads(ev["data"]) == {"channel": ch, "recovered": False,
                                              "cursor": push["cursor"]}, ev
            assert multi_cursor((await block_after(two_sse, ev))["id"])[ch] == push["cursor"]
            for n in (a, b):
                wait_metric(n, "herald_redis_stream_resets_total", 1)

            after = b.publish(ch, {"after": 1})
            assert after["epoch"] == e2 and after["offset"] == int(top) + 1, (after, push)
            got = await live_ws.wait_for(lambda f: f.get("data") == {"after": 1})
            assert got["offset"] == after["offset"]
            ev = await live_sse.wait_for(lambda e: '"after"' in e.get("data", ""))
            assert ev["id"] == f"{e2}:{after['offset']}", ev
            now = f"{e2}:{after['offset']}"
            ev = await two_sse.wait_for(lambda e: '"after"' in e.get("data", ""))
            assert multi_cursor(ev["id"])[ch] == now, ev
            two_sse.close()

            # Clients that come back with an old cursor, on either node, every transport.
            ws = await WsClient().open(b)
            reply = await ws.call({"id": 1, "op": "subscribe", "channel": ch, "since": old})
            assert reply["result"] == {"cursor": now, "recovered": False}, reply
            await ws.close()
            status, poll = await http_get_json(a.host, a.port,
                                               f"/poll?channel={ch}&since={old}&wait=0")
            assert status == 200 and poll == {"messages": [], "cursor": now, "recovered": False,
                                              "unrecovered": [ch]}, poll
            sse = await SseClient().open(a, f"/sse?channel={ch}", last_event_id=old)
            ev = await sse.wait_for(lambda e: e.get("event") == "recovery")
            assert json.loads(ev["data"]) == {"channel": ch, "recovered": False, "cursor": now}
            sse.close()
            live_sse.close()
            await live_ws.close()

        asyncio.run(scenario())
        for n in (a, b):
            assert n.alive()


def test_redis_stopped_publish_503_within_timeout_subscribers_stay_flow_resumes():
    ch = "public:stop"
    timeout_ms = 1000
    with redis_server() as redis, herald_nodes(2, [redis.address], timeout_ms=timeout_ms) as (a, b):
        first = a.publish(ch, {"n": 1})

        async def scenario():
            ws = await WsClient().open(a)
            reply = await ws.call({"id": 1, "op": "subscribe", "channel": ch})
            assert reply["result"]["cursor"] == f"{first['epoch']}:1"
            sse = await SseClient().open(b, f"/sse?channel={ch}")
            await sse.wait_for(lambda e: "id" in e)

            redis.stop()
            t0 = time.monotonic()
            status, _, body = await asyncio.to_thread(
                a.request, "POST", "/api/publish", json.dumps({"channel": ch, "data": 2}))
            took = time.monotonic() - t0
            assert status == 503, (status, body)
            assert json.loads(body)["error"]["code"] == 503
            # Within the timeout (plus scheduling slack on a busy machine), never hanging.
            assert took < timeout_ms / 1000 + 3, took
            for n in (a, b):
                status, _, body = n.request("GET", "/health?ready")
                assert status == 503 and json.loads(body)["ready"] is False, body
                status, _, body = n.request("GET", "/health")
                assert status == 200, body  # alive, just not ready
                m = metrics(n)
                assert m["herald_engine_ready"] == 0 and m['herald_redis_links{state="down"}'] > 0
            # Subscribers keep their connections.
            pong = await ws.call({"id": 2, "op": "ping"})
            assert "error" not in pong, pong
            assert not sse.closed

            redis.restart_on_same_port()
            for n in (a, b):
                wait_ready(n)
            # Both nodes re-read their watched channel (the restarted Redis is empty).
            for n in (a, b):
                wait_metric(n, "herald_redis_resyncs_total", 1)
                wait_metric(n, "herald_redis_stream_resets_total", 1)
            back = b.publish(ch, {"back": 1})
            got = await ws.wait_for(lambda f: f.get("data") == {"back": 1})
            assert got["offset"] == back["offset"]
            await sse.wait_for(lambda e: '"back"' in e.get("data", ""))
            assert a.publish(ch, {"back": 2})["offset"] == back["offset"] + 1
            await ws.close()
            sse.close()

        asyncio.run(scenario())
