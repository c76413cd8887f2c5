"""Runs the worked example of docs/security.md against the real binary: every ```sh doc-run```
block in order, in one temporary directory, with `herald` on PATH. The first block writes the
config; the server is then started with it (on a port the kernel picks, substituted for the
doc's 127.0.0.1:8080). Each `# => TEXT` line names output that must appear, in order, in what
its block printed."""
import os
import re
import subprocess
import tempfile

from harness import ROOT, herald_bin, herald_server

DOC = os.path.join(ROOT, "docs", "security.md")


def blocks():
    text = open(DOC).read()
    return re.findall(r"```sh doc-run\n(.*?)```", text, re.S)


def run_block(code, cwd, env):
    r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", code], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"block failed ({r.returncode}):\n{code}\n{r.stdout}\n{r.stderr}"
    at = 0
    for want in re.findall(r"^# => (.*)$", code, re.M):
        i = r.stdout.find(want, at)
        assert i >= 0, f"expected {want!r} in the output of:\n{code}\ngot:\n{r.stdout}"
        at = i + len(want)


def test_security_doc_example_runs():
    bs = blocks()
    assert len(bs) >= 3
    d = tempfile.mkdtemp(prefix="herald-secdoc-")
    bindir = os.path.join(d, "bin")
    os.mkdir(bindir)
    os.symlink(os.path.abspath(herald_bin()), os.path.join(bindir, "herald"))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
    run_block(bs[0], d, env)
    # The config names secret.txt relative to itself: start the server with that very file.
    with herald_server("--config", os.path.join(d, "herald.toml")) as srv:
        for code in bs[1:]:
            run_block(code.replace("127.0.0.1:8080", f"127.0.0.1:{srv.port}"), d, env)
