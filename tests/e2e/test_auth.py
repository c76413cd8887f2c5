"""Connection tokens through the real binary, on every transport (WebSocket herald.v1, SSE,
long-poll, short poll) and the HTTP API. Tokens are minted by PyJWT (Debian python3-jwt), not
by herald, so what is tested is the standard, not our own encoder.

What a client sees for each outcome:
  - no token on a namespace that is not anonymous: 403 (WebSocket: error reply 403);
  - a refused token (bad signature, alg none, algorithm confusion, wrong aud/iss, malformed,
    unknown kid): HTTP 401 with WWW-Authenticate: Bearer error="invalid_token"; WebSocket
    connect op: error 401 and close 4500; expired: 401 "token expired" (close 4005);
  - grants decide exactly which channels a token may subscribe to / publish on;
  - user-limited channels (dm:#alice,bob) admit the users they name and nobody else;
  - a token that expires ends the connection: WebSocket close 4005 (unless refreshed), SSE
    `event: reconnect`, a held long-poll 401.
"""
import asyncio
import contextlib
import http.client
import json
import os
import socket
import tempfile
import time
import urllib.parse

import jwt  # PyJWT
import pytest
import websockets

from harness import herald_server
from test_sse import SseStream, push, settle, sse_path
from ws_util import Herald, RawWs, error_of, mask_frame, run

SECRET = "a-test-secret-of-at-least-32-bytes-long!"

CONFIG = """
[auth]
hmac_secret_file = "{secret}"
audience = "herald-tests"
issuer = "https://issuer.example"

[limits]
publish_rate = 100000
max_connections_per_user = 3

[namespace.chat]
history_size = 100

[namespace.room]
authenticated = true
presence = true

[namespace.dm]
publish = true
"""


def mint(sub="alice", channels=None, publish=None, exp_in=3600, key=SECRET, alg="HS256",
         headers=None, **extra):
    claims = {"sub": sub, "aud": "herald-tests", "iss": "https://issuer.example",
              "iat": int(time.time())}
    if exp_in is not None:
        claims["exp"] = int(time.time()) + exp_in
    if channels is not None:
        claims["channels"] = channels
    if publish is not None:
        claims["publish"] = publish
    claims.update(extra)
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


@contextlib.contextmanager
def auth_server(extra=""):
    """herald with this file's CONFIG (its HMAC secret in a file of its own) plus `extra`."""
    d = tempfile.mkdtemp(prefix="herald-auth-")
    secret = os.path.join(d, "secret")
    with open(secret, "w") as f:
        f.write(SECRET + "\n")
    with herald_server(config=CONFIG.format(secret=secret) + extra) as s:
        yield s


@pytest.fixture(scope="module")
def srv():
    with auth_server() as s:
        yield s


def http_get(srv, path, headers=None):
    c = http.client.HTTPConnection(srv.host, srv.port, timeout=30)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def poll(srv, channel, token=None, wait=0, since=None, bearer=False):
    q = [("channel", channel), ("wait", str(wait))]
    if since:
        q.append(("since", since))
    headers = {}
    if token and bearer:
        headers["Authorization"] = "Bearer " + token
    elif token:
        q.append(("token", token))
    return http_get(srv, "/poll?" + urllib.parse.urlencode(q), headers)


def sse_open(srv, channel, token=None, headers=None):
    path = sse_path(channel)
    if token:
        path += "&token=" + urllib.parse.quote(token)
    s = SseStream(srv, path, headers=headers)
    status = s.read_head(timeout=30)
    return s, status


def metric(srv, name, labels=""):
    _, _, body = http_get(srv, "/metrics")
    for ln in body.decode().splitlines():
        if ln.startswith(name + labels + " ") or (not labels and ln.startswith(name + " ")):
            return int(float(ln.split()[-1]))
    raise AssertionError(f"{name}{labels} not in /metrics")


def publish(srv, channel, data):
    st, _, body = srv.request("POST", "/api/publish", json.dumps({"channel": channel, "data": data}),
                              {"Content-Type": "application/json"})
    assert st == 200, (st, body)
    return json.loads(body)


# ---- who may subscribe: every transport ------------------------------------------------------

def test_without_a_token_private_namespaces_are_forbidden_on_every_transport(srv):
    assert poll(srv, "chat:a")[0] == 403
    assert poll(srv, "chat:a", wait=5)[0] == 403
    s, status = sse_open(srv, "chat:a")
    assert status == 403, s.buf
    assert s.read_error_body()["error"]["message"] == "permission denied"

    async def ws():
        h = await Herald.connect(srv)
        assert error_of(await h.call("subscribe", channel="chat:a")) == (403, "permission denied")
        await h.close()
    run(ws())


def test_grants_allow_exactly_their_channels_on_every_transport(srv):
    tok = mint(channels=["chat:a*"])
    for wait in (0, 1):
        assert poll(srv, "chat:a1", tok, wait=wait)[0] == 200
        assert poll(srv, "chat:b", tok, wait=wait)[0] == 403
        assert poll(srv, "chat:a1", tok, wait=wait, bearer=True)[0] == 200
    s, status = sse_open(srv, "chat:a2", tok)
    assert status == 200
    settle(s)
    publish(srv, "chat:a2", {"n": 1})
    ev = s.next_event(timeout=30)
    assert push(ev)["data"] == {"n": 1}
    s.sock.close()
    s2, status = sse_open(srv, "chat:b", tok)
    assert status == 403
    s2.sock.close()

    async def ws():
        h = await Herald.connect(srv)
        r = await h.call("connect", token=tok)
        assert r["result"]["user"] == "alice" and r["result"]["client"], r
        assert "result" in await h.call("subscribe", channel="chat:a3")
        assert error_of(await h.call("subscribe", channel="chat:b")) == (403, "permission denied")
        publish(srv, "chat:a3", "hello")
        assert (await h.push(timeout=30))["data"] == "hello"
        # A subscribe grant is not a publish grant.
        assert error_of(await h.call("publish", channel="chat:a3", data=1))[0] == 403
        await h.close()
    run(ws())


def test_the_upgrade_request_may_carry_the_token(srv):
    tok = mint(channels=["chat:up"])

    async def ws():
        for path, headers in ((f"/ws?token={tok}", None), ("/ws", {"Authorization": f"bearer {tok}"})):
            h = await Herald.connect(srv, path=path, extra_headers=headers)
            r = await h.call("connect")
            assert r["result"]["user"] == "alice", r
            assert "result" in await h.call("subscribe", channel="chat:up")
            await h.close()
    run(ws())


def test_publish_grants_and_the_api_with_a_user_token(srv):
    tok = mint(sub="bob", channels=["chat:p"], publish=["chat:p"])

    async def ws():
        h = await Herald.connect(srv)
        await h.call("connect", token=tok)
        assert "result" in await h.call("subscribe", channel="chat:p")
        r = await h.call("publish", channel="chat:p", data={"x": 1})
        assert r["result"]["offset"] >= 1, r
        assert (await h.push(timeout=30))["data"] == {"x": 1}
        assert error_of(await h.call("publish", channel="chat:q", data=1))[0] == 403
        await h.close()
    run(ws())
    # The HTTP API answers a client's own token within its grants (no API key is configured,
    # but a token presented is the identity used).
    for auth in ("Bearer " + tok, "bearer " + tok):
        st, _, body = srv.request("POST", "/api/publish", json.dumps({"channel": "chat:p", "data": 2}),
                                  {"Authorization": auth})
        assert st == 200, body
    st, _, body = srv.request("POST", "/api/publish", json.dumps({"channel": "chat:q", "data": 2}),
                              {"Authorization": "Bearer " + tok})
    assert st == 403, body


def test_authenticated_namespace_needs_any_token_and_no_grant(srv):
    tok = mint(sub="carol", channels=[])
    assert poll(srv, "room:1", tok)[0] == 200
    assert poll(srv, "room:1")[0] == 403


def test_user_limited_channels(srv):
    alice, carol = mint(sub="alice"), mint(sub="carol")
    ch = "dm:#alice,bob"
    assert poll(srv, ch, alice)[0] == 200
    assert poll(srv, ch, carol)[0] == 403
    assert poll(srv, ch)[0] == 403

    async def ws():
        h = await Herald.connect(srv)
        await h.call("connect", token=alice)
        assert "result" in await h.call("subscribe", channel=ch)
        # The namespace lets whoever may subscribe publish.
        assert "result" in await h.call("publish", channel=ch, data="hi bob")
        assert (await h.push(timeout=30))["data"] == "hi bob"
        await h.close()
        h = await Herald.connect(srv)
        await h.call("connect", token=carol)
        assert error_of(await h.call("subscribe", channel=ch))[0] == 403
        await h.close()
    run(ws())


# ---- every refusal reason, on every transport ------------------------------------------------

def refused_tokens():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header, payload, _ = mint(channels=["chat:*"]).split(".")
    return {
        "bad_signature": mint(channels=["chat:*"], key="another-secret-of-at-least-32-bytes!!"),
        "alg_none": jwt.encode({"sub": "x", "aud": "herald-tests", "iss": "https://issuer.example"},
                               None, algorithm="none"),
        "alg_key_mismatch": mint(channels=["chat:*"], key=rsa_key, alg="RS256"),
        "expired": mint(channels=["chat:*"], exp_in=-3600),
        "not_yet_valid": mint(channels=["chat:*"], nbf=int(time.time()) + 3600),
        "bad_audience": mint(channels=["chat:*"], aud="someone-else"),
        "bad_issuer": mint(channels=["chat:*"], iss="https://evil.example"),
        "malformed": header + "." + payload + ".!!notbase64",
        "bad_claims": mint(channels="chat:*"),  # must be an array
    }


@pytest.mark.parametrize("reason", ["bad_signature", "alg_none", "alg_key_mismatch", "expired",
                                    "not_yet_valid", "bad_audience", "bad_issuer", "malformed",
                                    "bad_claims"])
def test_every_refusal_reason_on_every_transport(srv, reason):
    tok = refused_tokens()[reason]
    before = metric(srv, "herald_tokens_refused_total", '{reason="%s"}' % reason)
    want_msg = "token expired" if reason == "expired" else "unauthorized"
    for wait in (0, 1):
        st, headers, body = poll(srv, "chat:a", tok, wait=wait)
        assert st == 401, (reason, st, body)
        assert headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert json.loads(body)["error"] == {"code": 401, "message": want_msg}
    s, status = sse_open(srv, "chat:a", tok)
    assert status == 401 and s.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    s.sock.close()
    st, _, _ = srv.request("POST", "/api/publish", json.dumps({"channel": "chat:a", "data": 1}),
                           {"Authorization": "Bearer " + tok})
    assert st == 401

    async def ws():
        # At the upgrade: an HTTP 401, no WebSocket.
        with pytest.raises(websockets.InvalidStatusCode) as e:
            await Herald.connect(srv, path="/ws?token=" + urllib.parse.quote(tok))
        assert e.value.status_code == 401
        # In the connect op: an error reply, then the close code of the outcome.
        h = await Herald.connect(srv)
        r = await h.call("connect", token=tok)
        assert error_of(r) == (401, want_msg), r
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await h.recv(timeout=30)
        assert closed.value.code == (4005 if reason == "expired" else 4500)
    run(ws())
    # Every refusal is counted under its reason: two polls, SSE, the API, two on WebSocket.
    assert metric(srv, "herald_tokens_refused_total", '{reason="%s"}' % reason) - before == 6


def test_a_flood_of_bad_tokens_leaves_good_clients_served(srv):
    tok = mint(channels=["chat:flood"])
    bad = refused_tokens()["bad_signature"]
    for _ in range(200):
        assert poll(srv, "chat:flood", bad)[0] == 401
    assert poll(srv, "chat:flood", tok)[0] == 200
    assert srv.alive()


# ---- expiry ----------------------------------------------------------------------------------

def test_websocket_token_expiry_closes_4005_unless_refreshed(srv):
    async def ws():
        short = mint(sub="eve", channels=["chat:e"], exp_in=2)
        h = await Herald.connect(srv)
        r = await h.call("connect", token=short)
        assert r["result"]["expires"] > time.time(), r
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await h.recv(timeout=60)
        assert closed.value.code == 4005 and closed.value.reason == "token expired"

        # Refreshed before exp: the connection outlives the first token.
        short = mint(sub="eve", channels=["chat:e"], exp_in=2)
        h = await Herald.connect(srv)
        await h.call("connect", token=short)
        r = await h.call("refresh", token=mint(sub="eve", channels=["chat:e"], exp_in=3600))
        assert "result" in r and r["result"]["expires"] > time.time() + 3000, r
        # A refresh may not change who the connection is.
        r = await h.call("refresh", token=mint(sub="mallory", exp_in=3600))
        assert error_of(r)[0] == 403
        await asyncio.sleep(4)  # past the first token's exp
        assert "result" in await h.call("ping", timeout=30)
        await h.close()
    run(ws(), timeout=120)


def sse_until_expiry(srv, channel, exp_in):
    """Opens an SSE stream of `channel` with a token that expires in `exp_in` s, reads it to
    the reconnect event the expiry sends and to the stream's end, and returns it."""
    s, status = sse_open(srv, channel, mint(channels=[channel], exp_in=exp_in))
    assert status == 200
    settle(s)
    ev = s.next_event(timeout=60)
    assert ev is not None and ev["event"] == "reconnect", ev
    assert json.loads(ev["data"]) == {"reason": "token expired"}
    assert s.next_event(timeout=30) is None and s.closed
    return s


def test_sse_stream_ends_with_reconnect_when_its_token_expires(srv):
    sse_until_expiry(srv, "chat:s", 2)


def test_websocket_keepalive_goes_on_until_its_token_expires():
    # The session's one timer entry serves both: pings every 200 ms (each answered) while the
    # token is valid, then close 4005 when it expires (6 s: far more than a busy machine needs
    # to connect, so pings come first whatever the load).
    with auth_server("\n[websocket]\nping_interval_ms = 200\npong_timeout_ms = 10000\n") as srv:
        raw = RawWs(srv)
        raw.send_text(json.dumps({"id": 1, "op": "connect", "token": mint("kim", exp_in=6)}))
        pings = 0
        while True:
            op, payload = raw.frame()
            if op == 9:
                pings += 1
                raw.sock.sendall(mask_frame(10, payload))
            elif op == 8:
                break
            else:
                assert op == 1 and "result" in json.loads(payload), (op, payload)
        raw.close()
        assert int.from_bytes(payload[:2], "big") == 4005, payload
        assert pings >= 1


def test_websocket_token_expiry_comes_before_a_later_keepalive():
    # The other way round: the keepalive an hour away, the token's expiry in 3 s.
    with auth_server("\n[websocket]\nping_interval_ms = 3600000\n") as srv:
        raw = RawWs(srv)
        raw.send_text(json.dumps({"id": 1, "op": "connect", "token": mint("lee", exp_in=3)}))
        op, payload = raw.frame()
        assert op == 1 and "result" in json.loads(payload), (op, payload)
        op, payload = raw.frame()  # within DEADLINE (RawWs's socket timeout)
        raw.close()
        assert op == 8 and int.from_bytes(payload[:2], "big") == 4005, (op, payload)


def test_sse_heartbeats_go_on_until_its_token_expires():
    # The stream's one deadline serves both: heartbeats every 100 ms while the token is valid,
    # then the reconnect event when it expires (6 s: far more than a busy machine needs to
    # open the stream, so heartbeats come first whatever the load).
    with auth_server("\n[sse]\nheartbeat_ms = 100\n") as srv:
        s = sse_until_expiry(srv, "chat:hb", 6)
        assert "ping" in s.comments  # heartbeats, before the reconnect that ended the stream


def test_held_long_poll_answers_401_when_its_token_expires(srv):
    st, _, body = poll(srv, "chat:lp", mint(channels=["chat:lp"], exp_in=2), wait=60)
    assert st == 401 and json.loads(body)["error"]["message"] == "token expired", body


# ---- connections per user --------------------------------------------------------------------

def test_connections_per_user_are_limited(srv):
    async def ws():
        tok = mint(sub="frank", channels=["chat:f"])
        conns = [await Herald.connect(srv, path="/ws?token=" + tok) for _ in range(3)]
        with pytest.raises(websockets.InvalidStatusCode) as e:
            await Herald.connect(srv, path="/ws?token=" + tok)
        assert e.value.status_code == 503
        # Over the limit through the connect op: error 503 and close 4504.
        h = await Herald.connect(srv)
        r = await h.call("connect", token=tok)
        assert error_of(r) == (503, "connection limit reached"), r
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await h.recv(timeout=30)
        assert closed.value.code == 4504
        s, status = sse_open(srv, "chat:f", tok)
        assert status == 503
        s.sock.close()
        # Closing one makes room again.
        await conns[0].close()
        deadline = time.time() + 30
        while True:
            try:
                extra = await Herald.connect(srv, path="/ws?token=" + tok)
                break
            except websockets.InvalidStatusCode:
                assert time.time() < deadline
                await asyncio.sleep(0.1)
        for c in conns[1:] + [extra]:
            await c.close()
    run(ws(), timeout=120)


# ---- public keys: RS256 PEM and a JWKS with kid ---------------------------------------------

def test_public_keys_jwks_and_the_remaining_refusals():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    d = tempfile.mkdtemp(prefix="herald-auth-pk-")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    ec_jwk.update({"kid": "ec-1", "alg": "ES256", "use": "sig"})
    with open(os.path.join(d, "rsa.pem"), "wb") as f:
        f.write(rsa_pem)
    with open(os.path.join(d, "jwks.json"), "w") as f:
        json.dump({"keys": [ec_jwk]}, f)
    cfg = f"""
[auth]
public_key_file = "{d}/rsa.pem"
jwks_file = "{d}/jwks.json"
audience = "herald-tests"
issuer = "https://issuer.example"

[namespace.chat]
"""
    with herald_server(config=cfg) as s:
        good_rs = mint(channels=["chat:*"], key=rsa_key, alg="RS256")
        good_es = mint(channels=["chat:*"], key=ec_key, alg="ES256", headers={"kid": "ec-1"})
        for tok in (good_rs, good_es):
            assert poll(s, "chat:k", tok)[0] == 200
        refused = {
            "unknown_kid": mint(channels=["chat:*"], key=ec_key, alg="ES256",
                                headers={"kid": "ec-2"}),
            "too_large": mint(channels=["chat:*"], key=rsa_key, alg="RS256", pad="x" * 9000),
        }
        # Algorithm confusion: HS256 "signed" with the RSA public key's PEM as the secret.
        # PyJWT refuses to HMAC-sign with a PEM key, so the token is built by hand, exactly as
        # an attacker would.
        import base64
        import hashlib
        import hmac

        def b64(b):
            return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = b64(json.dumps({"sub": "x", "aud": "herald-tests", "iss": "https://issuer.example",
                               "exp": int(time.time()) + 3600, "channels": ["chat:*"]}).encode())
        sig = b64(hmac.new(rsa_pem, f"{head}.{body}".encode(), hashlib.sha256).digest())
        refused["alg_key_mismatch"] = f"{head}.{body}.{sig}"
        for reason, tok in refused.items():
            before = metric(s, "herald_tokens_refused_total", '{reason="%s"}' % reason)
            st, _, body_ = poll(s, "chat:k", tok, bearer=True)
            assert st == 401, (reason, body_)
            sse, status = sse_open(s, "chat:k", headers={"Authorization": "Bearer " + tok})
            assert status == 401, reason
            sse.sock.close()
            assert metric(s, "herald_tokens_refused_total", '{reason="%s"}' % reason) - before == 2

    # A server without keys refuses every token (no_key) but still serves anonymous clients.
    with herald_server() as s:
        assert poll(s, "chat:k", mint(channels=["chat:*"]))[0] == 401
        assert metric(s, "herald_tokens_refused_total", '{reason="no_key"}') == 1
        assert poll(s, "public:k")[0] == 200
