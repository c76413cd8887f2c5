"""herald's own UDP client against the real server: `herald bench --transport udp` and
`herald sub --transport udp` (tools/bench/udp_sub.cpp, tools/cli/udp_client.cpp, both driving
udp_codec::ClientSession; docs/protocol.md "UDP datagrams").

What a user sees is checked, never a speed: every published message reaches every subscriber
exactly once (the bench's verdict), announced publications are fetched over HTTP, the lease
outlives silence, and in the network lab a lossy link is repaired by resends.
"""
import json
import os
import re
import shlex
import subprocess
import time

from harness import ROOT, herald_bin, herald_server
from test_netlab import needs_lab

ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1")


def bench(args, timeout=300):
    return subprocess.run([herald_bin(), "bench"] + args, capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def publish(srv, channel, data):
    status, _, body = srv.request("POST", "/api/publish",
                                  json.dumps({"channel": channel, "data": data}))
    assert status == 200, body
    return json.loads(body)


def test_bench_over_udp_delivers_every_message_exactly_once(tmp_path):
    out = tmp_path / "udp.json"
    with herald_server() as srv:
        p = bench(["--url", srv.url(""), "--transport", "udp,ws", "--subscribers", "20",
                   "--channels", "2", "--messages", "200", "--rate", "400", "--server-pid",
                   str(srv.proc.pid), "--connect-timeout", "60", "--drain", "30", "-q",
                   "--json", str(out)])
    assert p.returncode == 0, p.stdout + p.stderr
    report = json.loads(out.read_text())
    assert report["parameters"]["transports"] == ["udp", "ws"]
    udp = report["runs"][0]
    assert udp["transport"] == "udp" and udp["verdict"] == "ok" and udp["ordered"] is False
    # 20 subscribers on 2 channels, 100 publishes per channel: 10 x 100 x 2.
    assert udp["published"] == 200
    assert udp["expected"] == 2000 and udp["delivered"] == 2000, udp
    assert udp["missing"] == 0 and udp["duplicates"] == 0, udp
    assert udp["latency_ns"]["count"] == 2000 and udp["latency_ns"]["p50"] > 0
    figures = udp["udp"]
    # At least one pub datagram per delivery came in (more when gaps were asked for again).
    assert figures["datagrams_in"] >= 2000, figures
    assert udp["bytes"]["subscriber_in"] > 2000 * 100
    assert figures["fetched_over_http"] == 0 and udp["requests"] == 0
    assert report["runs"][1]["udp"] is None and report["runs"][1]["ordered"] is True
    assert "udp:" in p.stdout and "gap fills" in p.stdout


def test_bench_fetches_publications_too_large_for_a_datagram_over_http(tmp_path):
    out = tmp_path / "big.json"
    with herald_server() as srv:
        # 1,500-byte payloads: every pub would exceed udp.max_datagram (1,200), so each is
        # announced and fetched with GET /poll.
        p = bench(["--url", srv.url(""), "--transport", "udp", "--subscribers", "5",
                   "--messages", "50", "--rate", "100", "--payload", "1500",
                   "--connect-timeout", "60", "--drain", "30", "-q", "--json", str(out)])
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.loads(out.read_text())["runs"][0]
    assert r["verdict"] == "ok" and r["delivered"] == r["expected"] == 250, r
    assert r["udp"]["fetched_over_http"] == 250, r["udp"]
    assert 0 < r["requests"] <= 250


def test_bench_udp_is_refused_where_it_cannot_run():
    p = bench(["--url", "https://127.0.0.1:1", "--transport", "udp", "--messages", "1"])
    assert p.returncode == 2 and "plain" in p.stderr, p.stderr
    p = bench(["--url", "http://127.0.0.1:1", "--target", "nchan", "--transport", "udp",
               "--messages", "1"])
    assert p.returncode == 2 and "UDP" in p.stderr, p.stderr


def test_sub_over_udp_prints_publications_and_fetches_a_large_one():
    with herald_server() as srv:
        p = subprocess.Popen([herald_bin(), "sub", "--url", srv.url(""), "--transport", "udp",
                              "--count", "3", "--timeout", "60", "public:a", "public:b"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        try:
            # One subscribed line per channel, then nothing published afterwards is missed.
            subscribed = [json.loads(p.stdout.readline()) for _ in range(2)]
            assert sorted(s["channel"] for s in subscribed) == ["public:a", "public:b"]
            assert all(s["event"] == "subscribed" and ":" in s["cursor"] for s in subscribed)
            publish(srv, "public:a", {"n": 1})
            big = "x" * 1500  # announced, then fetched over HTTP
            publish(srv, "public:b", big)
            publish(srv, "public:a", {"n": 2})
            out, err = p.communicate(timeout=90)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert p.returncode == 0, err
    got = [json.loads(line) for line in out.splitlines() if line.strip()]
    by_channel = {}
    for g in got:
        assert "event" not in g, g
        by_channel.setdefault(g["channel"], []).append((g["offset"], g["data"]))
    assert by_channel == {"public:a": [(1, {"n": 1}), (2, {"n": 2})], "public:b": [(1, big)]}


def test_sub_over_udp_keeps_its_lease_through_silence():
    # A lease of 300 ms and a second of silence: keepalives (or, on a stalled machine, a new
    # lease with the cursor) keep the subscription, and the publication after it arrives.
    with herald_server(config="[udp]\nlease_ms = 300\n") as srv:
        p = subprocess.Popen([herald_bin(), "sub", "--url", srv.url(""), "--transport", "udp",
                              "--count", "1", "--timeout", "60", "public:quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        try:
            assert json.loads(p.stdout.readline())["event"] == "subscribed"
            time.sleep(1)
            publish(srv, "public:quiet", "still here")
            out, err = p.communicate(timeout=90)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert p.returncode == 0, err
    pushes = [json.loads(l) for l in out.splitlines() if l.strip() and '"event"' not in l]
    assert [g["data"] for g in pushes] == ["still here"]


@needs_lab
def test_bench_over_udp_repairs_a_lossy_link_exactly_once(tmp_path):
    out = tmp_path / "lab.json"
    # The command docs/netlab.md shows, with generous bounds for a busy machine.
    with open(os.path.join(ROOT, "docs", "netlab.md")) as f:
        documented = [l for l in f.read().splitlines()
                      if l.startswith("herald bench --netem") and "--transport udp " in l]
    assert len(documented) == 1, documented
    args = shlex.split(documented[0])[2:]
    assert "loss=10" in documented[0] and "--messages" in args
    p = bench(args + ["--connect-timeout", "60", "--drain", "120", "-q", "--json", str(out)])
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.loads(out.read_text())["runs"][0]
    assert r["verdict"] == "ok" and r["delivered"] == r["expected"] == 500, r
    assert r["missing"] == 0 and r["duplicates"] == 0
    link = r["link"]
    assert link["to_clients"]["lost"] > 0, link  # the relay did drop datagrams
    # ... and the client asked for them again: resends (or tail probes) filled the gaps.
    assert r["udp"]["gap_fills"] > 0 and r["udp"]["resend_requests"] > 0, r["udp"]


def cli_examples():
    """The `cli-example` blocks of docs/protocol.md: (command, publishes, expected lines)."""
    with open(os.path.join(ROOT, "docs", "protocol.md")) as f:
        text = f.read()
    blocks = re.findall(r"```cli-example\n(.*?)```", text, re.S)
    assert blocks, "docs/protocol.md has no cli-example block"
    for block in blocks:
        lines = [expand(l) for l in block.strip().splitlines()]
        assert lines[0].startswith("$ herald "), lines[0]
        cmd = shlex.split(lines[0][2:])
        pubs = [l[len("! publish "):].split(" ", 1) for l in lines[1:] if l.startswith("! ")]
        expected = [l for l in lines[1:] if not l.startswith("! ")]
        yield cmd, pubs, expected


def expand(line):
    return re.sub(r"<repeat (\d+) (\w)>", lambda m: m.group(2) * int(m.group(1)), line)


def test_the_documented_client_examples_run():
    for cmd, pubs, expected in cli_examples():
        with herald_server() as srv:
            argv = [herald_bin()] + cmd[1:] + ["--url", srv.url("")]
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=ENV)
            try:
                out = []
                if pubs:
                    out.append(p.stdout.readline())  # subscribed: nothing after it is missed
                    for channel, data in pubs:
                        publish(srv, channel, json.loads(data))
                rest, err = p.communicate(timeout=300)
                out += rest.splitlines()
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            assert p.returncode == 0, (cmd, err)
            if not expected:
                continue
            got = [l.rstrip("\n") for l in out if l.strip()]
            epoch = None
            assert len(got) == len(expected), (got, expected)
            for g, e in zip(got, expected):
                if "<epoch>" in e:
                    m = re.search(r'"cursor":"([^":]+):', g)
                    assert m, g
                    epoch = epoch or m.group(1)
                    e = e.replace("<epoch>", epoch)
                assert json.loads(g) == json.loads(e), (g, e)
