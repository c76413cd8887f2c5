"""`herald pub` and `herald sub` against the real server (docs/design.md "CLI helpers", docs/protocol.md).

Command lines (as main.cpp defines them):
    herald pub [--url URL] [--api-key KEY] [--count N] CHANNEL DATA
    herald sub [--url URL] [--transport ws|sse|longpoll|poll|udp] [--since CURSOR]
               [--token JWT] [--count N] [--timeout SEC] [--interval-ms MS] [--wait SEC] CHANNEL...
sub prints one JSON object per line: pushes as the server sent them, and status lines that
carry an "event" key (see tools/cli/sub.h).
"""
import json
import os
import subprocess
import time

import pytest

from harness import closed_port, herald_bin, herald_server

TRANSPORTS = ["ws", "sse", "longpoll", "poll", "udp"]


def cli(*args, timeout=120, env=None):
    full_env = dict(os.environ)
    full_env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    full_env.pop("HERALD_API_KEY", None)
    if env:
        full_env.update(env)
    return subprocess.run([herald_bin(), *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def lines(out):
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def pushes(objs):
    return [o for o in objs if "event" not in o]


def pub(srv, channel, data):
    r = cli("pub", "--url", srv.url(""), channel, data)
    assert r.returncode == 0, r.stderr
    assert "AddressSanitizer" not in r.stderr
    out = lines(r.stdout)
    assert len(out) == 1
    return out[0]


def test_pub_prints_the_answer_and_sends_non_json_as_a_string():
    with herald_server() as srv:
        a = pub(srv, "public:p", '{"n": 1}')
        assert a["offset"] == 1 and isinstance(a["epoch"], str)
        b = pub(srv, "public:p", "plain words")
        assert b["offset"] == 2
        status, _, body = srv.request("GET", "/api/history?channel=public:p&since=" +
                                      a["epoch"] + ":0")
        assert status == 200
        got = [p["data"] for p in json.loads(body)["publications"]]
        assert got == [{"n": 1}, "plain words"]


def test_pub_count_publishes_in_order():
    with herald_server() as srv:
        r = cli("pub", "--url", srv.url(""), "--count", "3", "public:n", "7")
        assert r.returncode == 0, r.stderr
        assert [o["offset"] for o in lines(r.stdout)] == [1, 2, 3]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sub_since_receives_exactly_the_published_messages(transport):
    with herald_server() as srv:
        first = pub(srv, "public:t", '"before"')
        cursor = f'{first["epoch"]}:{first["offset"]}'
        sent = [{"i": i, "t": transport} for i in range(3)]
        for d in sent:
            pub(srv, "public:t", json.dumps(d))
        r = cli("sub", "--url", srv.url(""), "--transport", transport, "--since", cursor,
                "--count", "3", "--timeout", "60", "--interval-ms", "100", "public:t")
        assert r.returncode == 0, r.stderr
        objs = lines(r.stdout)
        got = pushes(objs)
        assert [p["data"] for p in got] == sent
        assert [p["offset"] for p in got] == [2, 3, 4]
        assert all(p["channel"] == "public:t" for p in got)
        status = [o for o in objs if "event" in o]
        assert status and status[0]["event"] == "subscribed"
        if transport in ("ws", "udp"):
            assert status[0]["recovered"] is True and status[0]["channel"] == "public:t"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sub_live_receives_what_is_published_after_it_subscribed(transport):
    with herald_server() as srv:
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1")
        p = subprocess.Popen([herald_bin(), "sub", "--url", srv.url(""), "--transport", transport,
                              "--count", "2", "--timeout", "60", "--interval-ms", "100",
                              "--wait", "5", "public:live"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            first = p.stdout.readline()  # the subscribed line: from now on nothing is missed
            assert json.loads(first)["event"] == "subscribed", first
            pub(srv, "public:live", "one")
            pub(srv, "public:live", '{"two": 2}')
            out, err = p.communicate(timeout=90)
        finally:
            if p.poll() is None:
                p.kill()
        assert p.returncode == 0, err
        got = pushes(lines(out))
        assert [g["data"] for g in got] == ["one", {"two": 2}]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sub_bad_channel_fails_with_a_message(transport):
    with herald_server() as srv:
        r = cli("sub", "--url", srv.url(""), "--transport", transport, "--timeout", "60",
                "bad channel!")
        assert r.returncode not in (0, 3), r.stdout
        assert "herald sub:" in r.stderr
        assert "400" in r.stderr or "channel" in r.stderr.lower()
        assert pushes(lines(r.stdout)) == []


def test_sub_unrecoverable_cursor_is_reported_not_an_error():
    # Not a timed window: sub reports recovered:false, then a publication ends it (--count 1),
    # so nothing depends on how soon a busy machine runs it.
    with herald_server() as srv:
        pub(srv, "public:r", "x")
        for transport in TRANSPORTS:
            p = subprocess.Popen([herald_bin(), "sub", "--url", srv.url(""), "--transport",
                                  transport, "--since", "nosuchepoch:5", "--count", "1",
                                  "--timeout", "60", "--interval-ms", "100", "--wait", "5",
                                  "public:r"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1"))
            try:
                status = []
                for line in p.stdout:  # ends at EOF: sub's own --timeout bounds this
                    obj = json.loads(line)
                    assert "event" in obj, (transport, obj)  # no push before the report
                    status.append(obj)
                    if '"recovered": false' in json.dumps(obj):
                        break
                assert '"recovered": false' in json.dumps(status), (transport, status)
                pub(srv, "public:r", "after")
                out, err = p.communicate(timeout=90)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            assert p.returncode == 0, (transport, err)
            assert [o["data"] for o in pushes(lines(out))] == ["after"], (transport, out)


def test_pub_errors():
    with herald_server() as srv:
        r = cli("pub", "--url", srv.url(""), "bad channel!", "x")
        assert r.returncode != 0
        assert "HTTP 400" in r.stderr
        with closed_port() as port:
            r = cli("pub", "--url", f"http://127.0.0.1:{port}", "public:x", "x")
        assert r.returncode != 0
        assert "herald pub:" in r.stderr
    with herald_server("--api-key", "s3cret") as srv:
        r = cli("pub", "--url", srv.url(""), "public:k", "x")
        assert r.returncode != 0 and "401" in r.stderr
        r = cli("pub", "--url", srv.url(""), "public:k", "x", env={"HERALD_API_KEY": "s3cret"})
        assert r.returncode == 0, r.stderr
        r = cli("pub", "--url", srv.url(""), "--api-key", "s3cret", "public:k", "y")
        assert r.returncode == 0, r.stderr


def test_sub_timeout_before_count_is_exit_3():
    with herald_server() as srv:
        t0 = time.time()
        r = cli("sub", "--url", srv.url(""), "--count", "1", "--timeout", "0.5", "public:q")
        assert r.returncode == 3
        assert "timeout" in r.stderr
        assert time.time() - t0 < 60  # ended by its --timeout, not by cli()'s


TOKEN_SECRET = "a-cli-test-secret-of-at-least-32-bytes!!"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sub_token_connects_with_its_grants_on_every_transport(transport, tmp_path):
    """`herald sub --token` (and $HERALD_TOKEN) on a channel only a token's grant opens: without
    it the subscribe is refused (exit 1, the server's 403); with a PyJWT-minted token it
    receives what is published."""
    import jwt  # PyJWT: the token comes from an outside minter, not from herald
    secret = tmp_path / "secret"
    secret.write_text(TOKEN_SECRET + "\n")
    tok = jwt.encode({"sub": "carol", "channels": ["chat:*"], "exp": int(time.time()) + 3600},
                     TOKEN_SECRET, algorithm="HS256")
    with herald_server(config=f'[auth]\nhmac_secret_file = "{secret}"\n') as srv:
        common = ["sub", "--url", srv.url(""), "--transport", transport, "--count", "1",
                  "--timeout", "60", "--interval-ms", "100", "chat:cli"]
        r = cli(*common, timeout=90)
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert "403" in r.stderr or "permission denied" in r.stderr, r.stderr
        for how in ("option", "env"):
            args = common + ["--token", tok] if how == "option" else common
            env = {"HERALD_TOKEN": tok} if how == "env" else None
            p = subprocess.Popen([herald_bin(), *args], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True,
                                 env=dict(os.environ, **(env or {})))
            try:
                # Publish until the subscriber has its message: it may subscribe after any one.
                deadline = time.time() + 60
                while p.poll() is None and time.time() < deadline:
                    pub(srv, "chat:cli", json.dumps({"how": how}))
                    time.sleep(0.2)
                out, err = p.communicate(timeout=60)
            finally:
                if p.poll() is None:
                    p.kill()
            assert p.returncode == 0, err
            assert pushes(lines(out)) and pushes(lines(out))[0]["data"] == {"how": how}


def test_pub_with_a_user_token_publishes_within_its_grants(tmp_path):
    import jwt  # PyJWT
    secret = tmp_path / "secret"
    secret.write_text(TOKEN_SECRET + "\n")
    claims = {"sub": "dave", "channels": ["chat:*"], "exp": int(time.time()) + 3600}
    may = jwt.encode(dict(claims, publish=["chat:*"]), TOKEN_SECRET, algorithm="HS256")
    may_not = jwt.encode(claims, TOKEN_SECRET, algorithm="HS256")
    with herald_server(config=f'[auth]\nhmac_secret_file = "{secret}"\n') as srv:
        r = cli("pub", "--url", srv.url(""), "--api-key", may, "chat:p", "1")
        assert r.returncode == 0 and lines(r.stdout)[0]["offset"] == 1, r.stderr
        r = cli("pub", "--url", srv.url(""), "--api-key", may_not, "chat:p", "2")
        assert r.returncode == 1 and "403" in r.stderr, r.stderr


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sub_prints_a_binary_publication_as_its_b64_push(transport):
    """Bytes arrive as a WebSocket binary frame, as "b64" on SSE and polling, with the UDP
    binary flag: herald sub prints the same line for each, {"channel","offset","b64"}."""
    import base64
    with herald_server() as srv:
        first = pub(srv, "public:bin", '"before"')
        cursor = f'{first["epoch"]}:{first["offset"]}'
        st, _, body = srv.request("POST", "/api/publish?channel=public:bin", bytes(range(256)),
                                  {"Content-Type": "application/octet-stream"})
        assert st == 200, body
        pub(srv, "public:bin", '{"after":1}')
        r = cli("sub", "--url", srv.url(""), "--transport", transport, "--since", cursor,
                "--count", "2", "--timeout", "60", "--interval-ms", "100", "public:bin")
        assert r.returncode == 0, r.stderr
        got = pushes(lines(r.stdout))
        assert got[0] == {"channel": "public:bin", "offset": 2,
                          "b64": base64.b64encode(bytes(range(256))).decode()}
        assert got[1]["data"] == {"after": 1}


def test_pub_binary_publishes_a_files_bytes_unchanged(tmp_path):
    """`herald pub --binary CHANNEL FILE` (or `-` for stdin) publishes the file's bytes as
    application/octet-stream: every byte value arrives unchanged in a WebSocket binary frame
    (Python websockets) and as base64 in the history; a missing file is exit 2 before any
    request, a payload over the server's limit is its 413 (exit 1)."""
    import asyncio
    import base64
    import websockets  # Debian python3-websockets: an outside client
    blob = tmp_path / "blob"
    everything = bytes(range(256)) * 2
    blob.write_bytes(everything)
    with herald_server("--set", "websocket.max_message=4096") as srv:
        async def receive_two():
            async with websockets.connect(f"ws://127.0.0.1:{srv.port}/ws",
                                          subprotocols=["herald.v1"]) as ws:
                await ws.send(json.dumps({"id": 1, "op": "subscribe", "channel": "public:bin"}))
                # Once the answer is in, the channel is live for this connection.
                assert json.loads(await asyncio.wait_for(ws.recv(), 60))["id"] == 1
                r = cli("pub", "--url", srv.url(""), "--binary", "public:bin", str(blob))
                assert r.returncode == 0 and lines(r.stdout)[0]["offset"] == 1, r.stderr
                p = subprocess.run([herald_bin(), "pub", "--url", srv.url(""), "--binary",
                                    "public:bin", "-"], input=b"\x00hi\xff", capture_output=True,
                                   timeout=120)
                assert p.returncode == 0, p.stderr
                frames = [await asyncio.wait_for(ws.recv(), 60) for _ in range(2)]
            return frames
        frames = asyncio.run(receive_two())
        for frame, payload, offset in zip(frames, (everything, b"\x00hi\xff"), (1, 2)):
            assert isinstance(frame, bytes)
            head, _, body = frame.partition(b"\x00")
            assert json.loads(head) == {"channel": "public:bin", "offset": offset}
            assert body == payload
        hist = json.loads(srv.request("GET", "/api/history?channel=public:bin")[2])
        assert [base64.b64decode(p["b64"]) for p in hist["publications"]] == [
            everything, b"\x00hi\xff"]
        r = cli("pub", "--url", srv.url(""), "--binary", "public:bin", str(tmp_path / "nope"))
        assert r.returncode == 2 and "nope: No such file or directory" in r.stderr, r.stderr
        big = tmp_path / "big"
        big.write_bytes(b"x" * 5000)
        r = cli("pub", "--url", srv.url(""), "--binary", "public:bin", str(big))
        assert r.returncode == 1 and "413" in r.stderr, r.stderr
