"""Runs the shell commands a doc shows, as written, the way a user's shell would: in a network
namespace of the session's own (so the doc's fixed ports and addresses are free whatever else
runs on the machine; it needs root, as the network lab does), in a directory that holds
`build/release/herald` (the binary under test) and the repository's `config/`. Variables a
command assigns are kept for the commands after it; a command that serves or streams runs in
the background until stopped. Used by test_readme.py and test_netlab_docs.py."""
import itertools
import os
import re
import shutil
import signal
import subprocess
import tempfile

import pytest

from harness import DEADLINE, ROOT, herald_bin, wait_until

_serial = itertools.count()


def shell_lines(markdown, info="sh"):
    """The commands of every ```sh block: continuation lines joined, comments and blank lines
    dropped, a trailing `# comment` cut, whitespace runs made single."""
    out = []
    for block in re.findall(r"```" + info + r"\n(.*?)```", markdown, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            if line and not line.startswith("#"):
                out.append(" ".join(line.split()))
    return out


def lab_unavailable():
    if os.geteuid() != 0:
        return "not root"
    try:
        os.close(os.open("/dev/net/tun", os.O_RDWR))
    except OSError as e:
        return f"/dev/net/tun does not open: {e}"
    return None


class Session:
    """A directory and a network namespace in which README's commands run as a user's shell
    would run them."""

    def __init__(self, tmp, commands):
        self.commands = commands  # what this session may run: the doc's own commands
        self.ran = []  # what it did run, for the caller to check nothing was left out
        self.dir = tmp
        self.ns = f"herald-doc-{os.getpid()}-{next(_serial)}"
        subprocess.run(["ip", "netns", "add", self.ns], check=True)
        self.ip("link", "set", "lo", "up")
        self.env = dict(os.environ)
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.bg = []
        os.makedirs(os.path.join(tmp, "build", "release"))
        os.symlink(os.path.abspath(herald_bin()), os.path.join(tmp, "build", "release", "herald"))
        os.symlink(os.path.join(ROOT, "config"), os.path.join(tmp, "config"))

    def ip(self, *args):
        subprocess.run(["ip", "netns", "exec", self.ns, "ip", *args], check=True)

    def argv(self, cmd):
        return ["ip", "netns", "exec", self.ns, "bash", "-e", "-o", "pipefail", "-c", cmd]

    def run(self, cmd, cwd=None, timeout=300, ok=True, then=""):
        """Runs `cmd`, one of the doc's commands, to its end (`then`: the test's own shell code
        after it, in the same shell)."""
        assert cmd in self.commands, cmd
        self.ran.append(cmd)
        p = subprocess.run(self.argv(cmd + then), cwd=cwd or self.dir, env=self.env, text=True,
                           capture_output=True, timeout=timeout)
        if ok:
            assert p.returncode == 0, f"{cmd}\nexit {p.returncode}\n{p.stdout}\n{p.stderr}"
        return p

    def check(self, cmd):
        """A command of the test's own (not README's) in the namespace: its output, or ""."""
        p = subprocess.run(self.argv(cmd), cwd=self.dir, env=self.env, text=True,
                           capture_output=True, timeout=120)
        return p.stdout if p.returncode == 0 else ""

    def assign(self, cmd):
        """Runs `NAME=$(...)` and keeps NAME for the commands after it."""
        name = cmd.split("=", 1)[0]
        p = self.run(cmd, then=f'; printf %s "${name}"')
        assert p.stdout, f"{cmd} assigned nothing"
        self.env[name] = p.stdout
        return p.stdout

    def export_path(self, cmd):
        p = self.run(cmd, then='; printf %s "$PATH"')
        self.env["PATH"] = p.stdout

    def start(self, cmd, cwd=None):
        """Starts `cmd` in the background; returns a handle whose output is read from files."""
        assert cmd in self.commands, cmd
        self.ran.append(cmd)
        n = len(self.bg)
        out = open(os.path.join(self.dir, f".bg{n}.out"), "w+")
        err = open(os.path.join(self.dir, f".bg{n}.err"), "w+")
        proc = subprocess.Popen(self.argv(cmd), cwd=cwd or self.dir, env=self.env, stdout=out,
                                stderr=err, start_new_session=True)
        h = Background(cmd, proc, out.name, err.name)
        self.bg.append(h)
        return h

    def close(self):
        for h in self.bg:
            h.stop()
        subprocess.run(["ip", "netns", "del", self.ns])
        shutil.rmtree(self.dir, ignore_errors=True)


class Background:
    def __init__(self, cmd, proc, out, err):
        self.cmd, self.proc, self.out_path, self.err_path = cmd, proc, out, err

    def out(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def err(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def wait_for(self, text, timeout=DEADLINE):
        def seen():
            if text in self.out():
                return True
            assert self.proc.poll() is None, \
                f"{self.cmd} ended ({self.proc.returncode}):\n{self.out()}\n{self.err()}"
            return False
        wait_until(seen, timeout=timeout, what=f"{text!r} from {self.cmd}")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: the command's group
            try:
                self.proc.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def open_session(commands):
    why = lab_unavailable()
    if why:
        pytest.fail(f"the commands run in a network namespace of their own: {why}")
    return Session(tempfile.mkdtemp(prefix="herald-doc-"), commands)
