"""herald bench --target nchan: the same instrument against Nchan (sequence numbers in the payload
instead of offsets). Skipped when the private Nchan peer cannot run here.

The peer runs with the benchmark's nginx config plus a message buffer as long as the run. With
Nchan's default of 10 messages per channel, a long-poll subscriber that falls more than 10
messages behind (a client descheduled for 50 ms at 200 messages/s) silently skips the oldest:
that is Nchan's behaviour, measured by the benchmarks, but this test is about the instrument's
counting, which must not depend on how busy the machine is.
"""
import json
import os
import socket
import subprocess

import pytest

from harness import ROOT, herald_bin

PEERS = os.path.join(ROOT, "bench", "peers")
COMMON = os.path.join(PEERS, "nginx-common.sh")
pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/lib/nginx/modules/ngx_nchan_module.so") or not os.path.exists(COMMON),
    reason="nginx + libnginx-mod-nchan not installed")
MESSAGES = 100


def peer_dir(tmp_path):
    """A peer directory for nginx-common.sh: bench/peers/nchan's template with a message buffer
    of MESSAGES, beside a link to bench/lib (the script finds it at PEER_DIR/../../lib)."""
    root = tmp_path / "bench"
    peer = root / "peers" / "nchan"
    peer.mkdir(parents=True)
    os.symlink(os.path.join(ROOT, "bench", "lib"), root / "lib")
    with open(os.path.join(PEERS, "nchan", "nginx.conf.in")) as f:
        conf = f.read()
    assert conf.count("nchan_publisher;") == 1, "bench/peers/nchan/nginx.conf.in changed"
    conf = conf.replace("nchan_publisher;", "nchan_publisher;\n"
                        f"            nchan_message_buffer_length {MESSAGES};")
    (peer / "nginx.conf.in").write_text(conf)
    return str(peer)


def nginx(peer, *args):
    return subprocess.run([COMMON, peer, *args], capture_output=True, text=True, timeout=60)


def start_nchan(peer, d, attempts=5):
    """Starts the private Nchan in `d` and returns its port. nginx cannot listen on port 0 and
    say which port it got, so a port free a moment ago is tried, and another one when a
    parallel suite took it meanwhile (nginx then fails to bind and exits non-zero)."""
    errors = []
    for _ in range(attempts):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        p = nginx(peer, "start", str(port), d)
        if p.returncode == 0:
            return port
        errors.append(p.stderr.strip())
        nginx(peer, "stop", str(port), d)  # never leave an nginx behind
    raise AssertionError("nchan did not start: " + " | ".join(errors))


def test_nchan_run_counts_every_message(tmp_path):
    peer = peer_dir(tmp_path)
    d = str(tmp_path / "run")
    port = start_nchan(peer, d)
    try:
        out = tmp_path / "nchan.json"
        p = subprocess.run([os.environ.get("HERALD_BENCH_BIN") or herald_bin(), "bench",
                            "--target", "nchan", "--url", f"http://127.0.0.1:{port}",
                            "--transport", "ws,sse,longpoll", "--subscribers", "10",
                            "--messages", str(MESSAGES), "--rate", "200", "--drain", "30", "-q",
                            "--json", str(out)], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        for r in json.loads(out.read_text())["runs"]:
            assert r["target"] == "nchan"
            assert r["published"] == MESSAGES and r["delivered"] == 10 * MESSAGES, r
            assert r["missing"] == 0, r
    finally:
        nginx(peer, "stop", str(port), d)
