"""Exactly-once delivery with recovery over every transport, through the real binary (issue 3).

While 10,000 messages are published at full speed (several keep-alive publisher connections,
each pipelining), subscribers on WebSocket, SSE, long-poll and short poll are connected; some
drop their connection mid-stream (a reset, a close handshake, a response lost on the wire,
bytes thrown away unread) and come back with their last cursor. The history is large enough to
cover every gap, so each subscriber must end with exactly offsets 1..N of each of its channels,
in order, each once, carrying the data that was published at that offset.

The same with 50 channels x 200 messages, some subscribers on many channels at once (one SSE
stream and one poll over several channels, with the server's multi-channel cursor).

Run: HERALD_BIN=build/<dir>/herald /usr/bin/python3 -m pytest -q -s tests/e2e/test_recovery_all_transports.py
RECOVERY_SEED=<n> replays a run's disconnect points (the seed is printed).
"""
import asyncio
import os
import random
import time

import pytest

from harness import herald_server
from recovery.clients import (Publisher, PollSubscriber, SseSubscriber, WsSubscriber,
                              http_get_json, query)

# HTTP API publishes are not rate-limited, but lift the per-connection rate anyway so that the
# test never depends on that default. The history must cover every gap: `--history-size` sets
# [channel] (channels outside any namespace) and the built-in `public` namespace does not
# inherit it (src/server/config.cpp namespace_slot), so [namespace.public] is set as well.
CONFIG = """
[limits]
publish_rate = 10000000

[namespace.public]
history_size = 20000
history_ttl = 600
"""
ARGS = ("--threads", "2", "--history-size", "20000", "--history-ttl", "600")
# Per scenario. A run takes 10-80 s beside other suites; the bound only stops a failing one, and
# three of them stay inside ctest's timeout for this file.
DEADLINE_S = 180


def seed_for(test):
    seed = int(os.environ.get("RECOVERY_SEED", "0")) or random.randrange(1, 1 << 30)
    print(f"\n{test}: RECOVERY_SEED={seed}")
    return seed


async def start_cursor(srv, channels):
    """The current cursor of `channels` from a short poll without `since` (no messages)."""
    status, r = await http_get_json(srv.host, srv.port, "/poll?" + query(channels, wait=0))
    assert status == 200 and r["messages"] == [], r
    return r["cursor"]


async def run_scenario(srv, channels, per_channel, make_subscribers, seed):
    """Starts the subscribers, waits until they are connected, publishes per_channel messages
    to every channel at full speed, waits for the subscribers; returns the list of problems."""
    t0 = time.monotonic()
    deadline = t0 + DEADLINE_S
    epochs = {}
    for ch in channels:
        c = await start_cursor(srv, [ch])
        epoch, _, offset = c.partition(":")
        assert offset == "0", f"{ch} is not empty: {c}"
        epochs[ch] = epoch

    rng = random.Random(seed)
    published = asyncio.Event()
    subs = await make_subscribers(srv, epochs, rng, published)
    tasks = [asyncio.ensure_future(s.run(deadline)) for s in subs]
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), 60)
    t_ready = time.monotonic()

    plan = [ch for ch in channels for _ in range(per_channel)]
    rng.shuffle(plan)
    pub = Publisher(srv.host, srv.port, plan, conns=4, window=32)
    t_pub = time.monotonic()
    await pub.run()
    t_pub_end = time.monotonic()
    published.set()
    await asyncio.gather(*tasks)
    t_end = time.monotonic()
    drop_times = [t for s in subs for t in s.drop_times]
    live_drops = sum(1 for t in drop_times if t_pub <= t < t_pub_end)

    print(f"subscribers ready in {t_ready - t0:.2f}s; {len(plan)} publishes in {pub.elapsed:.2f}s "
          f"({len(plan) / max(pub.elapsed, 1e-9):.0f}/s); all delivered after "
          f"{t_end - t_ready:.2f}s; {live_drops} of {len(drop_times)} planned drops while "
          f"publishing")
    for s in subs:
        done_at = f"done at +{s.finished - t_pub:.2f}s" if s.finished else "NOT DONE"
        print(f"  {s.summary()}; {done_at}")

    problems = list(pub.errors)
    metrics = scrape_metrics(srv)
    recovered = metrics.get('herald_recoveries_total{outcome="recovered"}')
    not_recovered = metrics.get('herald_recoveries_total{outcome="not_recovered"}')
    print(f"metrics: loops={metrics.get('herald_loops')} recovered={recovered} "
          f"not_recovered={not_recovered} "
          f"slow_consumer_evictions={metrics.get('herald_slow_consumer_evictions_total')}")
    if metrics.get("herald_loops") != 2:
        problems.append(f"server runs {metrics.get('herald_loops')} loops, not 2")
    if not_recovered != 0:
        problems.append("/metrics counts recoveries that failed")
    for ch in channels:
        offsets = sorted(pub.sent.get(ch, {}))
        if offsets != list(range(1, per_channel + 1)):
            problems.append(f"publisher: {ch} got offsets {offsets[:3]}..{offsets[-3:]} "
                            f"({len(offsets)}), not 1..{per_channel}")
        if pub.epochs.get(ch) != epochs[ch]:
            problems.append(f"publisher: {ch} epoch {pub.epochs.get(ch)} != start {epochs[ch]}")
    for s in subs:
        problems += s.check(pub.sent)
    # Every planned drop must have happened, or the test did not test recovery.
    for s in subs:
        if s.disconnect_at:
            problems.append(f"{s.name}: planned drops never reached: {s.disconnect_at}")
    return problems


def scrape_metrics(srv):
    status, _, body = srv.request("GET", "/metrics")
    assert status == 200, status
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def verdict(srv, problems):
    assert srv.alive(), "herald died:\n" + srv.log()[-4000:]
    assert not problems, "exactly-once violated:\n" + "\n".join(problems[:40])


def drops(rng, total):
    """Two planned drops: one in the first half of the stream, one in the second."""
    return [rng.randint(total // 5, total * 2 // 5), rng.randint(total * 3 // 5, total * 4 // 5)]


def test_one_channel_10000_messages_every_transport_with_drops():
    seed = seed_for("one channel")
    n = 10_000
    ch = "public:c"

    async def make(srv, epochs, rng, published):
        start = f"{epochs[ch]}:0"

        def sub(cls, name, drop=True, **kw):
            return cls(srv, name, [ch], n, disconnect_at=drops(rng, n) if drop else (),
                       seed=rng.random(), **kw)

        return [
            sub(WsSubscriber, "ws-reset", epochs=epochs),
            sub(WsSubscriber, "ws-close", epochs=epochs, graceful=True),
            sub(WsSubscriber, "ws-steady", drop=False, epochs=epochs),
            sub(SseSubscriber, "sse-drop", since=start),
            sub(SseSubscriber, "sse-steady", drop=False, since=start),
            sub(PollSubscriber, "longpoll-drop", cursor=start, wait=5),
            sub(PollSubscriber, "longpoll-steady", drop=False, cursor=start, wait=5),
            sub(PollSubscriber, "shortpoll-drop", cursor=start, wait=0),
        ]

    with herald_server(*ARGS, config=CONFIG) as srv:
        problems = asyncio.run(run_scenario(srv, [ch], n, make, seed))
        verdict(srv, problems)


def test_50_channels_multi_channel_subscribers_with_drops():
    seed = seed_for("50 channels")
    per = 200
    chans = [f"public:m{i}" for i in range(50)]

    async def make(srv, epochs, rng, published):
        def ws(name, cs, drop=True, **kw):
            return WsSubscriber(srv, name, cs, per, epochs=epochs, seed=rng.random(),
                                disconnect_at=drops(rng, per * len(cs)) if drop else (), **kw)

        def sse(name, cs, drop=True, away=None):
            # A multi-channel stream starts without a cursor (live from its first id); a
            # single-channel one from the channel's E:0.
            since = f"{epochs[cs[0]]}:0" if len(cs) == 1 else None
            return SseSubscriber(srv, name, cs, per, since=since, seed=rng.random(), away=away,
                                 disconnect_at=drops(rng, per * len(cs)) if drop else ())

        async def poll(name, cs, wait, drop=True):
            cursor = await start_cursor(srv, cs)  # the server's multi-channel cursor
            return PollSubscriber(srv, name, cs, per, cursor=cursor, wait=wait, seed=rng.random(),
                                  disconnect_at=drops(rng, per * len(cs)) if drop else ())

        return [
            ws("ws-all-reset", chans),
            ws("ws-half-close", chans[25:], graceful=True),
            ws("ws-one-steady", chans[7:8], drop=False),
            sse("sse-all-drop", chans),
            sse("sse-ten-drop", chans[:10]),
            sse("sse-one-drop", chans[42:43]),
            sse("sse-all-steady", chans, drop=False),
            await poll("longpoll-all-drop", chans, 5),
            await poll("longpoll-one-drop", chans[3:4], 5),
            await poll("shortpoll-twenty-drop", chans[10:30], 0),
        ]

    with herald_server(*ARGS, config=CONFIG) as srv:
        problems = asyncio.run(run_scenario(srv, chans, per, make, seed))
        verdict(srv, problems)


def test_50_channels_long_absence_every_transport():
    """Subscribers on all 50 channels leave after ~1,000 messages and come back only when all
    10,000 are published: the replay is most of the stream. On SSE every replayed event also
    carries the 50-channel cursor as its id (~1.7 KB), so the replay is far larger than the
    4 MiB output limit; a client must still get there (the history covers the gap)."""
    seed = seed_for("long absence")
    per = 200
    chans = [f"public:m{i}" for i in range(50)]

    async def make(srv, epochs, rng, published):
        async def poll(name, wait):
            cursor = await start_cursor(srv, chans)
            return PollSubscriber(srv, name, chans, per, cursor=cursor, wait=wait, away=published,
                                  seed=rng.random(), disconnect_at=[rng.randint(500, 1500)])

        return [
            WsSubscriber(srv, "ws-all-away", chans, per, epochs=epochs, away=published,
                         seed=rng.random(), disconnect_at=[rng.randint(500, 1500)]),
            SseSubscriber(srv, "sse-all-away", chans, per, away=published, seed=rng.random(),
                          disconnect_at=[rng.randint(500, 1500)]),
            await poll("longpoll-all-away", 5),
            await poll("shortpoll-all-away", 0),
        ]

    with herald_server(*ARGS, config=CONFIG) as srv:
        problems = asyncio.run(run_scenario(srv, chans, per, make, seed))
        verdict(srv, problems)
