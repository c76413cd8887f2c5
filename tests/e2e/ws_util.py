"""Helpers for the WebSocket e2e tests: a herald.v1 client over Python `websockets` (10.4,
asyncio) and a raw-socket client for what a well-behaved library will not do (never read,
never answer pings)."""
import asyncio
import base64
import json
import os
import socket
import struct

import websockets

from harness import DEADLINE


def run(coro, timeout=4 * DEADLINE):
    return asyncio.run(asyncio.wait_for(coro, timeout))


class Herald:
    """A herald.v1 connection: `await h.call(op, **fields)` returns the reply with that id;
    pushes (frames without id) that arrive meanwhile are kept in `h.pushes`."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.pushes = []

    @classmethod
    async def connect(cls, srv, path="/ws", **kw):
        kw.setdefault("open_timeout", DEADLINE)
        ws = await websockets.connect(f"ws://{srv.host}:{srv.port}{path}",
                                      subprotocols=["herald.v1"], max_size=None, **kw)
        return cls(ws)

    async def send(self, obj):
        await self.ws.send(obj if isinstance(obj, (str, bytes)) else json.dumps(obj))

    async def recv(self, timeout=DEADLINE):
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def call(self, op, timeout=DEADLINE, **fields):
        self.next_id += 1
        mid = self.next_id
        await self.send(dict(id=mid, op=op, **fields))
        while True:
            msg = await self.recv(timeout)
            if msg.get("id") == mid:
                return msg
            self.pushes.append(msg)

    async def push(self, timeout=DEADLINE):
        """The next push (a frame without id)."""
        if self.pushes:
            return self.pushes.pop(0)
        msg = await self.recv(timeout)
        assert "id" not in msg, msg
        return msg

    async def close(self):
        await self.ws.close()


def error_of(reply):
    assert "error" in reply, reply
    return reply["error"]["code"], reply["error"]["message"]


# ---- raw client ----------------------------------------------------------------------------------

def mask_frame(opcode, payload, fin=True):
    key = os.urandom(4)
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    if n <= 125:
        head = struct.pack("!BB", b0, 0x80 | n)
    elif n <= 0xFFFF:
        head = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", b0, 0x80 | 127, n)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawWs:
    """A WebSocket client on a plain socket: handshake, masked frames out, frames parsed in."""

    def __init__(self, srv, path="/ws", rcvbuf=None, protocol="herald.v1"):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect((srv.host, srv.port))
        self.sock.settimeout(DEADLINE)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: {srv.host}:{srv.port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n")
        if protocol:
            req += f"Sec-WebSocket-Protocol: {protocol}\r\n"
        self.sock.sendall((req + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            assert chunk, "connection closed during the handshake"
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status_line = head.split(b"\r\n")[0].decode()
        assert " 101 " in self.status_line, head

    def send_text(self, text):
        self.sock.sendall(mask_frame(1, text.encode() if isinstance(text, str) else text))

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk

    def frame(self):
        """Returns (opcode, payload) of the next server frame; EOFError when the stream ends."""
        self._fill(2)
        b0, b1 = self.buf[0], self.buf[1]
        assert not (b1 & 0x80), "server frames must not be masked"
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._fill(4)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._fill(10)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._fill(off + n)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0F, payload

    def close(self):
        self.sock.close()
