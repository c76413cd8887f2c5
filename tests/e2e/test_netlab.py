"""herald bench in the network lab: real namespaces, TUN devices and the impairing relay.

The lab needs root (or CAP_SYS_ADMIN + CAP_NET_ADMIN) and /dev/net/tun; without them these tests
skip, saying why (CI runs as root, so they run there). Nothing here asserts a speed: with loss,
the relay drops packets, TCP retransmits them, and every transport still delivers every message
exactly once; the figures are reported, whatever they are.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from harness import herald_bin, herald_server
from svg_check import Chart


def lab_unavailable():
    if os.geteuid() != 0:
        return "not root: the lab needs CAP_SYS_ADMIN and CAP_NET_ADMIN"
    try:
        os.close(os.open("/dev/net/tun", os.O_RDWR))
    except OSError as e:
        return f"/dev/net/tun does not open: {e}"
    return None


needs_lab = pytest.mark.skipif(lab_unavailable() is not None,
                               reason=f"the network lab cannot run here: {lab_unavailable()}")


def bench(args, timeout=300, **kw):
    return subprocess.run([herald_bin(), "bench"] + args, capture_output=True, text=True,
                          timeout=timeout, **kw)


@needs_lab
def test_a_lossy_link_drops_packets_and_every_transport_still_delivers_exactly_once(tmp_path):
    out, svg = tmp_path / "lab.json", tmp_path / "lab.svg"
    # Generous connect and drain bounds: at 10% loss a SYN or a segment may wait for several
    # doubling retransmission timers; the run ends as soon as everyone caught up.
    p = bench(["--netem", "delay=5,loss=10", "--seed", "7", "--transport",
               "ws,sse,longpoll,poll", "--subscribers", "5", "--messages", "100", "--rate", "50",
               "--poll-interval", "0.2", "--connect-timeout", "60", "--drain", "120", "-q",
               "--json", str(out), "--svg", str(svg)])
    assert p.returncode == 0, p.stdout + p.stderr
    report = json.loads(out.read_text())
    assert report["parameters"]["netem"] == "delay=5,loss=10"
    assert report["parameters"]["seed"] == 7
    lab = report["lab"]
    assert lab["condition"] == {"delay_ms": 5, "jitter_ms": 0, "loss_pct": 10, "rate_kbps": 0}
    cal = lab["calibration"]
    assert cal["relay_answered"] == cal["rounds"] and cal["relay_rtt_ns"]["p50"] > 0
    assert report["server"].startswith("spawned in the lab:")
    retransmitted = 0
    for r in report["runs"]:
        # 5 subscribers x 100 messages, each exactly once, in order.
        assert r["published"] == 100, r
        assert r["expected"] == 500 and r["delivered"] == 500, r
        assert r["missing"] == 0 and r["duplicates"] == 0 and r["out_of_order"] == 0, r
        assert r["verdict"] == "ok"
        link = r["link"]
        # The relay did drop packets of this transport's connections (10% each way).
        assert link["to_clients"]["lost"] + link["to_server"]["lost"] > 0, link
        assert link["to_clients"]["tcp_packets"] > 0 and link["to_server"]["tcp_packets"] > 0
        assert link["to_clients"]["delivered_packets"] > 0
        assert link["relay_cpu_seconds"] >= 0 and link["window_seconds"] > 0
        retransmitted += link["server_tcp"]["retrans_segs"] + link["client_tcp"]["retrans_segs"]
        # Latency figures are reported (their values are the machine's business).
        lat = r["latency_ns"]
        assert lat["count"] == 500 and 0 < lat["p50"] <= lat["p99"] <= lat["max"]
    # What TCP did about it: the kernel's own retransmissions, counted in the namespaces.
    assert retransmitted > 0
    # Publishers sit beside the server: only subscriber connections cross the relay, so the
    # packets towards the clients carry at least every delivery's payload.
    assert all(r["link"]["to_clients"]["delivered_bytes"] > 500 * 100 for r in report["runs"])
    for words in ("lab: condition delay=5,loss=10", "the relay itself", "rtx srv", "deliv/pkt"):
        assert words in p.stdout, p.stdout
    chart = Chart(svg)
    assert chart.check_layout() == 4
    chart.check_value_axes(2)
    assert "link delay=5,loss=10" in chart.settings and "poll every 0.2 s" in chart.settings


@needs_lab
def test_the_lossy_preset_runs_the_matrix_with_a_panel_per_condition(tmp_path):
    out, svg = tmp_path / "lossy.json", tmp_path / "lossy.svg"
    p = bench(["compare", "--preset", "lossy", "--duration", "1", "--subscribers", "3",
               "--rate", "20", "--seed", "3", "-q", "--json", str(out), "--svg", str(svg)],
              timeout=500)
    assert p.returncode == 0, p.stdout + p.stderr
    report = json.loads(out.read_text())
    assert report["preset"] == "lossy"
    names = [c["name"] for c in report["conditions"]]
    assert names == ["clean", "loss-1", "loss-5"]
    for c in report["conditions"]:
        runs = c["report"]["runs"]
        assert [r["transport"] for r in runs] == ["ws", "sse", "longpoll", "poll", "udp"]
        assert c["report"]["lab"]["netem"] == c["netem"]
        for r in runs:
            assert r["verdict"] == "ok" and r["missing"] == 0 and r["duplicates"] == 0, r
            assert r["link"]["to_clients"]["packets"] > 0
    clean = report["conditions"][0]["report"]["runs"]
    assert all(r["link"]["to_clients"]["lost"] == 0 for r in clean)
    for cond in names:
        assert f"=== condition {cond}" in p.stdout
    assert "Matrix: publish -> deliver p50 / p99 / max" in p.stdout
    text = svg.read_text()
    # One CDF per transport in each of the three panels, axes with units, one legend.
    assert text.count("<polyline") == 15
    assert "publish -&gt; deliver latency (log scale)" in text and "ms (log scale)" in text
    for cond in names:
        assert f">{cond}</text>" in text
    chart = Chart(svg)
    assert chart.check_layout() == 15  # the legend's band touches none of the three panels
    chart.check_value_axes(3)  # p99 (log), wire bytes, retransmissions
    # 3 charts x 3 conditions x 5 transports
    assert len(chart.bars) == 45 and "poll interval" in chart.settings


def lab_namespaces_of(pid):
    """The network namespaces of the bench's threads and children (inode strings)."""
    found = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            found.add(os.readlink(f"/proc/{pid}/task/{task}/ns/net"))
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    found.add(os.readlink(f"/proc/{child}/ns/net"))
        except OSError:
            pass
    return found - {os.readlink("/proc/self/ns/net")}


def holders(ns):
    """Processes (any thread) whose network namespace is `ns`."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                if os.readlink(f"/proc/{pid}/task/{task}/ns/net") == ns:
                    pids.append(int(pid))
                    break
        except OSError:
            pass
    return pids


@needs_lab
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_a_bench_interrupted_or_killed_leaves_no_namespace_and_no_server_behind(sig):
    proc = subprocess.Popen([herald_bin(), "bench", "--netem", "delay=5", "--transport", "ws",
                             "--subscribers", "3", "--rate", "20", "--duration", "120", "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # Both ends exist once the main thread stepped into the client namespace and the
        # server runs in the other one.
        deadline = time.time() + 60
        namespaces = set()
        while len(namespaces) < 2:
            assert proc.poll() is None and time.time() < deadline, proc.stderr.read()
            time.sleep(0.1)
            namespaces = lab_namespaces_of(proc.pid)
        proc.send_signal(sig)
        proc.wait(timeout=60)
        # The server got SIGTERM from the kernel when the bench died (PR_SET_PDEATHSIG) and
        # drains; then nothing holds the namespaces and the kernel frees them.
        deadline = time.time() + 60
        while any(holders(ns) for ns in namespaces):
            assert time.time() < deadline, {ns: holders(ns) for ns in namespaces}
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_without_the_rights_the_lab_says_why_and_what_to_do_instead():
    if os.geteuid() != 0:
        p = bench(["--netem", "delay=5", "--messages", "5", "-q"], timeout=60)
    else:
        # Drop to nobody: no capabilities, and /dev/net/tun (root-only here) does not open.
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            herald_bin(), "bench", "--netem", "delay=5", "--messages", "5",
                            "-q"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "the network lab cannot be built here" in p.stderr
    assert "unshare --user --map-root-user --net" in p.stderr and "docs/netlab.md" in p.stderr


@needs_lab
def test_the_documented_unprivileged_fallback_runs_the_lab_in_a_user_namespace():
    # The fallback of docs/netlab.md: an unprivileged user in a user namespace of its own, where
    # /dev/net/tun is open to every user (as on most distributions). Here the node is root-only,
    # so a private mount namespace gets a world-accessible node of its own; nothing on the host
    # changes.
    if int(open("/proc/sys/user/max_user_namespaces").read()) == 0:
        pytest.skip("user namespaces are disabled on this kernel")
    # pytest's tmp_path sits under a root-only directory: nobody writes its JSON here instead.
    outdir = tempfile.mkdtemp(prefix="herald-userns-")
    os.chmod(outdir, 0o777)
    out = os.path.join(outdir, "userns.json")
    script = (
        "mount --make-rprivate / && mount -t tmpfs tmpfs /dev/net && "
        "mknod -m 0666 /dev/net/tun c 10 200 && "
        "exec setpriv --reuid=65534 --regid=65534 --clear-groups "
        "unshare --user --map-root-user --net "
        f"{herald_bin()} bench --netem delay=5,loss=2 --transport ws,sse --subscribers 3 "
        f"--messages 20 --rate 20 --connect-timeout 60 --drain 60 -q --json {out}")
    try:
        p = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                           timeout=300)
        assert p.returncode == 0, p.stdout + p.stderr
        with open(out) as f:
            report = json.load(f)
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
    assert report["lab"]["relay_realtime"] is False  # no right to SCHED_FIFO there: said so
    for r in report["runs"]:
        assert r["delivered"] == r["expected"] == 60 and r["verdict"] == "ok", r
    assert "at normal priority" in p.stdout


def test_netem_with_a_url_or_a_bad_condition_is_refused():
    p = bench(["--netem", "delay=5", "--url", "http://127.0.0.1:1", "-q"], timeout=60)
    assert p.returncode == 2 and "leave out --url" in p.stderr
    p = bench(["--netem", "delay=5,wobble=3", "-q"], timeout=60)
    assert p.returncode == 2 and "unknown key 'wobble'" in p.stderr
    p = bench(["compare", "--preset", "lossy", "--netem", "loss=1", "-q"], timeout=60)
    assert p.returncode == 2 and "leave out --netem" in p.stderr
    p = bench(["--preset", "mobile", "-q"], timeout=60)
    assert p.returncode == 2 and "herald bench compare --preset mobile" in p.stderr


@needs_lab
def test_advise_measures_every_transport_and_recommends_one_with_its_figures(tmp_path):
    out = tmp_path / "advise.json"
    p = bench(["advise", "--rtt", "40ms", "--loss", "1%", "--rate", "10/s", "--subscribers", "5",
               "--duration", "1", "-q", "--json", str(out)])
    assert p.returncode == 0, p.stdout + p.stderr
    report = json.loads(out.read_text())
    assert report["lab"]["condition"]["delay_ms"] == 20 and report["lab"]["condition"]["loss_pct"] == 1
    assert [r["transport"] for r in report["runs"]] == ["ws", "sse", "longpoll", "poll"]
    advice = report["advice"]
    assert advice["transport"] in ("ws", "sse", "longpoll", "poll")
    assert len(advice["ruled_out"]) == 3 and "p99" in advice["reasons"][0]
    assert f"  use {advice['transport']}" in p.stdout
    assert "Advice for 5 browser subscriber(s), 10 messages/s, round trip 40 ms, loss 1% each way" \
        in p.stdout
    # Behind buffering proxies only the pull transports are candidates.
    p = bench(["advise", "--rtt", "10", "--rate", "10", "--subscribers", "3", "--duration", "1",
               "--proxies", "-q", "--json", str(out)])
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(out.read_text())["advice"]["transport"] in ("longpoll", "poll")


@needs_lab
def test_compare_under_one_condition_prints_the_decision_table_with_the_link(tmp_path):
    out = tmp_path / "one.json"
    p = bench(["compare", "--netem", "delay=20,jitter=5,rate=2000", "--duration", "1",
               "--subscribers", "3", "--rate", "20", "-q", "--json", str(out)])
    assert p.returncode == 0, p.stdout + p.stderr
    report = json.loads(out.read_text())
    assert report["compare"] is True and report["lab"]["netem"] == "delay=20,jitter=5,rate=2000"
    assert [r["transport"] for r in report["runs"]] == ["ws", "sse", "longpoll", "poll", "udp"]
    assert all(r["verdict"] == "ok" and r["link"]["to_clients"]["packets"] > 0
               for r in report["runs"])
    assert "Decision table" in p.stdout and "lab: condition delay=20,jitter=5,rate=2000" in p.stdout
