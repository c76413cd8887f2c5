"""The Debian package (`make deb`, cmake/packaging.cmake) of the build under test, built with
cpack from that build directory and installed on this machine with dpkg: its control fields and
conffile; the files it installs; the installed /usr/bin/herald started with the installed
/etc/herald/herald.toml serves /health and the installed web assets; installing again and
`dpkg -r` keep the edited conffile; `dpkg --purge` removes everything (also the link `systemctl
enable herald` made) and leaves herald "not installed"; lintian finds nothing but the missing
copyright file. The dpkg commands are those of docs/operations.md ("As a Debian package"), run
with the package built here.

Needs root (dpkg): as another user every test here is skipped, and ctest reports the suite as
skipped (tests/CMakeLists.txt). A herald package or herald files already on the machine make it
refuse (fail) rather than replace them. ctest's RESOURCE_LOCK dpkg keeps it apart from other
suites using dpkg."""
import fnmatch
import gzip
import os
import re
import shlex
import shutil
import subprocess
import time

import pytest

from harness import ROOT, cache_value, herald_bin, herald_server

if os.geteuid() != 0:
    pytest.skip("test_deb needs root: it installs and purges the package with dpkg",
                allow_module_level=True)

PACKAGE = "herald"
BIN = "/usr/bin/herald"
CONF = "/etc/herald/herald.toml"
WEB = "/usr/share/herald/web"
UNIT = "/usr/lib/systemd/system/herald.service"
MAN = "/usr/share/man/man1/herald.1.gz"
DOC = "/usr/share/doc/herald"
# What `systemctl enable herald` makes (the unit's WantedBy=multi-user.target).
ENABLED_LINK = "/etc/systemd/system/multi-user.target.wants/herald.service"
# Everything the package owns or may leave behind; none of it may exist before or after.
OWNED = [BIN, "/etc/herald", "/usr/share/herald", UNIT, MAN, DOC, ENABLED_LINK]

# dpkg's lock is held while another dpkg or apt runs (someone's install-deps): wait for it.
LOCK_WAIT_S = 600


def run(cmd, timeout=600, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check:
        assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}"
    return r


def dpkg(*args):
    """dpkg ARGS, retried while another process holds dpkg's lock."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        r = run(["dpkg", *args], check=False)
        if r.returncode == 0 or "lock" not in r.stderr or time.monotonic() > deadline:
            assert r.returncode == 0, f"dpkg {' '.join(args)}:\n{r.stdout}{r.stderr}"
            return r.stdout
        time.sleep(2)


def status():
    """dpkg's status abbreviation for herald ('ii ', 'rc ', ...), or None when dpkg never
    heard of it or it is purged."""
    r = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", PACKAGE], check=False)
    if r.returncode != 0 or r.stdout.startswith("un") or r.stdout.startswith("pn"):
        return None
    return r.stdout


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    """The .deb of the build under test, made by cpack in a temporary directory."""
    build_dir = os.path.dirname(os.path.abspath(herald_bin()))
    config = os.path.join(build_dir, "CPackConfig.cmake")
    assert os.path.isfile(config), f"{config} missing: configure {build_dir} with cmake"
    out = tmp_path_factory.mktemp("deb")
    run(["cpack", "--config", config, "-G", "DEB", "-B", str(out)], timeout=900)
    debs = [f for f in os.listdir(out) if f.endswith(".deb")]
    assert len(debs) == 1, debs
    return {"path": os.path.join(out, debs[0]), "build_dir": build_dir,
            "version": cache_value(build_dir, "CMAKE_PROJECT_VERSION")}


def control(path):
    fields = {}
    for line in run(["dpkg-deb", "-f", path]).stdout.splitlines():
        if not line.startswith(" ") and ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    return fields


def test_control_fields_conffile_and_changelog(deb):
    fields = control(deb["path"])
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    assert fields["Package"] == PACKAGE
    assert fields["Version"] == deb["version"]
    assert fields["Architecture"] == arch
    assert os.path.basename(deb["path"]) == f"herald_{deb['version']}_{arch}.deb"
    assert re.fullmatch(r".+ <[^@>]+@[^>]+>", fields["Maintainer"]), fields["Maintainer"]
    assert fields["Description"].startswith("real-time messaging server")
    assert fields["Section"] == "net"
    # dpkg-shlibdeps computed Depends from the binary's libraries: versioned libc and OpenSSL.
    depends = [d.strip() for d in fields["Depends"].split(",")]
    assert any(re.fullmatch(r"libc6 \(>= [\d.]+\)", d) for d in depends), depends
    assert any(d.startswith("libssl3") for d in depends), depends
    info = run(["dpkg-deb", "-I", deb["path"], "conffiles"]).stdout
    assert info.split() == [CONF], info
    # The changelog's newest entry names the version being packaged.
    r = run(["dpkg-parsechangelog", "-l", os.path.join(ROOT, "deploy", "debian", "changelog"),
             "-S", "Version"])
    assert r.stdout.strip() == deb["version"], "deploy/debian/changelog needs a new entry"


def doc_dpkg_commands(deb_path):
    """The dpkg commands of docs/operations.md's "As a Debian package" section, in order, keyed
    by their option, with the doc's package path (build/release/herald_*.deb, what `make deb`
    writes) replaced by the package built here."""
    with open(os.path.join(ROOT, "docs", "operations.md")) as f:
        doc = f.read()
    section = doc.split("### As a Debian package", 1)[1].split("\n## ", 1)[0]
    cmds = {}
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.splitlines():
            argv = shlex.split(line.split("#", 1)[0])
            if argv[:1] != ["dpkg"]:
                continue
            for i, arg in enumerate(argv):
                if arg.startswith("build/"):
                    assert arg == "build/release/herald_*.deb", line
                    assert fnmatch.fnmatch(os.path.basename(deb_path), "herald_*.deb")
                    argv[i] = deb_path
            cmds[argv[1]] = argv[2:]
    assert list(cmds) == ["-c", "-i", "-r", "--purge"], cmds
    return cmds


def refuse_if_herald_is_here():
    present = status()
    if present:
        pytest.fail(f"a herald package is installed here (dpkg status '{present.strip()}'): this "
                    "test installs and purges its own and will not replace it; "
                    "remove it first (dpkg --purge herald) or run the test elsewhere")
    found = [p for p in OWNED if os.path.lexists(p)]
    if found:
        pytest.fail(f"herald files are already installed here ({', '.join(found)}, e.g. from "
                    "make install PREFIX=/usr): the package would overwrite them and its purge "
                    "delete them; remove them first or run the test elsewhere")


def check_installed_files(deb):
    listed = set(dpkg("-L", PACKAGE).split())
    web = {os.path.join(WEB, n) for n in ("index.html", "admin.html", "herald.js", "herald.d.ts")}
    for path in {BIN, CONF, UNIT, MAN, DOC + "/changelog.gz",
                 DOC + "/herald.example.toml"} | web:
        assert path in listed, (path, sorted(listed))
        assert os.path.isfile(path), path
    assert os.access(BIN, os.X_OK)
    for path in web:
        with open(path, "rb") as a, open(os.path.join(ROOT, "web", os.path.basename(path)),
                                         "rb") as b:
            assert a.read() == b.read(), path
    with open(CONF) as a, open(os.path.join(ROOT, "config", "herald.example.toml")) as b:
        assert a.read() == b.read()
    assert dpkg_query_field("Conffiles").split()[0] == CONF
    with open(UNIT) as f:
        unit = f.read()
    assert re.search(f"^ExecStart={BIN} serve --config {CONF}$", unit, re.M), unit
    # The installed unit with the installed paths; any warning (a missing binary) fails.
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze not found (Debian package systemd)")
    r = run(["systemd-analyze", "verify", UNIT], check=False)
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr
    with gzip.open(MAN, "rt") as f:
        page = f.read()
    assert page.startswith(".\\\"") and f"herald {deb['version']}" in page, page[:300]


def dpkg_query_field(name):
    return run(["dpkg-query", "-W", "-f=${" + name + "}", PACKAGE]).stdout


def check_installed_binary_serves(monkeypatch, tmp_path):
    # The web root comes from the installed binary's place, not from the working directory.
    r = run([BIN, "serve", "--check", "--config", CONF, "--listen", "127.0.0.1:0"],
            cwd=str(tmp_path), timeout=120)
    assert r.stdout.rstrip().endswith("web_root " + WEB), r.stdout
    # harness: `/usr/bin/herald serve --listen 127.0.0.1:0 --config /etc/herald/herald.toml`
    monkeypatch.setenv("HERALD_BIN", BIN)
    with herald_server("--config", CONF) as srv:
        code, _, body = srv.request("GET", "/health")
        assert code == 200, body
        code, _, body = srv.request("GET", "/herald.js")
        assert code == 200
        with open(os.path.join(ROOT, "web", "herald.js"), "rb") as f:
            assert body == f.read()


def check_nothing_left(deb):
    files = [line.split()[-1].lstrip(".")
             for line in run(["dpkg-deb", "-c", deb["path"]]).stdout.splitlines()
             if line.startswith("-")]
    assert BIN in files and CONF in files, files
    left = [p for p in files + OWNED if os.path.lexists(p)]
    assert not left, f"left after purge: {left}"
    r = run(["dpkg", "-s", PACKAGE], check=False)
    assert r.returncode != 0 and "is not installed" in r.stderr, r.stdout + r.stderr


def test_install_serve_remove_and_purge(deb, monkeypatch, tmp_path):
    doc = doc_dpkg_commands(deb["path"])
    assert doc["-c"] == [deb["path"]] and doc["-i"] == [deb["path"]], doc
    assert doc["-r"] == [PACKAGE] and doc["--purge"] == [PACKAGE], doc
    assert "./etc/herald/herald.toml" in dpkg("-c", *doc["-c"])
    refuse_if_herald_is_here()
    try:
        dpkg("-i", *doc["-i"])
        assert status() == "ii ", status()
        check_installed_files(deb)
        check_installed_binary_serves(monkeypatch, tmp_path)

        # Enabled the way an operator would; works offline when systemd is not running.
        if shutil.which("systemctl"):
            run(["systemctl", "enable", "herald.service"])
            assert os.path.islink(ENABLED_LINK)

        # A conffile: installing the package again (an upgrade) keeps the operator's edit,
        # and so does a remove, which takes everything else.
        with open(CONF, "a") as f:
            f.write("\n# edited by the operator\n")
        dpkg("-i", *doc["-i"])
        assert status() == "ii ", status()
        with open(CONF) as f:
            assert f.read().endswith("# edited by the operator\n")
        dpkg("-r", *doc["-r"])
        assert status() == "rc ", status()
        for path in (BIN, UNIT, WEB, MAN):
            assert not os.path.exists(path), path
        with open(CONF) as f:
            assert f.read().endswith("# edited by the operator\n")
    finally:
        if status():
            dpkg("--purge", *doc["--purge"])
    check_nothing_left(deb)


def test_lintian_finds_only_the_missing_copyright_file(deb):
    if not shutil.which("lintian"):
        pytest.fail("lintian not found (Debian package lintian; scripts/install-deps)")
    r = run(["lintian", deb["path"]], check=False)
    tags = [line for line in r.stdout.splitlines() if re.match(r"[EWI]: ", line)]
    # The repository has no licence yet, so there is no copyright file to ship.
    unexpected = [t for t in tags if not t.startswith("E: herald: no-copyright-file")]
    assert not unexpected, r.stdout + r.stderr
