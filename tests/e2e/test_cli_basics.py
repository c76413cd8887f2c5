"""The herald command line: --version, check-config (exit codes, every error with its line),
serve with a bad --listen, and the precedence defaults < file < HERALD_* env < flags seen
through an observable effect (http.max_body -> 413 or not)."""
import json
import os
import re
import subprocess

import pytest

from harness import ROOT, herald_bin, herald_server


def run(*args, env=None, timeout=120):
    full_env = dict(os.environ)
    full_env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    if env:
        full_env.update(env)
    return subprocess.run([herald_bin(), *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env)


@pytest.fixture
def write(tmp_path):
    """write(text) -> path of a config file holding `text` (in pytest's tmp_path: nothing is
    left in /tmp)."""
    def w(text):
        path = tmp_path / "herald.toml"
        path.write_text(text)
        return str(path)
    return w


def test_version():
    r = run("--version")
    assert r.returncode == 0
    assert re.fullmatch(r"herald \d+\.\d+\.\d+\n", r.stdout), r.stdout


def example_after(help_text, marker):
    """The first command line after `marker` in a --help text, as arguments (without "herald")."""
    lines = help_text[help_text.index(marker):].splitlines()[1:]
    words = next(l for l in lines if l.strip().startswith("herald ")).split()
    assert words[0] == "herald"
    return words[1:]


def test_serve_help_says_where_the_keys_are_and_its_example_is_valid():
    r = run("serve", "--help")
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())  # CLI11 may wrap the footer
    assert "Every key of docs/configuration.md can be set with --set KEY=VALUE" in text
    assert "`herald check-config --keys` prints them all with their defaults" in text
    args = example_after(r.stdout, "Example:")
    # Every key the example sets is a real one...
    keys = run("check-config", "--keys").stdout
    sets = [a.split("=")[0] for a in args if "=" in a and not a.startswith("-")]
    assert sets, args
    for k in sets:
        assert f"| `{k}` |" in keys, k
    # ...and the example line is a configuration serve accepts (on a port of its own).
    args[args.index("--listen") + 1] = "127.0.0.1:0"
    c = run(*args, "--check")
    assert c.returncode == 0, c.stdout + c.stderr


def test_bench_help_shows_defaults_and_its_example_runs_clean(tmp_path):
    r = run("bench", "--help")
    assert r.returncode == 0, r.stderr
    assert re.search(r"--rate FLOAT=1000\b", r.stdout), r.stdout
    assert re.search(r"-n,--subscribers INT=100\b", r.stdout), r.stdout
    assert "{false}" not in r.stdout and "--no-pin " in r.stdout
    args = example_after(r.stdout, "Example")
    assert args[:2] == ["bench", "--serve"], args
    out = tmp_path / "example.json"
    b = run(*args, "-q", "--json", str(out), timeout=300)
    assert b.returncode == 0, b.stdout + b.stderr
    assert [x["transport"] for x in json.loads(out.read_text())["runs"]] == ["ws", "sse"]


def option_lines(help_text):
    """(option names, value type or None for a flag, the rest of its entry) for each option of
    a CLI11 --help text; an entry may wrap onto a second, indented line."""
    body = help_text[help_text.index("Options:"):].split("\n\n")[0].splitlines()[1:]
    entries = []
    for line in body:
        if re.match(r"^  \S", line):
            entries.append(line.strip())
        elif entries:
            entries[-1] += " " + line.strip()
    out = []
    for e in entries:
        m = re.match(r"^(\S+)(?: (INT|UINT|FLOAT|TEXT)(=\S*)?)?\s+(.*)$", e)
        assert m, e
        out.append((m.group(1), m.group(2), (m.group(3) or "") + " " + m.group(4)))
    return out


def readme_commands():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    # README runs the binary `make run` builds: build/release/herald.
    text = text.replace("build/release/herald", "herald")
    return [" ".join(line.split()) for block in re.findall(r"```sh\n(.*?)```", text, re.S)
            for line in block.replace("\\\n", " ").splitlines()]


@pytest.mark.parametrize("sub,docs", [("compare", ["docs/transports.md", "docs/netlab.md"]),
                                      ("advise", ["docs/netlab.md"])])
def test_bench_subcommand_help_shows_defaults_docs_and_an_example_readme_runs(sub, docs):
    r = run("bench", sub, "--help")
    assert r.returncode == 0, r.stderr
    opts = option_lines(r.stdout)
    assert len(opts) >= 10, opts
    for names, kind, rest in opts:
        if kind is None or names == "-h,--help":
            continue  # a flag: off unless given
        # Every option with a value says its default: CLI11's "=VALUE", or in its words.
        assert rest.startswith("=") or "default" in rest, (names, rest)
    assert "{false}" not in r.stdout and "{true}" not in r.stdout
    text = " ".join(r.stdout.split())
    for d in docs:
        assert d in text, d
        assert os.path.exists(os.path.join(ROOT, d)), d
    # Its footer is its own (a subcommand inherits the parent's footer unless it sets one).
    assert "herald bench --serve" not in r.stdout
    example = example_after(r.stdout, "Example")
    assert example[:2] == ["bench", sub], example
    # The example is a README command, which test_readme.py runs as written.
    assert " ".join(["herald"] + example) in readme_commands(), example


def test_bench_no_pin_leaves_the_client_loops_unpinned(tmp_path):
    out = tmp_path / "nopin.json"
    b = run("bench", "--serve", "--no-pin", "--threads", "1", "--subscribers", "2", "--messages",
            "20", "--rate", "100", "-q", "--json", str(out), timeout=300)
    assert b.returncode == 0, b.stdout + b.stderr
    assert json.loads(out.read_text())["runs"][0]["loop_cpus"] == [-1]


def test_check_config_good_file_exits_0(write):
    path = write('[server]\nthreads = 2\nlisten = "127.0.0.1:9000"\n[http]\nmax_body = 65536\n')
    r = run("check-config", path)
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout


def test_check_config_bad_file_reports_every_error_with_its_line(write):
    path = write("[http]\n"                 # 1
                 "max_bdy = 10\n"           # 2: unknown key
                 "max_header_count = 5\n"   # 3: fine
                 "[server]\n"               # 4
                 'threads = "two"\n')       # 5: wrong type
    r = run("check-config", path)
    assert r.returncode == 1
    out = r.stdout + r.stderr
    line2 = [ln for ln in out.splitlines() if f"{path}:2:" in ln]
    line5 = [ln for ln in out.splitlines() if f"{path}:5:" in ln]
    assert line2 and "max_bdy" in line2[0] and "unknown" in line2[0], out
    assert "did you mean max_body" in line2[0], out
    assert line5 and "threads" in line5[0] and "integer" in line5[0], out
    assert f"{path}:3:" not in out


def test_check_config_missing_file_exits_non_zero():
    r = run("check-config", "/nonexistent/herald.toml")
    assert r.returncode != 0
    assert "/nonexistent/herald.toml" in r.stdout + r.stderr


@pytest.mark.parametrize("listen", ["nope", "127.0.0.1:99999", "300.1.1.1:80", "127.0.0.1"])
def test_serve_bad_listen_exits_non_zero_with_a_message(listen):
    r = run("serve", "--listen", listen)
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert "listen" in err, err
    assert listen in err, err


def body_of(n):
    """A publish body of exactly n bytes."""
    b = json.dumps({"channel": "public:cli", "data": ""})
    return json.dumps({"channel": "public:cli", "data": "a" * (n - len(b))})


def publish_status(srv, n):
    status, _, _ = srv.request("POST", "/api/publish", body_of(n),
                               {"Content-Type": "application/json"})
    return status


FILE_100 = "[http]\nmax_body = 100\n"


def test_file_sets_the_limit():
    with herald_server("--threads", "1", "--set", "server.drain_ms=100", config=FILE_100) as srv:
        assert publish_status(srv, 100) == 200
        assert publish_status(srv, 300) == 413


def test_env_overrides_file():
    with herald_server("--threads", "1", "--set", "server.drain_ms=100", config=FILE_100,
                       env={"HERALD_HTTP_MAX_BODY": "1000"}) as srv:
        assert publish_status(srv, 300) == 200
        assert publish_status(srv, 1200) == 413


def test_flag_overrides_env():
    with herald_server("--threads", "1", "--set", "http.max_body=200",
                       "--set", "server.drain_ms=100",
                       config=FILE_100,
                       env={"HERALD_HTTP_MAX_BODY": "1000"}) as srv:
        assert publish_status(srv, 200) == 200
        assert publish_status(srv, 300) == 413


def test_bad_env_refuses_to_start():
    r = run("serve", "--listen", "127.0.0.1:0", env={"HERALD_HTTP_MAX_BODDY": "5"})
    assert r.returncode != 0
    assert "HERALD_HTTP_MAX_BODDY" in r.stdout + r.stderr


def test_serve_on_a_port_another_server_listens_on_is_refused():
    # SO_REUSEPORT would let a second herald bind the port and silently take half of its
    # connections; it must refuse to start, and the first server must go on serving.
    with herald_server() as srv:
        r = run("serve", "--listen", f"127.0.0.1:{srv.port}")
        assert r.returncode == 1
        err = r.stdout + r.stderr
        assert f"127.0.0.1:{srv.port}" in err and "in use" in err, err
        assert srv.request("GET", "/health")[0] == 200
