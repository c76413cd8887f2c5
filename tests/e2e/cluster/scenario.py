"""Exactly-once delivery across herald nodes that share Redis (tests/e2e/test_cluster_*.py).

Reuses the recovery clients (tests/e2e/recovery/clients.py): every subscriber records the
offsets it sees per channel and comes back with its cursor after a drop. Here a reconnect may
land on another node (`Roaming`: the next node in turn that is alive, as a load balancer
without stickiness would send it), and publishes go through several nodes' APIs at once.
"""
import asyncio
import random
import time

from recovery.clients import (Publisher, PollSubscriber, SseSubscriber, WsSubscriber,
                              http_get_json, query)

DEADLINE_S = 120


class MultiNodePublisher(Publisher):
    """Publisher whose keep-alive connections are spread over nodes (connection j -> node
    j % len(nodes)); each connection pipelines its share of the plan."""

    def __init__(self, nodes, plan, conns=4, window=32):
        super().__init__(nodes[0].host, nodes[0].port, plan, conns=conns, window=window)
        self.nodes = nodes

    async def _one(self, j):
        node = self.nodes[j % len(self.nodes)]
        # Publisher._one reads host/port before its first await: no other connection runs
        # between these lines and that read.
        self.host, self.port = node.host, node.port
        return await super()._one(j)

    def progress(self):
        return sum(len(v) for v in self.sent.values())


class Roaming:
    """Mixin: each reconnect goes to the next node that is alive."""

    def roam(self, nodes):
        self.nodes = list(nodes)
        self.at = 0
        self.hops = 0
        return self

    async def session(self):
        if self.connects > 1:
            for _ in range(len(self.nodes)):
                self.at = (self.at + 1) % len(self.nodes)
                if self.nodes[self.at].alive():
                    break
            self.hops += 1
        node = self.nodes[self.at]
        self.host, self.port = node.host, node.port
        return await super().session()


class RoamingWs(Roaming, WsSubscriber):
    pass


class RoamingSse(Roaming, SseSubscriber):
    pass


class RoamingPoll(Roaming, PollSubscriber):
    pass


async def start_cursor(node, channels):
    """The current cursor of `channels` from a short poll without `since` (no messages)."""
    status, r = await http_get_json(node.host, node.port, "/poll?" + query(channels, wait=0))
    assert status == 200 and r["messages"] == [], r
    return r["cursor"]


def drops(rng, total):
    """Two planned drops: one in the first half of the stream, one in the second."""
    return [rng.randint(total // 5, total * 2 // 5), rng.randint(total * 3 // 5, total * 4 // 5)]


def early_drop(rng, total):
    """One planned drop early in the stream: a poll may take thousands of messages in one
    answer (a replay after a reconnect), so later thresholds could all pass in one answer."""
    return [rng.randint(total // 10, total // 5)]


def seed_for(test):
    import os
    seed = int(os.environ.get("RECOVERY_SEED", "0")) or random.randrange(1, 1 << 30)
    print(f"\n{test}: RECOVERY_SEED={seed}")
    return seed


async def run(nodes, channels, per_channel, make_subscribers, seed, publish_via=None,
              during=None):
    """Starts the subscribers, publishes per_channel messages to every channel through
    `publish_via` (default: every node) at full speed while `during(publisher)` runs (the
    chaos of a test), waits for the subscribers; returns (problems, publisher, subscribers)."""
    t0 = time.monotonic()
    deadline = t0 + DEADLINE_S
    epochs = {}
    for ch in channels:
        c = await start_cursor(nodes[0], [ch])
        epoch, _, offset = c.partition(":")
        assert offset == "0", f"{ch} is not empty: {c}"
        epochs[ch] = epoch
    rng = random.Random(seed)
    published = asyncio.Event()
    subs = await make_subscribers(epochs, rng, published)
    tasks = [asyncio.ensure_future(s.run(deadline)) for s in subs]
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), 30)
    t_ready = time.monotonic()

    plan = [ch for ch in channels for _ in range(per_channel)]
    rng.shuffle(plan)
    pub = MultiNodePublisher(publish_via or nodes, plan)
    chaos = asyncio.ensure_future(during(pub)) if during else None
    await pub.run()
    published.set()
    if chaos:
        await chaos
    await asyncio.gather(*tasks)
    t_end = time.monotonic()
    print(f"subscribers ready in {t_ready - t0:.2f}s; {len(plan)} publishes through "
          f"{len(publish_via or nodes)} node(s) in {pub.elapsed:.2f}s "
          f"({len(plan) / max(pub.elapsed, 1e-9):.0f}/s); all delivered after "
          f"{t_end - t_ready:.2f}s")
    for s in subs:
        hops = f", {s.hops} node changes" if hasattr(s, "hops") else ""
        print(f"  {s.summary()}{hops}")

    problems = list(pub.errors)
    for ch in channels:
        offsets = sorted(pub.sent.get(ch, {}))
        if offsets != list(range(1, per_channel + 1)):
            problems.append(f"publisher: {ch} got offsets {offsets[:3]}..{offsets[-3:]} "
                            f"({len(offsets)}), not 1..{per_channel}")
        if pub.epochs.get(ch) != epochs[ch]:
            problems.append(f"publisher: {ch} epoch {pub.epochs.get(ch)} != start {epochs[ch]}")
    for s in subs:
        problems += s.check(pub.sent)
        if s.disconnect_at:
            problems.append(f"{s.name}: planned drops never reached: {s.disconnect_at}")
    return problems, pub, subs


def verdict(nodes, problems):
    for n in nodes:
        assert n.alive() or n.killed, "herald died:\n" + n.log()[-4000:]
    assert not problems, "exactly-once violated:\n" + "\n".join(problems[:40])
