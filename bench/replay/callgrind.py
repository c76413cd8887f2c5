#!/usr/bin/python3
"""bench/replay/callgrind.py — what a reconnect storm's replays cost herald, in user-space
instructions (callgrind; docs/benchmarks.md §3).

Usage: bench/replay/callgrind.py [--binaries PATH[,PATH]] [--subscribers N] [--messages M]
                                 [--json OUT] [--md OUT]

For each binary (default build/release/herald) and each client kind (WebSocket with
permessage-deflate, as browsers always offer it, and without), a fresh `herald serve --threads
1` runs under callgrind; M messages are published to one channel over HTTP, then N WebSocket
clients (Python `websockets`, all connected first) send their subscribes at once and wait for
the reply and, with `since`, the M replayed pushes. The run is made twice, without `since`
(no replay: the same connections, handshakes and replies) and with `since` = the channel's
epoch at offset 0. Per replayed message = (Ir with since - Ir without) / (N x M).
Instruction counts do not depend on the machine's load. Run with /usr/bin/python3 (Debian's
python3-websockets).
"""
import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fanout"))
import harness as h  # noqa: E402

REPO = h.REPO
CHANNEL = "public:replay"


def one(binary, n, m, deflate, since, port, outdir):
    out = os.path.join(outdir, f"cg-{port}.out")
    srv = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "-q",
                            binary, "serve", "--listen", f"127.0.0.1:{port}", "--threads", "1",
                            "--log-level", "error"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/health", timeout=1).read()
                break
            except OSError:
                if time.time() > deadline or srv.poll() is not None:
                    raise RuntimeError("herald did not start under valgrind")
                time.sleep(0.1)
        epoch = None
        for i in range(m):
            body = json.dumps({"channel": CHANNEL, "data": {"i": i, "pad": "x" * 80}}).encode()
            req = urllib.request.Request(url + "/api/publish", data=body,
                                         headers={"Content-Type": "application/json"})
            epoch = json.loads(urllib.request.urlopen(req, timeout=60).read())["epoch"]

        async def clients():
            comp = "deflate" if deflate else None
            conns = [await websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=None,
                                              compression=comp, ping_interval=None)
                     for _ in range(n)]
            sub = {"id": 1, "op": "subscribe", "channel": CHANNEL}
            if since:
                sub["since"] = f"{epoch}:0"
            text = json.dumps(sub)
            await asyncio.gather(*(c.send(text) for c in conns))
            want = m if since else 0

            async def drain(c):
                got, replied = 0, False
                while not replied or got < want:
                    f = json.loads(await asyncio.wait_for(c.recv(), 300))
                    if f.get("id") == 1:
                        replied = True
                    elif "offset" in f:
                        got += 1
                return got

            got = await asyncio.gather(*(drain(c) for c in conns))
            if any(g != want for g in got):
                raise RuntimeError(f"a client got {min(got)} of {want} replayed messages")
            for c in conns:
                await c.close()

        asyncio.run(clients())
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(300)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()
    return h.total_ir(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binaries", default=os.path.join(REPO, "build", "release", "herald"))
    ap.add_argument("--subscribers", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=20)
    ap.add_argument("--json")
    ap.add_argument("--md")
    a = ap.parse_args()
    rows = []
    port = 19400
    with tempfile.TemporaryDirectory(prefix="herald-replay-cg-") as tmp:
        for binary in a.binaries.split(","):
            for deflate in (True, False):
                ir = {}
                for since in (False, True):
                    port += 1
                    ir[since] = one(binary, a.subscribers, a.messages, deflate, since, port, tmp)
                    print(f"{binary} deflate={deflate} since={since}: Ir={ir[since]}",
                          file=sys.stderr)
                per = (ir[True] - ir[False]) / (a.subscribers * a.messages)
                rows.append({"binary": binary, "deflate": deflate, "ir_no_replay": ir[False],
                             "ir_replay": ir[True], "per_replayed_message": per})
    lines = [f"{a.subscribers} WebSocket subscribers replaying {a.messages} messages of one "
             "channel at once (callgrind, herald serve --threads 1)", "",
             "| binary | client | Ir without since | Ir with since | per replayed message |",
             "|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['binary']} | {'permessage-deflate' if r['deflate'] else 'plain'} | "
                     f"{r['ir_no_replay']:,} | {r['ir_replay']:,} | "
                     f"{r['per_replayed_message']:,.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.md:
        open(a.md, "w").write(text)
    if a.json:
        json.dump({"subscribers": a.subscribers, "messages": a.messages, "rows": rows},
                  open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
