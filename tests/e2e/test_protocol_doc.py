"""Runs every example of docs/protocol.md against the real binary, in the order of the doc.

One server is started with the doc's ```toml herald-config``` block; state carries over from
block to block (channels, offsets, epochs), exactly as a reader follows the doc. A block that
differs fails with its line number in docs/protocol.md.

Example blocks (the doc's "How to read the examples" section says the same for readers):

  ```http-example           one request on a fresh connection, then the expected answer
  METHOD /path?query
  Header: value             (Host, Content-Length and Connection: close are added)
                            (blank line, then the body, if any)
  {"json":"body"}
  ! directive               (run once the server holds the request, e.g. a long-poll, or has
                             answered it)
  --- STATUS
  Header: value             (expected headers: a subset, values matched with placeholders)
                            (blank line)
  expected body             (JSON: compared structurally; text: line by line, `...` = any lines)
  ```

  ```sse-example            same request/--- layout; the body is a stream: directives run once
  GET /sse?channel=c        the stream is live (its first `id:` line arrived), and the expected
  ! publish c {"a":1}       lines must arrive in order; then the stream is closed
  --- 200
  ...
  ```

  ```ws-example             one or more herald.v1 connections on GET /ws (subprotocol herald.v1)
  > TEXT                    send a text frame on connection A (TEXT as written)
  >b TEXT                   send a binary frame: TEXT as UTF-8, where \\0 is the byte 0 (NUL),
                            \\xHH the byte HH and \\\\ a backslash
  < JSON                    the next frame of A, compared structurally
  <b JSON\\0BYTES           the next frame of A is a binary frame: the JSON object before its
                            first NUL compared structurally, the bytes after it exactly
                            (escapes as in >b)
  < close CODE REASON       A is closed by the server with CODE (and REASON, when given)
  < (none)                  no frame arrives on A: a ping sent now is answered before anything
                            else (not a timed silence, which a busy machine would pass anyway)
  B> TEXT / B< JSON         the same on connection B (any capital letter names a connection)
  ! directive
  ```

Directives: `! publish CHANNEL JSON` (POST /api/publish, must answer 200), `! sigterm` (SIGTERM
the server; it must exit 0; the next block starts a new server). There is no sleep directive:
an example waits for what it needs (above), so it reads the same on a busy machine.

Every wait is bounded by DEADLINE (30 s), far above what the server needs.

Placeholders in expected text: <epoch>, <int>, <cursor>, <any>, <str>; a name after a colon
(<epoch:doc>) binds the value on first match and must match the same value afterwards. In text
sent (requests, frames) <TYPE:NAME> is replaced by the bound value, and <repeat N TEXT> by N
copies of TEXT. A bare placeholder in JSON (`"offset":<int>`) matches a non-string
value. A JSON array whose last element is "..." matches an array holding at least the other
elements, in any order.
"""
import asyncio
import json
import os
import re
import select
import signal
import socket
import time

import pytest
import websockets

from harness import DEADLINE, ROOT, herald_server, wait_until

DOC = os.path.join(ROOT, "docs", "protocol.md")

# ---- the doc ---------------------------------------------------------------------------------


class Block:
    def __init__(self, kind, line, lines):
        self.kind = kind
        self.line = line  # 1-based line of the first content line
        self.lines = lines


def read_blocks(path=DOC):
    blocks, config = [], None
    with open(path) as f:
        text = f.read().split("\n")
    i = 0
    while i < len(text):
        m = re.match(r"^```(\S.*)$", text[i])
        if not m:
            i += 1
            continue
        info = m.group(1).strip()
        start = i + 1
        j = start
        while j < len(text) and text[j] != "```":
            j += 1
        body = text[start:j]
        if info in ("http-example", "sse-example", "ws-example"):
            blocks.append(Block(info, start + 1, body))
        elif info == "toml herald-config":
            config = "\n".join(body) + "\n"
        i = j + 1
    return blocks, config


# ---- placeholders ----------------------------------------------------------------------------

PATTERNS = {
    "epoch": r"[A-Za-z0-9]{1,16}",
    "int": r"[0-9]+",
    "cursor": r"[A-Za-z0-9_.:-]+",
    "str": r"[^\"]*",
    "any": r".*?",
}
PH = re.compile(r"<(epoch|int|cursor|str|any)(?::([A-Za-z0-9_]+))?>")
BARE = "\x00PH"


class Mismatch(Exception):
    pass


class Bindings(dict):
    def substitute(self, text):
        def sub(m):
            name = m.group(2)
            if not name:
                raise Mismatch(f"unnamed placeholder {m.group(0)} in text to send")
            if name not in self:
                raise Mismatch(f"{m.group(0)} is not bound yet")
            return self[name]

        text = re.sub(r"<repeat (\d+) ([^>]+)>", lambda m: m.group(2) * int(m.group(1)), text)
        return PH.sub(sub, text)

    def match_text(self, expected, actual):
        """Full match of `actual` against `expected` with placeholders; binds names on success."""
        parts, names, pos = [], [], 0
        for m in PH.finditer(expected):
            parts.append(re.escape(expected[pos:m.start()]))
            kind, name = m.group(1), m.group(2)
            if name and name in self:
                parts.append(re.escape(self[name]))
                names.append(None)
            else:
                parts.append(f"({PATTERNS[kind]})")
                names.append(name)
            pos = m.end()
        parts.append(re.escape(expected[pos:]))
        rm = re.fullmatch("".join(parts), actual, re.S)
        if not rm:
            return False
        groups = iter(rm.groups())
        for n in names:
            if n is None:
                continue
            v = next(groups)
            if n:
                self[n] = v
        return True


def parse_expected_json(text):
    """Expected JSON with bare placeholders turned into marker strings."""
    out, i, in_str = [], 0, False
    while i < len(text):
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif c == "<":
            m = PH.match(text, i)
            if not m:
                raise Mismatch(f"bad placeholder at {text[i:i + 20]!r}")
            out.append(json.dumps(BARE + m.group(0)))
            i = m.end()
            continue
        else:
            out.append(c)
        i += 1
    return json.loads("".join(out))


def match_json(b, exp, act, path="$"):
    if isinstance(exp, str) and exp.startswith(BARE):
        ph = exp[len(BARE):]
        if ph.startswith("<any"):
            return
        if isinstance(act, str) or not b.match_text(ph, json.dumps(act)):
            raise Mismatch(f"{path}: expected {ph}, got {json.dumps(act)}")
        return
    if isinstance(exp, dict):
        if not isinstance(act, dict):
            raise Mismatch(f"{path}: expected an object, got {json.dumps(act)}")
        if set(exp) != set(act):
            raise Mismatch(f"{path}: keys {sorted(act)} != expected {sorted(exp)}")
        for k in exp:
            match_json(b, exp[k], act[k], f"{path}.{k}")
        return
    if isinstance(exp, list):
        if not isinstance(act, list):
            raise Mismatch(f"{path}: expected an array, got {json.dumps(act)}")
        if exp and exp[-1] == "...":
            left = list(act)
            for k, e in enumerate(exp[:-1]):
                for a in left:
                    trial = Bindings(b)
                    try:
                        match_json(trial, e, a, f"{path}[{k}]")
                    except Mismatch:
                        continue
                    b.update(trial)
                    left.remove(a)
                    break
                else:
                    raise Mismatch(f"{path}: no element matches {json.dumps(e)} in {json.dumps(act)}")
            return
        if len(exp) != len(act):
            raise Mismatch(f"{path}: {len(act)} elements, expected {len(exp)}: {json.dumps(act)}")
        for k, (e, a) in enumerate(zip(exp, act)):
            match_json(b, e, a, f"{path}[{k}]")
        return
    if isinstance(exp, str):
        if not isinstance(act, str) or not b.match_text(exp, act):
            raise Mismatch(f"{path}: expected {json.dumps(exp)}, got {json.dumps(act)}")
        return
    if exp != act or type(exp) is not type(act):
        raise Mismatch(f"{path}: expected {json.dumps(exp)}, got {json.dumps(act)}")


def match_body(b, expected_lines, actual):
    expected = "\n".join(expected_lines).strip("\n")
    if not expected:
        if actual.strip():
            raise Mismatch(f"expected no body, got {actual!r}")
        return
    if expected[0] in "{[":
        try:
            act = json.loads(actual)
        except ValueError:
            raise Mismatch(f"body is not JSON: {actual!r}")
        match_json(b, parse_expected_json(expected), act, "body")
        return
    match_lines(b, expected.split("\n"), actual.rstrip("\n").split("\n"))


def match_lines(b, exp, act):
    """Line by line; a `...` line matches any number of lines (the next expected line is
    searched for)."""
    ai = 0
    for k, e in enumerate(exp):
        if e == "...":
            continue
        skipping = k > 0 and exp[k - 1] == "..."
        while True:
            if ai >= len(act):
                raise Mismatch(f"missing line {e!r}; got:\n" + "\n".join(act))
            if b.match_text(e, act[ai]):
                ai += 1
                break
            if not skipping:
                raise Mismatch(f"line {act[ai]!r} does not match {e!r}; got:\n" + "\n".join(act))
            ai += 1
    if ai < len(act) and exp and exp[-1] != "...":
        raise Mismatch("unexpected extra lines:\n" + "\n".join(act[ai:]))


# ---- the server ------------------------------------------------------------------------------

# The id of the ping that stands for `< (none)`: answered at once, and on the same connection
# after anything the commands before it caused.
NONE_MARKER_ID = 4242424242
LONGPOLL_GAUGE = 'herald_transport_connections{transport="longpoll"}'


class Runner:
    def __init__(self, config):
        self.config = config
        self.bindings = Bindings()
        self.ctx = None
        self.srv = None
        m = re.search(r'^api_key\s*=\s*"([^"]*)"', config, re.M)
        self.api_key = m.group(1) if m else None

    def server(self):
        if self.srv is None:
            self.ctx = herald_server("--threads", "2", config=self.config)
            self.srv = self.ctx.__enter__()
        return self.srv

    def stop(self):
        if self.ctx is not None:
            ctx, self.ctx, self.srv = self.ctx, None, None
            ctx.__exit__(None, None, None)

    def directive(self, line):
        words = line[2:].split(None, 2)
        if words[0] == "publish":
            headers = {"Content-Type": "application/json"}
            if self.api_key:
                headers["Authorization"] = "Bearer " + self.api_key
            body = '{"channel":%s,"data":%s}' % (json.dumps(words[1]),
                                                  self.bindings.substitute(words[2]))
            status, _, out = self.server().request("POST", "/api/publish", body, headers)
            if status != 200:
                raise Mismatch(f"{line}: {status} {out!r}")
        elif words[0] == "sigterm":
            srv = self.server()
            srv.proc.send_signal(signal.SIGTERM)
        else:
            raise Mismatch(f"unknown directive {line!r}")

    def after_sigterm(self):
        """The server was asked to stop in this block: it must exit 0; the next block starts a
        fresh one."""
        rc = self.srv.proc.wait(timeout=60)
        if rc != 0:
            raise Mismatch(f"herald exited with {rc} after SIGTERM")
        self.stop()

    # ---- http / sse ----

    def split_http(self, block):
        lines = block.lines
        try:
            sep = next(k for k, l in enumerate(lines) if re.match(r"^--- \d{3}$", l))
        except StopIteration:
            raise Mismatch("no '--- STATUS' line")
        req = [l for l in lines[:sep] if not l.startswith("! ")]
        directives = [l for l in lines[:sep] if l.startswith("! ")]
        status = int(lines[sep][4:])
        rest = lines[sep + 1:]
        exp_headers = []
        while rest and re.match(r"^[A-Za-z0-9-]+: ", rest[0]):
            exp_headers.append(rest.pop(0))
        if rest and rest[0] == "":
            rest.pop(0)
        return req, directives, status, exp_headers, rest

    def build_request(self, req):
        method_path = self.bindings.substitute(req[0])
        k = 1
        headers = []
        while k < len(req) and req[k] != "":
            headers.append(self.bindings.substitute(req[k]))
            k += 1
        body = self.bindings.substitute("\n".join(req[k + 1:]).strip("\n")).encode()
        names = {h.split(":", 1)[0].lower() for h in headers}
        if "host" not in names:
            headers.append(f"Host: 127.0.0.1:{self.server().port}")
        if body and "content-length" not in names:
            headers.append(f"Content-Length: {len(body)}")
        if "connection" not in names:
            headers.append("Connection: close")
        return (f"{method_path} HTTP/1.1\r\n" + "".join(h + "\r\n" for h in headers) +
                "\r\n").encode() + body

    def check_head(self, head, status, exp_headers):
        lines = head.decode("latin-1").split("\r\n")
        got = int(lines[0].split()[1])
        if got != status:
            raise Mismatch(f"status {got}, expected {status}: {lines[0]}")
        have = {}
        for l in lines[1:]:
            if ":" in l:
                n, v = l.split(":", 1)
                have[n.strip().lower()] = v.strip()
        for h in exp_headers:
            n, v = h.split(":", 1)
            n, v = n.strip().lower(), v.strip()
            if n not in have or not self.bindings.match_text(v, have[n]):
                raise Mismatch(f"header {h!r}: got {have.get(n)!r}")
        return have

    def wait_held_or_answered(self, s, held_before):
        """Returns once the request on `s` is held as a long-poll (the server's gauge rose) or
        its answer is arriving (a request that was not held)."""
        def ready():
            readable, _, _ = select.select([s], [], [], 0.02)
            return readable or self.server().metric(LONGPOLL_GAUGE) > held_before
        wait_until(ready, what="the request held or answered")

    def run_http(self, block, stream=False):
        req, directives, status, exp_headers, exp_body = self.split_http(block)
        data = self.build_request(req)
        held_before = self.server().metric(LONGPOLL_GAUGE) if directives and not stream else 0
        s = socket.create_connection(("127.0.0.1", self.server().port), timeout=DEADLINE)
        try:
            s.sendall(data)
            buf = b""
            if not stream and directives:
                self.wait_held_or_answered(s, held_before)
                for d in directives:
                    self.directive(d)
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    raise Mismatch(f"connection closed before a response head: {buf!r}")
                buf += chunk
            head, body = buf.split(b"\r\n\r\n", 1)
            have = self.check_head(head, status, exp_headers)
            if stream:
                if directives:
                    # Live once the preamble's id line arrived: a publication made before
                    # that could precede the subscription.
                    body = self.read_until(s, body, lambda b: re.search(rb"^id:", b, re.M))
                for d in directives:
                    self.directive(d)
                self.read_stream(s, body, exp_body)
                return
            if status == 101:
                return
            if "content-length" in have:
                n = int(have["content-length"])
                while len(body) < n:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    body += chunk
            match_body(self.bindings, exp_body, body.decode())
        finally:
            s.close()

    def read_until(self, s, body, pred):
        deadline = time.time() + DEADLINE
        while not pred(body):
            if time.time() > deadline:
                raise Mismatch(f"stream never showed what the directives wait for: {body!r}")
            chunk = s.recv(65536)
            if not chunk:
                raise Mismatch(f"stream closed: {body!r}")
            body += chunk
        return body

    def read_stream(self, s, body, exp_body):
        exp = list(exp_body)
        while exp and exp[-1] == "":
            exp.pop()
        deadline = time.time() + DEADLINE
        s.settimeout(0.2)
        last_err = None
        while True:
            lines = body.decode().split("\n")
            trial = Bindings(self.bindings)
            try:
                match_lines(trial, exp + ["..."], lines)
                self.bindings.update(trial)
                return
            except Mismatch as e:
                last_err = e
            if time.time() > deadline:
                raise Mismatch(f"stream did not show the expected lines: {last_err}")
            try:
                chunk = s.recv(65536)
                if not chunk:
                    raise Mismatch(f"stream closed: {last_err}")
                body += chunk
            except socket.timeout:
                pass

    # ---- websocket ----

    def run_ws(self, block):
        asyncio.run(asyncio.wait_for(self.ws_block(block), 4 * DEADLINE))

    async def ws_block(self, block):
        conns = {}
        url = f"ws://127.0.0.1:{self.server().port}/ws"

        async def conn(name):
            if name not in conns:
                conns[name] = await websockets.connect(url, subprotocols=["herald.v1"],
                                                       max_size=None, ping_interval=None,
                                                       open_timeout=DEADLINE)
            return conns[name]

        try:
            for off, line in enumerate(block.lines):
                self.line = block.line + off
                if not line.strip():
                    continue
                if line.startswith("! "):
                    await asyncio.get_running_loop().run_in_executor(None, self.directive, line)
                    continue
                m = re.match(r"^([A-Z]?)(>b|>|<b|<) (.*)$", line)
                if not m:
                    raise Mismatch(f"bad ws-example line {line!r}")
                ws = await conn(m.group(1) or "A")
                arg = m.group(3)
                if m.group(2) == ">":
                    await ws.send(self.bindings.substitute(arg))
                elif m.group(2) == ">b":
                    await ws.send(doc_bytes(self.bindings.substitute(arg)))
                elif m.group(2) == "<b":
                    try:
                        got = await asyncio.wait_for(ws.recv(), DEADLINE)
                    except asyncio.TimeoutError:
                        raise Mismatch(f"no frame within {DEADLINE} s")
                    if not isinstance(got, bytes):
                        raise Mismatch(f"expected a binary frame, got text {got!r}")
                    exp_obj, _, exp_bytes = arg.partition("\\0")
                    obj, nul, payload = got.partition(b"\0")
                    if not nul:
                        raise Mismatch(f"binary frame without NUL: {got[:80]!r}")
                    try:
                        act = json.loads(obj)
                    except ValueError:
                        raise Mismatch(f"binary frame's object is not JSON: {obj!r}")
                    match_json(self.bindings, parse_expected_json(exp_obj), act, "frame")
                    want = doc_bytes(self.bindings.substitute(exp_bytes))
                    if payload != want:
                        raise Mismatch(f"binary payload {payload[:80]!r}, expected {want[:80]!r}")
                elif arg == "(none)":
                    await ws.send(json.dumps({"id": NONE_MARKER_ID, "op": "ping"}))
                    try:
                        got = await asyncio.wait_for(ws.recv(), DEADLINE)
                    except asyncio.TimeoutError:
                        raise Mismatch(f"no answer to a ping within {DEADLINE} s")
                    if json.loads(got) != {"id": NONE_MARKER_ID, "result": {}}:
                        raise Mismatch(f"expected no frame, got {got!r}")
                elif arg.startswith("close"):
                    want = arg.split(None, 2)
                    try:
                        got = await asyncio.wait_for(ws.recv(), DEADLINE)
                        raise Mismatch(f"expected a close, got {got!r}")
                    except websockets.ConnectionClosed as e:
                        rcvd = e.rcvd
                        code = rcvd.code if rcvd else None
                        reason = rcvd.reason if rcvd else None
                        if code != int(want[1]) or (len(want) > 2 and reason != want[2]):
                            raise Mismatch(f"closed with {code} {reason!r}, expected {arg}")
                else:
                    try:
                        got = await asyncio.wait_for(ws.recv(), DEADLINE)
                    except asyncio.TimeoutError:
                        raise Mismatch(f"no frame within {DEADLINE} s")
                    except websockets.ConnectionClosed as e:
                        raise Mismatch(f"connection closed: {e}")
                    try:
                        act = json.loads(got)
                    except ValueError:
                        raise Mismatch(f"frame is not JSON: {got!r}")
                    match_json(self.bindings, parse_expected_json(arg), act, "frame")
        finally:
            for ws in conns.values():
                await ws.close()

    def run(self, block):
        self.line = block.line
        sigterm = any(l.strip() == "! sigterm" for l in block.lines)
        if block.kind == "http-example":
            self.run_http(block)
        elif block.kind == "sse-example":
            self.run_http(block, stream=True)
        else:
            self.run_ws(block)
        if sigterm:
            self.after_sigterm()


def doc_bytes(text):
    """The bytes a `>b` / `<b` line stands for: UTF-8, with \\0, \\xHH and \\\\ escapes."""
    out, i = bytearray(), 0
    while i < len(text):
        c = text[i]
        if c == "\\" and text[i + 1:i + 2] == "0":
            out.append(0)
            i += 2
        elif c == "\\" and text[i + 1:i + 2] == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        elif c == "\\" and text[i + 1:i + 2] == "\\":
            out.append(0x5C)
            i += 2
        else:
            out += c.encode()
            i += 1
    return bytes(out)


def test_doc_bytes_escapes():
    assert doc_bytes(r'{"a":"b"}\0x\x00\xff\\') == b'{"a":"b"}\x00x\x00\xff\\'


def test_every_example_in_protocol_doc():
    blocks, config = read_blocks()
    assert config, "docs/protocol.md has no ```toml herald-config``` block"
    assert len(blocks) >= 20, "too few examples found"
    r = Runner(config)
    try:
        for block in blocks:
            try:
                r.run(block)
            except (Mismatch, OSError, asyncio.TimeoutError) as e:
                msg = f"docs/protocol.md:{r.line}: {block.kind} differs: {e}"
                pytest.fail(msg, pytrace=False)
    finally:
        r.stop()


# ---- the doc names every code --------------------------------------------------------------


def doc_text():
    with open(DOC) as f:
        return f.read()


def src(path):
    with open(os.path.join(ROOT, "src", path)) as f:
        return f.read()


def test_doc_lists_every_protocol_error():
    """Every ProtoErrc of src/proto/errors.h, with its code and message on one line of the doc,
    and every ad-hoc error the WebSocket session sends."""
    names = re.findall(r"^\s+([a-z_]+),$", src("proto/errors.h").split("enum class ProtoErrc")[1]
                       .split("};")[0], re.M)
    assert len(names) >= 11
    cpp = src("proto/errors.cpp")
    codes_part, msgs_part = cpp.split("std::string_view error_message")
    doc_lines = doc_text().split("\n")
    for name in names:
        code = re.search(r"ProtoErrc::%s:(?:\s*case ProtoErrc::\w+:)*\s*return (\d+);" % name,
                         codes_part).group(1)
        msg = re.search(r'ProtoErrc::%s:\s*return "([^"]+)";' % name, msgs_part).group(1)
        assert any(code in l and f"`{msg}" in l and f"`{name}`" in l for l in doc_lines), \
            f"docs/protocol.md lacks a line with `{name}`, {code} and `{msg}`"
    herald = src("ws/session_herald.cpp")
    for code, msg in re.findall(r'reply_error\([^;]*?(\d{3}), "([^"]+)"\)', herald):
        assert any(code in l and msg in l for l in doc_lines), (code, msg)


def outcome_rows():
    """(status, message, close code, name) of every row of the access layer's table."""
    rows = re.findall(r'\{\{(\d{3}), "([^"]+)", (\d+), (?:true|false)\}, "(\w+)"\}',
                      src("access/outcome.cpp"))
    assert len(rows) >= 15, rows
    return rows


def test_doc_lists_every_access_outcome():
    """Every row of src/access/outcome.cpp's table: name, code, message and close code on one
    line of the doc."""
    doc_lines = doc_text().split("\n")
    for status, msg, close, name in outcome_rows():
        if name == "ok":
            continue
        close_cell = f"`{close}`" if close != "0" else "—"
        assert any(f"`{name}`" in l and status in l and f"`{msg}`" in l and close_cell in l
                   for l in doc_lines), f"docs/protocol.md lacks the row of outcome {name}"


def test_doc_lists_every_close_code():
    """Every close code the WebSocket sessions send (src/ws/*.cpp), by number."""
    consts = {}
    for header in ("ws_codec/frame.h", "ws/session_base.h"):
        for ns_name, num in re.findall(r"inline constexpr uint16_t (k\w+) = (\d+);", src(header)):
            consts[ns_name] = num
    used = set()
    ws_dir = os.path.join(ROOT, "src", "ws")
    for f in os.listdir(ws_dir):
        if f.endswith(".cpp"):
            used |= set(re.findall(r"(?:app_close|close_code)::(k\w+)", src("ws/" + f)))
    assert {"kShutdown", "kSlowConsumer", "kNoPong", "kTooBig"} <= used
    doc = doc_text()
    for name in sorted(used):
        assert f"`{consts[name]}`" in doc, f"docs/protocol.md never names close code {consts[name]} ({name})"


def test_doc_lists_every_http_status():
    """Every HTTP error status the server answers with (parser, sessions, routes, API)."""
    statuses = set()
    for sub in ("http_codec/parser.cpp", "http/session.cpp", "ws_codec/handshake.cpp", "ws/session.cpp",
                "sse/sse_session.cpp", "sse/poll.cpp", "sse/request.cpp", "server/api.cpp",
                "server/routes.cpp", "server/worker.cpp"):
        text = src(sub)
        statuses |= set(re.findall(r"(?:respond_error|fail|refuse|fail_before_stream|answer_error)\((\d{3})", text))
        statuses |= set(re.findall(r"\? (\d{3}) : (\d{3})", text) and
                        sum(re.findall(r"\? (\d{3}) : (\d{3})", text), ()))
        statuses |= set(re.findall(r"HTTP/1\.1 (\d{3}) ", text))
    statuses |= {st for st, _, _, _ in outcome_rows()} - {"200"}
    statuses.discard("101")
    assert {"400", "403", "404", "405", "413", "426", "431", "503"} <= statuses, statuses
    doc = doc_text()
    for st in sorted(statuses):
        assert re.search(r"\b%s\b" % st, doc), f"docs/protocol.md never names HTTP status {st}"
