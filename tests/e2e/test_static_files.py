"""Static files (web/: the demo, the admin, the JS client) through the real binary, with curl.

Every file carries a strong ETag (the first 128 bits of the SHA-256 of its bytes, base64url)
and Cache-Control: no-cache, so a browser revalidates and gets 304 without a body while the
file is unchanged; /herald.js is text/javascript; a changed file gets a new tag at once.
"""
import base64
import hashlib
import os
import re
import subprocess
import tempfile

import pytest

from harness import ROOT, herald_server


def curl(*args):
    r = subprocess.run(["curl", "-s", "-i", "--max-time", "5", *args], capture_output=True, timeout=10)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def expected_tag(content):
    return '"' + base64.urlsafe_b64encode(hashlib.sha256(content).digest()[:16]).decode().rstrip("=") + '"'


@pytest.fixture(scope="module")
def srv():
    with herald_server() as s:
        yield s


def test_herald_js_has_type_etag_and_cache_policy(srv):
    status, h, body = curl(srv.url("/herald.js"))
    assert status == 200
    assert h["content-type"] == "text/javascript; charset=utf-8"
    assert h["cache-control"] == "no-cache"
    with open(os.path.join(ROOT, "web", "herald.js"), "rb") as f:
        on_disk = f.read()
    assert body == on_disk
    assert re.fullmatch(r'"[A-Za-z0-9_-]{22}"', h["etag"])
    assert h["etag"] == expected_tag(on_disk)


def test_if_none_match_answers_304_without_body(srv):
    _, h, _ = curl(srv.url("/herald.js"))
    tag = h["etag"]
    for value in (tag, "W/" + tag, '"nope", ' + tag, "*"):
        status, h2, body = curl("-H", f"If-None-Match: {value}", srv.url("/herald.js"))
        assert status == 304, value
        assert body == b""
        assert h2["etag"] == tag
        assert h2["cache-control"] == "no-cache"
        assert "content-length" not in h2
    status, _, body = curl("-H", 'If-None-Match: "nope"', srv.url("/herald.js"))
    assert status == 200 and len(body) > 1000


def test_every_web_file_has_its_own_tag(srv):
    tags = {}
    for path, ctype in [("/", "text/html"), ("/admin", "text/html"), ("/herald.js", "text/javascript"),
                        ("/herald.d.ts", "application/octet-stream"), ("/package.json", "application/json")]:
        status, h, body = curl(srv.url(path))
        assert status == 200, path
        assert h["content-type"].startswith(ctype), (path, h["content-type"])
        assert h["etag"] == expected_tag(body), path
        tags[path] = h["etag"]
        status, _, _ = curl("-H", "If-None-Match: " + h["etag"], srv.url(path))
        assert status == 304, path
    assert len(set(tags.values())) == len(tags)


def test_head_carries_the_tag(srv):
    r = subprocess.run(["curl", "-s", "-I", "--max-time", "5", srv.url("/herald.js")], capture_output=True)
    head = r.stdout.decode()
    assert head.startswith("HTTP/1.1 200")
    _, h, _ = curl(srv.url("/herald.js"))
    assert f"ETag: {h['etag']}" in head


def test_a_changed_file_gets_a_new_tag():
    with tempfile.TemporaryDirectory() as root:
        path = os.path.join(root, "app.js")
        with open(path, "w") as f:
            f.write("export const v = 1;\n")
        with herald_server("--set", f"server.web_root={root}") as srv:
            status, h1, _ = curl(srv.url("/app.js"))
            assert status == 200
            with open(path, "w") as f:
                f.write("export const v = 2;\n")
            status, h2, body = curl("-H", "If-None-Match: " + h1["etag"], srv.url("/app.js"))
            assert status == 200 and body == b"export const v = 2;\n"
            assert h2["etag"] != h1["etag"]
            assert h2["etag"] == expected_tag(body)
