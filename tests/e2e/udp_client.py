"""A UDP client for herald's datagram protocol, written from docs/protocol.md ("UDP datagrams")
with Python's struct and socket modules: it shares no code with the server's codec, so the
end-to-end tests check the format as documented, not as implemented twice.

    c = UdpClient(srv.port)
    c.open()                        # hello -> cookie -> open -> opened
    c.subscribe("public:x")         # -> subscribed (cursor), replay
    c.pubs(...), c.resend(...)

`Gapless` keeps one channel's offsets on the client side: it drops received datagrams by a
seeded rule (loss made in the client, so tests need no network namespaces), detects gaps from
the offsets, fills them by resend or over HTTP /poll, and records every offset exactly once.
"""
import json
import os
import random
import socket
import struct
import time

MAGIC = 0x68
VERSION = 1
HEADER = struct.Struct(">BBBBQ")  # magic, version, type, flags, session
HELLO_MIN = 64
COOKIE_BYTES = 20

T = dict(hello=0x01, open=0x02, subscribe=0x03, unsubscribe=0x04, keepalive=0x05, resend=0x06,
         publish=0x07, close=0x08, cookie=0x81, opened=0x82, subscribed=0x83, pub=0x84,
         announce=0x85, resent=0x86, lease=0x87, published=0x88, error=0x89, reset=0x8A, ok=0x8B)
NAMES = {v: k for k, v in T.items()}
HAD_SINCE = 0x01
RECOVERED = 0x02


def str8(b):
    b = b.encode() if isinstance(b, str) else b
    assert len(b) < 256
    return bytes([len(b)]) + b


def str16(b):
    b = b.encode() if isinstance(b, str) else b
    return struct.pack(">H", len(b)) + b


BINARY = 0x01  # header flag of pub and publish: the data is bytes, not JSON


def header(kind, session, flags=0):
    return HEADER.pack(MAGIC, VERSION, T[kind], flags, session)


# ---- encoders (client -> server) ------------------------------------------------------------

def hello(session, size=HELLO_MIN):
    return header("hello", session) + bytes(size - HEADER.size)


def open_(session, cookie, token=b""):
    return header("open", session) + cookie + str16(token)


def subscribe(session, rid, channel, epoch="", offset=0):
    return header("subscribe", session) + struct.pack(">I", rid) + str8(channel) + str8(epoch) + \
        struct.pack(">Q", offset)


def unsubscribe(session, rid, channel):
    return header("unsubscribe", session) + struct.pack(">I", rid) + str8(channel)


def keepalive(session, rid):
    return header("keepalive", session) + struct.pack(">I", rid)


def resend(session, rid, channel, epoch, after, count):
    return header("resend", session) + struct.pack(">I", rid) + str8(channel) + str8(epoch) + \
        struct.pack(">QH", after, count)


def publish(session, rid, channel, data, binary=False):
    data = data.encode() if isinstance(data, str) else data
    return header("publish", session, BINARY if binary else 0) + struct.pack(">I", rid) + \
        str8(channel) + data


def close(session):
    return header("close", session)


# ---- decoder (server -> client) -------------------------------------------------------------

class Msg(dict):
    """A decoded datagram: its fields as items, also readable as attributes."""
    __getattr__ = dict.get
    __setattr__ = dict.__setitem__


def decode(d):
    """Decodes a server datagram into a Msg (raises ValueError on anything malformed)."""
    if len(d) < HEADER.size:
        raise ValueError("short")
    magic, version, kind, flags, session = HEADER.unpack_from(d)
    allowed = BINARY if NAMES.get(kind) == "pub" else 0
    if magic != MAGIC or version != VERSION or flags & ~allowed or kind not in NAMES:
        raise ValueError("bad header")
    m = Msg(type=NAMES[kind], session=session, size=len(d), binary=bool(flags & BINARY))
    p = HEADER.size

    def take(n):
        nonlocal p
        if p + n > len(d):
            raise ValueError("truncated")
        v = d[p:p + n]
        p += n
        return v

    def u(n):
        return int.from_bytes(take(n), "big")

    def s8():
        return take(u(1)).decode()

    t = m.type
    if t == "cookie":
        m.cookie = take(COOKIE_BYTES)
    elif t == "opened":
        m.lease_ms, m.max_datagram = u(4), u(2)
    elif t in ("subscribed", "resent"):
        m.id, m.channel, m.epoch, m.offset, m.flags = u(4), s8(), s8(), u(8), u(1)
    elif t == "pub":
        m.channel, m.epoch, m.offset = s8(), s8(), u(8)
        m.data = d[p:]
        p = len(d)
    elif t == "announce":
        m.channel, m.epoch, m.offset, m.data_size = s8(), s8(), u(8), u(4)
    elif t == "lease":
        m.id, m.lease_ms = u(4), u(4)
    elif t == "published":
        m.id, m.epoch, m.offset = u(4), s8(), u(8)
    elif t == "error":
        m.id, m.code, m.message = u(4), u(2), s8()
    elif t == "ok":
        m.id = u(4)
    elif t == "reset":
        pass
    else:
        raise ValueError("client type from the server: " + t)
    if p != len(d):
        raise ValueError("trailing bytes")
    return m


class UdpClient:
    """One socket, one session. Every received datagram is decoded and appended to `inbox`
    (a test may also look at `raw`, the bytes, for sizes)."""

    def __init__(self, port, host="127.0.0.1", session=None, rcvbuf=4 << 20):
        self.addr = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.connect(self.addr)
        self.session = session if session is not None else int.from_bytes(os.urandom(8), "big") | 1
        self.inbox = []    # every datagram received, decoded
        self.raw = []      # and its bytes
        self.pending = []  # received, not yet taken by wait_for
        self.next_id = 1

    def port(self):
        return self.sock.getsockname()[1]

    def send(self, datagram):
        self.sock.send(datagram)

    def recv(self, timeout=0.5):
        """One datagram or None after `timeout`."""
        self.sock.settimeout(timeout)
        try:
            d = self.sock.recv(70000)
        except (socket.timeout, ConnectionRefusedError):
            return None
        self.raw.append(d)
        m = decode(d)
        self.inbox.append(m)
        return m

    def wait_for(self, pred, timeout=5.0):
        """The first datagram that satisfies `pred`, from those received but not yet taken or
        from the socket within `timeout` (None). Others stay pending, in order."""
        for i, m in enumerate(self.pending):
            if pred(m):
                return self.pending.pop(i)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.recv(max(0.01, min(0.5, deadline - time.time())))
            if m is None:
                continue
            if pred(m):
                return m
            self.pending.append(m)
        return None

    def request(self, datagram, pred, timeout=5.0, retries=5):
        """Sends `datagram` and waits for a reply satisfying `pred`; resends on silence."""
        for _ in range(retries):
            self.send(datagram)
            m = self.wait_for(pred, timeout / retries)
            if m is not None:
                return m
        return None

    def rid(self):
        self.next_id += 1
        return self.next_id

    def get_cookie(self):
        m = self.request(hello(self.session), lambda m: m.type == "cookie")
        assert m is not None, "no cookie"
        assert m.session == self.session
        return m.cookie

    def open(self, token=b""):
        cookie = self.get_cookie()
        m = self.request(open_(self.session, cookie, token),
                         lambda m: m.type in ("opened", "error"))
        assert m is not None, "no answer to open"
        return m

    def subscribe(self, channel, epoch="", offset=0):
        rid = self.rid()
        return self.request(subscribe(self.session, rid, channel, epoch, offset),
                            lambda m: m.type in ("subscribed", "error") and m.id == rid)

    def keepalive(self):
        rid = self.rid()
        return self.request(keepalive(self.session, rid),
                            lambda m: m.type in ("lease", "error", "reset"))

    def publish(self, channel, data, binary=False):
        rid = self.rid()
        return self.request(publish(self.session, rid, channel, data, binary),
                            lambda m: m.type in ("published", "error") and m.id == rid, retries=1)

    def close(self):
        try:
            self.send(close(self.session))
        except OSError:
            pass
        self.sock.close()


class Gapless:
    """One channel over UDP with loss made on the client: each received datagram is dropped with
    probability `loss` (seeded), gaps are filled by resend (and, for `http_every`-th gap, over
    HTTP /poll with the cursor), and `got` maps every offset to its data exactly once."""

    def __init__(self, srv, channel, loss=0.1, seed=1, http_every=0):
        self.srv = srv
        self.channel = channel
        self.rng = random.Random(seed)
        self.loss = loss
        self.http_every = http_every
        self.c = UdpClient(srv.port)
        self.got = {}
        self.dups = 0
        self.dropped = 0
        self.resends = 0
        self.http_fills = 0
        self.epoch = None
        self.end = 0

    def start(self):
        m = self.c.open()
        assert m.type == "opened", m
        s = self.c.subscribe(self.channel)
        assert s is not None and s.type == "subscribed", s
        self.epoch = s.epoch
        self.start_offset = s.offset
        self.end = s.offset

    def missing(self):
        return [o for o in range(self.start_offset + 1, self.end + 1) if o not in self.got]

    def take(self, m):
        if m.type == "pub" and m.channel == self.channel:
            assert m.epoch == self.epoch
            self.end = max(self.end, m.offset)
            if m.offset in self.got:
                self.dups += 1
            else:
                self.got[m.offset] = m.data
        elif m.type == "resent" and m.channel == self.channel:
            self.end = max(self.end, m.offset)
            assert m.flags & RECOVERED, m

    def pump(self, seconds):
        """Receives for `seconds`, dropping by the seeded rule."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            m = self.c.recv(0.05)
            if m is None:
                continue
            if m.type in ("pub", "resent") and self.rng.random() < self.loss:
                self.dropped += 1
                continue
            self.take(m)

    def fill(self, expect_end, deadline_sec=30):
        """Asks for what is missing until every offset up to `expect_end` is in, by resend (and
        some over HTTP). Returns when complete or at the deadline."""
        self.end = max(self.end, expect_end)
        deadline = time.time() + deadline_sec
        gaps = 0
        while time.time() < deadline:
            missing = self.missing()
            if not missing:
                return True
            # Contiguous runs of missing offsets, each asked for once per round.
            runs = []
            for o in missing:
                if runs and o == runs[-1][1] + 1:
                    runs[-1][1] = o
                else:
                    runs.append([o, o])
            for lo, hi in runs[:16]:
                gaps += 1
                if self.http_every and gaps % self.http_every == 0:
                    self.http_fill(lo - 1, hi)
                    continue
                count = min(hi - lo + 1, 256)
                self.resends += 1
                self.c.send(resend(self.c.session, self.c.rid(), self.channel, self.epoch, lo - 1,
                                   count))
            self.pump(0.2)
        return not self.missing()

    def http_fill(self, after, through):
        status, _, body = self.srv.request(
            "GET", f"/poll?channel={self.channel}&since={self.epoch}:{after}")
        assert status == 200, (status, body)
        answer = json.loads(body)
        assert answer.get("recovered", True), answer
        self.http_fills += 1
        for push in answer["messages"]:
            o = push["offset"]
            data = json.dumps(push["data"], separators=(",", ":")).encode()
            if o in self.got:
                self.dups += 1
            else:
                self.got[o] = data
