"""permessage-deflate (RFC 7692) on GET /ws and /ws/echo: negotiated with Python `websockets`
(which offers it by default) and checked on the wire with a raw socket client that inflates
with Python's zlib, so a server that "negotiates" but sends garbage or never compresses fails."""
import asyncio
import base64
import json
import os
import socket
import struct
import zlib

import websockets
from websockets.extensions.permessage_deflate import PerMessageDeflate

from harness import DEADLINE, herald_server
from ws_util import Herald, run

import pytest

TAIL = b"\x00\x00\xff\xff"


@pytest.fixture(scope="module")
def srv():
    with herald_server("--debug-echo") as s:
        yield s


def compressible(n):
    out = b""
    i = 0
    while len(out) < n:
        out += b'{"user":"alice","text":"hello world","seq":%d},' % i
        i += 1
    return out[:n].decode()


# ---- a raw client that offers the extension and reads RSV1 -------------------------------------

class DeflateWs:
    def __init__(self, srv, path="/ws", offer="permessage-deflate", protocol="herald.v1"):
        self.sock = socket.create_connection((srv.host, srv.port), timeout=DEADLINE)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n")
        if protocol:
            req += f"Sec-WebSocket-Protocol: {protocol}\r\n"
        if offer is not None:
            req += f"Sec-WebSocket-Extensions: {offer}\r\n"
        self.sock.sendall((req + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            assert chunk, "closed during the handshake"
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
        self.inflater = zlib.decompressobj(-15)

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def frame(self):
        """(opcode, rsv1, payload as on the wire)."""
        self._fill(2)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._fill(4)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._fill(10)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._fill(off + n)
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        assert not b0 & 0x30, "RSV2/RSV3 set by the server"
        return b0 & 0x0F, bool(b0 & 0x40), payload

    def message(self):
        """(opcode, rsv1, inflated payload). Each server message must inflate alone: the server
        agreed server_no_context_takeover, so a fresh inflater is used per message."""
        op, rsv1, payload = self.frame()
        if rsv1:
            d = zlib.decompressobj(-15)
            payload = d.decompress(payload + TAIL)
        return op, rsv1, payload

    def send(self, opcode, payload, rsv1=False):
        b0 = 0x80 | (0x40 if rsv1 else 0) | opcode
        k = os.urandom(4)
        n = len(payload)
        if n <= 125:
            head = struct.pack("!BB", b0, 0x80 | n)
        elif n <= 0xFFFF:
            head = struct.pack("!BBH", b0, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", b0, 0x80 | 127, n)
        self.sock.sendall(head + k + bytes(b ^ k[i % 4] for i, b in enumerate(payload)))

    def send_compressed(self, opcode, data, compressor=None):
        c = compressor or zlib.compressobj(6, zlib.DEFLATED, -15)
        z = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
        assert z.endswith(TAIL)
        self.send(opcode, z[:-4], rsv1=True)

    def expect_close(self, code):
        op, _, payload = self.frame()
        assert op == 8, (op, payload[:80])
        got = struct.unpack("!H", payload[:2])[0]
        assert got == code, (got, payload[2:])
        return payload[2:].decode()

    def close(self):
        self.sock.close()


# ---- negotiation ------------------------------------------------------------------------------

def test_websockets_negotiates_permessage_deflate(srv):
    async def go():
        async with websockets.connect(f"ws://{srv.host}:{srv.port}/ws",
                                      subprotocols=["herald.v1"]) as ws:
            assert ws.response_headers["Sec-WebSocket-Extensions"] == \
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
            assert [type(e) for e in ws.extensions] == [PerMessageDeflate]
            await ws.send(json.dumps({"id": 1, "op": "ping"}))
            assert json.loads(await ws.recv()) == {"id": 1, "result": {}}
    run(go())


def test_offers_and_refusals_on_the_wire(srv):
    c = DeflateWs(srv, offer="permessage-deflate; server_max_window_bits=16, permessage-deflate; "
                             "client_no_context_takeover")
    assert c.status == 101
    assert c.headers["sec-websocket-extensions"] == \
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    c.close()
    c = DeflateWs(srv, offer="permessage-deflate; mux")  # unknown parameter: declined
    assert c.status == 101 and "sec-websocket-extensions" not in c.headers
    c.close()
    c = DeflateWs(srv, offer="permessage-deflate; =1")  # outside the grammar: 400
    assert c.status == 400
    c.close()


def test_compression_can_be_turned_off():
    with herald_server(config="[websocket]\ncompression = false\n") as s:
        c = DeflateWs(s)
        assert c.status == 101 and "sec-websocket-extensions" not in c.headers
        # Without the extension RSV1 is a protocol error again.
        c.send_compressed(1, b'{"id":1,"op":"ping"}')
        c.expect_close(1002)
        c.close()


# ---- server -> client ---------------------------------------------------------------------------

def test_large_publication_arrives_compressed_and_shared(srv):
    a, b = DeflateWs(srv), DeflateWs(srv, offer="permessage-deflate; client_max_window_bits")
    plain = DeflateWs(srv, offer=None)
    for c in (a, b, plain):
        c.send(1, b'{"id":1,"op":"subscribe","channel":"public:z"}')
        op, rsv1, reply = c.message()
        assert json.loads(reply)["id"] == 1
        assert not rsv1  # a short reply stays uncompressed (under 64 bytes)
    data = compressible(200_000)
    assert srv.publish("public:z", data)["offset"] == 1
    frames = [c.frame() for c in (a, b, plain)]
    (op_a, rsv_a, za), (op_b, rsv_b, zb), (op_p, rsv_p, raw) = frames
    assert op_a == op_b == op_p == 1
    assert rsv_a and rsv_b and not rsv_p
    assert za == zb  # one compressed frame shared by both subscribers
    assert len(za) < len(raw) / 10
    push = json.loads(zlib.decompressobj(-15).decompress(za + TAIL))
    assert push == json.loads(raw) == {"channel": "public:z", "offset": 1, "data": data}
    # A small publication goes uncompressed even to a client that agreed compression.
    srv.publish("public:z", 1)
    op, rsv1, payload = a.frame()
    assert not rsv1 and json.loads(payload)["data"] == 1
    for c in (a, b, plain):
        c.close()


def test_websockets_client_receives_large_publications(srv):
    async def go():
        h = await Herald.connect(srv)
        await h.call("subscribe", channel="public:big")
        sizes = [100, 5_000, 300_000]
        for n in sizes:
            srv.publish("public:big", compressible(n))
        for i, n in enumerate(sizes, 1):
            p = await h.push()
            assert p == {"channel": "public:big", "offset": i, "data": compressible(n)}
        await h.close()
    run(go())


def test_replay_is_compressed_too(srv):
    for i in range(3):
        srv.publish("public:replay", compressible(2000 + i))
    c = DeflateWs(srv)
    c.send(1, b'{"id":1,"op":"subscribe","channel":"public:replay","since":"x:0"}')
    _, _, reply = c.message()
    assert json.loads(reply)["result"]["recovered"] is False
    c.send(1, b'{"id":2,"op":"history","channel":"public:replay"}')
    op, rsv1, payload = c.message()
    assert rsv1
    assert [p["data"] for p in json.loads(payload)["result"]["publications"]] == \
        [compressible(2000 + i) for i in range(3)]
    c.close()


# ---- client -> server ---------------------------------------------------------------------------

def test_websockets_client_publishes_compressed(srv):
    async def go():
        sub = await Herald.connect(srv)
        pub = await Herald.connect(srv)
        await sub.call("subscribe", channel="public:up")
        for i, n in enumerate([10, 1_000, 200_000], 1):
            r = await pub.call("publish", channel="public:up", data=compressible(n))
            assert r["result"]["offset"] == i
            assert (await sub.push())["data"] == compressible(n)
        await sub.close()
        await pub.close()
    run(go())


def test_client_no_context_takeover_and_fragments(srv):
    # The server always agrees client_no_context_takeover: the client compresses each message
    # alone (a fresh compressor per message), and the server's shared inflater reads it.
    c = DeflateWs(srv, path="/ws/echo", protocol=None)
    assert "client_no_context_takeover" in c.headers["sec-websocket-extensions"]
    for i in range(3):
        msg = compressible(3000) + str(i)
        c.send_compressed(1, msg.encode(), zlib.compressobj(6, zlib.DEFLATED, -15))
        op, _, payload = c.message()
        assert (op, payload) == (1, msg.encode())
    # A compressed message in 3 fragments: RSV1 on the first frame only.
    z = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = z.compress(b"fragmented " * 500) + z.flush(zlib.Z_SYNC_FLUSH)
    body = body[:-4]
    k = os.urandom(4)
    parts = [body[:10], body[10:20], body[20:]]
    for i, part in enumerate(parts):
        b0 = (0x80 if i == 2 else 0) | (0x40 if i == 0 else 0) | (2 if i == 0 else 0)
        c.sock.sendall(struct.pack("!BBQ", b0, 0x80 | 127, len(part)) + k +
                       bytes(x ^ k[j % 4] for j, x in enumerate(part)))
    op, _, payload = c.message()
    assert (op, payload) == (2, b"fragmented " * 500)
    c.close()


def test_zip_bomb_closes_1009_with_bounded_memory(srv):
    c = DeflateWs(srv, path="/ws/echo", protocol=None)
    # 64 MB of zeros: ~64 KB on the wire, far past websocket.max_message (1 MiB) inflated.
    c.send_compressed(2, bytes(64 << 20))
    assert c.expect_close(1009) == "message too big"
    c.close()
    assert srv.alive()


def test_invalid_deflate_data_closes_1007(srv):
    c = DeflateWs(srv)
    c.send(1, b"\xff\xff\xff\xff not deflate", rsv1=True)
    assert c.expect_close(1007) == "invalid compressed data"
    c.close()


def test_inflated_text_must_be_utf8(srv):
    c = DeflateWs(srv, path="/ws/echo", protocol=None)
    c.send_compressed(1, b"valid start \xc0\xaf then invalid" * 10)
    c.expect_close(1007)
    c.close()


def test_rsv1_on_control_frame_closes_1002(srv):
    c = DeflateWs(srv)
    c.send(9, b"ping", rsv1=True)
    c.expect_close(1002)
    c.close()


# ---- Node ws --------------------------------------------------------------------------------------

def test_node_ws_with_per_message_deflate():
    import subprocess
    from harness import ROOT
    js = os.path.join(ROOT, "tests", "e2e", "js")
    if not os.path.isdir(os.path.join(js, "node_modules", "ws")):
        pytest.fail("npm ws missing: run scripts/install-deps (npm install in tests/e2e/js)")
    with herald_server("--debug-echo") as s:
        p = subprocess.run(["node", os.path.join(js, "ws_deflate_client.js"),
                            f"ws://127.0.0.1:{s.port}"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    opens = [l for l in lines if l["type"] == "open"]
    # ws reports the names of the accepted extensions; it accepted our answer's parameters.
    assert [o["extensions"] for o in opens] == ["permessage-deflate"] * 2
    assert [(l["offset"], l["ok"], l["bytes"]) for l in lines if l["type"] == "push"] == \
        [(1, True, 100), (2, True, 20000), (3, True, 500000)]
    assert [(l["ok"], l["bytes"]) for l in lines if l["type"] == "echo"] == \
        [(True, 300000), (True, 100000)]
    assert lines[-1] == {"type": "done"}
