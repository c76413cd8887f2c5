"""Real Redis for the cluster-mode tests: single servers and a 3-master Redis Cluster, each on
free loopback ports, without persistence (--save '' --appendonly no), in a temporary
directory, killed at the end of the `with` block.

    with redis_server() as r:            r.port, r.address, r.cli("INFO"), r.stop(), r.start()
    with redis_cluster(3) as c:          c.addresses, c.nodes[i].cli(...)
    with herald_nodes(2, [r.address]) as (a, b): ...   herald serve with engine.type = redis
"""
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time

from harness import herald_server


def free_port():
    """A port free a moment ago. redis-server cannot pick its own (port 0 turns TCP off), so a
    start that loses the race retries on another port, and a server is ours only when it
    reports our process id."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

# History covers every gap of the delivery tests (docs: [namespace.public] does not inherit
# --history-size, so it is set too), and the per-connection publish rate is out of the way.
CONFIG = """
[limits]
publish_rate = 10000000

[namespace.public]
history_size = 20000
history_ttl = 600
"""


class RedisServer:
    def __init__(self, tmp, cluster=False):
        self.tmp = tmp
        self.cluster = cluster
        self.port = 0
        self.proc = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        """Starts (again, after stop(): empty, as a restart without persistence is)."""
        for _ in range(5):
            if not self.port:
                self.port = free_port()
            args = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                    "--save", "", "--appendonly", "no", "--dir", self.tmp,
                    "--logfile", os.path.join(self.tmp, f"redis-{self.port}.log")]
            if self.cluster:
                args += ["--cluster-enabled", "yes", "--cluster-node-timeout", "5000",
                         "--cluster-config-file", os.path.join(self.tmp, f"nodes-{self.port}.conf")]
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 10
            while time.time() < deadline and self.proc.poll() is None:
                if f"process_id:{self.proc.pid}" in self.cli("INFO", "server"):
                    return self
                time.sleep(0.02)
            self.stop()
            self.port = 0  # taken meanwhile, probably: another port
        raise RuntimeError("redis-server did not start")

    def stop(self):
        """kill -9: a crash or a lost machine."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart_on_same_port(self):
        port = self.port
        self.stop()
        for _ in range(100):  # the old socket may linger a moment
            try:
                self.start()
                if self.port == port:
                    return self
                raise RuntimeError(f"restarted on {self.port}, not {port}")
            except RuntimeError:
                self.port = port
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not restart on {port}")

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.port), *map(str, args)],
                           capture_output=True, timeout=10)
        return r.stdout.decode(errors="replace").strip()


@contextlib.contextmanager
def redis_server():
    tmp = tempfile.mkdtemp(prefix="herald-redis-")
    r = RedisServer(tmp)
    try:
        yield r.start()
    finally:
        r.stop()
        shutil.rmtree(tmp, ignore_errors=True)


class RedisCluster:
    def __init__(self, nodes):
        self.nodes = nodes

    @property
    def addresses(self):
        return [n.address for n in self.nodes]


@contextlib.contextmanager
def redis_cluster(masters=3):
    """A real Redis Cluster of `masters` masters and no replicas, every slot assigned."""
    tmp = tempfile.mkdtemp(prefix="herald-rcluster-")
    nodes = [RedisServer(tmp, cluster=True) for _ in range(masters)]
    try:
        for n in nodes:
            n.start()
        r = subprocess.run(["redis-cli", "--cluster", "create", *[n.address for n in nodes],
                            "--cluster-replicas", "0", "--cluster-yes"],
                           capture_output=True, timeout=60)
        assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
        deadline = time.time() + 30
        while not all("cluster_state:ok" in n.cli("CLUSTER", "INFO") for n in nodes):
            assert time.time() < deadline, "the cluster did not reach cluster_state:ok"
            time.sleep(0.1)
        yield RedisCluster(nodes)
    finally:
        for n in nodes:
            n.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def node_args(addresses, cluster=False, threads=2, timeout_ms=30000, extra=()):
    # A generous Redis timeout: these tests run beside others on a busy machine (a starved
    # redis-server has been seen silent for 5 s under a load average of 15 on 2 cores), and a
    # late answer must not turn into a 503 unless a test asks for a short timeout.
    args = ["--threads", str(threads), "--history-size", "20000", "--history-ttl", "600",
            "--set", "engine.type=redis", "--set", "redis.addresses=" + ",".join(addresses),
            "--set", f"redis.timeout_ms={timeout_ms}"]
    if cluster:
        args += ["--set", "redis.cluster=true"]
    return args + list(extra)


@contextlib.contextmanager
def herald_nodes(n, addresses, cluster=False, timeout_ms=30000, extra=()):
    """`n` herald nodes on the same Redis; each is ready (every link up) when yielded."""
    with contextlib.ExitStack() as stack:
        nodes = [stack.enter_context(herald_server(*node_args(addresses, cluster,
                                                              timeout_ms=timeout_ms, extra=extra),
                                                   config=CONFIG, ready_path="/health?ready"))
                 for _ in range(n)]
        yield nodes


def wait_ready(node, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if node.request("GET", "/health?ready", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"node {node.port} not ready after {timeout}s:\n" + node.log()[-3000:])


def metrics(node):
    status, _, body = node.request("GET", "/metrics")
    assert status == 200, status
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out
