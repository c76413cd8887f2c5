"""A test double for herald bench: a small asyncio HTTP server speaking herald's protocol
(POST /api/publish, GET /sse, GET /poll, GET /health) that assigns offsets like herald but never
delivers a publication whose offset is divisible by 10 - on any transport, live or from history.
A correct bench must report exactly that loss (every offset divisible by 10).

Run: /usr/bin/python3 dropping_server.py [PORT]   (prints "ready PORT" on stdout once listening;
without PORT, or with 0, the kernel picks a free one, so parallel suites never race for it)
"""
import asyncio
import json
import sys
import urllib.parse

EPOCH = "drop1"


class Channel:
    def __init__(self):
        self.offset = 0
        self.history = []  # (offset, push json), delivered ones only
        self.streams = set()  # SSE writer queues
        self.changed = asyncio.Event()


channels = {}


def channel(name):
    if name not in channels:
        channels[name] = Channel()
    return channels[name]


def response(status, body, ctype="application/json"):
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "OK")
    b = body.encode() if isinstance(body, str) else body
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(b)}\r\n\r\n")
    return head.encode() + b


def publish(body):
    req = json.loads(body)
    ch = channel(req["channel"])
    ch.offset += 1
    n = ch.offset
    push = json.dumps({"channel": req["channel"], "offset": n, "data": req["data"]},
                      separators=(",", ":"))
    if n % 10 != 0:  # the bug under test: every 10th offset is dropped
        ch.history.append((n, push))
        for q in ch.streams:
            q.put_nowait((n, push))
        ch.changed.set()
        ch.changed = asyncio.Event()
    return json.dumps({"offset": n, "epoch": EPOCH}, separators=(",", ":"))


def since_offset(query):
    since = query.get("since", [""])[0]
    if ":" in since:
        return int(since.rsplit(":", 1)[1])
    return None


async def poll(query):
    ch = channel(query["channel"][0])
    wait = float(query.get("wait", ["0"])[0])
    since = since_offset(query)
    if since is None:
        return json.dumps({"messages": [], "cursor": f"{EPOCH}:{ch.offset}"}, separators=(",", ":"))
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        msgs = [p for (o, p) in ch.history if o > since]
        if msgs or wait <= 0:
            break
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            break
        try:
            await asyncio.wait_for(ch.changed.wait(), left)
        except asyncio.TimeoutError:
            break
    cursor = max([since] + [o for (o, _) in ch.history if o > since])
    # The cursor jumps past a dropped tail too, as a server that lost it would.
    cursor = max(cursor, ch.offset) if msgs or wait > 0 else cursor
    return "{\"messages\":[" + ",".join(msgs) + "],\"cursor\":\"" + f"{EPOCH}:{cursor}" + "\"}"


async def sse(query, writer):
    ch = channel(query["channel"][0])
    q = asyncio.Queue()
    ch.streams.add(q)
    try:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                     b"Cache-Control: no-cache\r\n\r\n")
        writer.write(f"retry: 2000\n\nid: {EPOCH}:{ch.offset}\n\n".encode())
        await writer.drain()
        while True:
            n, push = await q.get()
            writer.write(f"data: {push}\nid: {EPOCH}:{n}\n\n".encode())
            await writer.drain()
    finally:
        ch.streams.discard(q)


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for h in lines[1:]:
                if ":" in h:
                    k, v = h.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = b""
            if "content-length" in headers:
                body = await reader.readexactly(int(headers["content-length"]))
            url = urllib.parse.urlsplit(target)
            query = urllib.parse.parse_qs(url.query)
            if method == "POST" and url.path == "/api/publish":
                writer.write(response(200, publish(body)))
            elif url.path == "/sse":
                await sse(query, writer)
                return
            elif url.path == "/poll":
                writer.write(response(200, await poll(query)))
            elif url.path == "/health":
                writer.write(response(200, "{\"status\":\"ok\"}"))
            else:
                writer.write(response(404, "{}"))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print("ready", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
