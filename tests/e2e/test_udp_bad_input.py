"""UDP bad input through the binary: malformed, truncated, oversize, replayed and wrong-cookie
datagrams create no state, get no answer larger than themselves (only a cookie or a reset, or
nothing), and leave other leases untouched; a flood from many ports does not grow the lease
table past its limits nor the server's memory without bound."""
import os
import random
import socket
import struct
import time

import udp_client as U
from harness import herald_server
from test_udp import leases, metric, wait_until
from udp_client import UdpClient


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def answers(sock, timeout=0.3):
    """Everything that arrives on `sock` within `timeout` of the last datagram."""
    out = []
    sock.settimeout(timeout)
    while True:
        try:
            out.append(sock.recv(70000))
        except (socket.timeout, ConnectionRefusedError):
            return out


def bad_datagrams(victim, rng):
    """(name, bytes) pairs: every kind of bad input, several built from the victim's own
    datagrams (replayed from another address)."""
    s = victim.session
    good = [
        U.hello(s), U.open_(s, bytes(20)), U.subscribe(s, 1, "public:bad"),
        U.resend(s, 2, "public:bad", "E", 0, 5), U.publish(s, 3, "public:bad", "1"),
        U.keepalive(s, 4), U.unsubscribe(s, 5, "public:bad"),
    ]
    out = [("empty", b""), ("one byte", b"\x68"), ("http", b"GET / HTTP/1.1\r\n\r\n")]
    for i in range(50):
        out.append((f"random {i}", os.urandom(rng.randrange(1, 300))))
    for g in good:
        for n in (1, 11, 12, len(g) - 1):
            if 0 < n < len(g) and not (g[2] == 0x01 and n >= U.HELLO_MIN):
                out.append((f"truncated type {g[2]:#x} to {n}", g[:n]))
        out.append((f"bad magic {g[2]:#x}", b"H" + g[1:]))
        out.append((f"bad version {g[2]:#x}", g[:1] + b"\x02" + g[2:]))
        out.append((f"bad flags {g[2]:#x}", g[:3] + b"\x01" + g[4:]))
        out.append((f"server type {g[2]:#x}", g[:2] + b"\x84" + g[3:]))
    out.append(("short hello", U.hello(s, U.HELLO_MIN)[:U.HELLO_MIN - 1]))
    out.append(("hello with junk padding", U.hello(s)[:-1] + b"\x01"))
    out.append(("bad channel", U.subscribe(s, 1, "no spaces allowed")))
    out.append(("resend count 0", U.resend(s, 2, "public:bad", "E", 0, 0)))
    out.append(("oversize", U.hello(s, 1201)))
    out.append(("oversize 60k", U.hello(s, 60000)))
    return out


def test_bad_datagrams_create_nothing_and_never_amplify():
    with herald_server("--threads", "2") as srv:
        victim = UdpClient(srv.port)
        opened = victim.open()
        assert opened.type == "opened"
        sub = victim.subscribe("public:bad")
        assert sub.type == "subscribed"
        victim_open = U.open_(victim.session, victim.get_cookie())
        subs_before = metric(srv, "herald_subscriptions")

        rng = random.Random(5)
        attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        attacker.bind(("127.0.0.1", 0))
        attacker.connect(("127.0.0.1", srv.port))
        cases = bad_datagrams(victim, rng)
        # Replays from another address: the victim's open (its cookie names the victim's port),
        # its subscribe and keepalive (its session has no lease at this address), and an open
        # with a forged cookie.
        cases += [
            ("replayed open from another port", victim_open),
            ("replayed subscribe", U.subscribe(victim.session, 9, "public:bad")),
            ("replayed keepalive", U.keepalive(victim.session, 9)),
            ("forged cookie", U.open_(victim.session, os.urandom(20))),
            ("cookie of another session", U.open_(victim.session ^ 1, victim_open[12:32])),
        ]
        for name, d in cases:
            attacker.send(d)
            for a in answers(attacker, 0.15):
                assert len(a) <= len(d), f"{name}: answered {len(a)} bytes to {len(d)}"
                m = U.decode(a)
                assert m.type in ("cookie", "reset"), f"{name}: answered {m.type}"
        assert leases(srv) == 1
        assert metric(srv, "herald_subscriptions") == subs_before
        assert metric(srv, "herald_udp_dropped_total", 'reason="malformed"') > 50
        assert metric(srv, "herald_udp_dropped_total", 'reason="oversize"') >= 2
        assert metric(srv, "herald_udp_dropped_total", 'reason="bad_cookie"') >= 3
        assert metric(srv, "herald_udp_dropped_total", 'reason="unknown_session"') >= 2

        # The victim's lease is untouched: it still gets every publication, in order, once.
        for i in range(3):
            srv.publish("public:bad", i)
        pubs = [victim.wait_for(lambda m: m.type == "pub") for _ in range(3)]
        assert [p.offset for p in pubs] == [sub.offset + 1, sub.offset + 2, sub.offset + 3]
        # Its own open replayed from its own address: the same lease (no second one).
        victim.send(victim_open)
        assert victim.wait_for(lambda m: m.type == "opened") is not None
        assert leases(srv) == 1
        srv.publish("public:bad", 3)
        assert victim.wait_for(lambda m: m.type == "pub").offset == sub.offset + 4


def test_a_flood_from_many_ports_is_bounded():
    with herald_server("--threads", "2", "--set", "udp.max_leases_per_ip=50") as srv:
        pid = srv.proc.pid
        victim = UdpClient(srv.port)
        victim.open()
        sub = victim.subscribe("public:flood")
        rss0 = rss_kb(pid)
        socks = []
        for _ in range(200):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
            s.bind(("127.0.0.1", 0))
            s.connect(("127.0.0.1", srv.port))
            socks.append(s)
        rng = random.Random(11)
        sent = 0
        # Each port: hellos, opens with forged cookies, requests for sessions it has no lease
        # for, garbage; and real opens (with a cookie each) that the per-IP limit caps.
        t0 = time.time()
        for rnd in range(20):
            for i, s in enumerate(socks):
                sess = rng.getrandbits(64)
                for d in (U.hello(sess), U.open_(sess, os.urandom(20)),
                          U.keepalive(sess, 1), os.urandom(40)):
                    try:
                        s.send(d)
                        sent += 1
                    except OSError:
                        pass
            for s in socks:  # drain answers so the test's sockets do not fill up
                s.setblocking(False)
                try:
                    while True:
                        s.recv(100)
                except (BlockingIOError, ConnectionRefusedError):
                    pass
        opened = 0
        for s in socks:
            sess = rng.getrandbits(64)
            s.settimeout(2)
            s.send(U.hello(sess))
            try:
                cookie = None
                while cookie is None:
                    m = U.decode(s.recv(100))
                    if m.type == "cookie" and m.session == sess:
                        cookie = m.cookie
                s.send(U.open_(sess, cookie))
                while True:
                    m = U.decode(s.recv(100))
                    if m.session == sess and m.type in ("opened", "error"):
                        opened += m.type == "opened"
                        break
            except socket.timeout:
                pass
        assert sent >= 15000
        # The per-IP limit held (50, the victim's included) and nothing else made state.
        assert opened == 49
        assert wait_until(lambda: leases(srv) == 50)
        growth_kb = rss_kb(pid) - rss0
        # 16,000 datagrams, 49 leases: far less than a megabyte of state; the bound leaves room
        # for the sanitizer's quarantine of freed answer buffers.
        assert growth_kb < 64 * 1024, growth_kb
        # The victim's lease never noticed.
        srv.publish("public:flood", "after")
        assert victim.wait_for(lambda m: m.type == "pub").offset == sub.offset + 1
        for s in socks:
            s.close()
