#!/usr/bin/python3
"""RFC 6455 conformance cases against herald's plain echo endpoint (GET /ws/echo).

Usage: /usr/bin/python3 run_cases.py --herald PATH_TO_BINARY [--slow] [--only PREFIX] [-v]
   or: /usr/bin/python3 run_cases.py --url ws://127.0.0.1:PORT/ws/echo  (a server already running)

The client is Debian's python3-autobahn (asyncio flavour), whose protocol object can send any
frame, valid or not (sendFrame with arbitrary opcode, RSV bits, FIN, chopped writes) and raw
bytes (sendData). The case table follows the families of the Autobahn TestSuite:
 1 framing, 2 ping/pong, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8 (with fail-fast
 inside a fragment and inside a frame), 7 close handling and codes, 9 limits (the large ones
 behind --slow), 10 auto-fragmentation, plus a few masking cases (12 here, not Autobahn's 12),
and permessage-deflate (RFC 7692) cases in the spirit of Autobahn's 12 and 13, named pmd.12.*
(compressed echo of many sizes) and pmd.13.* (each offer variant: window bits, context
takeover); these connect with a PerMessageDeflateOffer and require the extension in use.
Each case states what RFC 6455 requires: the echoed messages (payload and type), the close
code the server must send, or that nothing comes back. Prints one line per case and
"N passed, M failed"; exits 1 on any failure.
"""
import argparse
import asyncio
import os
import struct
import sys
import time
import traceback

from autobahn.asyncio.websocket import WebSocketClientFactory, WebSocketClientProtocol
from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateResponseAccept

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

TEXT, BINARY, CONT, CLOSE, PING, PONG = 1, 2, 0, 8, 9, 10
MAX_MESSAGE = 1024 * 1024  # herald's default websocket.max_message
# How long a case waits for what the server must send. Cases end as soon as it arrives; the
# bound only stops a failing case, and is far above what an ASan build on a busy machine needs
# (ctest runs this beside other suites). Where nothing may come back, a ping marks the spot
# (expect_silence): no case waits for a fixed time.
TIMEOUT = 30.0
SLOW_TIMEOUT = 120.0


class CaseFailed(Exception):
    pass


class Client(WebSocketClientProtocol):
    def __init__(self):
        super().__init__()
        self.events = asyncio.Queue()

    def onOpen(self):
        self.events.put_nowait(("open",))

    def onMessage(self, payload, isBinary):
        self.events.put_nowait(("message", bytes(payload), isBinary))

    def onPong(self, payload):
        self.events.put_nowait(("pong", bytes(payload)))

    def onClose(self, wasClean, code, reason):
        remote = self.remoteCloseCode
        if remote is None and self.closedByMe is False and wasClean:
            remote = 1005
        self.events.put_nowait(("close", wasClean, remote, code, reason))


class Conn:
    """One WebSocket connection to the echo endpoint, with event helpers."""

    def __init__(self, proto):
        self.p = proto

    async def next(self, timeout=TIMEOUT):
        try:
            return await asyncio.wait_for(self.p.events.get(), timeout)
        except asyncio.TimeoutError:
            raise CaseFailed(f"nothing received within {timeout}s")

    async def expect_messages(self, expected, timeout=TIMEOUT):
        """expected: list of (payload bytes, is_binary); pongs in between are ignored."""
        for i, (payload, binary) in enumerate(expected):
            while True:
                ev = await self.next(timeout)
                if ev[0] == "pong":
                    continue
                break
            if ev[0] != "message":
                raise CaseFailed(f"message {i}: expected an echo, got {describe(ev)}")
            if ev[2] != binary:
                raise CaseFailed(f"message {i}: expected {'binary' if binary else 'text'}, got the other type")
            if ev[1] != payload:
                raise CaseFailed(f"message {i}: payload differs (got {len(ev[1])} bytes, want {len(payload)})")

    async def expect_pong(self, payload, timeout=TIMEOUT):
        ev = await self.next(timeout)
        if ev[0] != "pong":
            raise CaseFailed(f"expected a pong, got {describe(ev)}")
        if ev[1] != payload:
            raise CaseFailed(f"pong payload differs: {ev[1][:40]!r} vs {payload[:40]!r}")

    async def expect_close(self, codes, timeout=TIMEOUT, allow_pongs=False):
        """The server must close with one of `codes` (it sends a close frame), nothing before it."""
        while True:
            ev = await self.next(timeout)
            if ev[0] == "pong" and allow_pongs:
                continue
            break
        if ev[0] != "close":
            raise CaseFailed(f"expected a close {sorted(codes)}, got {describe(ev)}")
        if ev[2] not in codes:
            raise CaseFailed(f"expected close code {sorted(codes)}, got {ev[2]} (clean={ev[1]}, {ev[4]})")

    async def expect_silence(self):
        """Nothing came back for what was sent so far: a ping sent now must be the next thing
        answered (a connection's frames are handled in order). Not a timed silence, which a
        busy machine passes whatever the server sends."""
        marker = b"silence marker"
        self.frame(PING, marker)
        ev = await self.next()
        if ev != ("pong", marker):
            raise CaseFailed(f"expected nothing, got {describe(ev)}")

    async def finish(self, code=1000):
        """Client-initiated close: the server must echo the code and close cleanly."""
        self.p.sendClose(code)
        await self.expect_close({code})

    # sending
    def frame(self, opcode, payload=b"", fin=True, rsv=0, chopsize=None):
        self.p.sendFrame(opcode, payload, fin=fin, rsv=rsv, chopsize=chopsize)

    def message(self, payload, binary=False, fragment=0):
        self.p.sendMessage(payload, isBinary=binary, fragmentSize=fragment or None)

    def raw(self, data, chopsize=None):
        self.p.sendData(data, chopsize=chopsize)


def describe(ev):
    if ev[0] == "message":
        return f"a {'binary' if ev[2] else 'text'} message of {len(ev[1])} bytes"
    if ev[0] == "close":
        return f"close {ev[2]} (clean={ev[1]}, {ev[4]})"
    if ev[0] == "pong":
        return f"a pong of {len(ev[1])} bytes"
    return str(ev)


def masked_frame(opcode, payload, fin=True, rsv=0, mask=b"\x37\xfa\x21\x3d", length=None):
    """A client frame built by hand (for cases autobahn's sendFrame cannot express)."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    mbit = 0x80 if mask is not None else 0
    if n <= 125:
        head = struct.pack("!BB", b0, mbit | n)
    elif n <= 0xFFFF:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if mask is None:
        return head + payload
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + body


async def connect(url, offers=None):
    """`offers`: a list of PerMessageDeflateOffer to send; the extension must then be in use."""
    from urllib.parse import urlparse
    u = urlparse(url)
    factory = WebSocketClientFactory(url)
    factory.protocol = Client
    # No client-side limits or auto-fragmentation beyond what a case asks for; close quickly.
    factory.setProtocolOptions(closeHandshakeTimeout=TIMEOUT, openHandshakeTimeout=TIMEOUT,
                               maxMessagePayloadSize=0, maxFramePayloadSize=0, failByDrop=False)
    if offers:
        factory.setProtocolOptions(perMessageCompressionOffers=offers,
                                   perMessageCompressionAccept=PerMessageDeflateResponseAccept)
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_connection(factory, u.hostname, u.port)
    c = Conn(proto)
    ev = await c.next()
    if ev[0] != "open":
        raise CaseFailed(f"handshake failed: {describe(ev)}")
    if offers:
        in_use = [e.EXTENSION_NAME for e in (proto.websocket_extensions_in_use or [])]
        if in_use != ["permessage-deflate"]:
            raise CaseFailed(f"permessage-deflate was offered but not agreed (in use: {in_use})")
    return c


# ---- the case table ---------------------------------------------------------------------------

CASES = []  # (id, description, coroutine function(conn), slow)


def case(cid, desc, slow=False):
    def wrap(fn):
        CASES.append((cid, desc, fn, slow))
        return fn
    return wrap


def echo_case(cid, desc, payload, binary=False, chopsize=None, fragment=0, slow=False):
    async def run(c):
        if chopsize:
            c.frame(BINARY if binary else TEXT, payload, chopsize=chopsize)
        else:
            c.message(payload, binary, fragment)
        await c.expect_messages([(payload, binary)], timeout=SLOW_TIMEOUT if slow else TIMEOUT)
        await c.finish()
    CASES.append((cid, desc, run, slow))


def fail_case(cid, desc, frames, codes, before=()):
    """Sends `frames` (list of callables on conn); the server must echo `before` then close."""
    async def run(c):
        for f in frames:
            f(c)
        if before:
            await c.expect_messages(list(before))
        await c.expect_close(set(codes), allow_pongs=True)
    CASES.append((cid, desc, run, False))


def F(opcode, payload=b"", fin=True, rsv=0, chopsize=None):
    return lambda c: c.frame(opcode, payload, fin=fin, rsv=rsv, chopsize=chopsize)


def R(data, chopsize=None):
    return lambda c: c.raw(data, chopsize=chopsize)


# 1 framing: text and binary of every length encoding boundary.
for i, n in enumerate([0, 125, 126, 127, 128, 65535, 65536], 1):
    echo_case(f"1.1.{i}", f"text message of {n} bytes", b"*" * n)
    echo_case(f"1.2.{i}", f"binary message of {n} bytes", b"\xfe" * n, binary=True)
echo_case("1.1.8", "text message of 65536 bytes, written in chops of 997", b"*" * 65536, chopsize=997)
echo_case("1.2.8", "binary message of 65536 bytes, written in chops of 997", b"\xfe" * 65536,
          binary=True, chopsize=997)
echo_case("1.3.1", "text message, header and payload written byte by byte", b"Hello, world", chopsize=1)

# 2 ping/pong
async def ping_case(c, payload, chopsize=None):
    c.frame(PING, payload, chopsize=chopsize)
    await c.expect_pong(payload)
    await c.finish()

CASES += [
    ("2.1", "ping without payload gets a pong", lambda c: ping_case(c, b""), False),
    ("2.2", "ping with text payload", lambda c: ping_case(c, b"Hello, world!"), False),
    ("2.3", "ping with binary payload", lambda c: ping_case(c, bytes([0, 255, 254, 253, 252])), False),
    ("2.4", "ping with 125-byte payload", lambda c: ping_case(c, b"\xfe" * 125), False),
    ("2.6", "ping with 125-byte payload written byte by byte",
     lambda c: ping_case(c, b"\xfe" * 125, chopsize=1), False),
]
fail_case("2.5", "ping with 126-byte payload is a protocol error", [F(PING, b"\xfe" * 126)], {1002})


@case("2.7", "unsolicited pong without payload is ignored")
async def _(c):
    c.frame(PONG)
    await c.expect_silence()
    await c.finish()


@case("2.8", "unsolicited pong with payload is ignored")
async def _(c):
    c.frame(PONG, b"unsolicited pong payload")
    await c.expect_silence()
    await c.finish()


@case("2.9", "unsolicited pong, then ping: only the ping is answered")
async def _(c):
    c.frame(PONG, b"unsolicited")
    c.frame(PING, b"ping payload")
    await c.expect_pong(b"ping payload")
    await c.finish()


@case("2.10", "10 pings in a row each get their pong, in order")
async def _(c):
    for i in range(10):
        c.frame(PING, b"payload-%d" % i)
    for i in range(10):
        await c.expect_pong(b"payload-%d" % i)
    await c.finish()


@case("2.11", "10 pings written byte by byte each get their pong")
async def _(c):
    for i in range(10):
        c.frame(PING, b"payload-%d" % i, chopsize=1)
    for i in range(10):
        await c.expect_pong(b"payload-%d" % i)
    await c.finish()


# 3 reserved bits (no extension negotiated: any RSV bit fails the connection).
fail_case("3.1", "RSV1 on a text frame", [F(TEXT, b"Hello", rsv=1)], {1002})
fail_case("3.2", "text echoed, then RSV2 on a text frame", [F(TEXT, b"Hello"), F(TEXT, b"Hello", rsv=2)],
          {1002}, before=[(b"Hello", False)])
fail_case("3.3", "text echoed, RSV3 frame, ping never answered",
          [F(TEXT, b"Hello"), F(TEXT, b"Hello", rsv=3), F(PING)], {1002}, before=[(b"Hello", False)])
fail_case("3.4", "RSV1+2+3 written byte by byte", [F(TEXT, b"Hello", rsv=7, chopsize=1)], {1002})
fail_case("3.5", "RSV1+RSV3 on a binary frame", [F(BINARY, b"\x00\xff", rsv=5)], {1002})
fail_case("3.6", "RSV2+RSV3 on a ping", [F(PING, b"Hello", rsv=6)], {1002})
fail_case("3.7", "RSV on a close frame", [F(CLOSE, struct.pack("!H", 1000), rsv=7)], {1002})
# autobahn's `rsv` argument is the 3-bit field RSV1..RSV3 read as a number (RSV1 = 4, RSV3 = 1),
# as in Autobahn's own case names; 3.8 is the compressed bit itself, refused without the
# extension (the pmd cases below accept it once negotiated).
RSV1 = 4
fail_case("3.8", "RSV1 (the compressed bit) on a text frame, no extension agreed",
          [F(TEXT, b"Hello", rsv=RSV1)], {1002})

# 4 opcodes
for i, op in enumerate([3, 4, 5, 6, 7], 1):
    fail_case(f"4.1.{i}", f"reserved data opcode {op}", [F(op, b"reserved")], {1002})
for i, op in enumerate([11, 12, 13, 14, 15], 1):
    fail_case(f"4.2.{i}", f"reserved control opcode {op}", [F(op, b"reserved")], {1002})
fail_case("4.3.1", "text echoed, reserved opcode, ping after it unanswered",
          [F(TEXT, b"Hello"), F(5), F(PING)], {1002}, before=[(b"Hello", False)])

# 5 fragmentation
fail_case("5.1", "fragmented ping", [F(PING, b"frag1", fin=False), F(CONT, b"frag2")], {1002})
fail_case("5.2", "fragmented pong", [F(PONG, b"frag1", fin=False), F(CONT, b"frag2")], {1002})


def frag_echo(cid, desc, parts, chopsize=None, pings=False, delay=0.0):
    async def run(c):
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            c.frame(TEXT if i == 0 else CONT, part, fin=last, chopsize=chopsize)
            if pings and not last:
                c.frame(PING, b"ping-%d" % i, chopsize=chopsize)
                await c.expect_pong(b"ping-%d" % i)
            if delay:
                await asyncio.sleep(delay)
        await c.expect_messages([(b"".join(parts), False)])
        await c.finish()
    CASES.append((cid, desc, run, False))


frag_echo("5.3", "text in 2 fragments", [b"fragment1", b"fragment2"])
frag_echo("5.4", "text in 2 fragments, delayed", [b"fragment1", b"fragment2"], delay=0.1)
frag_echo("5.5", "text in 2 fragments, byte by byte", [b"fragment1", b"fragment2"], chopsize=1)
frag_echo("5.6", "text in 2 fragments with a ping between", [b"fragment1", b"fragment2"], pings=True)
frag_echo("5.7", "ping between fragments, delayed", [b"fragment1", b"fragment2"], pings=True, delay=0.1)
frag_echo("5.8", "ping between fragments, byte by byte", [b"fragment1", b"fragment2"], pings=True,
          chopsize=1)
fail_case("5.9", "continuation (fin) without a message", [F(CONT, b"fragment", fin=True)], {1002})
fail_case("5.10", "continuation without a message, byte by byte",
          [F(CONT, b"fragment", fin=True, chopsize=1)], {1002})
fail_case("5.12", "continuation (no fin) without a message", [F(CONT, b"fragment", fin=False)], {1002})
fail_case("5.15", "message, then continuation of nothing",
          [F(TEXT, b"fragment1", fin=False), F(CONT, b"fragment2"), F(CONT, b"fragment3", fin=False)],
          {1002}, before=[(b"fragment1fragment2", False)])
fail_case("5.16", "continuations around a fragmented text",
          [F(CONT, b"fragment1", fin=False), F(TEXT, b"fragment2", fin=False), F(CONT, b"fragment3")],
          {1002})
fail_case("5.18", "a new text frame inside a fragmented text",
          [F(TEXT, b"fragment1", fin=False), F(TEXT, b"fragment2")], {1002})
fail_case("5.19", "a new binary frame inside a fragmented text",
          [F(TEXT, b"fragment1", fin=False), F(BINARY, b"fragment2")], {1002})
frag_echo("5.20", "text in 5 fragments with pings between", [b"f1", b"f2", b"f3", b"f4", b"f5"], pings=True)


@case("5.21", "binary in 3 fragments")
async def _(c):
    c.frame(BINARY, b"\x00\x01", fin=False)
    c.frame(CONT, b"\x02", fin=False)
    c.frame(CONT, b"\x03\xff")
    await c.expect_messages([(b"\x00\x01\x02\x03\xff", True)])
    await c.finish()


@case("5.22", "empty fragments around an empty text message")
async def _(c):
    c.frame(TEXT, b"", fin=False)
    c.frame(CONT, b"", fin=False)
    c.frame(CONT, b"")
    await c.expect_messages([(b"", False)])
    await c.finish()


# 6 UTF-8
HELLO = "Hello-µ@ßöäüàá-UTF-8!!".encode()
KOSME = "κόσμε".encode()

echo_case("6.2.1", "valid UTF-8 in one frame", HELLO)


@case("6.2.2", "valid UTF-8 split into 2 fragments inside a code point")
async def _(c):
    c.frame(TEXT, HELLO[:7], fin=False)  # 'µ' is bytes 6-7: split between them
    c.frame(CONT, HELLO[7:])
    await c.expect_messages([(HELLO, False)])
    await c.finish()


@case("6.2.3", "valid UTF-8, one fragment per byte")
async def _(c):
    for i in range(len(KOSME)):
        c.frame(TEXT if i == 0 else CONT, KOSME[i:i + 1], fin=i == len(KOSME) - 1)
    await c.expect_messages([(KOSME, False)])
    await c.finish()


echo_case("6.2.4", "valid UTF-8 written byte by byte", KOSME, chopsize=1)

VALID = [
    ("6.5.1", "U+0000", b"\x00"),
    ("6.5.2", "U+007F", b"\x7f"),
    ("6.5.3", "U+0080", b"\xc2\x80"),
    ("6.5.4", "U+07FF", b"\xdf\xbf"),
    ("6.5.5", "U+0800", b"\xe0\xa0\x80"),
    ("6.5.6", "U+D7FF (last before surrogates)", b"\xed\x9f\xbf"),
    ("6.5.7", "U+E000 (first after surrogates)", b"\xee\x80\x80"),
    ("6.5.8", "U+FFFD", b"\xef\xbf\xbd"),
    ("6.5.9", "U+FFFE (a noncharacter is still valid UTF-8)", b"\xef\xbf\xbe"),
    ("6.5.10", "U+FFFF", b"\xef\xbf\xbf"),
    ("6.5.11", "U+10000", b"\xf0\x90\x80\x80"),
    ("6.5.12", "U+10FFFF", b"\xf4\x8f\xbf\xbf"),
    ("6.5.13", "mixed scripts", "κόσμε 日本語 🎉 ascii".encode()),
]
for cid, desc, b in VALID:
    echo_case(cid, "valid UTF-8: " + desc, b)

INVALID = [
    ("6.3.1", "κόσμε + U+110000 (beyond Unicode)", KOSME + b"\xf4\x90\x80\x80" + b"edited"),
    ("6.6.1", "lone continuation byte", b"\x80"),
    ("6.6.2", "0xC0 0xAF overlong '/'", b"\xc0\xaf"),
    ("6.6.3", "3-byte overlong NUL", b"\xe0\x80\x80"),
    ("6.6.4", "4-byte overlong U+FFFF", b"\xf0\x8f\xbf\xbf"),
    ("6.6.5", "surrogate U+D800", b"\xed\xa0\x80"),
    ("6.6.6", "surrogate U+DFFF", b"\xed\xbf\xbf"),
    ("6.6.7", "surrogate pair encoded as 2x3 bytes", b"\xed\xa0\x80\xed\xb0\x80"),
    ("6.6.8", "0xF5 lead byte", b"\xf5\x80\x80\x80"),
    ("6.6.9", "0xFE byte", b"\xfe"),
    ("6.6.10", "0xFF byte", b"\xff"),
    ("6.6.11", "truncated 2-byte sequence at message end", b"abc\xc2"),
    ("6.6.12", "truncated 3-byte sequence at message end", b"abc\xe0\xa0"),
    ("6.6.13", "truncated 4-byte sequence at message end", b"abc\xf0\x90\x80"),
    ("6.6.14", "2-byte lead followed by ASCII", b"\xc2A"),
    ("6.6.15", "5-byte form (0xF8)", b"\xf8\x88\x80\x80\x80"),
]
for cid, desc, b in INVALID:
    fail_case(cid, "invalid UTF-8: " + desc, [F(TEXT, b)], {1007})
fail_case("6.3.2", "invalid UTF-8 written byte by byte", [F(TEXT, KOSME + b"\xed\xa0\x80", chopsize=1)],
          {1007})
fail_case("6.6.16", "invalid UTF-8 in the second fragment", [F(TEXT, KOSME, fin=False),
                                                               F(CONT, b"\xc0\xaf")], {1007})
fail_case("6.6.17", "message truncated inside a code point across fragments",
          [F(TEXT, b"\xe0", fin=False), F(CONT, b"\xa0")], {1007})


@case("6.4.1", "fail fast: invalid fragment closes 1007 before the message ends")
async def _(c):
    c.frame(TEXT, KOSME, fin=False)
    c.frame(CONT, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80", fin=False)
    await c.expect_close({1007})  # the final fragment is never sent


@case("6.4.2", "fail fast: invalid byte inside a frame whose payload has not all arrived")
async def _(c):
    payload = KOSME + b"\xf4\x90\x80\x80" + b"*" * 20
    frame = masked_frame(TEXT, payload)
    cut = len(frame) - 20  # header + the invalid sequence, but not the 20 trailing bytes
    c.raw(frame[:cut])
    await c.expect_close({1007})


@case("6.4.3", "fail fast: invalid byte arrives alone in its own write")
async def _(c):
    payload = KOSME + b"\xff" + b"*" * 10
    frame = masked_frame(TEXT, payload)
    cut = len(frame) - 11
    c.raw(frame[:cut])
    await asyncio.sleep(0.1)
    c.raw(frame[cut:cut + 1])  # the 0xFF
    await c.expect_close({1007})


# 7 close handling
@case("7.1.1", "echo, then client close 1000 is echoed")
async def _(c):
    c.message(b"Hello World!")
    await c.expect_messages([(b"Hello World!", False)])
    await c.finish()


@case("7.1.2", "a second close frame is ignored")
async def _(c):
    c.frame(CLOSE, struct.pack("!H", 1000))
    c.frame(CLOSE, struct.pack("!H", 1000))
    await c.expect_close({1000})


@case("7.1.3", "a ping after close is not answered")
async def _(c):
    c.frame(CLOSE, struct.pack("!H", 1000))
    c.frame(PING, b"Hello")
    await c.expect_close({1000})


@case("7.1.4", "a text after close is not echoed")
async def _(c):
    c.frame(CLOSE, struct.pack("!H", 1000))
    c.frame(TEXT, b"Hello")
    await c.expect_close({1000})


@case("7.1.5", "close between fragments: the message is never echoed")
async def _(c):
    c.frame(TEXT, b"fragment1", fin=False)
    c.frame(CLOSE, struct.pack("!H", 1000))
    c.frame(CONT, b"fragment2")
    await c.expect_close({1000})


@case("7.1.6", "large message then close: echo, then close")
async def _(c):
    big = b"BAsd7&jh23" * 26214  # ~256 KB
    c.message(big)
    c.frame(CLOSE, struct.pack("!H", 1000))
    await c.expect_messages([(big, False)])
    await c.expect_close({1000})


@case("7.3.1", "close without payload is answered without status")
async def _(c):
    c.frame(CLOSE, b"")
    await c.expect_close({1005})


fail_case("7.3.2", "close with a 1-byte payload", [F(CLOSE, b"\x03")], {1002})


@case("7.3.3", "close 1000 without reason")
async def _(c):
    c.frame(CLOSE, struct.pack("!H", 1000))
    await c.expect_close({1000})


@case("7.3.4", "close 1000 with a 123-byte reason (payload 125)")
async def _(c):
    c.frame(CLOSE, struct.pack("!H", 1000) + b"*" * 123)
    await c.expect_close({1000})


fail_case("7.3.5", "close with a 124-byte reason (payload 126)",
          [F(CLOSE, struct.pack("!H", 1000) + b"*" * 124)], {1002})
fail_case("7.5.1", "close reason that is not UTF-8", [F(CLOSE, struct.pack("!H", 1000) + b"\xce\xba\xff")],
          {1007})

for i, code in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999], 1):
    async def run(c, code=code):
        c.frame(CLOSE, struct.pack("!H", code) + b"reason")
        await c.expect_close({code})
    CASES.append((f"7.7.{i}", f"valid close code {code} is echoed", run, False))

for i, code in enumerate([0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 5000, 65535], 1):
    fail_case(f"7.9.{i}", f"invalid close code {code}", [F(CLOSE, struct.pack("!H", code))], {1002})


@case("7.13.1", "TCP FIN without close frame: the server just closes")
async def _(c):
    c.p.transport.write_eof()
    ev = await c.next()
    if ev[0] != "close":
        raise CaseFailed(f"expected the connection to end, got {describe(ev)}")


# 9 limits
for i, n in enumerate([64 * 1024, 256 * 1024, MAX_MESSAGE], 1):
    echo_case(f"9.1.{i}", f"text message of {n} bytes", b"x" * n, slow=n > 256 * 1024)
    echo_case(f"9.2.{i}", f"binary message of {n} bytes", b"\xfe" * n, binary=True, slow=n > 256 * 1024)
for i, frag in enumerate([64, 256, 1024, 4096, 16384, 65536], 1):
    echo_case(f"9.3.{i}", f"256 KB text in fragments of {frag}", b"y" * (256 * 1024), fragment=frag,
              slow=frag < 1024)
    echo_case(f"9.4.{i}", f"256 KB binary in fragments of {frag}", b"\x01" * (256 * 1024), binary=True,
              fragment=frag, slow=frag < 1024)
echo_case("9.3.9", "1 MB text in fragments of 16", b"z" * MAX_MESSAGE, fragment=16, slow=True)
fail_case("9.5.1", "a frame declaring more than max_message closes 1009 before its payload",
          [R(masked_frame(BINARY, b"", length=MAX_MESSAGE + 1))], {1009})
fail_case("9.5.2", "a frame declaring 2^63-1 bytes", [R(masked_frame(TEXT, b"", length=2**63 - 1))],
          {1009})


@case("9.5.3", "fragments summing past max_message close 1009")
async def _(c):
    chunk = b"a" * (256 * 1024)
    for i in range(5):
        c.frame(TEXT if i == 0 else CONT, chunk, fin=False)
    await c.expect_close({1009})


@case("9.6.1", "exactly max_message is accepted")
async def _(c):
    payload = b"\x02" * MAX_MESSAGE
    c.message(payload, binary=True)
    await c.expect_messages([(payload, True)], timeout=SLOW_TIMEOUT)
    await c.finish()


for i, (count, size) in enumerate([(1000, 64), (1000, 1024), (200, 16384)], 1):
    async def run(c, count=count, size=size):
        msgs = [(bytes([65 + j % 26]) * size, False) for j in range(count)]
        for m, _ in msgs:
            c.message(m)
        await c.expect_messages(msgs)
        await c.finish()
    CASES.append((f"9.7.{i}", f"{count} text messages of {size} bytes, pipelined, echoed in order", run,
                  False))


@case("9.8.1", "100,000 small messages pipelined", slow=True)
async def _(c):
    msgs = [(b"m%d" % j, True) for j in range(100_000)]
    c.raw(b"".join(masked_frame(BINARY, m) for m, _ in msgs))
    await c.expect_messages(msgs, timeout=SLOW_TIMEOUT)
    await c.finish()


# 10 auto-fragmentation (client side): any fragmentation must give the same message back.
for i, frag in enumerate([1300, 127, 65535], 1):
    async def run(c, frag=frag):
        c.p.autoFragmentSize = frag
        payload = os.urandom(65536)
        c.message(payload, binary=True)
        c.message(b"t" * 65536)
        await c.expect_messages([(payload, True), (b"t" * 65536, False)])
        await c.finish()
    CASES.append((f"10.1.{i}", f"64 KB messages auto-fragmented by the client at {frag}", run, False))

# 12 masking (RFC 6455 §5.1: the server must fail an unmasked client frame)
fail_case("12.1", "unmasked text frame from the client", [R(masked_frame(TEXT, b"Hello", mask=None))], {1002})
fail_case("12.2", "unmasked ping from the client", [R(masked_frame(PING, b"", mask=None))], {1002})


@case("12.3", "an all-zero mask key is legal")
async def _(c):
    c.raw(masked_frame(TEXT, b"zero mask", mask=b"\x00\x00\x00\x00"))
    await c.expect_messages([(b"zero mask", False)])
    await c.finish()


# pmd: permessage-deflate (RFC 7692), in the spirit of Autobahn's families 12 and 13. autobahn's
# client compresses every message it sends and inflates what comes back, with the parameters
# the server answered; an echo that survives both ways, for every size and every offer, is the
# check.
def pmd_payload(kind, n, seed):
    import random
    rnd = random.Random(seed)
    if kind == "random":  # incompressible: the server must send it plain or still correct
        return bytes(rnd.getrandbits(8) for _ in range(n))
    words = [b"alpha", b"beta", b"gamma", b"delta", b"herald", b"channel", b"offset", b"\xce\xba"]
    out = bytearray()
    while len(out) < n:
        out += rnd.choice(words) + b" "
    out = bytes(out[:n])
    if kind == "text":  # keep it valid UTF-8 (the 2-byte letter may be cut at the end)
        out = out.decode("utf-8", "ignore").encode()
        out += b" " * (n - len(out))
    return out


def pmd_case(cid, desc, offers, sizes, kind, count, slow=False):
    async def run(c):
        binary = kind != "text"
        msgs = [(pmd_payload(kind, n, i * 7919 + n), binary) for n in sizes for i in range(count)]
        for m, b in msgs:
            c.message(m, b)
        await c.expect_messages(msgs, timeout=SLOW_TIMEOUT if slow else TIMEOUT)
        await c.finish()
    run.offers = offers
    CASES.append((cid, desc, run, slow))


SIZES_12 = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072]
for fam, kind in [(1, "text"), (2, "binary"), (3, "random")]:
    for i, n in enumerate(SIZES_12, 1):
        count = 20 if n <= 16384 else 4
        pmd_case(f"pmd.12.{fam}.{i}", f"compressed {kind} echo, {count} messages of {n} bytes",
                 [PerMessageDeflateOffer()], [n], kind, count, slow=n >= 65536 and kind == "random")

# 13: one offer variant per family, each with small to large messages. Offer arguments:
# (accept_no_context_takeover -> client_no_context_takeover offered, accept_max_window_bits
# -> client_max_window_bits offered bare, request_no_context_takeover, request_max_window_bits
# -> server_max_window_bits=N).
OFFERS_13 = [
    ("bare offer (client keeps its context)", [PerMessageDeflateOffer(False, False)]),
    ("client_no_context_takeover + client_max_window_bits", [PerMessageDeflateOffer()]),
    ("server_no_context_takeover requested", [PerMessageDeflateOffer(False, True, True, 0)]),
    ("server_max_window_bits=9", [PerMessageDeflateOffer(False, True, False, 9)]),
    ("server_max_window_bits=12, client_no_context_takeover",
     [PerMessageDeflateOffer(True, True, True, 12)]),
    ("server_max_window_bits=15", [PerMessageDeflateOffer(False, False, False, 15)]),
    ("two offers: window 10 then bare", [PerMessageDeflateOffer(False, False, False, 10),
                                         PerMessageDeflateOffer(False, False)]),
]
for fam, (desc, offers) in enumerate(OFFERS_13, 1):
    for i, n in enumerate([64, 1024, 16384, 131072], 1):
        pmd_case(f"pmd.13.{fam}.{i}", f"{desc}: text echo of 10 x {n} bytes", offers, [n], "text", 10)


@case("pmd.13.8.1", "mixed sizes and types interleaved, context kept across all of them")
async def _(c):
    msgs = []
    for i in range(60):
        n = [10, 300, 5000, 70000][i % 4]
        kind = ["text", "binary", "random"][i % 3]
        msgs.append((pmd_payload(kind, n, i), kind != "text"))
    for m, b in msgs:
        c.message(m, b)
    await c.expect_messages(msgs)
    await c.finish()
_.offers = [PerMessageDeflateOffer(False, True)]


@case("pmd.13.9.1", "a compressed ping is a protocol error even with the extension")
async def _(c):
    c.frame(PING, b"Hello", rsv=RSV1)
    await c.expect_close({1002})
_.offers = [PerMessageDeflateOffer()]


@case("pmd.13.9.2", "RSV1 on a continuation frame is a protocol error")
async def _(c):
    c.frame(TEXT, b"fragment1", fin=False)
    c.frame(CONT, b"fragment2", rsv=RSV1)
    await c.expect_close({1002})
_.offers = [PerMessageDeflateOffer()]


@case("pmd.13.9.3", "RSV1 text with bytes that are not DEFLATE closes 1007")
async def _(c):
    c.frame(TEXT, b"\xff\xff\xff\xff", rsv=RSV1)
    await c.expect_close({1007})
_.offers = [PerMessageDeflateOffer()]


@case("pmd.13.9.4", "a compressed message inflating past max_message closes 1009")
async def _(c):
    import zlib
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = z.compress(b"\0" * (MAX_MESSAGE + 1)) + z.flush(zlib.Z_SYNC_FLUSH)
    c.frame(BINARY, bomb[:-4], rsv=RSV1)
    await c.expect_close({1009})
_.offers = [PerMessageDeflateOffer()]


# ---- runner ------------------------------------------------------------------------------------

async def run_all(url, slow, only, verbose):
    passed = failed = 0
    failures = []
    for cid, desc, fn, is_slow in CASES:
        if only and not any(cid == o or cid.startswith(o + ".") for o in only):
            continue
        if is_slow and not slow:
            continue
        t0 = time.monotonic()
        try:
            c = await connect(url, getattr(fn, "offers", None))
            try:
                await asyncio.wait_for(fn(c), 2 * SLOW_TIMEOUT)
            finally:
                if c.p.transport and not c.p.transport.is_closing():
                    c.p.transport.abort()
            ok, why = True, ""
        except CaseFailed as e:
            ok, why = False, str(e)
        except Exception as e:  # a bug in the case or the client: still a failure, with context
            ok, why = False, f"{type(e).__name__}: {e}"
            if verbose:
                traceback.print_exc()
        ms = (time.monotonic() - t0) * 1000
        if ok:
            passed += 1
            print(f"PASS {cid:8} {desc} ({ms:.0f} ms)", flush=True)
        else:
            failed += 1
            failures.append(cid)
            print(f"FAIL {cid:8} {desc}: {why}", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    if failures:
        print("failed: " + " ".join(failures), flush=True)
    return failed == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--herald", help="path to the herald binary (started with --debug-echo)")
    ap.add_argument("--url", help="ws://HOST:PORT/ws/echo of a server already running")
    ap.add_argument("--slow", action="store_true", help="also run the large/many-fragment cases")
    ap.add_argument("--only", action="append", help="run only case ids with this prefix (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.url:
        ok = asyncio.run(run_all(args.url, args.slow, args.only, args.verbose))
        sys.exit(0 if ok else 1)
    if args.herald:
        os.environ["HERALD_BIN"] = os.path.abspath(args.herald)
    from harness import herald_server
    with herald_server("--debug-echo") as srv:
        ok = asyncio.run(run_all(f"ws://127.0.0.1:{srv.port}/ws/echo", args.slow, args.only, args.verbose))
        if not srv.alive():
            print("herald died during the run:\n" + srv.log()[-4000:])
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
