"""docs/testing.md stays true: the files, harness names and tests it cites exist, and its
commands for one e2e test and for conformance cases run as written (with HERALD_BIN for the
binary the doc calls build/asan/herald)."""
import os
import re
import shlex
import subprocess

import harness
from harness import ROOT, herald_bin

DOC = os.path.join(ROOT, "docs", "testing.md")


def doc():
    with open(DOC) as f:
        return f.read()


def code_spans(text):
    return re.findall(r"`([^`\n]+)`", text)


def test_every_cited_path_exists():
    paths = set()
    for span in code_spans(doc()):
        for word in span.split():
            if re.match(r"^(tests|scripts|src|docs|web|tools)/[\w./-]+$", word):
                paths.add(word.rstrip("/"))
    assert len(paths) >= 5, paths
    for p in sorted(paths):
        if "<" in p or "*" in p:
            continue
        assert os.path.exists(os.path.join(ROOT, p)), f"docs/testing.md cites {p}, which is gone"


def test_harness_names_exist():
    text = doc()
    for name in ("herald_server", "wait_until", "closed_port", "Relay", "DEADLINE"):
        assert f"`{name}" in text, name
        assert hasattr(harness, name), f"harness.{name} is documented but missing"
    for method in ("url", "request", "publish", "raw", "metric", "log", "alive", "kill"):
        assert f"`{method}(" in text, method
        assert callable(getattr(harness.Server, method)), method


def test_cited_tests_exist():
    text = doc()
    unit = os.path.join(ROOT, "tests", "unit", "loop", "loop_test.cpp")
    for name in re.findall(r"`Loop\.(\w+)`", text):
        with open(unit) as f:
            assert f"TEST(Loop, {name})" in f.read(), name
    e2e = os.path.join(ROOT, "tests", "e2e")
    sources = "".join(open(os.path.join(e2e, f)).read() for f in os.listdir(e2e)
                      if f.endswith(".py"))
    assert sources.count("def test_slow_consumer_is_evicted_") >= 2
    for fn in ("settle", "SseReader", "expect_silence"):
        assert fn in text
    assert "def settle(" in sources and "class SseReader" in sources
    with open(os.path.join(ROOT, "tests", "conformance", "run_cases.py")) as f:
        assert "async def expect_silence(" in f.read()


def doc_command(prefix):
    """The command of the table row whose first cell starts with `prefix`."""
    for line in doc().splitlines():
        if line.startswith("| " + prefix):
            cmds = re.findall(r"`([^`]+)`", line.split("|")[2])
            return cmds[0]
    raise AssertionError(f"no row '{prefix}' in docs/testing.md")


def run_as_written(cmd):
    # The doc names build/asan/herald; the test runs the binary under test.
    cmd = cmd.replace("build/asan/herald", herald_bin())
    words = shlex.split(cmd)
    env = dict(os.environ)
    while words and re.match(r"^[A-Z_]+=", words[0]):
        k, v = words.pop(0).split("=", 1)
        env[k] = v
    words = [w for w in words if not (w.startswith("[") or w.endswith("]"))]  # optional parts
    return subprocess.run(words, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_one_e2e_test_command_runs():
    cmd = doc_command("one e2e test")
    assert cmd.startswith("HERALD_BIN=build/asan/herald /usr/bin/python3 -m pytest"), cmd
    p = run_as_written(cmd + " -p no:cacheprovider")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 passed" in p.stdout, p.stdout


def test_conformance_command_runs_one_case():
    cmd = doc_command("conformance cases")
    p = run_as_written(cmd.replace("[--only 2.7]", "--only 2.7"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "PASS 2.7" in p.stdout and "1 passed, 0 failed" in p.stdout, p.stdout


def test_load_proof_script_answers_help_and_refuses_bad_arguments():
    script = os.path.join(ROOT, "scripts", "load-proof")
    r = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "make test" in r.stdout and "--runs" in r.stdout, r
    assert "--runs 5" in doc() and "scripts/load-proof" in doc()
    for bad in (["--runs", "0"], ["--runs", "x"], ["--nope"]):
        r = subprocess.run([script, *bad], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and "load-proof:" in r.stderr, (bad, r)
