"""Subscribers on every transport and a pipelined HTTP publisher, all asyncio in one process,
for the exactly-once recovery test (tests/e2e/test_recovery_all_transports.py).

Every subscriber records each push it sees as (offset, data) per channel, in arrival order,
keeps the cursor a real client would keep (WebSocket: epoch + last offset per channel; SSE: the
last `id:`; poll: the response's `cursor`), and on a planned disconnect (after a chosen number
of messages) or any connection loss comes back with that cursor. `check()` compares what was
seen with what was published and returns a readable diff.

Clients: Python `websockets` (Debian 10.4) for WebSocket; SSE and poll are raw asyncio streams
(a browser's EventSource and fetch do no more than this: a request, then bytes).
"""
import asyncio
import json
import random
import time
import urllib.parse

import websockets


class Planned(Exception):
    """A disconnect the test chose."""


# Bounds: no loop in a client runs unbounded in count or time. They only stop a failing run:
# on a busy machine (an ASan server and this one Python thread for every client, beside other
# suites) a healthy run can go several seconds without a byte on one connection.
MAX_CONNECTS = 60
HEAD_TIMEOUT = 30.0
READ_TIMEOUT = 60.0


def query(channels, **extra):
    q = [("channel", c) for c in channels]
    q += [(k, str(v)) for k, v in extra.items() if v is not None]
    return urllib.parse.urlencode(q)


async def http_get_json(host, port, path, timeout=HEAD_TIMEOUT):
    """One GET on a fresh connection; returns (status, parsed JSON body)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        status, body = await asyncio.wait_for(read_response(reader), timeout)
        return status, json.loads(body)
    finally:
        writer.close()


async def read_response(reader):
    """Reads one Content-Length framed HTTP/1.1 response; returns (status, body bytes)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    at = head.lower().find(b"\r\ncontent-length:")
    if at < 0:
        raise AssertionError(f"response without Content-Length: {head!r}")
    end = head.find(b"\r\n", at + 2)
    n = int(head[at + 17:end])
    body = await reader.readexactly(n) if n else b""
    return status, body


class Publisher:
    """Publishes `plan` (a list of channel names, one entry per message) over `conns`
    keep-alive connections, each pipelining `window` requests. Message i carries data {"k": i}.
    After run(): `sent[channel][offset] = k` from the server's answers."""

    def __init__(self, host, port, plan, conns=4, window=32):
        self.host, self.port = host, port
        self.plan = plan
        self.conns = conns
        self.window = window
        self.sent = {}
        self.epochs = {}
        self.errors = []
        self.elapsed = 0.0

    async def run(self):
        t0 = time.monotonic()
        await asyncio.gather(*(self._one(j) for j in range(self.conns)))
        self.elapsed = time.monotonic() - t0

    async def _one(self, j):
        reader, writer = await asyncio.open_connection(self.host, self.port)
        mine = list(range(j, len(self.plan), self.conns))
        try:
            for at in range(0, len(mine), self.window):
                batch = mine[at:at + self.window]
                out = []
                for k in batch:
                    body = b'{"channel":"%s","data":{"k":%d}}' % (self.plan[k].encode(), k)
                    out.append(b"POST /api/publish HTTP/1.1\r\nHost: h\r\n"
                               b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                               % (len(body), body))
                writer.write(b"".join(out))
                for k in batch:
                    status, body = await asyncio.wait_for(read_response(reader), READ_TIMEOUT)
                    if status != 200:
                        self.errors.append(f"publish {k}: {status} {body[:200]!r}")
                        continue
                    r = json.loads(body)
                    ch = self.plan[k]
                    per = self.sent.setdefault(ch, {})
                    if r["offset"] in per:
                        self.errors.append(f"publish {k}: offset {r['offset']} of {ch} given twice")
                    per[r["offset"]] = k
                    if self.epochs.setdefault(ch, r["epoch"]) != r["epoch"]:
                        self.errors.append(f"publish {k}: epoch of {ch} changed to {r['epoch']}")
        finally:
            writer.close()


class Subscriber:
    """Common bookkeeping; subclasses implement `session()` (one connection's life)."""

    transport = "?"

    def __init__(self, srv, name, channels, per_channel, disconnect_at=(), seed=0, away=None):
        self.host, self.port = srv.host, srv.port
        self.name = name
        self.channels = list(channels)
        self.per_channel = per_channel
        self.got = {c: [] for c in self.channels}  # offsets, arrival order
        self.data = {c: [] for c in self.channels}  # data["k"], same order
        self.total = 0
        self.expected_total = per_channel * len(self.channels)
        self.disconnect_at = sorted(disconnect_at)  # totals after which to drop the connection
        self.rng = random.Random(seed)
        self.errors = []
        self.connects = 0
        self.planned = 0
        self.unplanned = []
        self.ready = asyncio.Event()
        self.away = away  # an asyncio.Event: after the first planned drop, stay away until set
        self.drop_times = []  # monotonic time of each planned drop
        self.finished = None  # monotonic time when every message was in

    # -- bookkeeping --
    def record(self, channel, offset, k):
        got = self.got.get(channel)
        if got is None:
            self.errors.append(f"push for a channel not subscribed: {channel}")
            return
        got.append(offset)
        self.data[channel].append(k)
        self.total += 1

    def done(self):
        return all(g and g[-1] >= self.per_channel for g in self.got.values())

    def planned_due(self):
        if self.disconnect_at and self.total >= self.disconnect_at[0]:
            while self.disconnect_at and self.total >= self.disconnect_at[0]:
                self.disconnect_at.pop(0)
            self.drop_times.append(time.monotonic())
            return True
        return False

    async def run(self, deadline):
        # A planned drop is always followed by a reconnect (the resume is what it tests), even
        # when the answer before it completed the stream.
        resume = False
        while (resume or not self.done()) and self.connects < MAX_CONNECTS:
            resume = False
            left = deadline - time.monotonic()
            if left <= 0:
                self.errors.append("deadline reached before every message arrived")
                break
            self.connects += 1
            try:
                await asyncio.wait_for(self.session(), left)
            except Planned:
                resume = True
                self.planned += 1
                await asyncio.sleep(self.rng.uniform(0.0, 0.1))  # messages pile up meanwhile
                if self.away is not None and self.planned == 1:
                    # A long absence: the replay is the whole rest of the stream.
                    left = max(0.0, deadline - time.monotonic())
                    try:
                        await asyncio.wait_for(self.away.wait(), left)
                    except asyncio.TimeoutError:
                        pass
            except asyncio.TimeoutError:
                if time.monotonic() >= deadline:
                    self.errors.append("deadline reached before every message arrived")
                else:
                    self.errors.append(f"a connection stalled: nothing for {READ_TIMEOUT} s")
                break
            except (OSError, EOFError, asyncio.IncompleteReadError,
                    websockets.ConnectionClosed) as e:
                self.unplanned.append(f"{type(e).__name__}: {e}")
                await asyncio.sleep(0.05)
        if self.done():
            self.finished = time.monotonic()
        if not self.done() and self.connects >= MAX_CONNECTS:
            self.errors.append(f"gave up after {self.connects} connections")
        self.ready.set()  # never leave the test waiting on a subscriber that failed to start

    # -- verdict --
    def check(self, sent):
        """A list of problems (empty when every channel got exactly 1..N in order, each once,
        with the data published at that offset)."""
        problems = [f"{self.name}: {e}" for e in self.errors]
        n = self.per_channel
        for ch in self.channels:
            got = self.got[ch]
            if got == list(range(1, n + 1)):
                pub = sent.get(ch, {})
                bad = [(o, k, pub.get(o)) for o, k in zip(got, self.data[ch]) if pub.get(o) != k]
                if bad:
                    o, k, want = bad[0]
                    problems.append(f"{self.name} {ch}: {len(bad)} pushes carry the wrong data; "
                                    f"first at offset {o}: data k={k}, published k={want}")
                continue
            problems.append(f"{self.name} ({self.transport}) {ch}: " + describe(got, n))
        return problems

    def summary(self):
        return (f"{self.name} ({self.transport}, {len(self.channels)} ch): {self.total} msgs, "
                f"{self.connects} connects, {self.planned} planned drops, "
                f"{len(self.unplanned)} unplanned {self.unplanned[:3]}")


def describe(got, n):
    """What is wrong with `got` against 1..n: counts, first missing, first duplicate, first
    out-of-order position."""
    seen = set()
    dup = None
    for o in got:
        if o in seen and dup is None:
            dup = o
        seen.add(o)
    missing = sorted(set(range(1, n + 1)) - seen)
    extra = sorted(seen - set(range(1, n + 1)))
    order = next((i for i in range(1, len(got)) if got[i] <= got[i - 1]), None)
    parts = [f"received {len(got)} pushes ({len(seen)} distinct) of {n}"]
    if missing:
        parts.append(f"{len(missing)} missing, first {missing[0]}, last {missing[-1]}")
    if dup is not None:
        parts.append(f"{len(got) - len(seen)} duplicates, first offset {dup}")
    if extra:
        parts.append(f"unexpected offsets {extra[:5]}")
    if order is not None:
        lo = max(0, order - 3)
        parts.append(f"out of order at position {order}: ...{got[lo:order + 3]}...")
    return "; ".join(parts)


class WsSubscriber(Subscriber):
    """herald.v1 over `websockets`: subscribes every channel with `since` = epoch:last."""

    transport = "ws"

    def __init__(self, *a, epochs, graceful=False, **kw):
        super().__init__(*a, **kw)
        self.epochs = dict(epochs)  # channel -> epoch (from the start cursor)
        self.graceful = graceful  # planned drops: close handshake instead of a reset

    async def session(self):
        ws = await asyncio.wait_for(
            websockets.connect(f"ws://{self.host}:{self.port}/ws", subprotocols=["herald.v1"],
                               max_size=None, max_queue=None, ping_interval=None,
                               close_timeout=1),
            HEAD_TIMEOUT)
        try:
            ids = {}
            for i, ch in enumerate(self.channels, 1):
                last = self.got[ch][-1] if self.got[ch] else 0
                ids[i] = ch
                await ws.send(json.dumps({"id": i, "op": "subscribe", "channel": ch,
                                          "since": f"{self.epochs[ch]}:{last}"}))
            replied = set()
            while not self.done():
                msg = json.loads(await asyncio.wait_for(ws.recv(), READ_TIMEOUT))
                if "id" in msg:
                    ch = ids.get(msg["id"])
                    res = msg.get("result")
                    if ch is None or res is None:
                        self.errors.append(f"unexpected reply {msg}")
                        continue
                    if res.get("recovered") is not True:
                        self.errors.append(f"{ch} not recovered: {msg}")
                    replied.add(ch)
                    if len(replied) == len(self.channels):
                        self.ready.set()
                    continue
                ch = msg.get("channel")
                if ch not in replied:
                    self.errors.append(f"push before the subscribe reply of {ch}: {msg}")
                self.record(ch, msg["offset"], msg["data"]["k"])
                if self.planned_due():
                    if self.graceful:
                        await ws.close()
                    else:
                        ws.transport.abort()
                    raise Planned()
            # Everything arrived: anything more would be a duplicate or a stray.
            try:
                while True:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 0.3))
                    if "channel" in msg:
                        self.record(msg["channel"], msg["offset"], msg["data"]["k"])
            except asyncio.TimeoutError:
                pass
        finally:
            if ws.open:
                ws.transport.abort()


class SseSubscriber(Subscriber):
    """A raw EventSource: GET /sse?channel=..[&since=], on reconnect the same URL plus
    `Last-Event-ID: <last id seen>` (as a browser does). Planned drops throw away whatever
    is buffered after the event that reached the threshold."""

    transport = "sse"

    def __init__(self, *a, since=None, **kw):
        super().__init__(*a, **kw)
        self.path = "/sse?" + query(self.channels, since=since)
        self.last_id = None

    async def session(self):
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port),
                                                HEAD_TIMEOUT)
        try:
            req = f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nAccept: text/event-stream\r\n"
            if self.last_id is not None:
                req += f"Last-Event-ID: {self.last_id}\r\n"
            writer.write((req + "\r\n").encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
            if head[9:12] != b"200":
                body = await asyncio.wait_for(reader.read(4096), 1)
                self.errors.append(f"SSE answered {head[:12]!r} {body!r}")
                raise OSError("bad SSE answer")
            buf = b""
            lingering = False
            linger_until = 0.0
            while True:
                if self.done() and not lingering:
                    lingering = True  # anything more would be a duplicate or a stray
                    linger_until = time.monotonic() + 0.3
                timeout = max(0.0, linger_until - time.monotonic()) if lingering else READ_TIMEOUT
                try:
                    chunk = await asyncio.wait_for(reader.read(262144), timeout)
                except asyncio.TimeoutError:
                    if lingering:
                        return
                    raise
                if not chunk:
                    raise EOFError("server closed the SSE stream")
                buf += chunk
                blocks = buf.split(b"\n\n")
                buf = blocks.pop()
                for block in blocks:
                    self._event(block)
                    if not lingering and self.planned_due():
                        writer.transport.abort()
                        raise Planned()
        finally:
            writer.transport.abort()

    def _event(self, block):
        event = b"message"
        data = None
        for line in block.split(b"\n"):
            if line.startswith(b"data: "):
                data = line[6:]
            elif line.startswith(b"id: "):
                self.last_id = line[4:].decode()
            elif line.startswith(b"event: "):
                event = line[7:]
        if data is None:
            if self.last_id is not None:
                self.ready.set()  # the id-only event that ends the preamble: live from here
            return
        if event == b"reconnect":
            raise EOFError("event: reconnect")
        if event != b"message":
            self.errors.append(f"event {event!r}: {data!r}")
            return
        msg = json.loads(data)
        self.record(msg["channel"], msg["offset"], msg["data"]["k"])


class PollSubscriber(Subscriber):
    """Long-poll (wait > 0) or short poll (wait = 0, repeated) on one keep-alive connection,
    always with the last response's cursor. A planned drop sends the next request and closes
    the connection without reading its answer (a response lost on the wire), then asks again
    with the same cursor on a new connection."""

    def __init__(self, *a, cursor, wait, **kw):
        super().__init__(*a, **kw)
        self.cursor = cursor
        self.wait = wait
        self.transport = "longpoll" if wait else "shortpoll"
        self.polls = 0

    def _request(self):
        path = "/poll?" + query(self.channels, since=self.cursor, wait=self.wait)
        return f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode()

    async def session(self):
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port),
                                                HEAD_TIMEOUT)
        self.ready.set()  # the cursor says where to start; nothing to wait for
        try:
            # One answer may carry the rest of the stream past a drop's threshold (a poll takes
            # whatever is there): a drop still due then is made all the same, and the next
            # connection asks from the same cursor and must get nothing more.
            while not self.done() or (self.disconnect_at and self.total >= self.disconnect_at[0]):
                if self.planned_due():
                    writer.write(self._request())
                    await writer.drain()
                    await asyncio.sleep(self.rng.uniform(0.0, 0.02))
                    raise Planned()
                writer.write(self._request())
                self.polls += 1
                status, body = await asyncio.wait_for(read_response(reader),
                                                      READ_TIMEOUT + self.wait)
                if status != 200:
                    self.errors.append(f"poll answered {status}: {body[:200]!r}")
                    raise OSError("bad poll answer")
                r = json.loads(body)
                if "recovered" in r or "unrecovered" in r:
                    self.errors.append(f"not recovered: {r.get('unrecovered')}")
                for m in r["messages"]:
                    self.record(m["channel"], m["offset"], m["data"]["k"])
                self.cursor = r["cursor"]
                if not r["messages"] and not self.wait:
                    await asyncio.sleep(0.01)  # short poll interval when there is nothing new
            # One more short poll from the final cursor must bring nothing.
            writer.write(("GET /poll?" + query(self.channels, since=self.cursor, wait=0) +
                          f" HTTP/1.1\r\nHost: {self.host}\r\n\r\n").encode())
            status, body = await asyncio.wait_for(read_response(reader), READ_TIMEOUT)
            r = json.loads(body)
            for m in r.get("messages", []):
                self.record(m["channel"], m["offset"], m["data"]["k"])
        finally:
            writer.transport.abort()
