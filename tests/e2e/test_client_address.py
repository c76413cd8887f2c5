"""The real client address behind a reverse proxy, through the real binary: forwarding headers
(X-Forwarded-For, Forwarded) count only from server.trusted_proxies, and the PROXY protocol
(v1 and v2) header of a trusted proxy replaces the connection's address, for the anonymous
loopback rule and for the per-IP connection limit. A client that writes these headers itself
gains nothing."""
import socket
import struct
import time

from harness import herald_server


def get(srv, path, headers=None, preamble=b""):
    """One request on a new connection (optionally after a PROXY header); the status code."""
    s = socket.create_connection((srv.host, srv.port), timeout=30)
    try:
        lines = [f"GET {path} HTTP/1.1", f"Host: {srv.host}", "Connection: close"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        s.sendall(preamble + ("\r\n".join(lines) + "\r\n\r\n").encode())
        buf = b""
        while b"\r\n" not in buf:
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:  # a refused PROXY header is answered with a reset
                break
            if not chunk:
                break
            buf += chunk
        return int(buf.split(b" ")[1]) if buf.startswith(b"HTTP/1.1") else None
    finally:
        s.close()


POLL = "/poll?channel=public:addr&wait=0"


def test_forwarding_headers_are_ignored_without_trusted_proxies():
    with herald_server() as srv:
        # public: is open to anonymous clients on loopback; a header cannot change who we are.
        assert get(srv, POLL, {"X-Forwarded-For": "203.0.113.7"}) == 200
        assert get(srv, POLL, {"Forwarded": "for=203.0.113.7"}) == 200


def test_a_trusted_proxy_forwards_for_remote_clients():
    with herald_server(config='[server]\ntrusted_proxies = ["127.0.0.1"]\n') as srv:
        # Through the proxy, a remote client is remote: public: is loopback-only.
        assert get(srv, POLL, {"X-Forwarded-For": "203.0.113.7"}) == 403
        assert get(srv, POLL, {"Forwarded": "for=203.0.113.7;proto=https"}) == 403
        # A client that forges a loopback hop at the left gains nothing: the proxy appended
        # the address it saw.
        assert get(srv, POLL, {"X-Forwarded-For": "127.0.0.1, 203.0.113.7"}) == 403
        # A local client through the proxy is local.
        assert get(srv, POLL, {"X-Forwarded-For": "127.0.0.1"}) == 200
        # The proxy did not say: unknown, so not loopback.
        assert get(srv, POLL) == 403
        assert get(srv, POLL, {"Forwarded": "for=unknown"}) == 403
        assert get(srv, "/health") == 200


def proxy_v1(src):
    return f"PROXY TCP4 {src} 127.0.0.1 40000 80\r\n".encode()


def proxy_v2(src):
    addr = socket.inet_aton(src) + socket.inet_aton("127.0.0.1") + struct.pack("!HH", 40000, 80)
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack("!H", len(addr)) + addr


def wait_proxied_ready(srv, src):
    """The harness's readiness probe has no PROXY header: the server is probed here instead."""
    deadline = time.time() + 30
    while get(srv, "/health", preamble=proxy_v1(src)) != 200:
        assert time.time() < deadline
        time.sleep(0.05)


def test_proxy_protocol_names_the_client():
    cfg = """
[server]
trusted_proxies = ["127.0.0.1"]
proxy_protocol = true
"""
    with herald_server(config=cfg, ready_path=None) as srv:
        wait_proxied_ready(srv, "127.0.0.1")
        for make in (proxy_v1, proxy_v2):
            assert get(srv, POLL, preamble=make("127.0.0.1")) == 200
            assert get(srv, POLL, preamble=make("203.0.113.7")) == 403
        # Garbage instead of the header: closed, nothing answered.
        assert get(srv, "/health", preamble=b"HELLO\r\n") is None


def test_proxy_protocol_counts_the_per_ip_limit_of_the_real_client():
    # Each address is used by one connection at a time here, except where the limit is the
    # point: a closed connection's slot comes back only once the server saw the close.
    cfg = """
[server]
trusted_proxies = ["127.0.0.1"]
proxy_protocol = true

[limits]
max_connections_per_ip = 1
"""
    with herald_server(config=cfg, ready_path=None) as srv:
        wait_proxied_ready(srv, "198.51.100.9")
        # One held connection of 198.51.100.1, then a second one from it is refused while a
        # third client is served.
        held = socket.create_connection((srv.host, srv.port), timeout=30)
        held.sendall(proxy_v1("198.51.100.1") + b"GET /sse?channel=public:x HTTP/1.1\r\nHost: x\r\n\r\n")
        assert held.recv(12).startswith(b"HTTP/1.1")
        deadline = time.time() + 30
        while get(srv, "/health", preamble=proxy_v1("198.51.100.1")) != 503:
            assert time.time() < deadline
            time.sleep(0.05)
        assert get(srv, "/health", preamble=proxy_v1("198.51.100.2")) == 200
        held.close()
        deadline = time.time() + 30
        while get(srv, "/health", preamble=proxy_v1("198.51.100.1")) != 200:
            assert time.time() < deadline, "the slot of the closed connection came back"
            time.sleep(0.05)
