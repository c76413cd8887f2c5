"""`make install`'s rules (cmake --install, DESTDIR honoured) through the binary under test: the
binary, web assets, config and systemd unit land under the prefix; the installed binary started
with the installed config serves /health and the installed web assets (found relative to the
binary, whatever the working directory); a second install keeps an edited config; the unit
passes `systemd-analyze verify` and carries the sandboxing."""
import os
import re
import shutil
import subprocess

import pytest

from harness import ROOT, cache_value, herald_bin, herald_server


def install(build_dir, destdir):
    env = dict(os.environ, DESTDIR=str(destdir))
    r = subprocess.run(["cmake", "--install", build_dir], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.fixture
def staged(tmp_path):
    build_dir = os.path.dirname(os.path.abspath(herald_bin()))
    prefix = cache_value(build_dir, "CMAKE_INSTALL_PREFIX")
    destdir = tmp_path / "stage"
    install(build_dir, destdir)
    root = str(destdir) + prefix
    etc = str(destdir) + ("/etc" if prefix == "/usr" else prefix + "/etc")
    return {"build_dir": build_dir, "destdir": destdir, "prefix": prefix, "root": root,
            "bin": os.path.join(root, "bin", "herald"),
            "conf": os.path.join(etc, "herald", "herald.toml"),
            "web": os.path.join(root, "share", "herald", "web"),
            "unit": os.path.join(root, "lib", "systemd", "system", "herald.service")}


def test_installed_files_and_the_installed_binary_serves(staged, monkeypatch, tmp_path):
    for key in ("bin", "conf", "unit"):
        assert os.path.isfile(staged[key]), staged[key]
    assert os.access(staged["bin"], os.X_OK)
    for name in ("index.html", "admin.html", "herald.js"):
        with open(os.path.join(staged["web"], name), "rb") as a, \
                open(os.path.join(ROOT, "web", name), "rb") as b:
            assert a.read() == b.read(), name
    # The check finds the installed assets from the binary, not from the source tree.
    r = subprocess.run([staged["bin"], "serve", "--check", "--config", staged["conf"],
                        "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=120,
                       cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().endswith("web_root " + staged["web"]), r.stdout

    monkeypatch.setenv("HERALD_BIN", staged["bin"])
    with herald_server("--config", staged["conf"]) as srv:
        status, _, body = srv.request("GET", "/health")
        assert status == 200, body
        status, _, body = srv.request("GET", "/herald.js")
        assert status == 200
        with open(os.path.join(ROOT, "web", "herald.js"), "rb") as f:
            assert body == f.read()


@pytest.mark.parametrize("prefix,etc", [("/usr", "/etc"), ("/opt/herald", "/opt/herald/etc")])
def test_the_prefix_chosen_at_install_time_places_config_unit_and_manual(tmp_path, prefix, etc):
    """`cmake --install BUILD --prefix P` (what `make install` and CPack do) after the build was
    configured with another prefix: the config, the unit's paths and the manual follow P."""
    build_dir = os.path.dirname(os.path.abspath(herald_bin()))
    env = dict(os.environ, DESTDIR=str(tmp_path))
    r = subprocess.run(["cmake", "--install", build_dir, "--prefix", prefix],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    root = str(tmp_path)
    assert os.path.isfile(root + prefix + "/bin/herald")
    assert os.path.isfile(root + etc + "/herald/herald.toml")
    assert os.path.isfile(root + prefix + "/share/man/man1/herald.1.gz")
    with open(root + prefix + "/lib/systemd/system/herald.service") as f:
        unit = f.read()
    assert re.search(f"^ExecStart={prefix}/bin/herald serve --config {etc}/herald/herald.toml$",
                     unit, re.M), unit


def test_a_second_install_keeps_the_edited_config(staged):
    with open(staged["conf"], "a") as f:
        f.write("\n# edited by the operator\n")
    out = install(staged["build_dir"], staged["destdir"])
    assert "Kept:" in out, out
    with open(staged["conf"]) as f:
        assert f.read().endswith("# edited by the operator\n")


def test_the_systemd_unit_is_sandboxed_and_verifies(staged):
    with open(staged["unit"]) as f:
        unit = f.read()
    assert f"ExecStart={staged['prefix']}/bin/herald serve --config " in unit, unit
    for line in ("Type=exec", "DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes",
                 "LimitNOFILE=1048576", "ExecReload=/bin/kill -HUP $MAINPID"):
        assert re.search("^" + re.escape(line) + "$", unit, re.M), line
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze not found (Debian package systemd)")
    # Verified with its paths moved into the staging directory, where the binary exists; any
    # warning (an unknown or misspelt setting) counts as a failure.
    stage = str(staged["destdir"])
    moved = unit.replace(f"{staged['prefix']}/", stage + staged["prefix"] + "/")
    path = os.path.join(stage, "herald.service")
    with open(path, "w") as f:
        f.write(moved)
    r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr
