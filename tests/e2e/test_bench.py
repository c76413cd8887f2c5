"""herald bench against the real server and against a server that loses messages.

The instrument must be right before its numbers mean anything: a run with a known message count
reports exactly that many deliveries and no loss (exit 0); a server that drops every 10th offset
is reported as losing exactly those (exit 1, loudly). HERALD_BENCH_BIN may name another binary carrying the
`bench` command (default: HERALD_BIN).
"""
import json
import os
import pty
import re
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

from harness import closed_port, herald_bin, herald_server, wait_until
from svg_check import Chart

HERE = os.path.dirname(os.path.abspath(__file__))


def bench_bin():
    return os.environ.get("HERALD_BENCH_BIN") or herald_bin()


def run_bench(args, timeout=120, env=None):
    p = subprocess.run([bench_bin(), "bench"] + args, capture_output=True, text=True,
                       timeout=timeout, env=dict(os.environ, **env) if env else None)
    return p.returncode, p.stdout, p.stderr


def test_known_count_is_delivered_exactly_on_every_transport(tmp_path):
    out = tmp_path / "run.json"
    svg = tmp_path / "run.svg"
    with herald_server() as srv:
        rc, stdout, stderr = run_bench([
            "--url", f"http://127.0.0.1:{srv.port}", "--transport", "ws,sse,longpoll,poll",
            "--subscribers", "20", "--channels", "2", "--messages", "200", "--rate", "400",
            "--poll-interval", "0.1", "--server-pid", str(srv.proc.pid), "--drain", "30", "-q",
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
    chart = Chart(svg)
    assert chart.check_layout() == 4  # a curve per transport, each inside the plot
    chart.check_value_axes(2)  # bytes per delivery, server CPU (sampled: --server-pid)
    assert len(chart.bars) == 8 and "not sampled" not in " ".join(chart.all_text)
    assert "poll every 0.1 s" in chart.settings and "long-poll wait 30 s" in chart.settings
    for t in ("ws", "sse", "longpoll", "poll"):
        assert t in stdout


def test_svg_of_a_push_only_run_without_cpu_samples(tmp_path):
    # No --server-pid: the CPU panel says so instead of drawing "0 ms" bars; ws and sse only:
    # the settings line names no poll settings.
    svg = tmp_path / "push.svg"
    with herald_server() as srv:
        rc, stdout, stderr = run_bench([
            "--url", f"http://127.0.0.1:{srv.port}", "--transport", "ws,sse", "--subscribers",
            "5", "--messages", "50", "--rate", "200", "--drain", "30", "-q", "--svg", str(svg)])
    assert rc == 0, stdout + stderr
    chart = Chart(svg)
    assert chart.check_layout() == 2
    chart.check_value_axes(1)  # bytes only
    assert len(chart.bars) == 2
    shown = " ".join(chart.all_text)
    assert "not sampled" in shown
    assert not re.search(r"\b0 ms\b", shown), shown
    assert "poll" not in chart.settings, chart.settings
    assert "5 subscribers" in chart.settings and "rate 200/s" in chart.settings


@pytest.fixture
def dropping_server():
    # Port 0: the double binds a port the kernel picks and names it ("ready PORT").
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "dropping_server.py"), "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        word, port = proc.stdout.readline().split()
        assert word == "ready"
        yield int(port)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_server_dropping_every_tenth_message_is_reported_as_exactly_that_loss(
        dropping_server, tmp_path):
    # 199 messages: the last offset is delivered, so the drain ends as soon as every
    # subscriber has it (however slow the machine) instead of waiting out --drain for an
    # offset that never comes; the loss is offsets 10, 20, ..., 190.
    out = tmp_path / "drop.json"
    rc, stdout, stderr = run_bench([
        "--url", f"http://127.0.0.1:{dropping_server}", "--transport", "sse,longpoll,poll",
        "--subscribers", "10", "--messages", "199", "--rate", "400", "--poll-interval", "0.1",
        "--drain", "30", "-q", "--json", str(out)])
    assert rc == 1, stdout + stderr
    report = json.loads(out.read_text())
    for r in report["runs"]:
        assert r["published"] == 199
        assert r["expected"] == 1990
        assert r["missing"] == 190, r  # offsets 10, 20, ..., 190 for each of 10 subscribers
        assert r["delivered"] == 1800
        assert r["clean"] is False
    assert "LOSS: sse lost 190 of 1990 expected deliveries (9.55%)" in stderr


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
    assert [r["transport"] for r in report["runs"]] == ["ws", "sse", "longpoll", "poll", "udp"]
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
    # The history size it gave its server is stated (never below the server default).
    assert report["parameters"]["history_size"] >= 100
    assert f"--history-size {report['parameters']['history_size']}" in report["server"]
    assert f"history_size {report['parameters']['history_size']}" in p.stdout
    for r in report["runs"]:
        assert r["clean"] and r["server"] is not None  # its CPU and RSS were sampled


@pytest.mark.skipif(bool(os.environ.get("HERALD_BENCH_BIN")),
                    reason="compare spawns /proc/self/exe: needs the real herald binary")
def test_compare_ticker_starts_its_server_with_enough_history_for_short_polls(tmp_path):
    # ticker: 5,000/s over 5 channels = 1,000 messages per channel per 1 s poll. With the
    # default history of 100 every short poll came back recovered:false (100% loss).
    out = tmp_path / "ticker.json"
    p = subprocess.run([bench_bin(), "bench", "compare", "--preset", "ticker", "--duration", "1",
                        "--subscribers", "10", "--json", str(out), "-q"],
                       capture_output=True, text=True, timeout=180)
    report = json.loads(out.read_text())
    assert report["parameters"]["history_size"] == 2000, p.stdout + p.stderr
    poll = [r for r in report["runs"] if r["transport"] == "poll"][0]
    assert poll["published"] > 0 and poll["missing"] == 0 and poll["unrecovered"] == 0, poll
    assert p.returncode == 0, p.stdout + p.stderr


def test_short_poll_loss_past_the_history_is_counted_and_explained(tmp_path):
    # 400 messages per poll on one channel against the default history of 100: polls answer
    # recovered:false; the client goes on from the returned cursor, and every lost message is
    # one of those it skipped (none lost otherwise), with a note saying why.
    out = tmp_path / "poll.json"
    with herald_server() as srv:
        rc, stdout, stderr = run_bench([
            "--url", f"http://127.0.0.1:{srv.port}", "--transport", "poll", "--subscribers", "5",
            "--rate", "400", "--duration", "3", "--poll-interval", "1", "-q",
            "--json", str(out)])
    assert rc == 1, stdout + stderr
    r = json.loads(out.read_text())["runs"][0]
    assert r["unrecovered"] > 0 and r["unrecovered_messages"] > 0, r
    assert r["missing"] == r["unrecovered_messages"], r
    assert r["requests"] >= 5 * 3  # the cursor advanced: polls went on, every second
    assert "~400 messages reach a channel between two polls" in stdout
    assert "skipped by" in stderr and "recovered:false" in stderr


def test_a_server_that_goes_away_mid_run_ends_it_with_an_error():
    # The run asks for 600 s; the server is killed once publications flow (mid-run by what the
    # server counted, not after a guessed sleep). The bench must end with an error well
    # before the 600 s, and never hang.
    with herald_server() as srv:
        bench = subprocess.Popen([bench_bin(), "bench", "--url", f"http://127.0.0.1:{srv.port}",
                                  "--transport", "ws,sse", "--subscribers", "10", "--rate", "200",
                                  "--duration", "600", "-q"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: bench.poll() is not None or
                       srv.metric("herald_deliveries_total") > 0, what="deliveries to the bench")
            assert bench.poll() is None, bench.communicate()
            srv.kill()
            stdout, stderr = bench.communicate(timeout=120)
        finally:
            if bench.poll() is None:
                bench.kill()
                bench.wait()
    assert bench.returncode == 2, stdout + stderr
    assert "went away during the ws run" in stderr, stderr
    assert "Sanitizer" not in stderr


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2 or 1 not in os.sched_getaffinity(0),
                    reason="needs CPU 1")
def test_loops_are_pinned_within_the_allowed_cpus(tmp_path):
    # Under `taskset -c 1` the one client loop must run on CPU 1, not on CPU 0 (where a
    # benchmark pins the server).
    out = tmp_path / "pin.json"
    with herald_server() as srv:
        p = subprocess.run(["taskset", "-c", "1", bench_bin(), "bench", "--url",
                            f"http://127.0.0.1:{srv.port}", "--threads", "1", "--subscribers",
                            "2", "--messages", "20", "--rate", "100", "-q", "--json", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(out.read_text())["runs"][0]["loop_cpus"] == [1]


def test_ws_echo_round_trips(tmp_path):
    out = tmp_path / "echo.json"
    with herald_server("--debug-echo") as srv:
        rc, stdout, stderr = run_bench([
            "--target", "ws-echo", "--url", f"http://127.0.0.1:{srv.port}/ws/echo",
            "--subscribers", "10", "--duration", "1", "-q", "--json", str(out)])
    assert rc == 0, stdout + stderr
    r = json.loads(out.read_text())["runs"][0]
    assert r["transport"] == "echo" and r["ready"] == 10
    # Round trips went on (how many a busy machine allows in 1 s is not this test's business).
    assert r["round_trips"] >= 10 and r["latency_ns"]["count"] == r["round_trips"]


def test_bad_options_and_unreachable_server_exit_2():
    rc, _, err = run_bench(["--target", "bogus", "-q"])
    assert rc == 2 and "target" in err
    with closed_port() as port:
        rc, _, _ = run_bench(["--url", f"http://127.0.0.1:{port}", "--messages", "5",
                              "--subscribers", "2", "--connect-timeout", "1", "-q"])
    assert rc == 2


def test_a_dead_url_fails_fast_naming_the_url_and_the_cause():
    # Nothing listens: one line with the URL and the cause, exit 2, no table of zeros, and no
    # waiting out --connect-timeout (600 s here, far beyond the test's own timeout).
    with closed_port() as port:
        url = f"http://127.0.0.1:{port}"
        rc, stdout, stderr = run_bench(["--url", url, "--connect-timeout", "600"], timeout=60)
    assert rc == 2, stdout + stderr
    assert f"herald bench: {url}: connection refused" in stderr, stderr
    assert stdout == ""
    with closed_port() as port:
        url = f"http://127.0.0.1:{port}"
        rc, stdout, stderr = run_bench(["compare", "--url", url], timeout=60)
    assert rc == 2, stdout + stderr
    assert f"herald bench compare: {url}: connection refused" in stderr, stderr
    assert stdout == ""


def test_a_host_that_resets_fails_fast_naming_the_url_and_the_cause():
    # A listener that resets every connection it accepts (SO_LINGER 0, then close).
    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen(16)
        stop = threading.Event()

        def reset_all():
            ls.settimeout(0.2)
            while not stop.is_set():
                try:
                    c, _ = ls.accept()
                except OSError:
                    continue
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()

        t = threading.Thread(target=reset_all)
        t.start()
        try:
            url = f"http://127.0.0.1:{ls.getsockname()[1]}"
            rc, stdout, stderr = run_bench(["--url", url, "--connect-timeout", "600"],
                                           timeout=60)
        finally:
            stop.set()
            t.join()
    assert rc == 2, stdout + stderr
    assert f"herald bench: {url}: connection " in stderr, stderr
    assert "before any answer" in stderr, stderr
    assert stdout == ""


def test_a_terminal_sees_a_live_progress_line_and_a_pipe_does_not():
    args = [bench_bin(), "bench", "--serve", "--subscribers", "2", "--rate", "50", "--duration",
            "2"]
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave, text=True)
        os.close(slave)
        err = b""
        while True:  # read the terminal until the bench closes it (EIO on Linux)
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
        stdout, _ = p.communicate(timeout=120)
    finally:
        os.close(master)
    text = err.decode(errors="replace")
    assert p.returncode == 0, stdout + text
    assert re.search(r"\rbench ws: \d+/2 s, \d+ delivered", text), text
    rc, stdout, stderr = run_bench(args[2:])
    assert rc == 0, stdout + stderr
    assert "\r" not in stderr and "delivered   " not in stderr, stderr


def test_paced_runs_that_fall_behind_the_pace_end_cleanly(tmp_path):
    # A server slower than --rate leaves publishes in flight when publishing ends; the last
    # reply then stopped the pacer while its timer event was still pending in the same loop
    # iteration (a use-after-free: the bench segfaulted in paced runs near saturation).
    # At saturation a poller can fall further behind than the server's history (100 by
    # default): that is a correct, reported outcome (recovered:false, exit 1), so every
    # missing message must be one the server said it skipped; nothing else may be lost,
    # duplicated or reordered.
    out = tmp_path / "paced.json"
    with herald_server() as srv:
        for transport in ("ws", "sse", "longpoll", "ws", "ws"):
            p = subprocess.run([bench_bin(), "bench", "--url", f"http://127.0.0.1:{srv.port}",
                                "--transport", transport, "--subscribers", "20", "--rate",
                                "100000", "--duration", "1", "--drain", "60", "--threads", "1",
                                "-q", "--json", str(out)],
                               capture_output=True, text=True, timeout=300)
            why = f"{transport}: rc {p.returncode}\n{p.stdout}{p.stderr}"
            assert p.returncode in (0, 1), why
            assert "Sanitizer" not in p.stderr, why
            r = json.loads(out.read_text())["runs"][0]
            assert r["ready"] == 20 and r["published"] > 0, why
            assert r["duplicates"] == 0 and r["out_of_order"] == 0, why
            assert r["missing"] == r["unrecovered_messages"], why
            assert (p.returncode == 0) == (r["missing"] == 0), why


def test_compare_with_its_own_defaults_against_a_default_server_is_clean(tmp_path):
    # The fair defaults: 100 publishes/s on one channel, and a short-poll interval sized so one
    # poll's messages fit in half of the (assumed default) history of 100: 0.5 s. Before, 1,000/s
    # with 1 s polls overran that history and compare exited 1 with half a million "lost".
    out = tmp_path / "fair.json"
    with herald_server() as srv:
        p = subprocess.run([bench_bin(), "bench", "compare", "--url",
                            f"http://127.0.0.1:{srv.port}", "--duration", "1", "-q",
                            "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    report = json.loads(out.read_text())
    params = report["parameters"]
    assert params["rate"] == 100 and params["history_size"] is None
    assert params["poll_interval"] == 0.5 and params["poll_interval_auto"] is True
    assert "poll interval 0.5 s (auto: fits half the history)" in p.stdout
    # Nothing is lost but what a busy machine may make a subscriber fall behind by (a limit,
    # said as one): no transport is unclean, and the run does not fail.
    for r in report["runs"]:
        assert r["verdict"] in ("ok", "limit") and r["duplicates"] == 0, r


def test_a_transport_that_cannot_keep_up_is_a_measured_limit_with_its_arithmetic(tmp_path):
    # 1,000 messages per 1 s poll against a default history of 100: the poller cannot keep up.
    # compare says so as a result (LIMIT, with the arithmetic and what would keep up) and
    # does not fail the run; the other transports are unaffected.
    out = tmp_path / "limit.json"
    with herald_server() as srv:
        p = subprocess.run([bench_bin(), "bench", "compare", "--url",
                            f"http://127.0.0.1:{srv.port}", "--duration", "2", "--rate", "1000",
                            "--poll-interval", "1", "--subscribers", "5", "-q",
                            "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    runs = {r["transport"]: r for r in json.loads(out.read_text())["runs"]}
    poll = runs.pop("poll")
    assert poll["verdict"] == "limit" and poll["missing"] == poll["unrecovered_messages"] > 0
    assert ("1000/s over 1 channel(s) x (1 s interval) = ~1000 messages per channel per poll "
            "against a history of 100 (assumed)") in poll["limit"]
    assert "Keeps up with --poll-interval <= 0.05 s or --history-size >= 2000" in poll["limit"]
    assert "LIMIT poll:" in p.stdout
    # The others may fall behind a history of 100 messages (0.1 s here) on a busy machine: that
    # is a limit too, never a failure; nothing is unclean.
    assert all(r["verdict"] in ("ok", "limit") for r in runs.values()), runs


TOKEN_SECRET = "a-bench-test-secret-of-at-least-32-bytes!"


def test_a_token_opens_every_transport_and_without_one_the_refusal_is_named(tmp_path):
    """Against a server whose channels only a token's grant opens (as any server reached from
    another host): `herald bench --token` (or $HERALD_TOKEN), with a token minted by PyJWT,
    subscribes on every transport and publishes within the token's grants; without a token the
    run ends with the server's 403, exit 2."""
    import jwt  # PyJWT: the token comes from an outside minter
    secret = tmp_path / "secret"
    secret.write_text(TOKEN_SECRET + "\n")
    tok = jwt.encode({"sub": "bencher", "channels": ["chat:*"], "publish": ["chat:*"],
                      "exp": int(time.time()) + 3600}, TOKEN_SECRET, algorithm="HS256")
    with herald_server(config=f'[auth]\nhmac_secret_file = "{secret}"\n') as srv:
        common = ["--url", f"http://127.0.0.1:{srv.port}", "--subscribers", "4",
                  "--messages", "20", "--rate", "100", "--channel-prefix", "chat:bench",
                  "--poll-interval", "0.1", "--drain", "30", "-q"]
        rc, stdout, stderr = run_bench(common + ["--transport", "ws"])
        assert rc == 2, stdout + stderr
        assert "403" in stderr and "permission denied" in stderr, stderr
        for how in ("option", "env"):
            out = tmp_path / f"{how}.json"
            args = common + ["--transport", "ws,sse,longpoll,poll,udp", "--json", str(out)]
            if how == "option":
                rc, stdout, stderr = run_bench(args + ["--token", tok])
            else:
                rc, stdout, stderr = run_bench(args, env={"HERALD_TOKEN": tok})
            assert rc == 0, (how, stdout + stderr)
            runs = json.loads(out.read_text())["runs"]
            assert [r["transport"] for r in runs] == ["ws", "sse", "longpoll", "poll", "udp"]
            for r in runs:
                assert r["published"] == 20 and r["delivered"] == 80, (how, r)
                assert r["missing"] == 0 and r["duplicates"] == 0, (how, r)
    rc, stdout, stderr = run_bench(["--url", "http://127.0.0.1:1", "--token", "two words"])
    assert rc == 2 and "--token and --api-key must be one word" in stderr, stderr
