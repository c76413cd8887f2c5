"""TLS on every transport, checked with clients nobody here wrote: curl, Python's ssl with
`websockets`, Node's `ws`, `openssl s_client`. The test CA and certificates are made in the
test with `openssl req` / `openssl x509`."""
import asyncio
import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import pytest
import websockets

from harness import ROOT, herald_bin, herald_server

JS = os.path.join(ROOT, "tests", "e2e", "js")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_leaf(d, name, serial, ca="ca"):
    """A P-256 server certificate for 127.0.0.1 and localhost, signed by `ca`."""
    with open(os.path.join(d, "leaf.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-set_serial", str(serial), "-days", "2", "-extfile", "leaf.ext", "-out", f"{name}.pem",
            cwd=d)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
            "-subj", f"/CN=herald e2e {name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


@pytest.fixture(scope="module")
def pki():
    d = tempfile.mkdtemp(prefix="herald-tls-")
    make_ca(d, "ca")
    make_leaf(d, "server", 1001)
    make_leaf(d, "renewed", 2002)  # same CA, another serial: what a rotation looks like
    make_ca(d, "rogue")
    make_leaf(d, "stranger", 3003, ca="rogue")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def path(pki, name):
    return os.path.join(pki, name)


def tls_args(pki, cert="server.pem", key="server.key", extra=()):
    return ["--set", "tls.listen=127.0.0.1:0", "--set", f"tls.cert_file={path(pki, cert)}",
            "--set", f"tls.key_file={path(pki, key)}", *extra]


def curl(*args, timeout=20):
    return subprocess.run(["curl", "-sS", "--max-time", "15", *args], capture_output=True,
                          text=True, timeout=timeout)


class LineReader:
    """Reads a child's stdout line by line with a deadline (no reader thread)."""

    def __init__(self, proc):
        self.proc = proc
        self.buf = b""

    def until(self, needle, timeout=15):
        deadline = time.time() + timeout
        while needle.encode() not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(f"{needle!r} not seen; got {self.buf!r}")
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError(f"stream ended before {needle!r}; got {self.buf!r}")
                self.buf += chunk
        return self.buf.decode()


def test_curl_https_api_sse_and_polls(pki):
    ca = path(pki, "ca.pem")
    with herald_server(*tls_args(pki)) as srv:
        # The HTTP API, with ALPN http/1.1 and a verified certificate.
        p = curl("-v", "--cacert", ca, "-XPOST", srv.tls_url("/api/publish"),
                 "-d", '{"channel":"public:t","data":{"n":1}}')
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["offset"] == 1
        assert "ALPN: server accepted http/1.1" in p.stderr
        assert "SSL certificate verify ok" in p.stderr
        # SSE streams over TLS: a publication made after the stream opened arrives.
        sse = subprocess.Popen(["curl", "-sSN", "--cacert", ca, "-H", "Accept: text/event-stream",
                                srv.tls_url("/sse?channel=public:t")], stdout=subprocess.PIPE)
        try:
            out = LineReader(sse)
            out.until("retry:")
            assert curl("--cacert", ca, "-XPOST", srv.tls_url("/api/publish"),
                        "-d", '{"channel":"public:t","data":{"n":2}}').returncode == 0
            text = out.until('"n":2')
            assert 'data: {"channel":"public:t","offset":2,"data":{"n":2}}' in text
        finally:
            sse.kill()
            sse.wait()
        # A long-poll held open over TLS answers on the next publication.
        cursor = json.loads(curl("--cacert", ca, srv.tls_url("/poll?channel=public:t")).stdout)["cursor"]
        lp = subprocess.Popen(["curl", "-sS", "--cacert", ca,
                               srv.tls_url(f"/poll?channel=public:t&since={cursor}&wait=25")],
                              stdout=subprocess.PIPE)
        try:
            # Publish until the long-poll answers (it may reach the server after the first one).
            deadline = time.time() + 20
            while lp.poll() is None and time.time() < deadline:
                curl("--cacert", ca, "-XPOST", srv.tls_url("/api/publish"),
                     "-d", '{"channel":"public:t","data":{"n":3}}')
                try:
                    lp.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    pass
            body = json.loads(lp.stdout.read())
        finally:
            if lp.poll() is None:
                lp.kill()
            lp.wait()
        assert body["messages"][0]["data"] == {"n": 3}
        # A short poll (wait=0) from the start of the stream.
        epoch = cursor.split(":")[0]
        short = json.loads(curl("--cacert", ca, srv.tls_url(f"/poll?channel=public:t&since={epoch}:0")).stdout)
        assert [m["data"]["n"] for m in short["messages"]][:3] == [1, 2, 3]
        # The plain listener still serves beside the TLS one.
        assert srv.request("GET", "/health")[0] == 200


def test_python_websockets_over_wss(pki):
    ctx = ssl.create_default_context(cafile=path(pki, "ca.pem"))
    ctx.set_alpn_protocols(["h2", "http/1.1"])  # as a browser offers them

    async def scenario(url):
        async with websockets.connect(url, ssl=ctx, subprotocols=["herald.v1"]) as ws:
            assert ws.subprotocol == "herald.v1"
            assert ws.transport.get_extra_info("ssl_object").selected_alpn_protocol() == "http/1.1"
            await ws.send(json.dumps({"id": 1, "op": "subscribe", "channel": "public:w"}))
            reply = json.loads(await ws.recv())
            assert reply["id"] == 1 and reply["result"]["cursor"].endswith(":0")
            # Publish three over the same connection, then a large one that spans records.
            for i in range(3):
                await ws.send(json.dumps({"id": 10 + i, "op": "publish", "channel": "public:w",
                                          "data": {"i": i}}))
            big = "x" * 100_000
            await ws.send(json.dumps({"id": 20, "op": "publish", "channel": "public:w",
                                      "data": big}))
            pushes, replies = [], []
            while len(pushes) < 4 or len(replies) < 4:
                m = json.loads(await asyncio.wait_for(ws.recv(), 15))
                (replies if "id" in m else pushes).append(m)
            assert [p["offset"] for p in pushes] == [1, 2, 3, 4]
            assert pushes[3]["data"] == big

    with herald_server(*tls_args(pki), "--set", "websocket.max_message=200000") as srv:
        asyncio.run(scenario(srv.tls_url("/ws", scheme="wss")))


def test_node_ws_over_wss(pki):
    if not os.path.isdir(os.path.join(JS, "node_modules", "ws")):
        pytest.fail("npm ws missing: run scripts/install-deps (npm install in tests/e2e/js)")
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=path(pki, "ca.pem"))
    with herald_server("--debug-echo", *tls_args(pki)) as srv:
        p = subprocess.run(["node", os.path.join(JS, "ws_client.js"), f"wss://127.0.0.1:{srv.tls_port}"],
                           capture_output=True, text=True, timeout=30, env=env)
    assert p.returncode == 0, (p.stdout, p.stderr)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    assert lines[0] == {"type": "open", "protocol": "herald.v1"}
    pushes = [l["msg"] for l in lines if l["type"] == "push" and "channel" in l["msg"]]
    assert [m["data"] for m in pushes] == [{"i": 1}, {"i": 2}, {"i": 3}]
    assert {"type": "echo", "ok": True, "bytes": 100 * 1024} in lines
    assert lines[-1] == {"type": "done"}


def s_client(port, *args, stdin=b""):
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args],
                          input=stdin, capture_output=True, timeout=30)


def test_openssl_s_client_alpn_versions_and_renegotiation(pki):
    ca = path(pki, "ca.pem")
    with herald_server(*tls_args(pki)) as srv:
        p = s_client(srv.tls_port, "-alpn", "http/1.1", "-CAfile", ca, "-verify_ip", "127.0.0.1", "-ign_eof",
                     stdin=b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        out = p.stdout.decode(errors="replace")
        assert "ALPN protocol: http/1.1" in out
        assert "Verify return code: 0 (ok)" in out
        assert '{"status":"ok"}' in out
        assert "TLSv1.3" in out
        # TLS 1.1 is refused by default. @SECLEVEL=0 lets this client offer it at all, so the
        # refusal is the server's: a protocol_version alert.
        old = s_client(srv.tls_port, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
        assert old.returncode != 0
        assert b"alert protocol version" in old.stdout + old.stderr
        # TLS 1.2 is accepted (the default minimum), and a renegotiation it asks for is refused.
        p12 = s_client(srv.tls_port, "-tls1_2", "-CAfile", ca, stdin=b"R\n")
        out12 = (p12.stdout + p12.stderr).decode(errors="replace")
        assert "Protocol  : TLSv1.2" in out12
        assert "RENEGOTIATING" in out12
        assert "no renegotiation" in out12  # the server refused it
        assert srv.tls_request("GET", "/health", cafile=ca)[0] == 200
    with herald_server(*tls_args(pki, extra=["--set", "tls.min_version=1.3"])) as srv:
        p = s_client(srv.tls_port, "-tls1_2")
        assert p.returncode != 0
        assert b"alert protocol version" in p.stdout + p.stderr
        assert s_client(srv.tls_port, "-tls1_3", "-CAfile", ca).returncode == 0


def peer_serial(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            return s.getpeercert()["serialNumber"]


def wait_for_log(srv, text, timeout=15):
    deadline = time.time() + timeout
    while text not in srv.log():
        assert time.time() < deadline, f"{text!r} not in the log:\n{srv.log()[-3000:]}"
        time.sleep(0.05)


def test_sighup_swaps_the_certificate_and_keeps_open_connections(pki):
    d = tempfile.mkdtemp(prefix="herald-rotate-")
    try:
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        shutil.copy(path(pki, "server.pem"), cert)
        shutil.copy(path(pki, "server.key"), key)
        ca = path(pki, "ca.pem")
        with herald_server("--set", "tls.listen=127.0.0.1:0", "--set", f"tls.cert_file={cert}",
                           "--set", f"tls.key_file={key}") as srv:
            assert peer_serial(srv.tls_port, ca) == "03E9"  # 1001
            sse = subprocess.Popen(["curl", "-sSN", "--cacert", ca, "-H", "Accept: text/event-stream",
                                    srv.tls_url("/sse?channel=public:rot")], stdout=subprocess.PIPE)
            try:
                out = LineReader(sse)
                out.until("retry:")
                # The renewed pair replaces the files in place, then SIGHUP.
                shutil.copy(path(pki, "renewed.pem"), cert)
                shutil.copy(path(pki, "renewed.key"), key)
                srv.proc.send_signal(signal.SIGHUP)
                wait_for_log(srv, "TLS certificate reloaded")
                assert peer_serial(srv.tls_port, ca) == "07D2"  # 2002: new handshakes
                # The stream opened before the swap is still there and still delivers.
                srv.publish("public:rot", {"after": "swap"})
                out.until('"after":"swap"')
                # A broken pair (the key of another certificate) is refused; the last good one
                # stays in use.
                shutil.copy(path(pki, "server.key"), key)
                srv.proc.send_signal(signal.SIGHUP)
                wait_for_log(srv, "TLS certificate not reloaded")
                assert "does not match the certificate" in srv.log()
                assert peer_serial(srv.tls_port, ca) == "07D2"
                srv.publish("public:rot", {"still": "open"})
                out.until('"still":"open"')
            finally:
                sse.kill()
                sse.wait()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def read_until_closed(sock, timeout):
    """Reads until the server closes (EOF or reset); returns (bytes, seconds waited)."""
    start = time.time()
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    return data, time.time() - start


def test_bad_input_on_the_tls_port(pki):
    with herald_server(*tls_args(pki, extra=["--set", "tls.handshake_timeout_ms=1000"])) as srv:
        # A plain HTTP request: a readable 400, then the connection is closed.
        status, headers, body = srv_plain_request(srv.tls_port)
        assert status == 400 and b"speaks TLS" in body and headers["connection"] == "close"
        p = curl("-i", f"http://127.0.0.1:{srv.tls_port}/health")
        assert "400 Bad Request" in p.stdout and "https://" in p.stdout
        # Garbage before the ClientHello: closed at once, nothing of ours leaks out.
        with socket.create_connection(("127.0.0.1", srv.tls_port)) as s:
            s.sendall(b"\x00\x01\x02\x03garbage garbage garbage\r\n\r\n")
            data, waited = read_until_closed(s, 10)
            assert waited < 9, "garbage did not close the connection"
            assert b"HTTP" not in data
        # A handshake that never finishes (TLS slowloris): closed after the handshake timeout,
        # not after the 60 s keep-alive timeout nor never.
        with socket.create_connection(("127.0.0.1", srv.tls_port)) as s:
            s.sendall(b"\x16\x03\x01\x02\x00\x01")  # the first bytes of a ClientHello
            data, waited = read_until_closed(s, 30)
            assert data == b""
            assert 0.9 <= waited < 29, waited
        # None of this hurt the server.
        assert srv.tls_request("GET", "/health", cafile=path(pki, "ca.pem"))[0] == 200


def srv_plain_request(port):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/health")
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_tls_only(pki):
    with herald_server(*tls_args(pki), plain=False) as srv:
        assert srv.port == 0
        assert "listening on http://" not in srv.log()
        assert srv.tls_request("GET", "/health", cafile=path(pki, "ca.pem"))[0] == 200


def run_herald(*args):
    return subprocess.run([herald_bin(), *args], capture_output=True, text=True, timeout=30)


def test_a_bad_certificate_or_key_stops_the_server_with_a_clear_error(pki):
    base = ["serve", "--listen", "127.0.0.1:0", "--set", "tls.listen=127.0.0.1:0"]
    missing = path(pki, "missing.pem")
    p = run_herald(*base, "--set", f"tls.cert_file={missing}", "--set",
                   f"tls.key_file={path(pki, 'server.key')}")
    assert p.returncode == 2
    assert f"tls.cert_file {missing}: No such file or directory" in p.stderr
    p = run_herald(*base, "--set", f"tls.cert_file={path(pki, 'server.pem')}", "--set",
                   f"tls.key_file={path(pki, 'renewed.key')}")
    assert p.returncode == 2
    assert "does not match the certificate in tls.cert_file" in p.stderr
    p = run_herald(*base, "--set", f"tls.cert_file={path(pki, 'server.pem')}")
    assert p.returncode == 2 and "tls.key_file: not set" in p.stderr
    os.chmod(path(pki, "renewed.key"), 0o000)
    try:
        if os.access(path(pki, "renewed.key"), os.R_OK):
            pass  # root reads anything: the unreadable case cannot be staged here
        else:
            p = run_herald(*base, "--set", f"tls.cert_file={path(pki, 'renewed.pem')}", "--set",
                           f"tls.key_file={path(pki, 'renewed.key')}")
            assert p.returncode == 2 and "Permission denied" in p.stderr
    finally:
        os.chmod(path(pki, "renewed.key"), 0o600)
    # check-config loads them too.
    cfg = os.path.join(pki, "bad.toml")
    with open(cfg, "w") as f:
        f.write(f'[tls]\nlisten = "127.0.0.1:8443"\ncert_file = "{path(pki, "server.pem")}"\n'
                f'key_file = "{path(pki, "stranger.key")}"\n')
    p = run_herald("check-config", cfg)
    assert p.returncode == 1
    assert "does not match the certificate" in p.stderr
    with open(cfg, "w") as f:
        f.write(f'[tls]\nlisten = "127.0.0.1:8443"\ncert_file = "{path(pki, "server.pem")}"\n'
                f'key_file = "{path(pki, "server.key")}"\n')
    p = run_herald("check-config", cfg)
    assert p.returncode == 0, p.stderr
    # Turning both listeners off leaves nothing to serve: refused by check-config and serve.
    with open(cfg, "w") as f:
        f.write('[server]\nlisten = ""\n')
    p = run_herald("check-config", cfg)
    assert p.returncode == 1
    assert "server.listen and tls.listen are both empty: nothing to listen on" in p.stderr
    p = run_herald("serve", "--config", cfg)
    assert p.returncode == 2
    assert "server.listen and tls.listen are both empty: nothing to listen on" in p.stderr


def test_herald_pub_sub_and_bench_speak_tls(pki, tmp_path):
    """herald's own clients over https:// and wss://, verifying with --cacert."""
    ca = path(pki, "ca.pem")
    with herald_server(*tls_args(pki)) as srv:
        url = srv.tls_url("").rstrip("/")
        for i in range(3):
            p = run_herald("pub", "public:cli", json.dumps({"i": i}), "--url", url, "--cacert", ca)
            assert p.returncode == 0, p.stderr
            assert json.loads(p.stdout)["offset"] == i + 1
        epoch = json.loads(p.stdout)["epoch"]
        for transport in ("ws", "sse", "longpoll", "poll"):
            p = run_herald("sub", "public:cli", "--transport", transport, "--since", f"{epoch}:0",
                           "--count", "3", "--timeout", "20", "--url", url, "--cacert", ca)
            assert p.returncode == 0, (transport, p.stderr)
            pushes = [json.loads(l) for l in p.stdout.splitlines() if '"offset"' in l]
            assert [m["data"]["i"] for m in pushes] == [0, 1, 2], transport
        wss = run_herald("sub", "public:cli", "--since", f"{epoch}:2", "--count", "1",
                         "--timeout", "20", "--url", srv.tls_url("/ws", scheme="wss"), "--cacert", ca)
        assert wss.returncode == 0, wss.stderr
        # Without the test CA the system's store does not know the certificate: a clear error.
        p = run_herald("pub", "public:cli", "x", "--url", url)
        assert p.returncode == 1
        assert "certificate rejected: unable to get local issuer certificate" in p.stderr
        # herald bench over TLS counts every delivery, as over plain TCP.
        out = tmp_path / "tls.json"
        b = subprocess.run([herald_bin(), "bench", "--url", url, "--cacert", ca,
                            "--transport", "ws,sse", "--subscribers", "10", "--messages", "100",
                            "--rate", "200", "-q", "--json", str(out)],
                           capture_output=True, text=True, timeout=120)
        assert b.returncode == 0, b.stdout + b.stderr
        for r in json.loads(out.read_text())["runs"]:
            assert r["delivered"] == 1000 and r["missing"] == 0, r


def test_the_private_ca_recipe_in_operations_md_works(tmp_path):
    """docs/operations.md's commands for a development CA, run as written."""
    doc = open(os.path.join(ROOT, "docs", "operations.md")).read()
    section = doc.split("### Clients with a private CA", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    lines = block.replace("\\\n", "").splitlines()
    setup = [l for l in lines if l.strip() and not l.startswith("herald ")]
    serve = [l for l in lines if l.startswith("herald serve")]
    assert len(setup) == 4 and len(serve) == 1, block
    subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(setup)], cwd=tmp_path,
                   check=True, capture_output=True, timeout=60)
    # The documented serve line, on a free port (the doc's 8443 may be taken by a parallel run).
    args = serve[0].split()[2:]
    args = [a.replace("tls.listen=127.0.0.1:8443", "tls.listen=127.0.0.1:0") for a in args]
    args = [a.replace("=cert.pem", f"={tmp_path}/cert.pem").replace("=key.pem", f"={tmp_path}/key.pem")
            for a in args]
    with herald_server(*args) as srv:
        p = curl("--cacert", str(tmp_path / "ca.pem"), srv.tls_url("/health"))
        assert p.returncode == 0 and '"ok"' in p.stdout, p.stderr
        p = curl("--cacert", str(tmp_path / "ca.pem"), f"https://localhost:{srv.tls_port}/health")
        assert p.returncode == 0, p.stderr
