"""Runs the UDP examples of docs/protocol.md ("UDP datagrams") against the real binary, in
order, with the client of udp_client.py (written from that section).

  ```udp-example
  > TYPE field=value ...     send a datagram (encoded by udp_client; `data=` and `message=`
                             take the rest of the line; `cookie=<cookie>` is the last cookie)
  < TYPE field=value ...     the next datagram must be of TYPE with these fields (`size`: its
                             length); values may hold placeholders (<epoch:NAME>, <int>)
  ! publish CHANNEL JSON     POST /api/publish
  ```

  ```udp-bytes
  HEX BYTES                  one datagram, as hex
  TYPE field=value ...       what it decodes to
  ```
"""
import json
import os
import re

import udp_client as U
from harness import ROOT, herald_server
from test_protocol_doc import Bindings, Mismatch

DOC = os.path.join(ROOT, "docs", "protocol.md")
REST = ("data", "message", "token")  # fields that take the rest of the line


def blocks():
    lines = open(DOC).read().split("\n")
    out, config, i = [], None, 0
    while i < len(lines):
        m = re.match(r"^```(\S.*)$", lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while lines[j] != "```":
            j += 1
        kind = m.group(1).strip()
        if kind in ("udp-example", "udp-bytes"):
            out.append((kind, i + 2, lines[i + 1:j]))
        elif kind == "toml herald-config":
            config = "\n".join(lines[i + 1:j]) + "\n"
        i = j + 1
    return out, config


def fields(text):
    """'pub session=1 channel=c data=a b' -> ('pub', {'session': '1', ..., 'data': 'a b'})."""
    kind, _, rest = text.partition(" ")
    out = {}
    while rest:
        key, _, rest = rest.partition("=")
        key = key.strip()
        if key in REST:
            out[key] = rest
            break
        value, _, rest = rest.partition(" ")
        out[key] = value
    return kind, out


def value_of(m, key):
    if key == "size":
        return str(m.size)
    v = m.get(key)
    if isinstance(v, bytes):
        return v.decode()
    return str(v)


def check(m, kind, want, b, where):
    if m is None:
        raise AssertionError(f"{where}: nothing arrived, expected {kind}")
    if m.type != kind:
        raise AssertionError(f"{where}: got {m.type} {dict(m)}, expected {kind}")
    for key, expected in want.items():
        actual = value_of(m, key)
        try:
            ok = b.match_text(expected, actual)
        except Mismatch as e:
            raise AssertionError(f"{where}: {key}={actual!r}, expected {expected!r} ({e})")
        if not ok:
            raise AssertionError(f"{where}: {key}={actual!r}, expected {expected!r}")


def build(kind, f, b, last_cookie):
    f = {k: b.substitute(v) if k != "cookie" else v for k, v in f.items()}
    s = int(f["session"])
    if kind == "hello":
        return U.hello(s, int(f.get("size", U.HELLO_MIN)))
    if kind == "open":
        cookie = last_cookie if f["cookie"] == "<cookie>" else bytes.fromhex(f["cookie"])
        return U.open_(s, cookie, f.get("token", "").encode())
    if kind == "subscribe":
        return U.subscribe(s, int(f["id"]), f["channel"], f["epoch"], int(f["offset"]))
    if kind == "unsubscribe":
        return U.unsubscribe(s, int(f["id"]), f["channel"])
    if kind == "keepalive":
        return U.keepalive(s, int(f["id"]))
    if kind == "resend":
        return U.resend(s, int(f["id"]), f["channel"], f["epoch"], int(f["after"]), int(f["count"]))
    if kind == "publish":
        return U.publish(s, int(f["id"]), f["channel"], f["data"])
    if kind == "close":
        return U.close(s)
    raise AssertionError(f"cannot send {kind}")


def test_udp_examples_of_the_protocol_doc():
    found, config = blocks()
    assert any(k == "udp-example" for k, _, _ in found), "no udp-example block in the doc"
    key = re.search(r'api_key = "([^"]*)"', config)
    with herald_server(config=config) as srv:
        b = Bindings()
        client = None
        last_cookie = None
        for kind, line, body in found:
            if kind == "udp-bytes":
                hexline, described = body[0], body[1]
                m = U.decode(bytes.fromhex(hexline.replace(" ", "")))
                k, want = fields(described)
                check(m, k, want, b, f"protocol.md:{line}")
                continue
            for n, text in enumerate(body):
                where = f"protocol.md:{line + n}"
                if text.startswith("> "):
                    k, f = fields(text[2:])
                    if client is None or client.session != int(f["session"]):
                        client = U.UdpClient(srv.port, session=int(f["session"]))
                    client.send(build(k, f, b, last_cookie))
                elif text.startswith("< "):
                    k, want = fields(text[2:])
                    m = client.recv(5.0)
                    check(m, k, want, b, where)
                    if m.type == "cookie":
                        last_cookie = m.cookie
                elif text.startswith("! publish "):
                    _, _, channel, data = text.split(" ", 3)
                    srv.publish(channel, json.loads(b.substitute(data)),
                                api_key=key.group(1) if key else None)
                elif text.strip():
                    raise AssertionError(f"{where}: cannot read {text!r}")
