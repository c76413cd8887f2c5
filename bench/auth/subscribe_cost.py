#!/usr/bin/python3
"""bench/auth/subscribe_cost.py — the server CPU of an authenticated subscribe.

Usage: bench/auth/subscribe_cost.py [--sessions N] [--repeat R] [--md OUT] [--json OUT]

herald (release build, --threads 1, pinned to CPU 0) serves N WebSocket sessions, 50 at a time,
from a Python client on CPU 1. A session is: open /ws (herald.v1), send `connect` (with a token,
or none), `subscribe` to one channel, wait for both answers, close. The server's CPU-seconds
(utime + stime from /proc) over the N sessions, divided by N, is the cost of one session; the
difference between the token kinds and anonymous sessions is what the token costs (verify,
identity, grant check). Kinds: anonymous (public: channel), HS256 and ES256 tokens minted by
PyJWT with a `chat:*` grant. Each kind gets its own server (one key type per config); runs
alternate between kinds, R rounds, medians reported.
"""
import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time

import jwt
import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fanout"))
import harness as h  # noqa: E402

SECRET = "subscribe-cost-secret-subscribe-cost-0123"


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


async def sessions(port, n, token, channel, concurrency=50):
    sem = asyncio.Semaphore(concurrency)
    failures = 0

    async def one():
        nonlocal failures
        async with sem:
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws",
                                          subprotocols=["herald.v1"]) as ws:
                msg = {"id": 1, "op": "connect"}
                if token:
                    msg["token"] = token
                await ws.send(json.dumps(msg))
                await ws.send(json.dumps({"id": 2, "op": "subscribe", "channel": channel}))
                got = {}
                while len(got) < 2:
                    r = json.loads(await ws.recv())
                    if "id" in r:
                        got[r["id"]] = r
                if any("error" in r for r in got.values()):
                    failures += 1

    await asyncio.gather(*(one() for _ in range(n)))
    return failures


def es256_keys(d):
    priv = os.path.join(d, "ec.pem")
    pub = os.path.join(d, "ec-pub.pem")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", priv],
                   check=True)
    subprocess.run(["openssl", "ec", "-in", priv, "-pubout", "-out", pub], check=True,
                   capture_output=True)
    return open(priv).read(), pub


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=os.path.join(h.REPO, "bench/results/auth-subscribe.json"))
    ap.add_argument("--md", default=os.path.join(h.REPO, "bench/results/auth-subscribe.md"))
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="herald-subcost-")
    priv, pub = es256_keys(d)
    claims = {"sub": "alice", "channels": ["chat:*"], "exp": int(time.time()) + 7200}
    kinds = {
        "anonymous": ("", None, "public:cost"),
        "HS256": (f'hmac_secret = "{SECRET}"', jwt.encode(claims, SECRET, algorithm="HS256"),
                  "chat:cost"),
        "ES256": (f'public_key_file = "{pub}"', jwt.encode(claims, priv, algorithm="ES256"),
                  "chat:cost"),
    }
    results = {k: [] for k in kinds}
    port = 19730
    for rnd in range(a.repeat):
        for kind, (auth, token, channel) in kinds.items():
            cfg = os.path.join(d, f"{kind}.toml")
            with open(cfg, "w") as f:
                f.write(f"[auth]\n{auth}\n[namespace.chat]\nauthenticated = true\n"
                        f"[limits]\nmax_connections_per_ip = 100000\n")
            port += 1
            s = h.Server("herald", port, extra=("--config", cfg))
            try:
                # Warm-up: first allocations, key contexts.
                asyncio.run(sessions(port, 200, token, channel))
                c0 = cpu_seconds(s.sample_pid)
                t0 = time.time()
                failures = asyncio.run(sessions(port, a.sessions, token, channel))
                wall = time.time() - t0
                c1 = cpu_seconds(s.sample_pid)
            finally:
                s.stop()
            us = (c1 - c0) / a.sessions * 1e6
            results[kind].append({"us_per_session": us, "failures": failures, "wall_s": wall,
                                  "loadavg": os.getloadavg()})
            h.log(f"{kind}: {us:.1f} us of server CPU per session ({failures} failures)")

    def med(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2]

    summary = {k: med([r["us_per_session"] for r in v]) for k, v in results.items()}
    json.dump({"benchmark": "auth-subscribe", "machine": h.machine(), "args": vars(a),
               "results": results, "summary_us": summary}, open(a.json, "w"), indent=1)
    base = summary["anonymous"]
    L = [f"authenticated subscribe ({time.strftime('%Y-%m-%d')}): server CPU per WebSocket "
         f"session (open, connect, subscribe, close), herald --threads 1 on CPU 0, {a.sessions} "
         f"sessions 50 at a time, medians of {a.repeat} rounds; /proc CPU ticks are 10 ms, so "
         f"differences under ~5 us per session are noise.", "",
         "| session | server CPU per session (us), median | range over rounds | median over "
         "anonymous (us) |", "|---|---:|---:|---:|"]
    for k, v in summary.items():
        xs = [r["us_per_session"] for r in results[k]]
        L.append(f"| {k} | {v:.1f} | {min(xs):.1f}-{max(xs):.1f} | {v - base:+.1f} |")
    L.append("")
    open(a.md, "w").write("\n".join(L))
    print("\n".join(L))


if __name__ == "__main__":
    main()
