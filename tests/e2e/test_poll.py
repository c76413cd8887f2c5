"""GET /poll end to end (docs/protocol.md): short poll (wait=0) and long-poll (wait>0), single and
multi-channel cursors, recovery fields, errors, CORS, SIGTERM answering a held long-poll.
Stateless: every request here goes on a fresh connection, only the cursor carries state.

A long-poll is published to once the server says it holds it (the longpoll gauge of /metrics),
not after a sleep; "answers at once" means well before its `wait`, which is long, so a busy
machine never mistakes one for the other."""
import json
import socket
import threading
import time
import urllib.parse

import pytest

from harness import DEADLINE, herald_server, wait_until
from test_sse import BASE_CONFIG, multi_cursor


def poll_path(*channels, since=None, wait=None):
    q = [("channel", c) for c in channels]
    if since is not None:
        q.append(("since", since))
    if wait is not None:
        q.append(("wait", str(wait)))
    return "/poll?" + urllib.parse.urlencode(q)


def poll(srv, *channels, since=None, wait=None, timeout=DEADLINE, headers=None):
    st, hdrs, body = srv.request("GET", poll_path(*channels, since=since, wait=wait),
                                 headers=headers, timeout=timeout)
    assert st == 200, (st, body)
    assert hdrs["content-type"] == "application/json"
    return json.loads(body), hdrs


def held(srv):
    return srv.metric('herald_transport_connections{transport="longpoll"}')


def wait_held(srv, n=1):
    """Returns once the server holds `n` long-polls."""
    wait_until(lambda: held(srv) == n, what=f"{n} long-poll(s) held")


def in_thread(target):
    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t


def test_short_poll_without_since_gives_current_cursor_only():
    with herald_server(config=BASE_CONFIG) as srv:
        r = srv.publish("public:p", "x")
        srv.publish("public:p", "y")
        body, hdrs = poll(srv, "public:p")
        assert body == {"messages": [], "cursor": f"{r['epoch']}:2"}
        assert hdrs["access-control-allow-origin"] == "*"
        assert hdrs["cache-control"] == "no-store"
        # An empty stream's cursor is E:0.
        empty, _ = poll(srv, "public:empty", wait=0)
        assert empty["messages"] == [] and empty["cursor"].endswith(":0")


def test_short_poll_returns_messages_after_cursor_and_round_trips():
    with herald_server(config=BASE_CONFIG) as srv:
        first, _ = poll(srv, "public:s")
        for i in range(3):
            srv.publish("public:s", {"i": i})
        body, _ = poll(srv, "public:s", since=first["cursor"], wait=0)
        assert body["messages"] == [{"channel": "public:s", "offset": n, "data": {"i": n - 1}}
                                    for n in (1, 2, 3)]
        assert body["cursor"].endswith(":3") and "recovered" not in body
        again, _ = poll(srv, "public:s", since=body["cursor"], wait=0)
        assert again == {"messages": [], "cursor": body["cursor"]}


def test_long_poll_answers_at_once_when_history_has_messages():
    with herald_server(config=BASE_CONFIG) as srv:
        start, _ = poll(srv, "public:h")
        srv.publish("public:h", "ready")
        # wait=120 with a 30 s client timeout: only an answer at once passes.
        body, _ = poll(srv, "public:h", since=start["cursor"], wait=120)
        assert [m["data"] for m in body["messages"]] == ["ready"]


def test_long_poll_wakes_on_publish():
    with herald_server(config=BASE_CONFIG) as srv:
        start, _ = poll(srv, "public:w")
        result = {}

        def waiter():
            result["body"], _ = poll(srv, "public:w", since=start["cursor"], wait=120,
                                     timeout=150)

        t = in_thread(waiter)
        wait_held(srv)
        assert t.is_alive(), "long-poll answered before any publication"
        pub = srv.publish("public:w", {"wake": True})
        t.join(timeout=DEADLINE)  # woken by the publication, long before its 120 s wait
        assert not t.is_alive()
        assert result["body"] == {
            "messages": [{"channel": "public:w", "offset": 1, "data": {"wake": True}}],
            "cursor": f"{pub['epoch']}:1"}


def test_long_poll_without_since_waits_for_the_next_message():
    with herald_server(config=BASE_CONFIG) as srv:
        srv.publish("public:n", "old")
        result = {}
        t = in_thread(lambda: result.update(body=poll(srv, "public:n", wait=120, timeout=150)[0]))
        wait_held(srv)  # published before it is held, "new" would be history, not news
        assert t.is_alive()
        srv.publish("public:n", "new")
        t.join(timeout=DEADLINE)
        assert not t.is_alive()
        assert [m["data"] for m in result["body"]["messages"]] == ["new"]
        assert result["body"]["cursor"].endswith(":2")


def test_long_poll_times_out_with_empty_list_and_same_cursor():
    with herald_server(config=BASE_CONFIG) as srv:
        r = srv.publish("public:t", 1)
        cur = f"{r['epoch']}:1"
        # Not before the wait (t0 is taken before the request); the upper bound is the
        # client's timeout, far above any delay a busy machine adds.
        t0 = time.time()
        body, _ = poll(srv, "public:t", since=cur, wait=1)
        elapsed = time.time() - t0
        assert 0.9 <= elapsed, elapsed
        assert body == {"messages": [], "cursor": cur}
        # Fractions of a second are accepted.
        t0 = time.time()
        body, _ = poll(srv, "public:t", since=cur, wait=0.3)
        assert 0.25 <= time.time() - t0 and body["messages"] == []


def test_wait_is_capped_by_config():
    with herald_server(config=BASE_CONFIG + "\n[poll]\nmax_wait_sec = 1\n") as srv:
        # Capped at 1 s: answered within the client's 30 s timeout, not after 600 s.
        body, _ = poll(srv, "public:cap", wait=600)
        assert body["messages"] == []


def test_multi_channel_cursor_round_trip():
    with herald_server(config=BASE_CONFIG) as srv:
        start, _ = poll(srv, "public:ma", "public:mb")
        assert start["cursor"].startswith("m1.") and start["messages"] == []
        srv.publish("public:ma", "a1")
        srv.publish("public:mb", "b1")
        srv.publish("public:mb", "b2")
        body, _ = poll(srv, "public:ma", "public:mb", since=start["cursor"])
        got = sorted((m["channel"], m["offset"], m["data"]) for m in body["messages"])
        assert got == [("public:ma", 1, "a1"), ("public:mb", 1, "b1"), ("public:mb", 2, "b2")]
        assert "recovered" not in body
        # The same cursor works with the channel list in another order.
        again, _ = poll(srv, "public:mb", "public:ma", since=body["cursor"])
        assert again["messages"] == []
        # Long-poll on both channels from that cursor wakes on the next one of either.
        result = {}
        t = in_thread(lambda: result.update(
            body=poll(srv, "public:ma", "public:mb", since=again["cursor"], wait=120,
                      timeout=150)[0]))
        wait_held(srv)
        srv.publish("public:ma", "a2")
        t.join(timeout=DEADLINE)
        assert not t.is_alive()
        assert [(m["channel"], m["data"]) for m in result["body"]["messages"]] == [("public:ma", "a2")]
        final, _ = poll(srv, "public:ma", "public:mb", since=result["body"]["cursor"])
        assert final["messages"] == []


def test_unrecovered_channels_are_listed():
    with herald_server(config=BASE_CONFIG) as srv:
        a = srv.publish("public:ua", "a1")
        b = srv.publish("public:ub", "b1")
        srv.publish("public:ub", "b2")
        since = multi_cursor([("public:ua", "wrongEpoch", 1), ("public:ub", b["epoch"], 1)])
        for wait in (0, 120):
            # An unrecovered channel is news: answered at once (within the client's 30 s
            # timeout, not after the 120 s wait).
            body, _ = poll(srv, "public:ua", "public:ub", since=since, wait=wait)
            assert body["recovered"] is False and body["unrecovered"] == ["public:ua"]
            assert [(m["channel"], m["data"]) for m in body["messages"]] == [("public:ub", "b2")]
            # The returned cursor stands at the current end of both channels.
            nxt, _ = poll(srv, "public:ua", "public:ub", since=body["cursor"])
            assert nxt == {"messages": [], "cursor": body["cursor"]}
        # Single channel: past the end is unrecovered too.
        body, _ = poll(srv, "public:ua", since=f"{a['epoch']}:7")
        assert body == {"messages": [], "cursor": f"{a['epoch']}:1", "recovered": False,
                        "unrecovered": ["public:ua"]}


@pytest.mark.parametrize("path,status,message", [
    ("/poll", 400, "missing channel"),
    ("/poll?channel=bad%20name", 400, "bad channel name"),
    ("/poll?channel=secret:x", 403, "permission denied"),
    ("/poll?channel=public:a&since=E:x", 400, "bad cursor"),
    ("/poll?channel=public:a&channel=public:b&since=E:1", 400, "bad cursor"),
    ("/poll?channel=public:a&wait=-1", 400, "bad wait"),
    ("/poll?channel=public:a&wait=soon", 400, "bad wait"),
    ("/poll?channel=public:a&wait=", 400, "bad wait"),
    ("/poll?channel=public:a&since=%zz", 400, "bad query string"),
])
def test_errors(path, status, message):
    with herald_server(config=BASE_CONFIG) as srv:
        st, hdrs, body = srv.request("GET", path)
        assert st == status
        assert json.loads(body) == {"error": {"code": status, "message": message}}
        assert hdrs["access-control-allow-origin"] == "*"


def test_cors_echoes_an_allowed_origin_only():
    cfg = BASE_CONFIG + '\n[server]\nallowed_origins = ["https://app.example"]\n'
    with herald_server(config=cfg) as srv:
        _, hdrs = poll(srv, "public:c", headers={"Origin": "https://app.example"})
        assert hdrs["access-control-allow-origin"] == "https://app.example"
        _, hdrs = poll(srv, "public:c", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in hdrs


def test_keep_alive_connection_serves_polls_in_turn():
    """A held long-poll pauses the connection; the next request on it is served afterwards."""
    with herald_server(config=BASE_CONFIG) as srv:
        s = socket.create_connection((srv.host, srv.port))
        s.settimeout(DEADLINE)
        req = (f"GET {poll_path('public:k', wait=0.5)} HTTP/1.1\r\nHost: x\r\n\r\n"
               f"GET {poll_path('public:k')} HTTP/1.1\r\nHost: x\r\n\r\n").encode()
        s.sendall(req)
        data = b""
        deadline = time.time() + DEADLINE
        while data.count(b"HTTP/1.1 200") < 2 and time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        assert data.count(b"HTTP/1.1 200") == 2, data
        assert data.count(b'"messages":[]') == 2


def test_metrics_longpoll_gauge_while_held():
    with herald_server(config=BASE_CONFIG) as srv:
        assert held(srv) == 0
        t = in_thread(lambda: poll(srv, "public:gauge", wait=120, timeout=150))
        wait_held(srv, 1)
        srv.publish("public:gauge", 1)
        t.join(timeout=DEADLINE)
        assert not t.is_alive()
        wait_held(srv, 0)


def test_sigterm_answers_a_held_long_poll():
    with herald_server(config=BASE_CONFIG) as srv:
        r = srv.publish("public:z", 1)
        cur = f"{r['epoch']}:1"
        result = {}

        def waiter():
            result["body"], _ = poll(srv, "public:z", since=cur, wait=120, timeout=150)

        t = in_thread(waiter)
        wait_held(srv)  # a SIGTERM before the poll arrived would test a refused connection
        srv.proc.terminate()
        t.join(timeout=DEADLINE)  # answered by the drain, long before its 120 s wait
        assert not t.is_alive()
        assert result["body"] == {"messages": [], "cursor": cur}
        assert srv.proc.wait(timeout=60) == 0
