"""Structured logs and the access log (docs/operations.md, "Logs"), through the real binary:
JSON lines that Python's json parses, connection events with their close reasons for
WebSocket, SSE and long-poll, the access log with credentials redacted, its reopen on SIGHUP
after a rename (logrotate), and the text format as it was.

Every wait reads the log until the line appears (a generous deadline), never a fixed time."""
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

import jwt

from harness import DEADLINE, herald_bin, herald_server, wait_until
from test_sse import SseStream, settle, sse_path
from test_tls import pki, tls_args  # noqa: F401 (pki is a fixture)
from ws_util import Herald, RawWs, run

SECRET = "logs-secret-logs-secret-logs-secret-0123"
KEY = "operator-key"
CONFIG = """
[server]
api_key = "{key}"
log_format = "json"
access_log = "{access}"

[auth]
hmac_secret_file = "{secret}"

[limits]
max_output_bytes = 65536
publish_rate = 10000000

[namespace.room]
authenticated = true
"""

# The lines herald prints on stdout (the harness logs stdout and stderr to one file).
STDOUT_LINE = re.compile(r"^herald listening on ")


def mint(sub, ttl=3600):
    return jwt.encode({"sub": sub, "exp": int(time.time()) + ttl}, SECRET, algorithm="HS256")


def json_lines(text):
    """Every stderr line parsed; a line that is not JSON fails the test."""
    out = []
    for line in text.splitlines():
        if not line or STDOUT_LINE.match(line):
            continue
        out.append(json.loads(line))
    return out


def events(srv, **match):
    return [e for e in json_lines(srv.log()) if all(e.get(k) == v for k, v in match.items())]


def wait_event(srv, what, **match):
    return wait_until(lambda: events(srv, **match), what=what)[0]


def access_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, errors="strict") as f:
        return [json.loads(l) for l in f.read().splitlines() if l]


class Setup:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="herald-logs-")
        self.secret = os.path.join(self.dir, "secret")
        with open(self.secret, "w") as f:
            f.write(SECRET)
        self.access = os.path.join(self.dir, "access.log")
        self.config = CONFIG.format(key=KEY, secret=self.secret, access=self.access)


def disconnect(srv, body):
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + KEY}
    st, _, out = srv.request("POST", "/api/disconnect", json.dumps(body), headers)
    assert st == 200, (st, out)


def local_remote(sock):
    host, port = sock.getsockname()[:2]
    return f"{host}:{port}"


def test_json_lines_and_connection_events():
    setup = Setup()
    with herald_server("--threads", "2", config=setup.config) as srv:
        listen = wait_event(srv, "the listen event", event="listen")
        assert listen["level"] == "info" and listen["http"] == f"127.0.0.1:{srv.port}", listen
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", listen["ts"]), listen
        assert "listening on" in listen["msg"]

        # WebSocket: open, then the client closes.
        async def ws_client_closes():
            h = await Herald.connect(srv)
            r = await h.call("connect", token=mint("alice"))
            client = r["result"]["client"]
            opened = wait_event(srv, "conn_open of the ws", event="conn_open", id=client)
            # The token came with the connect command, after the upgrade: the user is known
            # from then on (conn_close), not at conn_open.
            assert opened["transport"] == "ws" and "user" not in opened, opened
            assert opened["remote"].startswith("127.0.0.1:"), opened
            await h.close()
            return client
        client = run(ws_client_closes())
        closed = wait_event(srv, "conn_close of the ws", event="conn_close", id=client)
        assert (closed["reason"], closed["transport"], closed["user"]) == ("client_closed", "ws",
                                                                          "alice"), closed
        assert closed["bytes_in"] > 0 and closed["bytes_out"] > 0 and closed["duration_ms"] >= 0

        # WebSocket whose token expires: close 4005, reason token_expired.
        async def ws_expires():
            h = await Herald.connect(srv)
            r = await h.call("connect", token=mint("erin", ttl=2))
            assert "result" in r, r
            await asyncio.wait_for(h.ws.wait_closed(), DEADLINE)
            assert h.ws.close_code == 4005
            return r["result"]["client"]
        client = run(ws_expires())
        closed = wait_event(srv, "conn_close of the expired ws", event="conn_close", id=client)
        assert closed["reason"] == "token_expired", closed

        # SSE ended by the operator (POST /api/disconnect): reason disconnected.
        sse = SseStream(srv, sse_path("room:a") + "&token=" + mint("dan"))
        assert sse.read_head() == 200
        settle(sse)
        remote = local_remote(sse.sock)
        opened = wait_event(srv, "conn_open of the sse", event="conn_open", remote=remote)
        assert opened["transport"] == "sse" and opened["user"] == "dan", opened
        disconnect(srv, {"user": "dan"})
        assert sse.next_event()["event"] == "reconnect"
        closed = wait_event(srv, "conn_close of the sse", event="conn_close", remote=remote)
        assert (closed["transport"], closed["reason"], closed["id"]) == ("sse", "disconnected",
                                                                         opened["id"]), closed
        sse.close()

        # Long-poll: held, then answered by a publication.
        s = socket.create_connection((srv.host, srv.port))
        s.sendall(f"GET /poll?channel=public:lp&wait=25&token={mint('lena')} HTTP/1.1\r\n"
                  f"Host: x\r\n\r\n".encode())
        remote = local_remote(s)
        opened = wait_event(srv, "conn_open of the long-poll", event="conn_open", remote=remote)
        assert opened["transport"] == "longpoll" and opened["user"] == "lena", opened
        srv.publish("public:lp", {"n": 1}, api_key=KEY)
        closed = wait_event(srv, "conn_close of the long-poll", event="conn_close", remote=remote)
        assert (closed["transport"], closed["reason"]) == ("longpoll", "answered"), closed
        s.settimeout(DEADLINE)
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
        s.close()

        # A WebSocket that never reads is evicted: reason slow_consumer. Publications stop as
        # soon as the event is there (at most 400 of 32 KiB: far past the 64 KiB limit plus
        # every socket buffer).
        slow = RawWs(srv, rcvbuf=4096)
        slow.send_text(json.dumps({"id": 1, "op": "subscribe", "channel": "public:flood"}))
        op, payload = slow.frame()
        assert op == 1 and json.loads(payload)["id"] == 1
        remote = local_remote(slow.sock)
        blob = "b" * 32 * 1024
        for i in range(400):
            srv.publish("public:flood", {"i": i, "b": blob}, api_key=KEY)
            if events(srv, event="conn_close", remote=remote):
                break
        closed = wait_event(srv, "the slow consumer's conn_close", event="conn_close",
                            remote=remote)
        assert (closed["transport"], closed["reason"]) == ("ws", "slow_consumer"), closed
        slow.close()

        # Every stderr line parsed as JSON (json_lines raised otherwise), each with ts and level.
        for e in json_lines(srv.log()):
            assert "ts" in e and e["level"] in ("debug", "info", "warn", "error"), e
        assert any(a["path"].startswith("/api/publish") for a in access_lines(setup.access))
        # Nothing was dropped: the file took every line.
        assert srv.metric("herald_log_lines_dropped_total") == 0


def test_access_log_redacts_credentials_and_reopens_on_sighup():
    setup = Setup()
    with herald_server(config=setup.config) as srv:
        st, _, _ = srv.request("GET", "/health?token=s3cr3t-token&x=1",
                               headers={"User-Agent": "logs-test/1.0",
                                        "Authorization": "Bearer auth-header-secret"})
        assert st == 200
        # (The harness's readiness probes are plain /health lines before it.)
        line = wait_until(lambda: [a for a in access_lines(setup.access)
                                   if a["path"].endswith("x=1")],
                          what="the access line of /health")[0]
        assert line["event"] == "http_request" and line["method"] == "GET", line
        assert line["path"] == "/health?token=REDACTED&x=1", line
        assert line["status"] == 200 and line["bytes"] > 0, line
        assert line["user_agent"] == "logs-test/1.0", line
        assert line["remote"].startswith("127.0.0.1:") and line["duration_ms"] >= 0, line
        # A percent-encoded name is a credential as well; so is any case of it.
        srv.request("GET", "/health?%74oken=enc0ded-secret&ACCESS_TOKEN=upper-secret")
        wait_until(lambda: [a for a in access_lines(setup.access)
                            if "%74oken=REDACTED&ACCESS_TOKEN=REDACTED" in a["path"]],
                   what="the encoded token redacted")
        # A WebSocket upgrade with ?token= is logged with its 101.
        async def ws():
            h = await Herald.connect(srv, path="/ws?token=" + mint("uma"))
            await h.close()
        run(ws())
        up = wait_until(lambda: [a for a in access_lines(setup.access) if a["status"] == 101],
                        what="the upgrade's access line")[0]
        assert up["path"] == "/ws?token=REDACTED", up
        # Bytes a client sends are escaped: the line stays one valid JSON object.
        srv.raw(b"GET /nope HTTP/1.1\r\nHost: x\r\nUser-Agent: ev\"il\xff\\agent\r\n\r\n")
        odd = wait_until(lambda: [a for a in access_lines(setup.access) if a["path"] == "/nope"],
                         what="the odd request's line")[0]
        assert odd["status"] == 404 and odd["user_agent"] == 'ev"il\ufffd\\agent', odd
        with open(setup.access, errors="replace") as f:
            text = f.read()
        with open(srv.log_path, errors="replace") as f:
            text += f.read()
        for secret in ("s3cr3t-token", "auth-header-secret", "enc0ded-secret", "upper-secret",
                       mint("uma").split(".")[2]):
            assert secret not in text, secret

        # logrotate: rename, SIGHUP, and the next line goes to a new file at the same path.
        rotated = setup.access + ".1"
        os.rename(setup.access, rotated)
        before = len(access_lines(rotated))
        srv.proc.send_signal(signal.SIGHUP)
        wait_event(srv, "the reload after SIGHUP", event="config_reload", ok=True)
        srv.request("GET", "/health?after=rotate")
        after = wait_until(lambda: access_lines(setup.access), what="a line in the new file")
        assert after[0]["path"] == "/health?after=rotate", after
        assert len(access_lines(rotated)) == before


def test_text_format_is_unchanged_and_events_read_as_key_value():
    with herald_server() as srv:
        line = wait_until(lambda: re.search(
            r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info  herald \S+ listening on http://"
            r"127\.0\.0\.1:\d+ \(\d+ loops?, web root .*\) version=\S+ http=127\.0\.0\.1:\d+",
            srv.log(), re.M), what="the listen line")
        assert line

        async def ws():
            h = await Herald.connect(srv)
            await h.close()
        run(ws())
        wait_until(lambda: re.search(
            r"^\S+Z info  conn_close id=c\d+-\d+ remote=127\.0\.0\.1:\d+ transport=ws "
            r"reason=client_closed duration_ms=\d+ bytes_in=\d+ bytes_out=\d+$",
            srv.log(), re.M), what="a key=value conn_close line")
        assert "{" not in srv.log().split("\n")[0]


def test_bad_values_are_refused_at_start():
    for key, value, words in (("server.log_format", "xml", "expected text or json"),
                              ("server.access_log", "relative.log",
                               "absolute file path"),
                              ("server.access_log", "/nonexistent-dir/a.log",
                               "cannot open /nonexistent-dir/a.log")):
        p = subprocess.run([herald_bin(), "serve", "--listen", "127.0.0.1:0", "--set",
                            f"{key}={value}"], capture_output=True, text=True, timeout=DEADLINE)
        assert p.returncode == 2, (key, p.returncode, p.stderr)
        assert words in p.stderr, (key, p.stderr)


# ---- docs/operations.md, "Logs": its examples run against the binary -------------------------

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "operations.md")


def doc_block(kind):
    text = open(DOC).read()
    m = re.search(r"```" + kind + r"\n(.*?)```", text, re.S)
    assert m, kind
    return m.group(1)


def test_operations_doc_log_examples_match_the_binary():
    setup = Setup()
    cfg = doc_block("toml logs-config").replace("/var/log/herald/access.log", setup.access)
    cfg += f'\n[auth]\nhmac_secret_file = "{setup.secret}"\n'
    examples = [json.loads(l) for l in doc_block("json logs-example").splitlines() if l]
    with herald_server("--threads", "2", config=cfg) as srv:
        async def ws():
            h = await Herald.connect(srv)
            r = await h.call("connect", token=mint("alice"))
            assert "result" in r, r
            await h.close()
            return r["result"]["client"]
        client = run(ws())
        wait_event(srv, "the ws conn_close", event="conn_close", id=client)
        sse = SseStream(srv, sse_path("public:news") + "&token=" + mint("bob"),
                        headers={"User-Agent": "Mozilla/5.0"})
        assert sse.read_head() == 200
        sse.close()
        srv.proc.send_signal(signal.SIGHUP)
        wait_event(srv, "the reload", event="config_reload")
        real = json_lines(srv.log())
        sse_line = wait_until(lambda: [a for a in access_lines(setup.access)
                                       if a["path"].startswith("/sse")], what="the sse line")[0]
        assert sse_line["path"].endswith("&token=REDACTED"), sse_line
        real.append(sse_line)
        for ex in examples:
            if "event" in ex:
                same = [r for r in real if r.get("event") == ex["event"]]
            else:
                same = [r for r in real if "event" not in r]
            assert same, f"no real line like {ex}"
            assert any(set(r) == set(ex) for r in same), (ex, same)
            for r in same:
                for k, v in ex.items():
                    if k in r:
                        assert type(r[k]) is type(v), (k, r, ex)


def test_operations_doc_logrotate_example_rotates_the_access_log():
    setup = Setup()
    with herald_server(config=setup.config) as srv:
        srv.request("GET", "/health?before=rotate")
        wait_until(lambda: [a for a in access_lines(setup.access) if "before" in a["path"]],
                   what="the first access line")
        rotate = doc_block("logrotate").replace("/var/log/herald/access.log", setup.access)
        rotate = rotate.replace("systemctl reload herald", f"kill -HUP {srv.proc.pid}")
        conf = os.path.join(setup.dir, "logrotate.conf")
        with open(conf, "w") as f:
            f.write(rotate)
        subprocess.run(["logrotate", "-f", "-s", os.path.join(setup.dir, "state"), conf],
                       check=True, timeout=DEADLINE)
        # delaycompress: the first rotation keeps access.log.1 as it is. Each loop writes its
        # own lines at the end of its iteration, so the harness's start-up /health (another
        # loop) may come after ours in the file: what matters is which file has which line.
        rotated = [a["path"] for a in access_lines(setup.access + ".1")]
        assert "/health?before=rotate" in rotated, rotated
        wait_event(srv, "the reload after logrotate", event="config_reload", ok=True)
        srv.request("GET", "/health?after=rotate")
        after = wait_until(lambda: [a for a in access_lines(setup.access) if "rotate" in a["path"]],
                           what="a line in the new file")
        assert [a["path"] for a in after] == ["/health?after=rotate"]
        assert "/health?after=rotate" not in [a["path"] for a in access_lines(setup.access + ".1")]


def test_tls_handshake_failures_are_connection_events(pki):
    args = tls_args(pki, extra=["--set", "tls.handshake_timeout_ms=1000", "--set",
                                "server.log_format=json"])
    with herald_server(*args) as srv:
        with socket.create_connection(("127.0.0.1", srv.tls_port)) as s:
            remote = local_remote(s)
            s.sendall(b"\x00\x01\x02\x03garbage garbage garbage\r\n\r\n")
            bad = wait_event(srv, "the bad handshake", event="conn_close", remote=remote)
        assert (bad["transport"], bad["reason"]) == ("http", "tls_handshake"), bad
        assert bad["error"], bad
        with socket.create_connection(("127.0.0.1", srv.tls_port)) as s:
            remote = local_remote(s)
            s.sendall(b"\x16\x03\x01\x02\x00\x01")  # a ClientHello that never finishes
            slow = wait_event(srv, "the handshake timeout", event="conn_close", remote=remote)
        assert (slow["reason"], slow["error"]) == ("tls_handshake", "handshake timeout"), slow


def test_udp_leases_are_connection_events():
    """A UDP lease is a connection in the log: conn_open when it opens (transport udp, the
    user of its token), conn_close when the client closes it (client_closed, with its
    datagram bytes) or goes silent past udp.lease_ms (heartbeat_timeout)."""
    from udp_client import UdpClient, close
    setup = Setup()
    with herald_server("--set", "udp.lease_ms=1000", config=setup.config) as srv:
        c = UdpClient(srv.port)
        assert c.open(token=mint("uma").encode()).type == "opened"
        remote = f"127.0.0.1:{c.port()}"
        opened = wait_event(srv, "conn_open of the lease", event="conn_open", remote=remote)
        assert (opened["transport"], opened["user"]) == ("udp", "uma"), opened
        assert "id" not in opened, opened
        m = c.subscribe("public:u")
        assert m is not None and m.type == "subscribed", m
        c.send(close(c.session))
        closed = wait_event(srv, "conn_close of the closed lease", event="conn_close",
                            remote=remote)
        assert (closed["transport"], closed["reason"], closed["user"]) == (
            "udp", "client_closed", "uma"), closed
        # At least what the client received on its lease (opened, subscribed; a cookie or a
        # reset is sent before or outside a lease). Resends on silence may add to either side.
        on_lease = [len(d) for d, m in zip(c.raw, c.inbox) if m.type not in ("cookie", "reset")]
        assert closed["bytes_in"] > 0 and closed["bytes_out"] >= sum(on_lease), (closed, on_lease)
        assert closed["duration_ms"] >= 0

        quiet = UdpClient(srv.port)
        assert quiet.open().type == "opened"
        remote = f"127.0.0.1:{quiet.port()}"
        wait_event(srv, "conn_open of the quiet lease", event="conn_open", remote=remote)
        closed = wait_event(srv, "conn_close of the expired lease", event="conn_close",
                            remote=remote)
        assert (closed["transport"], closed["reason"]) == ("udp", "heartbeat_timeout"), closed
        assert "user" not in closed and closed["duration_ms"] >= 1000, closed


def test_io_uring_is_the_default_flush_and_can_be_turned_off():
    # Every loop says how it flushes output; the default is one io_uring per loop (the kernel
    # here has it), `server.io_uring = false` (or HERALD_IO_URING=false) keeps writev.
    uring = re.compile(r"loop (\d+): flushing output through io_uring")
    for args, env, want in (((), None, {"0", "1"}),
                            (("--set", "server.io_uring=false"), None, set()),
                            ((), {"HERALD_IO_URING": "false"}, set())):
        with herald_server("--threads", "2", *args, env=env) as srv:
            wait_until(lambda: "listening on" in srv.log(), what="the listen line")

            async def fan_out():
                subs = [await Herald.connect(srv) for _ in range(3)]
                for h in subs:
                    assert "error" not in await h.call("subscribe", channel="public:uring")
                pub = await Herald.connect(srv)
                for i in range(20):
                    assert "error" not in await pub.call("publish", channel="public:uring",
                                                         data={"i": i})
                for h in subs:
                    got = [(await h.push())["data"]["i"] for _ in range(20)]
                    assert got == list(range(20))
                for h in subs + [pub]:
                    await h.close()
            run(fan_out())
            assert set(uring.findall(srv.log())) == want, srv.log()
            status, _, body = srv.request("GET", "/metrics")
            assert status == 200
            metrics = body.decode()
            assert re.search(rf"^herald_loops_io_uring {len(want)}$", metrics, re.M), metrics
            assert re.search(r"^herald_loops 2$", metrics, re.M), metrics
            if want:  # the line docs/operations.md shows ("io_uring")
                doc = doc_block("text io-uring-log").strip()
                assert re.search(r"^\S+Z " + re.escape(doc) + "$", srv.log(), re.M), srv.log()
