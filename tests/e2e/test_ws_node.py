"""herald.v1 and /ws/echo driven by Node's `ws` 8 (tests/e2e/js/ws_client.js)."""
import json
import os
import subprocess

import pytest

from harness import ROOT, herald_server

JS = os.path.join(ROOT, "tests", "e2e", "js")


def test_node_ws_client():
    if not os.path.isdir(os.path.join(JS, "node_modules", "ws")):
        pytest.fail("npm ws missing: run scripts/install-deps (npm install in tests/e2e/js)")
    with herald_server("--debug-echo") as srv:
        p = subprocess.run(["node", os.path.join(JS, "ws_client.js"), f"ws://127.0.0.1:{srv.port}"],
                           capture_output=True, text=True, timeout=120)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert lines[0] == {"type": "open", "protocol": "herald.v1"}
    replies = [l["msg"] for l in lines if l["type"] == "reply"]
    pushes = [l["msg"] for l in lines if l["type"] == "push"]
    assert replies[0]["result"]["client"]
    assert replies[1]["result"]["cursor"].endswith(":0")
    epoch = replies[1]["result"]["cursor"].split(":")[0]
    assert [r["result"] for r in replies[2:5]] == [{"offset": i, "epoch": epoch} for i in (1, 2, 3)]
    assert [m for m in pushes if "channel" in m] == [
        {"channel": "public:node", "offset": i, "data": {"i": i}} for i in (1, 2, 3)]
    # the frame that is not JSON: an error push without id, and the connection went on
    errors = [m for m in pushes if "error" in m]
    assert len(errors) == 1 and errors[0]["error"]["code"] == 400
    assert replies[-1] == {"id": 6, "result": {}}
    closes = [l["code"] for l in lines if l["type"] == "close"]
    assert closes == [1000, 1000]
    assert {"type": "echo", "ok": True, "bytes": 100 * 1024} in lines
    assert lines[-1] == {"type": "done"}
