"""Cluster mode (engine.type = redis): two herald nodes on one real redis-server behave as one
server to every client on every transport, with no sticky sessions.

10,000 publishes on 20 channels go through both nodes' APIs at full speed. WebSocket
subscribers start on node 1, SSE and poll subscribers on node 2; the roaming ones drop their
connection mid-stream (WebSocket and SSE twice, polls once) and come back on the *other* node
with their cursor (an SSE
reconnect with Last-Event-ID, a poll with a cursor node 1 issued, a WebSocket subscribe with
`since`). Every subscriber must end with exactly offsets 1..N of each channel, in order, each
once, with the data published at that offset.

Run: HERALD_BIN=build/asan/herald /usr/bin/python3 -m pytest -q -s tests/e2e/test_cluster_delivery.py
"""
import asyncio

from cluster.redis import herald_nodes, metrics, redis_server
from cluster.scenario import (RoamingPoll, RoamingSse, RoamingWs, drops, early_drop, run,
                              seed_for, start_cursor, verdict)
from recovery.clients import PollSubscriber, SseSubscriber, WsSubscriber


def test_two_nodes_every_transport_10000_publishes_on_20_channels():
    seed = seed_for("two nodes")
    per = 500
    chans = [f"public:c{i}" for i in range(20)]

    with redis_server() as redis, herald_nodes(2, [redis.address]) as (n1, n2):

        async def make(epochs, rng, published):
            total = per * len(chans)
            # The poll cursors come from node 1; the polls ask node 2 first.
            cursor_all = await start_cursor(n1, chans)
            cursor_five = await start_cursor(n1, chans[5:10])
            return [
                RoamingWs(n1, "ws-roam", chans, per, epochs=epochs, seed=rng.random(),
                          disconnect_at=drops(rng, total)).roam([n1, n2]),
                WsSubscriber(n1, "ws-steady", chans[:10], per, epochs=epochs, seed=rng.random()),
                RoamingSse(n2, "sse-roam", chans, per, seed=rng.random(),
                           disconnect_at=drops(rng, total)).roam([n2, n1]),
                SseSubscriber(n2, "sse-one-steady", chans[3:4], per,
                              since=f"{epochs[chans[3]]}:0", seed=rng.random()),
                RoamingPoll(n2, "longpoll-roam", chans, per, cursor=cursor_all, wait=5,
                            seed=rng.random(),
                            disconnect_at=early_drop(rng, total)).roam([n2, n1]),
                RoamingPoll(n2, "shortpoll-roam", chans[5:10], per, cursor=cursor_five, wait=0,
                            seed=rng.random(),
                            disconnect_at=early_drop(rng, per * 5)).roam([n2, n1]),
                PollSubscriber(n2, "longpoll-steady", chans[10:], per,
                               cursor=await start_cursor(n1, chans[10:]), wait=5,
                               seed=rng.random()),
            ]

        problems, pub, subs = asyncio.run(run([n1, n2], chans, per, make, seed))
        for s in subs:
            want = 1 if s.transport.endswith("poll") else 2
            if hasattr(s, "hops") and s.hops < want:
                problems.append(f"{s.name}: moved to another node {s.hops} times, not {want}")
        for n in (n1, n2):
            m = metrics(n)
            if m.get("herald_redis_publish_failures_total") != 0:
                problems.append(f"node {n.port}: publish failures {m}")
            if m.get("herald_redis_stream_resets_total") != 0:
                problems.append(f"node {n.port}: a stream reset without a reason")
            if m.get("herald_engine_ready") != 1:
                problems.append(f"node {n.port}: engine not ready")
        verdict([n1, n2], problems)


def test_history_and_cursors_are_the_same_on_every_node():
    """The HTTP API's history, a cursor's recovery, and an epoch: one answer from any node."""
    with redis_server() as redis, herald_nodes(2, [redis.address]) as (n1, n2):
        first = n1.publish("public:h", {"n": 1})
        second = n2.publish("public:h", {"n": 2})
        assert (first["offset"], second["offset"]) == (1, 2)
        assert first["epoch"] == second["epoch"]
        e = first["epoch"]
        for n in (n1, n2):
            status, _, body = n.request("GET", f"/api/history?channel=public:h&since={e}:0")
            assert status == 200, body
            assert body == (b'{"publications":[{"offset":1,"data":{"n":1}},'
                            b'{"offset":2,"data":{"n":2}}],"cursor":"%s:2","recovered":true}'
                            % e.encode())
        status, _, body = n2.request("GET", f"/poll?channel=public:h&since={e}:1&wait=0")
        assert status == 200 and b'"offset":2' in body and b'"offset":1' not in body, body
        # The keys live in Redis, under the channel's hash tag.
        assert redis.cli("HGET", "herald:{public:h}:m", "e") == e
        assert redis.cli("XLEN", "herald:{public:h}:s") == "2"


def test_bench_across_nodes_subscribers_on_one_publisher_on_the_other(tmp_path):
    """`herald bench --publish-url` (what bench/cluster measures): subscribers on node 1, the
    publisher on node 2; the bench checks every delivery (count, order, no duplicate)."""
    import json
    import subprocess

    from harness import herald_bin
    out = tmp_path / "run.json"
    with redis_server() as redis, herald_nodes(2, [redis.address]) as (n1, n2):
        p = subprocess.run([herald_bin(), "bench", "--url", f"http://127.0.0.1:{n1.port}",
                            "--publish-url", f"http://127.0.0.1:{n2.port}",
                            "--transport", "ws,sse", "--subscribers", "20", "--channels", "2",
                            "--messages", "300", "--rate", "300", "-q", "--json", str(out)],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        report = json.loads(out.read_text())
        assert report["parameters"]["publish_url"] == f"http://127.0.0.1:{n2.port}"
        for r in report["runs"]:
            assert r["published"] == 300 and r["delivered"] == r["expected"] == 3000, r
            assert r["missing"] == 0 and r["duplicates"] == 0 and r["out_of_order"] == 0, r
        # The publishes went through node 2 only.
        assert metrics(n2)["herald_publications_total"] == 600
        assert metrics(n1)["herald_publications_total"] == 0


def test_config_examples_of_the_cluster_docs_are_accepted(tmp_path):
    """The TOML examples of docs/scaling.md and docs/configuration.md pass check-config."""
    import os
    import re
    import subprocess

    from harness import ROOT, herald_bin
    blocks = []
    for doc in ("docs/scaling.md", "docs/configuration.md"):
        text = open(os.path.join(ROOT, doc)).read()
        blocks += [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if "[redis]" in b]
    assert len(blocks) >= 2, "the cluster docs lost their config examples"
    for i, block in enumerate(blocks):
        path = tmp_path / f"example{i}.toml"
        path.write_text(block)
        r = subprocess.run([herald_bin(), "check-config", str(path)], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, block + r.stdout + r.stderr
