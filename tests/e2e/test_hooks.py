"""Backend hooks through the real binary: a real application backend (hook_backend.py, a
ThreadingHTTPServer in its own process) answers herald's connect, subscribe and publish hooks.

What a client sees:
  - connect hook: its identity (grants, info) serves WebSocket, SSE, long-poll and poll alike;
    a denial is a 401 on each, a failing backend (down, slow, garbage) a 503;
  - subscribe hook: asked only where the namespace rules refuse; allow / 403 / 503;
  - publish hook: allow, refuse (403) or replace the data the subscribers see;
  - only the headers in auth.hook_headers reach the backend;
  - over auth.hook_max_inflight: 503 at once; a backend killed mid-run fails closed, and works
    again once restarted (a new connection).
Waits are event-driven (the backend's request log, the client's own answers) with generous
deadlines; the only time bound asserted is "answered within 10x the hook timeout".
"""
import asyncio
import contextlib
import json
import os
import subprocess
import tempfile
import threading
import time

import pytest
import websockets

from harness import herald_server
from test_sse import open_stream, push, settle
from ws_util import Herald, error_of, run

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT_MS = 300


class Backend:
    def __init__(self):
        self.port = 0  # the first start binds a free port; a restart binds that one again
        self.log = tempfile.mktemp(prefix="hook-backend-", suffix=".jsonl")
        open(self.log, "w").close()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "hook_backend.py"),
                                      str(self.port), self.log],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        word, port = self.proc.stdout.readline().split()
        assert word == "ready"
        self.port = int(port)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self, path=None):
        with open(self.log) as f:
            reqs = [json.loads(line) for line in f if line.strip()]
        return [r for r in reqs if path is None or r["path"] == path]

    def wait_for(self, pred, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [r for r in self.requests() if pred(r)]
            if found:
                return found
            time.sleep(0.02)
        raise AssertionError("the backend never got the expected request")


def config(be, timeout_ms=TIMEOUT_MS, max_inflight=64, extra=""):
    return f"""
[server]
threads = 1

[auth]
connect_url = "{be.url('/connect')}"
subscribe_url = "{be.url('/subscribe')}"
publish_url = "{be.url('/publish')}"
hook_timeout_ms = {timeout_ms}
hook_max_inflight = {max_inflight}
hook_headers = ["Cookie"]

[limits]
publish_rate = 100000

[namespace.chat]
history_size = 10
{extra}"""


@contextlib.contextmanager
def stack(args=(), **kw):
    be = Backend()
    be.start()
    try:
        with herald_server(*args, config=config(be, **kw)) as srv:
            yield be, srv
    finally:
        if be.proc.poll() is None:
            be.kill()
        os.unlink(be.log)


def cookie(session):
    return {"Cookie": f"session={session}"}


def get(srv, path, headers=None, timeout=30):
    t0 = time.time()
    status, h, body = srv.request("GET", path, headers=headers, timeout=timeout)
    return status, h, body, time.time() - t0


async def ws_connect(srv, session):
    return await Herald.connect(srv, extra_headers=cookie(session))


def ws_refusal(srv, session):
    """How a WebSocket whose upgrade the connect hook refused ends: the upgrade succeeds (a
    browser could not read an HTTP status), then the server closes with the outcome's code and
    reason."""
    async def go():
        h = await ws_connect(srv, session)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await h.recv(timeout=30)
        return closed.value.code, closed.value.reason
    return run(go())


# ---- connect -----------------------------------------------------------------------------------

def test_connect_hook_identity_serves_every_transport():
    with stack() as (be, srv):
        async def ws():
            h = await ws_connect(srv, "alice")
            r = await h.call("connect")
            assert r["result"]["user"] == "alice", r
            assert "result" in await h.call("subscribe", channel="chat:a"), "grant chat:*"
            srv.publish("chat:a", {"n": 1})
            push = await h.push(timeout=10)
            assert push["data"] == {"n": 1}, push
            await h.close()
        run(ws())

        sse = open_stream(srv, "/sse?channel=chat:b", cookie("alice"))
        settle(sse)  # subscribed: the stream is live
        srv.publish("chat:b", {"n": 2})
        assert push(sse.next_event(timeout=10))["data"] == {"n": 2}

        result = {}

        def longpoll():
            result["r"] = get(srv, "/poll?channel=chat:c&wait=20", cookie("alice"))
        t = threading.Thread(target=longpoll)
        t.start()
        be.wait_for(lambda r: r["path"] == "/connect" and r["body"]["transport"] == "long-poll")
        # The poll is held once it subscribed: publish until it answers (bounded).
        for i in range(200):
            srv.publish("chat:c", {"n": 3})
            t.join(0.05)
            if not t.is_alive():
                break
        t.join(20)
        status, _, body, _ = result["r"]
        assert status == 200, body
        assert {"n": 3} in [m["data"] for m in json.loads(body)["messages"]]

        status, _, body, _ = get(srv, "/poll?channel=chat:d", cookie("alice"))
        assert status == 200, body
        transports = {r["body"]["transport"] for r in be.requests("/connect")}
        assert transports == {"websocket", "sse", "long-poll", "poll"}
        for r in be.requests("/connect"):
            assert r["body"]["address"] == "127.0.0.1"


def test_connect_denied_is_401_or_close_4500_everywhere():
    with stack() as (be, srv):
        for session in ("deny", "forbid", ""):
            assert ws_refusal(srv, session) == (4500, "unauthorized")
            for path in ("/sse?channel=chat:a", "/poll?channel=chat:a",
                         "/poll?channel=chat:a&wait=5"):
                status, h, body, _ = get(srv, path, cookie(session))
                assert status == 401, (path, session, body)
                assert json.loads(body)["error"]["message"] == "unauthorized"
                assert h.get("www-authenticate", "").startswith("Bearer")


def test_connect_hook_failure_is_503_or_close_4002_fail_closed():
    with stack() as (be, srv):
        status, _, body, _ = get(srv, "/poll?channel=chat:a", cookie("garbage"))
        assert status == 503
        assert json.loads(body)["error"]["message"] == "auth backend unavailable"
        assert ws_refusal(srv, "garbage") == (4002, "auth backend unavailable")


def test_only_allow_listed_headers_reach_the_backend():
    with stack() as (be, srv):
        status, _, _, _ = get(srv, "/poll?channel=chat:a",
                              {"Cookie": "session=alice", "X-Secret": "s3", "User-Agent": "ua"})
        assert status == 200
        sent = be.requests("/connect")[-1]["body"]["headers"]
        assert sent == {"Cookie": "session=alice"}


# ---- subscribe ---------------------------------------------------------------------------------

def test_subscribe_hook_decides_what_the_rules_refuse():
    with stack() as (be, srv):
        async def go():
            h = await ws_connect(srv, "bob")  # bob has no grants
            r = await h.call("connect")
            client = r["result"]["client"]
            assert "result" in await h.call("subscribe", channel="open:x")
            assert error_of(await h.call("subscribe", channel="closed:x")) == \
                (403, "permission denied")
            await h.close()
            return client
        client = run(go())
        subs = [r["body"] for r in be.requests("/subscribe")]
        assert {"client": client, "user": "bob", "channel": "open:x",
                "transport": "websocket"} in subs
        # alice's grant covers chat:*: the rules allow it, the hook is not asked.
        async def alice():
            h = await ws_connect(srv, "alice")
            assert "result" in await h.call("subscribe", channel="chat:z")
            await h.close()
        run(alice())
        assert not [s for s in be.requests("/subscribe") if s["body"]["channel"] == "chat:z"]
        # SSE and poll ask the same hook.
        assert get(srv, "/poll?channel=open:y", cookie("bob"))[0] == 200
        assert get(srv, "/poll?channel=closed:y", cookie("bob"))[0] == 403
        assert get(srv, "/sse?channel=closed:z", cookie("bob"))[0] == 403


def test_subscriptions_count_and_refuse_alike_while_the_hook_is_asked_and_after():
    # A subscription the hook is still being asked about counts against max_subscriptions and
    # is "already subscribed", as an answered one is (the hub's record then says it). The
    # commands go out without waiting, so some meet a pending subscription, or an answered one
    # on a slow machine: the answers are the same either way.
    with stack(args=("--set", "limits.max_subscriptions=2")) as (be, srv):
        async def go():
            h = await ws_connect(srv, "bob")  # bob has no grants: open:* is the hook's call
            await h.call("connect")
            for i, ch in enumerate(["open:a", "open:a", "open:b", "open:c"], 1):
                await h.send({"id": i, "op": "subscribe", "channel": ch})
            got = {}
            while len(got) < 4:
                r = await h.recv()
                got[r["id"]] = r
            assert "result" in got[1] and "result" in got[3], got
            assert error_of(got[2])[0] == 409, got
            assert error_of(got[4])[0] == 429, got
            assert error_of(await h.call("subscribe", channel="open:c"))[0] == 429
            assert error_of(await h.call("subscribe", channel="open:b"))[0] == 409
            assert "result" in await h.call("unsubscribe", channel="open:a")
            assert error_of(await h.call("unsubscribe", channel="open:a"))[0] == 404
            assert "result" in await h.call("subscribe", channel="open:c")
            assert error_of(await h.call("unsubscribe", channel="open:never"))[0] == 404
            # A refused one leaves nothing behind: neither counted nor subscribed.
            assert "result" in await h.call("unsubscribe", channel="open:b")
            assert error_of(await h.call("subscribe", channel="closed:x"))[0] == 403
            assert error_of(await h.call("unsubscribe", channel="closed:x"))[0] == 404
            assert "result" in await h.call("subscribe", channel="open:d")
            await h.close()
        run(go())


# ---- publish -----------------------------------------------------------------------------------

def test_publish_hook_allows_refuses_and_replaces():
    with stack() as (be, srv):
        async def go():
            sub = await ws_connect(srv, "alice")
            assert "result" in await sub.call("subscribe", channel="chat:p")
            pub = await ws_connect(srv, "alice")
            r = await pub.call("publish", channel="chat:p", data={"plain": 1})
            assert "result" in r, r
            assert (await sub.push(timeout=10))["data"] == {"plain": 1}
            assert error_of(await pub.call("publish", channel="chat:deny", data=1)) == \
                (403, "permission denied")
            r = await pub.call("publish", channel="chat:p", data={"replace": [1, 2.50]})
            assert "result" in r, r
            assert (await sub.push(timeout=10))["data"] == {"replaced": [1, 2.5]}
            # Bytes in a binary frame: the hook sees them as "b64", the subscriber as bytes.
            await pub.ws.send(b'{"id":99,"op":"publish","channel":"chat:p"}\x00\x00\xffbin')
            while True:
                frame = await asyncio.wait_for(sub.ws.recv(), 10)
                if isinstance(frame, bytes):
                    break
            assert frame.partition(b"\x00")[2] == b"\x00\xffbin"
            await sub.close()
            await pub.close()
        run(go())
        pubs = [r["body"] for r in be.requests("/publish")]
        assert {"plain": 1} in [p.get("data") for p in pubs]
        assert "AP9iaW4=" in [p.get("b64") for p in pubs]  # base64 of 00 ff "bin"
        assert all(p["user"] == "alice" and p["client"] for p in pubs)
        # The API key's publishes do not ask the hook.
        n = len(be.requests("/publish"))
        srv.publish("chat:deny", {"api": True})
        assert len(be.requests("/publish")) == n


# ---- failures ----------------------------------------------------------------------------------

def test_slow_backend_is_503_within_bound_and_others_are_unaffected():
    with stack() as (be, srv):
        result = {}

        def slow():
            result["slow"] = get(srv, "/poll?channel=chat:a", cookie("slow"))
        t = threading.Thread(target=slow)
        t.start()
        be.wait_for(lambda r: r["body"].get("headers", {}).get("Cookie") == "session=slow")
        # While the slow request waits, another client is served.
        status, _, _, _ = get(srv, "/poll?channel=chat:a", cookie("alice"))
        assert status == 200
        t.join(30)
        status, _, body, elapsed = result["slow"]
        assert status == 503, body
        assert elapsed < 10 * TIMEOUT_MS / 1000, elapsed

        async def ws():
            h = await ws_connect(srv, "alice")
            t0 = time.time()
            assert error_of(await h.call("publish", channel="chat:slow", data=1, timeout=30)) == \
                (503, "auth backend unavailable")
            assert time.time() - t0 < 10 * TIMEOUT_MS / 1000
            # The connection stays usable.
            assert "result" in await h.call("publish", channel="chat:ok", data=2)
            await h.close()
        run(ws())
        _, _, metrics = srv.request("GET", "/metrics")
        assert b'herald_hook_requests_total{hook="connect",result="timeout"} 1' in metrics
        assert b'herald_hook_requests_total{hook="publish",result="timeout"} 1' in metrics
        assert b'herald_hook_duration_microseconds_count{hook="connect"}' in metrics


def test_backend_killed_then_restarted():
    with stack() as (be, srv):
        async def before():
            h = await ws_connect(srv, "alice")
            assert "result" in await h.call("publish", channel="chat:k", data=1)
            return h
        loop = asyncio.new_event_loop()
        h = loop.run_until_complete(before())
        be.kill()
        status, _, body, _ = get(srv, "/poll?channel=chat:a", cookie("alice"))
        assert status == 503, body
        assert ws_refusal(srv, "alice") == (4002, "auth backend unavailable")
        reply = loop.run_until_complete(h.call("publish", channel="chat:k", data=2, timeout=30))
        assert error_of(reply) == (503, "auth backend unavailable")
        be.start()
        status, _, body, _ = get(srv, "/poll?channel=chat:a", cookie("alice"))
        assert status == 200, body
        reply = loop.run_until_complete(h.call("publish", channel="chat:k", data=3))
        assert "result" in reply, reply
        loop.run_until_complete(h.close())
        loop.close()
        _, _, metrics = srv.request("GET", "/metrics")
        assert b'herald_hook_requests_total{hook="connect",result="error"} 2' in metrics


def test_over_max_inflight_is_503_at_once():
    with stack(timeout_ms=20_000, max_inflight=1) as (be, srv):
        result = {}

        def slow():
            result["slow"] = get(srv, "/poll?channel=chat:a", cookie("slow"))
        t = threading.Thread(target=slow)
        t.start()
        be.wait_for(lambda r: r["body"].get("headers", {}).get("Cookie") == "session=slow")
        status, _, body, _ = get(srv, "/poll?channel=chat:a", cookie("alice"))
        assert status == 503, body
        assert t.is_alive(), "answered while the slow hook was still in flight"
        t.join(30)
        assert result["slow"][0] == 200  # the slow backend answered alice in the end
        _, _, metrics = srv.request("GET", "/metrics")
        assert b'herald_hook_requests_total{hook="connect",result="overload"} 1' in metrics


def test_client_gone_while_its_hook_is_in_flight():
    with stack(timeout_ms=20_000) as (be, srv):
        s = __import__("socket").create_connection((srv.host, srv.port))
        s.sendall(b"GET /poll?channel=chat:a HTTP/1.1\r\nHost: x\r\nCookie: session=slow\r\n\r\n")
        be.wait_for(lambda r: r["body"].get("headers", {}).get("Cookie") == "session=slow")
        s.close()
        # The answer arrives for a client that is gone; herald carries on (the harness fails
        # the test if a sanitizer reported anything).
        deadline = time.time() + 30
        while b'result="allow"} 1' not in srv.request("GET", "/metrics")[2]:
            assert time.time() < deadline
            time.sleep(0.05)
        assert get(srv, "/poll?channel=chat:a", cookie("alice"))[0] == 200


# ---- docs/security.md ------------------------------------------------------------------------

def doc_blocks():
    import re
    text = open(os.path.join(HERE, "..", "..", "docs", "security.md")).read()
    return dict(re.findall(r"```(?:json|toml) (hook-[a-z-]+)\n(.*?)```", text, re.S))


def test_the_documented_hook_example_is_what_herald_does():
    blocks = doc_blocks()
    be = Backend()
    be.start()
    try:
        # The documented configuration, pointed at this backend.
        cfg = blocks["hook-config"].replace("127.0.0.1:9000", f"127.0.0.1:{be.port}")
        with herald_server(config=cfg) as srv:
            async def go():
                h = await ws_connect(srv, "alice")
                assert (await h.call("connect"))["result"]["user"] == "alice"
                assert "result" in await h.call("subscribe", channel="chat:a")
                bob = await ws_connect(srv, "bob")
                assert "result" in await bob.call("subscribe", channel="open:lobby")
                assert "result" in await h.call("publish", channel="chat:a", data={"replace": 5})
                got = await h.push(timeout=10)
                await h.close()
                await bob.close()
                return got["data"]
            assert run(go()) == json.loads(blocks["hook-publish-answer"])["data"]
        # The documented answer is the one this backend gives alice, and herald's requests have
        # exactly the documented members.
        import hook_backend
        assert json.loads(blocks["hook-connect-answer"]) == hook_backend.ALICE
        for name, path in (("hook-connect-request", "/connect"),
                           ("hook-subscribe-request", "/subscribe"),
                           ("hook-publish-request", "/publish")):
            documented = json.loads(blocks[name])
            sent = be.requests(path)[0]["body"]
            assert set(sent) == set(documented), (name, sent)
            if name == "hook-connect-request":
                assert set(sent["headers"]) == set(documented["headers"])
    finally:
        be.kill()
        os.unlink(be.log)
