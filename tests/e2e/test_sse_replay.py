"""SSE replays larger than the output limit, end to end (docs/protocol.md recovery, docs/design.md bounded output).

A subscriber that resumes from a cursor 5,000 events back on 50 channels (each event carries
the ~1.7 KB 50-channel cursor as its id: ~9 MB, 36x limits.max_output_bytes here) must get all
of it and then the live stream, without being taken for a slow consumer: the replay is paced
(src/sse/sse_session.cpp pump). A client that never reads is still evicted, with a FIN after
what the kernel had taken (not a reset), and a subscriber beside it gets everything.
"""
import http.client
import json

from harness import DEADLINE, herald_server, wait_until
from test_sse import BASE_CONFIG, multi_cursor, open_stream, push, settle, sse_path

LIMIT = 256 * 1024
CONFIG = BASE_CONFIG + f"""max_output_bytes = {LIMIT}

[namespace.public]
history_size = 1000
history_ttl = 600
"""
CHANNELS = [f"public:r{i}" for i in range(50)]
PER_CHANNEL = 100


def api(conn, path, body):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    assert resp.status == 200, (resp.status, data)
    return json.loads(data)


def evictions(srv):
    _, _, body = srv.request("GET", "/metrics")
    for ln in body.decode().splitlines():
        if ln.startswith("herald_slow_consumer_evictions_total"):
            return int(float(ln.split()[-1]))
    raise AssertionError("no herald_slow_consumer_evictions_total in /metrics")


def test_resume_5000_events_back_gets_everything_and_a_non_reader_is_still_evicted():
    with herald_server("--threads", "2", config=CONFIG) as srv:
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=30)
        epochs = {}
        for i in range(1, PER_CHANNEL + 1):
            r = api(conn, "/api/broadcast", {"channels": CHANNELS, "data": {"i": i}})
            for res in r["results"]:
                assert res["offset"] == i, res
                epochs[res["channel"]] = res["epoch"]

        # Live subscribers of one channel: one that never reads, one that does.
        slow = open_stream(srv, sse_path("public:r0"), rcvbuf=4096)
        steady = open_stream(srv, sse_path("public:r0"))
        settle(slow)
        settle(steady)

        # Resume every channel from its start: the whole history is the replay.
        since = multi_cursor([(c, epochs[c], 0) for c in CHANNELS])
        resumer = open_stream(srv, sse_path(*CHANNELS), headers={"Last-Event-ID": since})
        seen = {c: [] for c in CHANNELS}
        for n in range(len(CHANNELS) * PER_CHANNEL):
            ev = resumer.next_event()
            assert ev is not None, f"replay stopped after {n} events (closed={resumer.closed})"
            p = push(ev)  # a recovery event would fail here: the history covers the cursor
            seen[p["channel"]].append((p["offset"], p["data"]["i"]))
        for c in CHANNELS:
            assert seen[c] == [(i, i) for i in range(1, PER_CHANNEL + 1)], (c, seen[c][:5])
        assert len(resumer.last_id) > LIMIT // 1000  # the big multi-channel ids were sent
        assert evictions(srv) == 0

        # The replay joins the live stream with no gap and no duplicate.
        api(conn, "/api/broadcast", {"channels": CHANNELS[:2], "data": {"i": "live"}})
        live = [push(e) for e in resumer.events(2)]
        assert sorted((p["channel"], p["offset"]) for p in live) == [
            ("public:r0", PER_CHANNEL + 1), ("public:r1", PER_CHANNEL + 1)]
        resumer.close()  # it would not read the flood below, and be evicted as well

        # Flood public:r0 (~8 MB: past what the kernel can buffer for the non-reader, whose send
        # buffer may grow to tcp_wmem's 4 MB, plus the limit): the non-reader goes. The steady
        # reader reads each publication before the next is published, so whether it keeps up
        # never depends on when this process is scheduled.
        payload = "x" * 8000
        n = 1000
        got = [push(e)["data"] for e in steady.events(1)]
        for i in range(n):
            api(conn, "/api/publish", {"channel": "public:r0", "data": [i, payload]})
            ev = steady.next_event()
            assert ev is not None, f"steady subscriber stopped at {len(got)}"
            got.append(push(ev)["data"])
        assert got[0] == {"i": "live"} and [g[0] for g in got[1:]] == list(range(n))
        wait_until(lambda: evictions(srv) >= 1, what="the eviction of the non-reader")
        assert evictions(srv) == 1

        # Evicted gracefully: what reached the kernel is readable, then a FIN, not a reset.
        slow.sock.settimeout(DEADLINE)
        total = len(slow.buf)
        while True:
            try:
                chunk = slow.sock.recv(65536)
            except ConnectionResetError:
                raise AssertionError(f"slow consumer was reset after {total} bytes")
            if not chunk:
                break
            total += len(chunk)
        assert 0 < total < n * len(payload), total
        for s in (slow, steady):
            s.close()
        conn.close()
