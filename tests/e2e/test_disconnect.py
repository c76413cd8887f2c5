"""POST /api/disconnect through the real binary, across loops (--threads 2): the operator ends
every WebSocket and SSE connection of a user, or one client by id, with "reconnect" (close
4006, SSE `event: reconnect`) or without (close 4506, SSE `event: disconnect`); other users'
connections keep receiving; only the API key may ask; bad bodies are refused."""
import asyncio
import json
import os
import tempfile
import time

import jwt
import pytest

from harness import herald_server
from test_sse import SseStream, settle, sse_path
from ws_util import Herald, run

SECRET = "disconnect-secret-disconnect-secret-0123"
KEY = "operator-key"
CONFIG = """
[server]
api_key = "{key}"

[auth]
hmac_secret_file = "{secret}"

[namespace.room]
authenticated = true
"""


def mint(sub):
    return jwt.encode({"sub": sub, "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")


@pytest.fixture(scope="module")
def srv():
    d = tempfile.mkdtemp(prefix="herald-disconnect-")
    with open(os.path.join(d, "secret"), "w") as f:
        f.write(SECRET)
    cfg = CONFIG.format(key=KEY, secret=os.path.join(d, "secret"))
    with herald_server("--threads", "2", config=cfg) as s:
        yield s


def disconnect(srv, body, key=KEY):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    st, _, out = srv.request("POST", "/api/disconnect", json.dumps(body) if not isinstance(body, str)
                             else body, headers)
    return st, json.loads(out)


async def member(srv, user, channel):
    h = await Herald.connect(srv)
    r = await h.call("connect", token=mint(user))
    assert "result" in r, r
    assert "result" in await h.call("subscribe", channel=channel), user
    return h, r["result"]["client"]


async def closed_with(h):
    await asyncio.wait_for(h.ws.wait_closed(), 30)
    return h.ws.close_code, h.ws.close_reason


def test_a_user_is_disconnected_everywhere_and_others_keep_receiving(srv):
    async def go():
        # Several connections of alice (spread over both loops by the kernel), one of bob.
        alices = [await member(srv, "alice", "room:a") for _ in range(4)]
        bob, _ = await member(srv, "bob", "room:a")
        sse = SseStream(srv, sse_path("room:a") + "&token=" + mint("alice"))
        assert sse.read_head(timeout=30) == 200
        settle(sse)
        st, out = disconnect(srv, {"user": "alice"})
        assert (st, out) == (200, {"disconnected": 5}), out
        for h, _ in alices:
            assert await closed_with(h) == (4006, "disconnected")
        ev = sse.next_event(timeout=30)
        assert ev["event"] == "reconnect" and json.loads(ev["data"]) == {"reason": "disconnected"}
        assert sse.next_event(timeout=30) is None  # the stream ended
        # bob lost nothing.
        srv.publish("room:a", {"n": 1}, api_key=KEY)
        push = await bob.push()
        assert push["data"] == {"n": 1}, push
        # Nobody of alice is left: a second request finds none.
        assert disconnect(srv, {"user": "alice"}) == (200, {"disconnected": 0})
        await bob.close()
    run(go(), timeout=120)


def test_one_client_without_reconnect(srv):
    async def go():
        (h1, c1), (h2, _) = [await member(srv, "carol", "room:b") for _ in range(2)]
        st, out = disconnect(srv, {"client": c1, "reconnect": False})
        assert (st, out) == (200, {"disconnected": 1}), out
        assert await closed_with(h1) == (4506, "disconnected")
        # carol's other connection is untouched.
        srv.publish("room:b", "still here", api_key=KEY)
        assert (await h2.push())["data"] == "still here"
        sse = SseStream(srv, sse_path("room:b") + "&token=" + mint("dan"))
        assert sse.read_head(timeout=30) == 200
        settle(sse)
        assert disconnect(srv, {"user": "dan", "reconnect": False}) == (200, {"disconnected": 1})
        ev = sse.next_event(timeout=30)
        assert ev["event"] == "disconnect" and json.loads(ev["data"]) == {"reason": "disconnected"}
        await h2.close()
    run(go(), timeout=120)


def test_only_the_operator_may_disconnect_and_bad_bodies_are_refused(srv):
    async def go():
        h, _ = await member(srv, "erin", "room:c")
        # A user's own token is not the operator's key; no key at all is 401.
        st, out = disconnect(srv, {"user": "erin"}, key=mint("erin"))
        assert st == 403 and out["error"]["message"] == "permission denied", out
        st, _ = disconnect(srv, {"user": "erin"}, key=None)
        assert st == 401
        for body, why in ((("{}"), "user or client"),
                          ({"user": "erin", "client": "x"}, "user or client"),
                          ({"user": ""}, "user"),
                          ({"user": 5}, "user"),
                          ({"user": "erin", "reconnect": "no"}, "reconnect"),
                          ("not json", None)):
            st, out = disconnect(srv, body)
            assert st == 400, (body, out)
            if why:
                assert out["error"]["message"].endswith(why), (body, out)
        # erin was never disconnected by any of them.
        srv.publish("room:c", 7, api_key=KEY)
        assert (await h.push())["data"] == 7
        await h.close()
    run(go(), timeout=120)
