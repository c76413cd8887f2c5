"""SIGHUP reloads the config file without dropping connections (docs/operations.md); a bad file is
refused and the running config stays. Also: /metrics exports the loop-lag histogram."""
import json
import os
import signal
import socket

from harness import DEADLINE, herald_server, wait_until

CONFIG = """
[http]
max_body = 200
"""


def publish_status(srv, size):
    body = json.dumps({"channel": "public:reload", "data": "x" * size})
    status, _, _ = srv.request("POST", "/api/publish", body, {"Content-Type": "application/json"})
    return status


def open_keepalive(srv):
    s = socket.create_connection((srv.host, srv.port))
    s.settimeout(DEADLINE)
    return s


def health_on(s):
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"}"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_sighup_applies_new_config_and_keeps_connections():
    with herald_server(config=CONFIG) as srv:
        path = os.path.join(os.path.dirname(srv.log_path), "herald.toml")
        assert publish_status(srv, 500) == 413
        keep = open_keepalive(srv)
        assert health_on(keep).startswith(b"HTTP/1.1 200")
        with open(path, "w") as f:
            f.write("[http]\nmax_body = 100000\n")
        srv.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: publish_status(srv, 500) == 200, what="the reloaded limit")
        assert "configuration reloaded" in srv.log()
        # The connection opened before the reload is still served.
        assert health_on(keep).startswith(b"HTTP/1.1 200")
        keep.close()


def test_sighup_with_a_bad_file_keeps_the_running_config():
    with herald_server(config=CONFIG) as srv:
        path = os.path.join(os.path.dirname(srv.log_path), "herald.toml")
        with open(path, "w") as f:
            f.write("[http]\nmax_body = \"big\"\nno_such_key = 1\n")
        srv.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "config not reloaded" in srv.log(), what="the refusal in the log")
        assert "max_body" in srv.log()
        assert srv.alive()
        assert publish_status(srv, 500) == 413  # still the old limit


def test_metrics_export_loop_lag_histogram():
    with herald_server("--threads", "2") as srv:
        for _ in range(3):
            srv.request("GET", "/health")
        status, headers, body = srv.request("GET", "/metrics")
        assert status == 200
        text = body.decode()
        assert "# TYPE herald_loop_lag_microseconds histogram" in text
        count = [l for l in text.splitlines() if l.startswith("herald_loop_lag_microseconds_count")]
        assert count and int(count[0].split()[-1]) > 0
        inf = [l for l in text.splitlines() if 'le="+Inf"' in l]
        assert inf and int(inf[0].split()[-1]) == int(count[0].split()[-1])
        assert "herald_loops 2" in text
