"""`herald serve --check`: the whole serve configuration (file < env < flags), the TLS
certificate and key, and that the ports can be bound, checked without serving; exit 0 with one
line, or the problem and a non-zero code (what `serve` would exit with)."""
import os
import socket
import subprocess

from harness import ROOT, herald_bin


def run(*args, env=None):
    full_env = dict(os.environ)
    full_env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    if env:
        full_env.update(env)
    return subprocess.run([herald_bin(), "serve", "--check", *args], capture_output=True,
                          text=True, timeout=120, env=full_env)


def test_check_ok_exits_0_and_serves_nothing(tmp_path):
    cfg = tmp_path / "herald.toml"
    cfg.write_text('[server]\nlisten = "127.0.0.1:0"\nthreads = 2\n')
    r = run("-c", str(cfg))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("herald serve --check: ok: http://127.0.0.1:0/"), r.stdout
    assert "herald listening" not in r.stdout + r.stderr


def test_port_in_use_is_reported_with_exit_1():
    # The test holds the port itself: no other process can make this pass or fail.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run("--listen", f"127.0.0.1:{port}")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert f"listen 127.0.0.1:{port}: Address already in use" in r.stderr, r.stderr
    assert r.stdout == ""


def test_missing_certificate_and_bad_values_exit_2(tmp_path):
    r = run("--set", "tls.listen=127.0.0.1:0", "--set", f"tls.cert_file={tmp_path}/none.pem",
            "--set", f"tls.key_file={tmp_path}/none.key")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "tls.cert_file" in r.stderr and "none.pem" in r.stderr, r.stderr
    # A bad value in the environment layer is refused as `serve` refuses it.
    r = run(env={"HERALD_THREADS": "65"})
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "server.threads" in r.stderr, r.stderr


def test_log_level_off_still_says_what_is_wrong():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run("--listen", f"127.0.0.1:{port}", "--log-level", "off")
    assert r.returncode == 1
    assert "Address already in use" in r.stderr, r.stderr


def test_the_example_config_checks(tmp_path):
    # config/herald.example.toml is what docs tell operators to start from; on a free port it
    # passes the check as written.
    r = run("-c", os.path.join(ROOT, "config", "herald.example.toml"), "--listen", "127.0.0.1:0")
    assert r.returncode == 0, r.stderr
