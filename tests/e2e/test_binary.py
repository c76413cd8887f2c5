"""Binary payloads end to end (docs/protocol.md, "Binary payloads"): bytes published over a
WebSocket binary frame (Python `websockets`), the HTTP API (application/octet-stream, "b64") and
the publish op's "b64"; received as binary frames on WebSocket (also compressed with
permessage-deflate) and as base64 in "b64" on SSE, long-poll, short poll, history and replays;
bad input answered with the right error while another subscriber loses nothing."""
import asyncio
import base64
import json
import socket
import threading
import urllib.parse

from harness import DEADLINE, herald_server, wait_until
from http_helpers import SseReader
from test_ws_deflate import DeflateWs
from udp_client import UdpClient
from ws_util import Herald, run

ALL_BYTES = bytes(range(256))
NUL = b"\x00"


def split_push(frame):
    """(push object, bytes) of a binary push frame: the JSON object, NUL, the payload."""
    assert isinstance(frame, bytes), f"expected a binary frame, got {frame!r}"
    head, sep, payload = frame.partition(NUL)
    assert sep == NUL, frame[:80]
    return json.loads(head), payload


def b64(data):
    return base64.b64encode(data).decode()


def publish_bytes(srv, channel, data, content_type="application/octet-stream"):
    q = urllib.parse.urlencode({"channel": channel})
    return srv.request("POST", f"/api/publish?{q}", data, {"Content-Type": content_type})


async def subscribe(h, channel, **kw):
    r = await h.call("subscribe", channel=channel, **kw)
    assert "result" in r, r
    return r["result"]


async def next_frame(h):
    return await asyncio.wait_for(h.ws.recv(), DEADLINE)


def test_ws_binary_frames_in_and_out_every_byte_value_and_empty():
    with herald_server() as srv:
        async def main():
            pub, sub = await Herald.connect(srv), await Herald.connect(srv)
            await subscribe(sub, "public:bin")
            for payload in (ALL_BYTES, b"", NUL * 3, ALL_BYTES * 300):
                await pub.ws.send(json.dumps({"id": 7, "op": "publish",
                                              "channel": "public:bin"}).encode() + NUL + payload)
                reply = json.loads(await next_frame(pub))
                assert reply["id"] == 7 and reply["result"]["offset"] > 0, reply
                push, got = split_push(await next_frame(sub))
                assert push == {"channel": "public:bin", "offset": reply["result"]["offset"]}
                assert got == payload
            # A JSON publication on the same channel is still a text frame with "data".
            await pub.call("publish", channel="public:bin", data={"a": 1})
            text = await next_frame(sub)
            assert isinstance(text, str) and json.loads(text)["data"] == {"a": 1}
            # The publish op's "b64" form gives the same binary push.
            r = await pub.call("publish", channel="public:bin", b64=b64(ALL_BYTES))
            push, got = split_push(await next_frame(sub))
            assert push["offset"] == r["result"]["offset"] and got == ALL_BYTES
            await pub.close()
            await sub.close()
        run(main())


def test_http_octet_stream_and_b64_reach_every_transport_as_the_same_bytes():
    with herald_server() as srv:
        sse = SseReader(srv, "public:fan")

        async def main():
            sub = await Herald.connect(srv)
            await subscribe(sub, "public:fan")
            st, _, body = publish_bytes(srv, "public:fan", ALL_BYTES)
            assert st == 200, body
            first = json.loads(body)
            st, _, body = srv.request("POST", "/api/publish",
                                      json.dumps({"channel": "public:fan", "b64": b64(b"\xff\x00")}),
                                      {"Content-Type": "application/json"})
            assert st == 200, body
            st, _, body = srv.request("POST", "/api/broadcast",
                                      json.dumps({"channels": ["public:fan"], "b64": b64(b"")}))
            assert st == 200, body
            got = [split_push(await next_frame(sub)) for _ in range(3)]
            assert [g[1] for g in got] == [ALL_BYTES, b"\xff\x00", b""]
            assert got[0][0]["offset"] == first["offset"]
            await sub.close()
            return first
        first = run(main())

        # SSE: the same push with "b64" instead of "data".
        events = [sse.next_message() for _ in range(3)]
        assert [base64.b64decode(e["b64"]) for e in events] == [ALL_BYTES, b"\xff\x00", b""]
        assert all("data" not in e for e in events)
        assert events[0] == {"channel": "public:fan", "offset": first["offset"],
                             "b64": b64(ALL_BYTES)}

        # Short poll and history from the first publication's cursor.
        since = f"{first['epoch']}:{first['offset'] - 1}"
        st, _, body = srv.request("GET", "/poll?" + urllib.parse.urlencode(
            {"channel": "public:fan", "since": since, "wait": 0}))
        assert st == 200, body
        msgs = json.loads(body)["messages"]
        assert [base64.b64decode(m["b64"]) for m in msgs] == [ALL_BYTES, b"\xff\x00", b""]
        st, _, body = srv.request("GET", "/api/history?" + urllib.parse.urlencode(
            {"channel": "public:fan", "since": since}))
        assert st == 200, body
        pubs = json.loads(body)["publications"]
        assert [base64.b64decode(p["b64"]) for p in pubs] == [ALL_BYTES, b"\xff\x00", b""]
        assert pubs[0]["offset"] == first["offset"]

        async def history_op():
            h = await Herald.connect(srv)
            r = await h.call("history", channel="public:fan", since=since)
            await h.close()
            return r["result"]["publications"]
        assert [base64.b64decode(p["b64"]) for p in run(history_op())] == \
            [ALL_BYTES, b"\xff\x00", b""]


def test_long_poll_receives_a_binary_publication():
    with herald_server() as srv:
        st, _, body = srv.request("GET", "/poll?channel=public:lp&wait=0")
        cursor = json.loads(body)["cursor"]
        out = {}

        def hold():
            out["r"] = srv.request("GET", "/poll?" + urllib.parse.urlencode(
                {"channel": "public:lp", "since": cursor, "wait": 30}))
        t = threading.Thread(target=hold)
        t.start()
        wait_until(lambda: srv.metric('herald_transport_connections{transport="longpoll"}') == 1,
                   what="the long-poll held")
        assert publish_bytes(srv, "public:lp", ALL_BYTES)[0] == 200
        t.join(DEADLINE)
        st, _, body = out["r"]
        assert st == 200, body
        [m] = json.loads(body)["messages"]
        assert base64.b64decode(m["b64"]) == ALL_BYTES


def test_recovery_replays_binary_publications_on_ws_and_sse():
    with herald_server() as srv:
        r0 = json.loads(publish_bytes(srv, "public:rec", b"zero")[2])
        r1 = json.loads(publish_bytes(srv, "public:rec", ALL_BYTES)[2])
        srv.publish("public:rec", {"json": True})
        since = f"{r0['epoch']}:{r0['offset']}"

        async def main():
            h = await Herald.connect(srv)
            res = await subscribe(h, "public:rec", since=since)
            assert res["recovered"] is True
            push, got = split_push(await next_frame(h))
            assert push["offset"] == r1["offset"] and got == ALL_BYTES
            text = json.loads(await next_frame(h))
            assert text["data"] == {"json": True}
            await h.close()
        run(main())

        # SSE with ?since= replays it as "b64"; a short poll from the same cursor too.
        events = sse_replay(srv, "public:rec", since, 2)
        assert base64.b64decode(events[0]["b64"]) == ALL_BYTES
        assert events[1]["data"] == {"json": True}
        st, _, body = srv.request("GET", "/poll?" + urllib.parse.urlencode(
            {"channel": "public:rec", "since": since, "wait": 0}))
        msgs = json.loads(body)["messages"]
        assert base64.b64decode(msgs[0]["b64"]) == ALL_BYTES and msgs[1]["data"] == {"json": True}


def sse_replay(srv, channel, since, n):
    """The first `n` message events of GET /sse?channel=..&since=.. as JSON objects."""
    s = socket.create_connection((srv.host, srv.port), timeout=DEADLINE)
    q = urllib.parse.urlencode({"channel": channel, "since": since})
    s.sendall(f"GET /sse?{q} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n".encode())
    buf, events = b"", []
    try:
        while len(events) < n:
            chunk = s.recv(65536)
            assert chunk, buf
            buf += chunk
            while b"\n\n" in buf:
                block, buf = buf.split(b"\n\n", 1)
                for line in block.split(b"\n"):
                    if line.startswith(b"data: "):
                        obj = json.loads(line[6:])
                        if "offset" in obj:
                            events.append(obj)
    finally:
        s.close()
    return events[:n]


def test_permessage_deflate_compresses_a_binary_push():
    with herald_server() as srv:
        c = DeflateWs(srv)
        assert "permessage-deflate" in c.headers.get("sec-websocket-extensions", "")
        c.send(1, json.dumps({"id": 1, "op": "subscribe", "channel": "public:z"}).encode())
        op, _, reply = c.message()
        assert op == 1 and json.loads(reply)["id"] == 1
        payload = bytes(range(64)) * 64  # compressible
        assert publish_bytes(srv, "public:z", payload)[0] == 200
        op, rsv1, msg = c.message()
        assert op == 2 and rsv1, (op, rsv1)
        push, got = split_push(msg)
        assert push["channel"] == "public:z" and got == payload
        # And a compressed binary frame from the client is a command too.
        c.send_compressed(2, json.dumps({"id": 2, "op": "publish",
                                         "channel": "public:z"}).encode() + NUL + payload)
        seen = {}
        for _ in range(2):
            op, _, msg = c.message()
            if op == 1:
                seen["reply"] = json.loads(msg)
            else:
                seen["push"] = split_push(msg)
        assert seen["reply"]["id"] == 2 and "result" in seen["reply"]
        assert seen["push"][1] == payload
        c.close()


def test_bad_binary_input_is_answered_and_another_subscriber_loses_nothing():
    with herald_server() as srv:
        async def main():
            bad, sub = await Herald.connect(srv), await Herald.connect(srv)
            await subscribe(sub, "public:bad")

            async def error_for(frame):
                await bad.ws.send(frame)
                r = json.loads(await next_frame(bad))
                assert "error" in r, r
                return r.get("id"), r["error"]["code"], r["error"]["message"]

            hdr = json.dumps({"id": 5, "op": "publish", "channel": "public:bad"}).encode()
            assert await error_for(hdr) == (5, 400, "binary frame without NUL separator")
            assert await error_for(b"\x89PNG\r\n") == \
                (None, 400, "binary frame without NUL separator")
            assert await error_for(b'{"id":6,"op":' + NUL + b"x") == (None, 400, "malformed JSON")
            assert await error_for(json.dumps({"id": 7, "op": "subscribe",
                                               "channel": "public:bad"}).encode() + NUL) == \
                (7, 400, "binary frame for an op without payload")
            assert await error_for(json.dumps({"id": 8, "op": "publish", "channel": "public:bad",
                                               "data": 1}).encode() + NUL + b"x") == \
                (8, 400, "more than one payload")
            assert await error_for(json.dumps({"id": 9, "op": "publish", "channel": "public:bad",
                                               "b64": "not base64!"})) == \
                (9, 400, "bad base64 in b64")
            # The connection stays: a good binary publish after all that.
            await bad.ws.send(hdr + NUL + ALL_BYTES)
            ok = json.loads(await next_frame(bad))
            assert ok["id"] == 5 and "result" in ok, ok
            # The subscriber got exactly the one good publication.
            push, got = split_push(await next_frame(sub))
            assert got == ALL_BYTES and push["offset"] == ok["result"]["offset"]
            pong = await sub.call("ping")
            assert pong["result"] == {} and sub.pushes == []
            await bad.close()
            await sub.close()
        run(main())

        st, _, body = srv.request("POST", "/api/publish",
                                  json.dumps({"channel": "public:bad", "b64": "AA="}))
        assert st == 400 and json.loads(body)["error"]["message"] == "bad base64 in b64"
        st, _, body = srv.request("POST", "/api/publish",
                                  json.dumps({"channel": "public:bad", "b64": "", "data": 1}))
        assert st == 400 and json.loads(body)["error"]["message"] == "more than one payload"
        st, _, body = srv.request("POST", "/api/publish", b"\x00\x01",
                                  {"Content-Type": "application/octet-stream"})
        assert st == 400 and json.loads(body)["error"]["message"] == "missing channel"
        # The name in ?channel= is judged where it is read: a bad one is refused, and a good
        # one publishes the bytes.
        st, _, body = srv.request("POST", "/api/publish?channel=bad%20name", b"\x00\x01",
                                  {"Content-Type": "application/octet-stream"})
        assert st == 400 and json.loads(body)["error"]["message"] == "bad channel name", body
        st, _, body = srv.request("POST", "/api/publish?channel=public:bad", b"\x00\x01",
                                  {"Content-Type": "application/octet-stream"})
        assert st == 200 and json.loads(body)["offset"] >= 1, body
        st, _, body = srv.request("POST", "/api/publish?channel=public:bad",
                                  json.dumps({"channel": "public:bad", "data": 1}))
        assert st == 400, body


def test_binary_size_limits_are_refused_at_publish_not_dropped_later():
    # max_message bounds the bytes; the output limit bounds their base64 push (4/3 larger), so
    # a payload every transport cannot carry is refused with 413 when published.
    config = "[websocket]\nmax_message = 4096\n[limits]\nmax_output_bytes = 4096\n"
    with herald_server(config=config) as srv:
        largest = (4096 - 512) // 4 * 3
        sse = SseReader(srv, "public:lim")
        assert publish_bytes(srv, "public:lim", b"x" * largest)[0] == 200
        st, _, body = publish_bytes(srv, "public:lim", b"x" * (largest + 1))
        assert st == 413 and json.loads(body)["error"]["message"] == "message too large", body
        # The largest accepted payload does reach an SSE stream under that output limit (a
        # slow-consumer eviction would end the stream instead), and a poll answers it.
        assert base64.b64decode(sse.next_message()["b64"]) == b"x" * largest
        sse.close()
        st, _, body = srv.request("GET", "/poll?channel=public:lim&since=" + urllib.parse.quote(
            json.loads(srv.request("GET", "/api/history?channel=public:lim&limit=0")[2])["cursor"]
            .rsplit(":", 1)[0] + ":0") + "&wait=0")
        assert st == 200, body
        assert base64.b64decode(json.loads(body)["messages"][0]["b64"]) == b"x" * largest

        async def main():
            h = await Herald.connect(srv)
            hdr = json.dumps({"id": 1, "op": "publish", "channel": "public:lim"}).encode()
            await h.ws.send(hdr + NUL + b"y" * (largest + 1))
            r = json.loads(await next_frame(h))
            assert r["id"] == 1 and r["error"]["code"] == 413, r
            await h.close()
        run(main())


def test_udp_carries_bytes_with_the_binary_header_flag():
    config = "[namespace.room]\npublish = true\nudp_publish = true\nanonymous = true\n"
    with herald_server(config=config) as srv:
        c = UdpClient(srv.port)
        assert c.open().type == "opened"
        s = c.subscribe("room:bin")
        assert s.type == "subscribed", s
        st, _, body = publish_bytes(srv, "room:bin", ALL_BYTES)
        assert st == 200, body
        pub = c.wait_for(lambda m: m.type == "pub")
        assert pub is not None and pub.binary and pub.data == ALL_BYTES
        assert pub.offset == json.loads(body)["offset"]
        srv.publish("room:bin", {"json": 1})
        pub = c.wait_for(lambda m: m.type == "pub")
        assert pub is not None and not pub.binary and pub.data == b'{"json":1}'
        # Bytes published over UDP (they are not JSON; without the flag they would be refused).
        p = c.publish("room:bin", b"\x00\xffnot json", binary=True)
        assert p is not None and p.type == "published", p
        pub = c.wait_for(lambda m: m.type == "pub" and m.offset == p.offset)
        assert pub.binary and pub.data == b"\x00\xffnot json"
        p = c.publish("room:bin", b"\x00\xffnot json")
        assert p is not None and p.type == "error" and p.code == 400, p
        st, _, body = srv.request("GET", "/api/history?channel=room:bin")
        pubs = json.loads(body)["publications"]
        assert base64.b64decode(pubs[-1]["b64"]) == b"\x00\xffnot json"
        c.close()


def test_cluster_mode_carries_the_binary_flag_through_redis():
    """Two nodes on one redis-server: bytes published on node 1 reach a WebSocket subscriber of
    node 2 as a binary frame (Redis pub/sub), and node 2's history (the Redis stream) and a
    recovery on it give the same bytes; a JSON publication stays JSON."""
    from cluster.redis import herald_nodes, redis_server
    with redis_server() as redis, herald_nodes(2, [redis.address]) as (n1, n2):
        async def main():
            sub = await Herald.connect(n2)
            await subscribe(sub, "public:cb")
            st, _, body = publish_bytes(n1, "public:cb", ALL_BYTES)
            assert st == 200, body
            push, got = split_push(await next_frame(sub))
            assert got == ALL_BYTES and push["offset"] == 1
            n1.publish("public:cb", {"n": 2})
            assert json.loads(await next_frame(sub))["data"] == {"n": 2}
            await sub.close()
            e = json.loads(body)["epoch"]
            late = await Herald.connect(n2)
            res = await subscribe(late, "public:cb", since=f"{e}:0")
            assert res["recovered"] is True
            push, got = split_push(await next_frame(late))
            assert got == ALL_BYTES
            await late.close()
            return e
        e = run(main())
        st, _, body = n2.request("GET", f"/api/history?channel=public:cb&since={e}:0")
        assert st == 200, body
        pubs = json.loads(body)["publications"]
        assert base64.b64decode(pubs[0]["b64"]) == ALL_BYTES and pubs[1]["data"] == {"n": 2}
