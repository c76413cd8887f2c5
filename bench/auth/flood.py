#!/usr/bin/python3
"""bench/auth/flood.py — do good clients notice a flood of bad tokens?

Usage: bench/auth/flood.py [--repeat N] [--rate R] [--flood-rate F] [--subscribers N]
                           [--json OUT] [--md OUT]

herald (release build, --threads 1, CPU 0) with an HS256 secret; good clients: `herald bench`
(CPU 1), N WebSocket subscribers on one public: channel and one HTTP publisher at a paced R
publishes/s, 6 s. Each run is repeated with and without a flood running beside it (CPU 1 too):
bad tokens at about F per second, half with a wrong signature (a full HMAC to refuse) and half
malformed, sent as pipelined GET /poll?token=... on 4 keep-alive connections (the cheapest way
for an attacker to make the server verify tokens). Reported per run: the good clients'
publish->deliver p50/p99, whether every delivery arrived, the server's CPU-seconds, and the
bad tokens refused (401s counted by the flooder). The server CPU a refused token costs is
(CPU with flood - CPU without) / refused. Runs alternate (without, with) so drift hits both.
"""
import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fanout"))
import harness as h  # noqa: E402

SECRET = "bench-flood-secret-bench-flood-secret-0123"


def bad_tokens():
    import base64
    import hashlib
    import hmac

    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    head = b64(b'{"alg":"HS256","typ":"JWT"}')
    body = b64(json.dumps({"sub": "mallory", "exp": int(time.time()) + 3600}).encode())
    sig = b64(hmac.new(b"not-the-secret-not-the-secret-not-the", f"{head}.{body}".encode(),
                       hashlib.sha256).digest())
    return [f"{head}.{body}.{sig}", "not.a.token"]


class Flood:
    """Pipelined bad-token polls on `conns` keep-alive connections at about `rate` per second,
    until stop(); counts the 401 answers."""

    def __init__(self, port, rate, conns=4, batch=50):
        self.port, self.rate, self.conns, self.batch = port, rate, conns, batch
        self.refused = 0
        self.sent = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        toks = bad_tokens()
        one = [f"GET /poll?channel=public:flood&wait=0&token={t} HTTP/1.1\r\nHost: x\r\n\r\n"
               for t in toks]
        self.payload = "".join(one[i % len(one)] for i in range(batch)).encode()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(conns)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def run(self):
        s = socket.create_connection(("127.0.0.1", self.port))
        s.settimeout(10)
        per_conn = self.rate / self.conns
        interval = self.batch / per_conn
        nxt = time.monotonic()
        pending = 0
        tail = b""
        try:
            while not self.stopping.is_set():
                if pending < 4 * self.batch and time.monotonic() >= nxt:
                    s.sendall(self.payload)
                    pending += self.batch
                    nxt += interval
                    with self.lock:
                        self.sent += self.batch
                    continue
                try:
                    s.settimeout(max(0.001, min(0.05, nxt - time.monotonic())))
                    d = s.recv(1 << 20)
                except socket.timeout:
                    continue
                if not d:
                    break
                d = tail + d
                n = d.count(b"HTTP/1.1 401")
                tail = d[-16:]
                pending -= n
                with self.lock:
                    self.refused += n
        finally:
            s.close()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(15)
        return self.refused


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rate", type=int, default=2000, help="good publishes per second")
    ap.add_argument("--flood-rate", type=int, default=20000, help="bad tokens per second")
    ap.add_argument("--subscribers", type=int, default=100)
    ap.add_argument("--json", default=os.path.join(h.REPO, "bench/results/auth-flood.json"))
    ap.add_argument("--md", default=os.path.join(h.REPO, "bench/results/auth-flood.md"))
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="herald-flood-")
    cfg = os.path.join(d, "herald.toml")
    with open(cfg, "w") as f:
        f.write(f'[auth]\nhmac_secret = "{SECRET}"\n[limits]\npublish_rate = 10000000\n')
    port = 19710
    runs = []
    s = h.Server("herald", port, extra=("--config", cfg))
    try:
        for rep in range(a.repeat):
            for flood in (False, True):
                state = {}

                def during(server, flood=flood, state=state):
                    if flood:
                        state["flood"] = Flood(port, a.flood_rate).start()
                        state["t0"] = time.time()

                r = h.run_bench(s, ["--transport", "ws", "-n", str(a.subscribers), "-p", "1",
                                    "--payload", "100", "--rate", str(a.rate), "-d", "6",
                                    "--drain", "10"], during=during)
                refused = state["flood"].stop() if flood else 0
                secs = time.time() - state["t0"] if flood else 0
                row = {"flood": flood, "refused": refused,
                       "refused_per_s": refused / secs if secs else 0,
                       "clean": r["clean"],
                       "p50_us": r["latency_ns"]["p50"] / 1e3,
                       "p99_us": r["latency_ns"]["p99"] / 1e3,
                       "delivered": r.get("delivered"),
                       "server_cpu_s": r["_proc"]["server_cpu_s_proc"],
                       "wall_s": r["_proc"]["wall_s"],
                       "loadavg": r["_proc"]["loadavg"]}
                h.log(f"flood={flood} {json.dumps(row)}")
                runs.append(row)
    finally:
        s.stop()
    base = [r for r in runs if not r["flood"]]
    fl = [r for r in runs if r["flood"]]

    def med(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2] if xs else 0

    extra_cpu = med([r["server_cpu_s"] for r in fl]) - med([r["server_cpu_s"] for r in base])
    refused = med([r["refused"] for r in fl])
    summary = {"p50_us": [med([r["p50_us"] for r in base]), med([r["p50_us"] for r in fl])],
               "p99_us": [med([r["p99_us"] for r in base]), med([r["p99_us"] for r in fl])],
               "all_clean": all(r["clean"] for r in runs),
               "refused_per_s": med([r["refused_per_s"] for r in fl]),
               "server_us_per_refused_token": extra_cpu / refused * 1e6 if refused else None}
    json.dump({"benchmark": "auth-flood", "machine": h.machine(), "args": vars(a),
               "runs": runs, "summary": summary}, open(a.json, "w"), indent=1)
    L = [f"auth flood ({time.strftime('%Y-%m-%d')}): {a.subscribers} WebSocket subscribers, "
         f"{a.rate} publishes/s of 100 B, herald --threads 1 on CPU 0; flood of bad HS256 "
         f"tokens (half wrong signature, half malformed) as pipelined polls, target "
         f"{a.flood_rate}/s; medians of {a.repeat} alternating runs.", "",
         "| | p50 (us) | p99 (us) | every delivery arrived |", "|---|---:|---:|---|",
         f"| without flood | {summary['p50_us'][0]:.0f} | {summary['p99_us'][0]:.0f} | "
         f"{all(r['clean'] for r in base)} |",
         f"| with {summary['refused_per_s']:.0f} bad tokens/s | {summary['p50_us'][1]:.0f} | "
         f"{summary['p99_us'][1]:.0f} | {all(r['clean'] for r in fl)} |", "",
         f"Server CPU per refused request (HTTP parse, token check, 401 answer): "
         f"{summary['server_us_per_refused_token'] or 0:.2f} us "
         f"(extra server CPU-seconds with the flood / tokens refused).", ""]
    open(a.md, "w").write("\n".join(L))
    print("\n".join(L))


if __name__ == "__main__":
    main()
