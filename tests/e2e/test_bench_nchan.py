"""herald bench --target nchan: the same instrument against Nchan (sequence numbers in the payload
instead of offsets). Skipped when the private Nchan peer cannot run here."""
import json
import os
import subprocess
import tempfile

import pytest

from harness import ROOT, free_port, herald_bin

RUN = os.path.join(ROOT, "bench", "peers", "nchan", "run.sh")
pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/lib/nginx/modules/ngx_nchan_module.so") or not os.path.exists(RUN),
    reason="nginx + libnginx-mod-nchan not installed")


def test_nchan_run_counts_every_message(tmp_path):
    port = free_port()
    d = tempfile.mkdtemp(prefix="nchan-bench-")
    subprocess.run([RUN, "start", str(port), d], check=True, capture_output=True, timeout=30)
    try:
        out = tmp_path / "nchan.json"
        p = subprocess.run([os.environ.get("HERALD_BENCH_BIN") or herald_bin(), "bench",
                            "--target", "nchan", "--url", f"http://127.0.0.1:{port}",
                            "--transport", "ws,sse,longpoll", "--subscribers", "10",
                            "--messages", "100", "--rate", "200", "--drain", "3", "-q",
                            "--json", str(out)], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        for r in json.loads(out.read_text())["runs"]:
            assert r["target"] == "nchan"
            assert r["published"] == 100 and r["delivered"] == 1000 and r["missing"] == 0, r
    finally:
        subprocess.run([RUN, "stop", str(port), d], capture_output=True, timeout=30)
