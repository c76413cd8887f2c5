"""herald bench against the real server and against a server that loses messages.

The instrument must be right before its numbers mean anything: a run with a known message count
reports exactly that many deliveries and no loss (exit 0); a server that drops every 10th offset
is reported as losing 10% (exit 1, loudly). HERALD_BENCH_BIN may name another binary carrying the
`bench` command (default: HERALD_BIN).
"""
import json
import os
import subprocess
import sys
import time

import pytest

from harness import free_port, herald_bin, herald_server

HERE = os.path.dirname(os.path.abspath(__file__))


def bench_bin():
    return os.environ.get("HERALD_BENCH_BIN") or herald_bin()


def run_bench(args, timeout=120):
    p = subprocess.run([bench_bin(), "bench"] + args, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def test_known_count_is_delivered_exactly_on_every_transport(tmp_path):
    out = tmp_path / "run.json"
    svg = tmp_path / "run.svg"
    with herald_server() as srv:
        rc, stdout, stderr = run_bench([
            "--url", f"http://127.0.0.1:{srv.port}", "--transport", "ws,sse,longpoll,poll",
            "--subscribers", "20", "--channels", "2", "--messages", "200", "--rate", "400",
            "--poll-interval", "0.1", "--server-pid", str(srv.proc.pid), "-q",
            "--json", str(out), "--svg", str(svg)])
    assert rc == 0, stdout + stderr
    report = json.loads(out.read_text())
    assert report["parameters"]["messages"] == 200
    assert [r["transport"] for r in report["runs"]] == ["ws", "sse", "longpoll", "poll"]
    for r in report["runs"]:
        assert r["published"] == 200, r
        # 20 subscribers on 2 channels, 100 publishes per channel: 10 x 100 x 2.
        assert r["expected"] == 2000 and r["delivered"] == 2000, r
        assert r["missing"] == 0 and r["duplicates"] == 0 and r["out_of_order"] == 0, r
        assert r["latency_ns"]["count"] == 2000
        assert r["latency_ns"]["p50"] > 0
        assert r["bytes"]["subscriber_in"] > 2000 * 100  # at least the payloads came in
        assert r["server"] is not None and r["server"]["rss_end_kb"] > 0
    pull = {r["transport"]: r for r in report["runs"]}
    assert pull["ws"]["requests"] == 0
    assert pull["longpoll"]["requests"] > 0 and pull["poll"]["requests"] > 0
    assert "LOSS" not in stderr
    text = svg.read_text()
    assert text.startswith("<svg") and text.count("<polyline") == 4
    for t in ("ws", "sse", "longpoll", "poll"):
        assert t in stdout


@pytest.fixture
def dropping_server():
    port = free_port()
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "dropping_server.py"),
                             str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_server_dropping_every_tenth_message_is_reported_as_ten_percent_loss(
        dropping_server, tmp_path):
    out = tmp_path / "drop.json"
    rc, stdout, stderr = run_bench([
        "--url", f"http://127.0.0.1:{dropping_server}", "--transport", "sse,longpoll,poll",
        "--subscribers", "10", "--messages", "200", "--rate", "400", "--poll-interval", "0.1",
        "--drain", "2", "-q", "--json", str(out)])
    assert rc == 1, stdout + stderr
    report = json.loads(out.read_text())
    for r in report["runs"]:
        assert r["published"] == 200
        assert r["expected"] == 2000
        assert r["missing"] == 200, r  # offsets 10, 20, ..., 200 for each of 10 subscribers
        assert r["delivered"] == 1800
        assert r["clean"] is False
    assert "LOSS: sse lost 200 of 2000 expected deliveries (10.00%)" in stderr


def test_compare_against_a_running_server_prints_the_decision_table(tmp_path):
    out, svg = tmp_path / "cmp.json", tmp_path / "cmp.svg"
    with herald_server() as srv:
        p = subprocess.run([bench_bin(), "bench", "compare", "--url",
                            f"http://127.0.0.1:{srv.port}", "--duration", "1", "--subscribers",
                            "10", "--rate", "100", "--poll-interval", "0.2", "--json", str(out),
                            "--svg", str(svg), "-q"],
                           capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Decision table" in p.stdout and "poll interval 0.2 s" in p.stdout
    report = json.loads(out.read_text())
    assert report["compare"] is True
    assert [r["transport"] for r in report["runs"]] == ["ws", "sse", "longpoll", "poll"]
    assert all(r["clean"] and r["delivered"] > 0 for r in report["runs"])


@pytest.mark.skipif(bool(os.environ.get("HERALD_BENCH_BIN")),
                    reason="compare spawns /proc/self/exe: needs the real herald binary")
def test_compare_without_url_starts_its_own_server(tmp_path):
    out = tmp_path / "own.json"
    p = subprocess.run([bench_bin(), "bench", "compare", "--duration", "1", "--subscribers", "5",
                        "--rate", "50", "--poll-interval", "0.2", "--json", str(out), "-q"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    report = json.loads(out.read_text())
    assert report["server"].startswith("spawned:")
    for r in report["runs"]:
        assert r["clean"] and r["server"] is not None  # its CPU and RSS were sampled


def test_ws_echo_round_trips(tmp_path):
    out = tmp_path / "echo.json"
    with herald_server("--debug-echo") as srv:
        rc, stdout, stderr = run_bench([
            "--target", "ws-echo", "--url", f"http://127.0.0.1:{srv.port}/ws/echo",
            "--subscribers", "10", "--duration", "1", "-q", "--json", str(out)])
    assert rc == 0, stdout + stderr
    r = json.loads(out.read_text())["runs"][0]
    assert r["transport"] == "echo" and r["ready"] == 10
    assert r["round_trips"] > 100 and r["latency_ns"]["count"] == r["round_trips"]


def test_bad_options_and_unreachable_server_exit_2():
    rc, _, err = run_bench(["--target", "bogus", "-q"])
    assert rc == 2 and "target" in err
    rc, _, _ = run_bench(["--url", f"http://127.0.0.1:{free_port()}", "--messages", "5",
                          "--subscribers", "2", "--connect-timeout", "1", "-q"])
    assert rc == 2


def test_paced_runs_that_fall_behind_the_pace_end_cleanly():
    # A server slower than --rate leaves publishes in flight when publishing ends; the last
    # reply then stopped the pacer while its timer event was still pending in the same loop
    # iteration (a use-after-free: the bench segfaulted in paced runs near saturation).
    with herald_server() as srv:
        for transport in ("ws", "sse", "longpoll", "ws", "ws"):
            p = subprocess.run([bench_bin(), "bench", "--url", f"http://127.0.0.1:{srv.port}",
                                "--transport", transport, "--subscribers", "20", "--rate",
                                "100000", "--duration", "1", "--drain", "10", "--threads", "1",
                                "-q"], capture_output=True, text=True, timeout=120)
            assert p.returncode == 0, f"{transport}: rc {p.returncode}\n{p.stdout}{p.stderr}"
            assert "Sanitizer" not in p.stderr
