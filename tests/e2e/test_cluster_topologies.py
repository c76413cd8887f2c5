"""Cluster mode on the other Redis topologies, with the delivery test of
test_cluster_delivery.py (smaller):

- a real 3-master Redis Cluster (redis-server --cluster-enabled yes x3, redis-cli --cluster
  create): herald reads the slot map, sends each channel's commands to its slot's master and
  uses sharded pub/sub (SSUBSCRIBE / SPUBLISH); channels land on every master;
- two independent Redis servers (redis.addresses with two entries, no cluster): channels are
  sharded over them by a hash of the name; both hold some.

Run: HERALD_BIN=build/asan/herald /usr/bin/python3 -m pytest -q -s tests/e2e/test_cluster_topologies.py
"""
import asyncio

from cluster.redis import herald_nodes, metrics, redis_cluster, redis_server
from cluster.scenario import RoamingPoll, RoamingSse, RoamingWs, drops, early_drop, run, \
    seed_for, start_cursor, verdict
from recovery.clients import WsSubscriber

PER = 200
CHANNELS = [f"public:t{i}" for i in range(20)]


def delivery(nodes, seed):
    total = PER * len(CHANNELS)
    n1, n2 = nodes

    async def make(epochs, rng, published):
        return [
            RoamingWs(n1, "ws-roam", CHANNELS, PER, epochs=epochs, seed=rng.random(),
                      disconnect_at=drops(rng, total)).roam([n1, n2]),
            WsSubscriber(n2, "ws-steady", CHANNELS[:7], PER, epochs=epochs, seed=rng.random()),
            RoamingSse(n2, "sse-roam", CHANNELS, PER, seed=rng.random(),
                       disconnect_at=drops(rng, total)).roam([n2, n1]),
            RoamingPoll(n2, "longpoll-roam", CHANNELS, PER,
                        cursor=await start_cursor(n1, CHANNELS), wait=5, seed=rng.random(),
                        disconnect_at=early_drop(rng, total)).roam([n2, n1]),
        ]

    problems, pub, subs = asyncio.run(run(nodes, CHANNELS, PER, make, seed))
    for n in nodes:
        m = metrics(n)
        if m.get("herald_redis_publish_failures_total") != 0:
            problems.append(f"node {n.port}: publish failures")
        if m.get("herald_redis_stream_resets_total") != 0:
            problems.append(f"node {n.port}: a stream reset without a reason")
    return problems


def keys_on(server):
    return int(server.cli("EVAL", "return #redis.call('KEYS', 'herald:*')", "0") or 0)


def test_three_master_redis_cluster():
    seed = seed_for("redis cluster")
    with redis_cluster(3) as cluster, \
            herald_nodes(2, cluster.addresses[:1], cluster=True) as nodes:
        # One seed is enough: every node learns the masters from CLUSTER SLOTS.
        problems = delivery(nodes, seed)
        per_master = [keys_on(m) for m in cluster.nodes]
        print("herald keys per master:", per_master)
        if not all(per_master):
            problems.append(f"channels did not spread over every master: {per_master}")
        up = 'herald_redis_links{state="up"}'
        for n in nodes:
            m = metrics(n)
            print(f"node {n.port}: links up {m[up]}, redirects {m['herald_redis_redirects_total']}")
            # Command and pub/sub links to all three masters, on each of the node's 2 loops.
            if m[up] < 3 * 2 * 2:
                problems.append(f"node {n.port} does not reach every master")
        # Sharded pub/sub only: no global channel was ever subscribed.
        for m in cluster.nodes:
            if m.cli("PUBSUB", "CHANNELS", "herald:*"):
                problems.append(f"global pub/sub channels on {m.address}")
        verdict(nodes, problems)


def test_two_independent_redis_servers_shard_the_channels():
    seed = seed_for("two servers")
    with redis_server() as r1, redis_server() as r2, \
            herald_nodes(2, [r1.address, r2.address]) as nodes:
        problems = delivery(nodes, seed)
        per_server = [keys_on(r) for r in (r1, r2)]
        print("herald keys per server:", per_server)
        if not all(per_server):
            problems.append(f"channels did not spread over both servers: {per_server}")
        # A channel lives on exactly one of them.
        for ch in CHANNELS:
            where = [r.cli("EXISTS", f"herald:{{{ch}}}:m") for r in (r1, r2)]
            if sorted(where) != ["0", "1"]:
                problems.append(f"{ch} is on {where}")
        verdict(nodes, problems)


def test_slot_moved_to_another_master_mid_stream():
    """A channel's slot migrates to another master while it is published to and watched:
    publishes follow MOVED, the subscription moves with the slot (Redis drops the shard
    subscription with an unsolicited SUNSUBSCRIBE), and the subscriber still gets 1..N."""
    ch = "public:moving"
    n = 300
    with redis_cluster(3) as cluster, \
            herald_nodes(2, cluster.addresses[:1], cluster=True) as (a, b):
        slot = int(cluster.nodes[0].cli("CLUSTER", "KEYSLOT", f"herald:{{{ch}}}"))
        ids = {m.address: m.cli("CLUSTER", "MYID") for m in cluster.nodes}

        def owner():
            for m in cluster.nodes:
                # The master that serves the slot answers a key command for it without MOVED.
                if not m.cli("EXISTS", f"herald:{{{ch}}}:m").startswith("MOVED"):
                    return m
            raise AssertionError("no master serves the slot")

        async def scenario():
            cursor = await start_cursor(a, [ch])
            epoch = cursor.partition(":")[0]
            sub = WsSubscriber(b, "ws", [ch], n, epochs={ch: epoch}, seed=1)
            task = asyncio.ensure_future(sub.run(asyncio.get_running_loop().time() + 90))
            await asyncio.wait_for(sub.ready.wait(), 20)
            sent = {}
            for i in range(n):
                if i == n // 3:
                    src = owner()
                    dst = next(m for m in cluster.nodes if m is not src)
                    await asyncio.to_thread(migrate, src, dst, slot, ids)
                r = await asyncio.to_thread(a.publish, ch, {"k": i})
                sent[r["offset"]] = i
            await task
            return sub, {ch: sent}

        sub, sent = asyncio.run(scenario())
        problems = sub.check(sent)
        m = metrics(a)
        print(f"redirects followed by the publishing node: {m['herald_redis_redirects_total']}")
        if m["herald_redis_redirects_total"] < 1:
            problems.append("no MOVED was followed: the slot did not move under the publisher")
        resyncs = metrics(b)["herald_redis_resyncs_total"]
        print(f"resyncs of the watching node: {resyncs}")
        if resyncs < 1:
            problems.append("the watching node never subscribed again on the slot's new master")
        verdict([a, b], problems)


def migrate(src, dst, slot, ids):
    """Moves `slot` and its keys from master `src` to master `dst` (what redis-cli --cluster
    reshard does for one slot)."""
    host, port = dst.address.split(":")
    assert dst.cli("CLUSTER", "SETSLOT", slot, "IMPORTING", ids[src.address]) == "OK"
    assert src.cli("CLUSTER", "SETSLOT", slot, "MIGRATING", ids[dst.address]) == "OK"
    keys = src.cli("CLUSTER", "GETKEYSINSLOT", slot, 1000).split()
    if keys:
        out = src.cli("MIGRATE", host, port, "", 0, 5000, "KEYS", *keys)
        assert out == "OK", out
    for m in (dst, src):
        assert m.cli("CLUSTER", "SETSLOT", slot, "NODE", ids[dst.address]) == "OK"
