"""UDP datagrams through the real binary (docs/protocol.md, "UDP datagrams"), with a client
written from the doc (udp_client.py): address validation, leases, subscribe and recovery,
resend, announce, publish, the access rules, and every [udp] limit."""
import json
import socket
import time

import pytest

import udp_client as U
from harness import herald_server
from udp_client import UdpClient


def metric(srv, name, labels=""):
    status, _, body = srv.request("GET", "/metrics")
    assert status == 200
    key = name + ("{" + labels + "}" if labels else "")
    for line in body.decode().splitlines():
        if line.startswith(key + " "):
            return int(line.split()[-1])
    raise AssertionError(f"no metric {key}")


def leases(srv):
    return metric(srv, "herald_transport_connections", 'transport="udp"')


def wait_until(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def test_hello_open_subscribe_and_live_publications():
    with herald_server("--threads", "2") as srv:
        c = UdpClient(srv.port)
        cookie = c.get_cookie()
        assert len(cookie) == U.COOKIE_BYTES
        assert leases(srv) == 0  # a cookie creates no state
        m = c.request(U.open_(c.session, cookie), lambda m: m.type == "opened")
        assert m.lease_ms == 30000 and m.max_datagram == 1200
        assert leases(srv) == 1
        s = c.subscribe("public:udp1")
        assert s.type == "subscribed" and s.channel == "public:udp1"
        assert s.flags == 0  # no cursor given
        for i in range(3):
            srv.publish("public:udp1", {"n": i})
        pubs = []
        while len(pubs) < 3:
            m = c.wait_for(lambda m: m.type == "pub")
            assert m is not None, pubs
            pubs.append(m)
        assert [p.offset for p in pubs] == [s.offset + 1, s.offset + 2, s.offset + 3]
        assert [json.loads(p.data) for p in pubs] == [{"n": 0}, {"n": 1}, {"n": 2}]
        assert all(p.epoch == s.epoch and p.session == c.session for p in pubs)
        # The same push is 12 + 1 + 11 + 1 + 8 + 8 + 7 bytes: no JSON wrapper.
        assert pubs[0].size == 12 + 1 + len("public:udp1") + 1 + len(s.epoch) + 8 + len('{"n":0}')
        c.close()
        assert wait_until(lambda: leases(srv) == 0)


def test_subscribe_with_a_cursor_replays_and_says_recovered():
    with herald_server() as srv:
        first = srv.publish("public:udp2", "a")
        srv.publish("public:udp2", "b")
        srv.publish("public:udp2", "c")
        c = UdpClient(srv.port)
        assert c.open().type == "opened"
        s = c.subscribe("public:udp2", first["epoch"], first["offset"])
        assert s.type == "subscribed"
        assert s.flags == U.HAD_SINCE | U.RECOVERED
        assert s.offset == first["offset"] + 2
        replay = [c.wait_for(lambda m: m.type == "pub") for _ in range(2)]
        assert [m.data for m in replay] == [b'"b"', b'"c"']
        # A cursor of another epoch: not recovered, nothing replayed.
        d = UdpClient(srv.port)
        d.open()
        s = d.subscribe("public:udp2", "Zz9", 1)
        assert s.flags == U.HAD_SINCE and s.offset == first["offset"] + 2
        assert d.wait_for(lambda m: m.type == "pub", timeout=0.5) is None


def test_resend_serves_history_and_ends_with_the_cursor():
    with herald_server() as srv:
        c = UdpClient(srv.port)
        c.open()
        s = c.subscribe("public:udp3")
        for i in range(5):
            srv.publish("public:udp3", i)
        got = [c.wait_for(lambda m: m.type == "pub") for _ in range(5)]
        assert len(got) == 5
        rid = c.rid()
        c.send(U.resend(c.session, rid, "public:udp3", s.epoch, s.offset + 1, 2))
        again = [c.wait_for(lambda m: m.type in ("pub", "resent")) for _ in range(3)]
        assert [m.type for m in again] == ["pub", "pub", "resent"]
        assert [m.offset for m in again[:2]] == [s.offset + 2, s.offset + 3]
        assert again[2].id == rid and again[2].offset == s.offset + 5
        assert again[2].flags & U.RECOVERED
        assert metric(srv, "herald_udp_resent_total") == 2
        # A cursor the history no longer covers (another epoch): resent says not recovered.
        c.send(U.resend(c.session, c.rid(), "public:udp3", "Other1", 0, 10))
        m = c.wait_for(lambda m: m.type == "resent")
        assert not (m.flags & U.RECOVERED) and m.offset == s.offset + 5


def test_a_lost_subscribed_reply_is_answered_again():
    with herald_server() as srv:
        srv.publish("public:udp4", 1)
        c = UdpClient(srv.port)
        c.open()
        rid = c.rid()
        c.send(U.subscribe(c.session, rid, "public:udp4"))
        first = c.wait_for(lambda m: m.type == "subscribed")
        # The client did not see it (as if lost) and asks again: same answer, no error 409.
        c.send(U.subscribe(c.session, rid, "public:udp4"))
        again = c.wait_for(lambda m: m.type in ("subscribed", "error"))
        assert again.type == "subscribed" and again.offset == first.offset
        srv.publish("public:udp4", 2)
        pubs = [c.wait_for(lambda m: m.type == "pub")]
        assert pubs[0].offset == first.offset + 1
        assert c.wait_for(lambda m: m.type == "pub", timeout=0.5) is None  # delivered once


def test_large_publications_are_announced_and_fetched_over_http():
    with herald_server() as srv:
        c = UdpClient(srv.port)
        c.open()
        s = c.subscribe("public:udp5")
        big = "x" * 3000
        srv.publish("public:udp5", big)
        m = c.wait_for(lambda m: m.type in ("pub", "announce"))
        assert m.type == "announce" and m.offset == s.offset + 1
        assert m.data_size == len(json.dumps(big))
        assert m.size < 100  # the announcement, not the data
        status, _, body = srv.request("GET", f"/poll?channel=public:udp5&since={m.epoch}:{m.offset - 1}")
        assert status == 200
        assert json.loads(body)["messages"][0]["data"] == big
        assert metric(srv, "herald_udp_announced_total") == 1


def test_max_datagram_sets_where_announcing_starts():
    with herald_server("--set", "udp.max_datagram=4000") as srv:
        c = UdpClient(srv.port)
        assert c.open().max_datagram == 4000
        c.subscribe("public:udp6")
        srv.publish("public:udp6", "y" * 3000)
        m = c.wait_for(lambda m: m.type in ("pub", "announce"))
        assert m.type == "pub" and len(m.data) == 3002
        # A request longer than the limit is dropped unread.
        c.send(U.hello(c.session, 4001))
        assert c.wait_for(lambda m: m.type == "cookie", timeout=0.5) is None
        assert metric(srv, "herald_udp_dropped_total", 'reason="oversize"') == 1
        c.send(U.hello(c.session, 4000))
        assert c.wait_for(lambda m: m.type == "cookie") is not None


def test_keepalive_renews_and_an_idle_lease_expires():
    with herald_server("--set", "udp.lease_ms=1000") as srv:
        c = UdpClient(srv.port)
        assert c.open().lease_ms == 1000
        c.subscribe("public:udp7")
        # Renewed every 300 ms for 2 s: longer than the lease, still alive.
        for _ in range(7):
            m = c.keepalive()
            assert m.type == "lease" and m.lease_ms == 1000
            time.sleep(0.3)
        assert leases(srv) == 1
        # Silent: dropped within about a lease (plus the sweep), and the channel is let go.
        assert wait_until(lambda: leases(srv) == 0, timeout=10)
        assert metric(srv, "herald_udp_leases_total", 'event="expired"') == 1
        assert metric(srv, "herald_subscriptions") == 0
        # The client's next request gets a reset: open again.
        assert c.keepalive().type == "reset"


def test_access_rules_and_tokens_decide_what_a_lease_may_do():
    secret = "udp-secret-udp-secret-udp-secret-0123456789"
    config = f"""
[auth]
hmac_secret = "{secret}"

[namespace.room]
publish = true
udp_publish = true

[namespace.feed]
publish = true
"""
    import jwt
    token = jwt.encode({"sub": "alice", "channels": ["room:*", "feed:*"],
                        "exp": int(time.time()) + 3600}, secret, algorithm="HS256")
    with herald_server(config=config) as srv:
        anon = UdpClient(srv.port)
        anon.open()
        m = anon.subscribe("room:1")
        assert m.type == "error" and m.code == 403 and m.message == "permission denied"
        bad = UdpClient(srv.port)
        m = bad.open(token=b"not-a-token")
        assert m.type == "error" and m.code == 401 and m.message == "unauthorized"
        assert leases(srv) == 1  # the refused open made none

        alice = UdpClient(srv.port)
        assert alice.open(token=token.encode()).type == "opened"
        s = alice.subscribe("room:1")
        assert s.type == "subscribed"
        p = alice.publish("room:1", '{"text": "hi"}')
        assert p.type == "published" and p.offset == s.offset + 1
        pub = alice.wait_for(lambda m: m.type == "pub")
        assert pub.data == b'{"text":"hi"}'  # minified, like every transport
        # feed: may publish, but not over UDP (no udp_publish): 403 from the same table.
        alice.subscribe("feed:1")
        p = alice.publish("feed:1", "1")
        assert p.type == "error" and p.code == 403
        p = alice.publish("room:1", "{not json")
        assert p.type == "error" and p.code == 400 and p.message == "bad request"
        # public: anonymous may publish over HTTP and WebSocket, not over UDP by default.
        p = anon.publish("public:x", "1")
        assert p.type == "error" and p.code == 403


def test_an_expired_token_ends_the_lease():
    secret = "udp-secret-udp-secret-udp-secret-0123456789"
    import jwt
    with herald_server(config=f'[auth]\nhmac_secret = "{secret}"\n') as srv:
        token = jwt.encode({"sub": "bob", "channels": ["x:*"], "exp": int(time.time()) + 2},
                           secret, algorithm="HS256")
        c = UdpClient(srv.port)
        assert c.open(token=token.encode()).type == "opened"
        assert c.subscribe("x:1").type == "subscribed"
        m = c.wait_for(lambda m: m.type == "error", timeout=8)
        assert m is not None and m.code == 401 and m.message == "token expired"
        assert wait_until(lambda: leases(srv) == 0)


def test_lease_limits_per_ip_and_in_total():
    with herald_server("--set", "udp.max_leases_per_ip=3", "--set", "udp.max_leases=5") as srv:
        cs = [UdpClient(srv.port) for _ in range(4)]
        answers = [c.open() for c in cs]
        assert [a.type for a in answers[:3]] == ["opened"] * 3
        assert answers[3].type == "error" and answers[3].code == 503
        assert answers[3].message == "connection limit reached"
        assert leases(srv) == 3
        assert metric(srv, "herald_udp_leases_total", 'event="refused"') == 1
        # Ending one frees its slot.
        cs[0].close()
        assert wait_until(lambda: leases(srv) == 2)
        assert cs[3].open().type == "opened"
        # The total counts every IP: 127.0.0.2 may open two more, then the process is full.
        others = []
        for _ in range(3):
            c = UdpClient.__new__(UdpClient)
            c.addr = ("127.0.0.1", srv.port)
            c.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            c.sock.bind(("127.0.0.2", 0))
            c.sock.connect(c.addr)
            c.session, c.inbox, c.raw, c.pending, c.next_id = 7 + len(others), [], [], [], 1
            others.append(c)
        got = [c.open().type for c in others]
        assert got == ["opened", "opened", "error"]
        assert leases(srv) == 5


def test_subscriptions_per_lease_follow_limits_max_subscriptions():
    with herald_server("--set", "limits.max_subscriptions=2") as srv:
        c = UdpClient(srv.port)
        c.open()
        assert c.subscribe("public:a").type == "subscribed"
        assert c.subscribe("public:b").type == "subscribed"
        m = c.subscribe("public:c")
        assert m.type == "error" and m.code == 429 and m.message == "too many subscriptions"
        rid = c.rid()
        c.send(U.unsubscribe(c.session, rid, "public:a"))
        assert c.wait_for(lambda m: m.type == "ok" and m.id == rid) is not None
        assert c.subscribe("public:c").type == "subscribed"


def test_udp_can_be_turned_off():
    with herald_server("--set", "udp.enabled=false") as srv:
        c = UdpClient(srv.port)
        c.send(U.hello(c.session))
        assert c.recv(0.5) is None


def test_sigterm_tells_every_lease_to_go():
    with herald_server("--threads", "2", "--set", "server.drain_ms=200") as srv:
        cs = [UdpClient(srv.port) for _ in range(4)]
        for c in cs:
            assert c.open().type == "opened"
            assert c.subscribe("public:drain").type == "subscribed"
        srv.proc.terminate()
        for c in cs:
            m = c.wait_for(lambda m: m.type == "error", timeout=10)
            assert m is not None and m.id == 0 and m.code == 503 and m.message == "unavailable"
        srv.proc.wait(timeout=15)
        assert srv.proc.returncode == 0
