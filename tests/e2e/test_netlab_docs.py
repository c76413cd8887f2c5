"""docs/netlab.md and docs/transports.md stay true to the binary and to the lab's results.

- The preset table of docs/netlab.md lists exactly the conditions `herald bench compare
  --list-presets` runs (no lab needed).
- The decision guide of docs/transports.md is what bench/netlab/guide.py writes from the
  committed bench/results/netlab-*.json: no figure in it was typed by hand.
- Its `herald bench` commands run as written and lose nothing (those README shows too run in
  test_readme.py, the UDP one in test_udp_bench.py); the lab needs root.
"""
import os
import re
import subprocess

from doc_session import open_session, shell_lines
from harness import ROOT, herald_bin


def doc(name):
    with open(os.path.join(ROOT, "docs", name)) as f:
        return f.read()


def fmt(v):
    return f"{float(v.replace(',', '')):g}"


def test_the_preset_table_is_what_the_binary_runs():
    p = subprocess.run([herald_bin(), "bench", "compare", "--list-presets"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    listed, preset = {}, None
    for line in p.stdout.splitlines():
        m = re.match(r"^(\w+): ", line)
        if m and not line.startswith(("workload", "network")):
            preset = m.group(1)
        m = re.match(r"^  (\S+)\s+(\S+)$", line)
        if m:
            listed[(preset, m.group(1))] = m.group(2)
    documented, preset = {}, None
    for row in re.findall(r"^\| (`\w+`)? *\| (\S+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| "
                          r"([\d,]+|-) \|", doc("netlab.md"), re.M):
        if row[0]:
            preset = row[0].strip("`")
        delay, jitter, loss, rate = row[2:6]
        parts = [f"{k}={fmt(v)}" for k, v in (("delay", delay), ("jitter", jitter),
                                               ("loss", loss), ("rate", rate))
                 if v != "-" and float(v.replace(",", "")) != 0]
        documented[(preset, row[1])] = ",".join(parts) or "none"
    assert len(listed) == 15 and documented == listed


def test_the_decision_guide_is_generated_from_the_committed_results():
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "netlab", "guide.py"),
                        "--check"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    guide = doc("transports.md").split("netlab-guide:begin")[1].split("netlab-guide:end")[0]
    for preset in ("rtt", "lossy", "mobile", "satellite", "bandwidth"):
        assert f"herald bench compare --preset {preset}" in guide


def netlab_doc_commands():
    """docs/netlab.md's commands that README does not show (test_readme.py runs those) and that
    test_udp_bench.py does not run already (its UDP one)."""
    with open(os.path.join(ROOT, "docs", "netlab.md")) as f:
        cmds = shell_lines(f.read())
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = shell_lines(f.read())
    return [c for c in cmds if c not in readme and "--transport udp " not in c]


def test_netlab_doc_commands_run_as_written():
    cmds = netlab_doc_commands()
    assert len(cmds) >= 3, cmds
    s = open_session(cmds)
    try:
        # `herald` as README's session finds it.
        s.env["PATH"] = os.path.join(s.dir, "build", "release") + os.pathsep + s.env["PATH"]
        for c in cmds:
            p = s.run(c, timeout=900)
            assert "LOSS" not in p.stderr, f"{c}\n{p.stderr}"
        assert s.ran == cmds
    finally:
        s.close()
