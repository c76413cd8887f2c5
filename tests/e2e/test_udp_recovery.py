"""UDP: every subscriber ends with each offset exactly once, gap fills included, under loss.

The loss is made in the client (udp_client.Gapless drops received datagrams by a seeded rule),
so the test needs no network namespaces: what it checks is that offsets in every datagram are
enough to find each gap, and that resends from history (and /poll with the cursor) fill it."""
import json
import threading

from harness import herald_server
from udp_client import Gapless

N = 300


def run(srv, subs, channel):
    for s in subs:
        s.start()
    published = {}

    def publish_all():
        for i in range(N):
            r = srv.publish(channel, {"i": i})
            published[r["offset"]] = {"i": i}

    t = threading.Thread(target=publish_all)
    t.start()
    # Receive while publishing; every subscriber is pumped in turn (their sockets buffer the
    # rest: 4 MiB each, far more than N datagrams).
    while t.is_alive():
        for s in subs:
            s.pump(0.05)
    t.join()
    end = max(published)
    for s in subs:
        s.pump(0.2)
        assert s.fill(end), (s.channel, s.missing()[:20])
    return published


def check(sub, published):
    # Exactly the offsets published, each once, with the data that was published.
    assert sorted(sub.got) == sorted(published), (len(sub.got), len(published))
    for o, data in published.items():
        assert json.loads(sub.got[o]) == data, o


def test_every_offset_exactly_once_under_seeded_loss():
    with herald_server("--threads", "2", "--set", "channel.history_size=1000") as srv:
        subs = [Gapless(srv, "public:eo", loss=0.1, seed=s) for s in (1, 2, 3)]
        subs.append(Gapless(srv, "public:eo", loss=0.2, seed=4, http_every=2))
        published = run(srv, subs, "public:eo")
        assert len(published) == N
        for s in subs:
            check(s, published)
            # The rule really dropped datagrams, and gaps were really filled.
            assert s.dropped > 0 and s.resends > 0, (s.dropped, s.resends)
        assert subs[3].http_fills > 0
        # Resends came from the server's history through the gate.
        status, _, body = srv.request("GET", "/metrics")
        resent = [l for l in body.decode().splitlines() if l.startswith("herald_udp_resent_total ")]
        assert int(resent[0].split()[-1]) > 0


def test_without_loss_nothing_is_asked_again():
    with herald_server() as srv:
        subs = [Gapless(srv, "public:eo0", loss=0.0, seed=9)]
        published = run(srv, subs, "public:eo0")
        check(subs[0], published)
        assert subs[0].resends == 0 and subs[0].dups == 0
