"""Every shell command in README.md's code blocks runs as written.

The commands run verbatim - ports 8080 and 8443, the Redis address 10.0.0.5, `make run` - in a
network namespace of the test's own, where those addresses are free whatever else runs on the
machine (that needs root, as the network lab does; CI runs as root). A second terminal's worth
of state is kept as a user's shell would: variables a command assigns (CURSOR, TOKEN) are
passed to the commands after it, and files it writes (secret.txt, run.json) stay in the
session's directory. That directory holds `build/release/herald` (the binary under test: the
README's `export PATH` line finds it there) and the repository's `config/`; `make` commands run
in the repository itself (`make install` with DESTDIR set, into the session's directory).

A command that serves or streams (serve, `make run`, an SSE stream, a subscriber) is started in
the background, checked (it answers, or prints what was published) and stopped. The commands
that cannot run here are listed in NOT_RUN with the reason. The test fails when README shows a
command that is neither run nor listed, or when one of these lists names a command README no
longer has.
"""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from doc_session import open_session, shell_lines
from harness import DEADLINE, ROOT, wait_until
from svg_check import Chart

README = os.path.join(ROOT, "README.md")
OPERATIONS = os.path.join(ROOT, "docs", "operations.md")

# Commands README shows that this test does not run, and why.
NOT_RUN = {
    "make test": "runs the whole suite, this test included (docs/testing.md says how it is "
                 "proven: five passes in a row beside a CPU-heavy job)",
    "make deb && dpkg -i build/release/herald_*.deb":
        "installs a package on the machine itself; tests/e2e/test_deb.py builds the package with "
        "the same CPack rules, installs it, serves from it and purges it, under the dpkg lock",
}

# Everything else, in the order the session runs it; test_every_readme_command_is_run_or_listed
# checks this list against README.
RUN = [
    "make run",
    "make install PREFIX=/usr",
    'export PATH="$PWD/build/release:$PATH"',
    "herald serve --listen 127.0.0.1:8080 --threads 2 --config config/herald.example.toml",
    "herald check-config config/herald.example.toml",
    "herald --version",
    "curl -s localhost:8080/health",
    "curl -s -XPOST localhost:8080/api/publish -d "
    "'{\"channel\":\"public:news\",\"data\":{\"text\":\"hi\"}}'",
    "curl -sN -H 'Accept: text/event-stream' 'localhost:8080/sse?channel=public:news'",
    "CURSOR=$(curl -s 'localhost:8080/api/history?channel=public:news' | jq -r .cursor)",
    'curl -s "localhost:8080/poll?channel=public:news&since=$CURSOR&wait=25"',
    "herald pub public:news '{\"text\":\"hi\"}' --count 10",
    'herald sub public:news --transport sse --since "$CURSOR" --count 10',
    "herald sub public:news --transport udp",
    "openssl rand -hex 32 > secret.txt",
    "TOKEN=$(herald token --sub alice --channels 'chat:*' --ttl 1h --secret-file secret.txt)",
    'herald token --verify "$TOKEN" --secret-file secret.txt',
    "herald bench --url http://127.0.0.1:8080 --transport ws,sse,udp --subscribers 100 "
    "--rate 200 --duration 5 --json run.json --svg run.svg",
    "herald serve --set tls.listen=0.0.0.0:8443 --set tls.cert_file=cert.pem "
    "--set tls.key_file=key.pem",
    "curl --cacert ca.pem https://127.0.0.1:8443/health",
    "herald sub public:news --url wss://127.0.0.1:8443 --cacert ca.pem",
    "herald bench compare --preset chat --duration 5 --json compare.json --svg compare.svg",
    "herald bench --netem delay=25,jitter=5,loss=1,rate=2000 --transport ws,longpoll "
    "--subscribers 10 --rate 50 --seed 7",
    "herald bench compare --preset lossy --json lossy.json --svg lossy.svg",
    "herald bench advise --rtt 80ms --loss 1% --rate 10/s --subscribers 100",
    "herald serve --listen 0.0.0.0:8080 --set engine.type=redis "
    "--set redis.addresses=10.0.0.5:6379",
]

PUBLISH = next(c for c in RUN if "/api/publish" in c)


def readme_commands():
    with open(README) as f:
        return shell_lines(f.read())


def test_every_readme_command_is_run_or_listed():
    cmds = readme_commands()
    assert len(cmds) >= 20, cmds
    unknown = [c for c in cmds if c not in RUN and c not in NOT_RUN]
    assert not unknown, f"README commands neither run by test_readme.py nor listed: {unknown}"
    stale = [c for c in list(RUN) + list(NOT_RUN) if c not in cmds]
    assert not stale, f"test_readme.py names commands README no longer has: {stale}"
    assert len(RUN) == len(set(RUN))


def test_ca_commands_of_operations_doc_are_found():
    assert len(ca_commands()) == 4


def ca_commands():
    """docs/operations.md's test CA: its first ```sh block after "Clients with a private CA",
    without the serve line README has its own copy of."""
    with open(OPERATIONS) as f:
        text = f.read()
    text = text[text.index("### Clients with a private CA"):]
    block = re.search(r"```sh\n(.*?)```", text, re.S).group(0)
    return [c for c in shell_lines(block) if not c.startswith("herald serve")]


@pytest.fixture
def session():
    s = open_session(RUN)
    try:
        yield s
    finally:
        s.close()


def test_readme_session_runs_every_command_as_written(session):
    s = session
    # make run: installs what is missing, builds Release, serves the demo on 127.0.0.1:8080.
    # A cold Release build on two busy cores takes minutes: its deadline is the build's.
    mk = s.start("make run", cwd=ROOT)
    mk.wait_for("herald listening on http://127.0.0.1:8080/", timeout=1500)
    p = s.run("curl -s localhost:8080/health")
    assert json.loads(p.stdout)["status"] == "ok"
    assert "<html" in s.check("curl -sf localhost:8080/"), "make run serves no demo page"
    mk.stop()
    # Staged (DESTDIR, which the Makefile passes on) so the machine's /usr is left alone.
    stage = os.path.join(s.dir, "stage")
    s.env["DESTDIR"] = stage
    s.run("make install PREFIX=/usr", cwd=ROOT, timeout=1500)
    del s.env["DESTDIR"]
    installed = os.path.join(stage, "usr", "bin", "herald")
    assert os.access(installed, os.X_OK), os.listdir(stage)
    assert os.path.isfile(os.path.join(stage, "etc", "herald", "herald.toml"))
    assert subprocess.run([installed, "--version"], capture_output=True).returncode == 0

    s.export_path('export PATH="$PWD/build/release:$PATH"')
    srv = s.start("herald serve --listen 127.0.0.1:8080 --threads 2 --config "
                  "config/herald.example.toml")
    srv.wait_for("herald listening on http://127.0.0.1:8080/")
    assert "ok" in s.run("herald check-config config/herald.example.toml").stdout
    assert re.match(r"herald \d+\.\d+\.\d+", s.run("herald --version").stdout)
    assert json.loads(s.run("curl -s localhost:8080/health").stdout)["status"] == "ok"
    assert json.loads(s.run(PUBLISH).stdout)["offset"] == 1

    # The event stream prints what is published after it connected.
    sse = s.start("curl -sN -H 'Accept: text/event-stream' "
                  "'localhost:8080/sse?channel=public:news'")
    wait_until(lambda: sse.out() or sse.proc.poll() is not None, what="the stream's first bytes")
    s.run(PUBLISH)
    sse.wait_for('{"text":"hi"}')
    sse.stop()

    cursor = s.assign("CURSOR=$(curl -s 'localhost:8080/api/history?channel=public:news' | "
                      "jq -r .cursor)")
    assert re.fullmatch(r"[\w-]+:2", cursor), cursor
    poll = s.start('curl -s "localhost:8080/poll?channel=public:news&since=$CURSOR&wait=25"')
    s.run("herald pub public:news '{\"text\":\"hi\"}' --count 10")
    poll.proc.wait(timeout=DEADLINE)
    answer = json.loads(poll.out())
    assert answer["messages"] and answer.get("recovered") is not False, answer
    p = s.run('herald sub public:news --transport sse --since "$CURSOR" --count 10', timeout=60)
    lines = [json.loads(l) for l in p.stdout.splitlines() if '"data"' in l]
    assert [m["offset"] for m in lines] == list(range(3, 13)), p.stdout

    udp = s.start("herald sub public:news --transport udp")
    # Published until one arrives: the subscription may take a moment to start (bounded).
    for _ in range(int(DEADLINE / 0.5)):
        s.run(PUBLISH)
        if '"text":"hi"' in udp.out():
            break
        time.sleep(0.5)
    assert '"text":"hi"' in udp.out(), udp.out() + udp.err()
    udp.stop()

    s.run("openssl rand -hex 32 > secret.txt")
    token = s.assign("TOKEN=$(herald token --sub alice --channels 'chat:*' --ttl 1h "
                     "--secret-file secret.txt)")
    assert token.count(".") == 2, token
    claims = json.loads(s.run('herald token --verify "$TOKEN" --secret-file secret.txt').stdout)
    assert claims["sub"] == "alice", claims

    # The bench against this server: every subscriber got every message. README's workload is
    # light (20,000 deliveries/s) so that a sanitizer build on a busy CI machine keeps up.
    s.run("herald bench --url http://127.0.0.1:8080 --transport ws,sse,udp --subscribers 100 "
          "--rate 200 --duration 5 --json run.json --svg run.svg", timeout=600)
    report = json.load(open(os.path.join(s.dir, "run.json")))
    assert [r["transport"] for r in report["runs"]] == ["ws", "sse", "udp"]
    assert all(r["clean"] for r in report["runs"]), report["runs"]
    Chart(os.path.join(s.dir, "run.svg")).check_layout()
    srv.stop()

    # TLS with docs/operations.md's test CA.
    for c in ca_commands():
        p = subprocess.run(s.argv(c), cwd=s.dir, env=s.env, capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0, f"docs/operations.md: {c}\n{p.stderr}"
    tls = s.start("herald serve --set tls.listen=0.0.0.0:8443 --set tls.cert_file=cert.pem "
                  "--set tls.key_file=key.pem")
    tls.wait_for("herald listening on https://0.0.0.0:8443/")
    p = s.run("curl --cacert ca.pem https://127.0.0.1:8443/health")
    assert json.loads(p.stdout)["status"] == "ok"
    wss = s.start("herald sub public:news --url wss://127.0.0.1:8443 --cacert ca.pem")
    for _ in range(int(DEADLINE / 0.5)):
        s.run(PUBLISH)
        if '"text":"hi"' in wss.out():
            break
        time.sleep(0.5)
    assert '"text":"hi"' in wss.out(), wss.out() + wss.err()
    tls.stop()

    # The lab: servers of its own (compare without --url, --netem, advise).
    s.run("herald bench compare --preset chat --duration 5 --json compare.json "
          "--svg compare.svg", timeout=900)
    Chart(os.path.join(s.dir, "compare.svg")).check_layout()
    s.run("herald bench --netem delay=25,jitter=5,loss=1,rate=2000 --transport ws,longpoll "
          "--subscribers 10 --rate 50 --seed 7", timeout=900)
    s.run("herald bench compare --preset lossy --json lossy.json --svg lossy.svg", timeout=900)
    assert json.load(open(os.path.join(s.dir, "lossy.json")))["preset"] == "lossy"
    Chart(os.path.join(s.dir, "lossy.svg")).check_layout()
    p = s.run("herald bench advise --rtt 80ms --loss 1% --rate 10/s --subscribers 100",
              timeout=900)
    assert "Advice for 100 browser subscriber(s)" in p.stdout and "  use " in p.stdout, p.stdout

    # Cluster mode: README's Redis address, given to a Redis of the test's own.
    s.ip("addr", "add", "10.0.0.5/32", "dev", "lo")
    # Not loopback: Redis refuses such clients unless told otherwise (protected mode).
    redis = subprocess.Popen(["ip", "netns", "exec", s.ns, "redis-server", "--bind", "10.0.0.5",
                              "--port", "6379", "--save", "", "--appendonly", "no",
                              "--protected-mode", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        node = s.start("herald serve --listen 0.0.0.0:8080 --set engine.type=redis "
                       "--set redis.addresses=10.0.0.5:6379")
        node.wait_for("herald listening on http://0.0.0.0:8080/")
        # Ready once its Redis links are up (docs/scaling.md: /health?ready).
        wait_until(lambda: s.check("curl -sf 'localhost:8080/health?ready'"),
                   what="the Redis node's /health?ready")
        assert "offset" in s.run(PUBLISH).stdout
        node.stop()
    finally:
        os.killpg(redis.pid, signal.SIGTERM)
        redis.wait(timeout=DEADLINE)
    assert set(s.ran) == set(RUN), set(RUN) - set(s.ran)

