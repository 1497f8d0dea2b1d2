"""Private copies of the real services, for tests that stop, kill or restart them.

The shared OpenSearch and Redis serve every other test (and other people's runs), so a test
that takes a service down gets its own: a second OpenSearch node from the same build, a second
redis-server, and its own Celery worker and beat wired to them.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import redis

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    def start(self) -> "PrivateRedis":
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                if client.ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
            self.proc.terminate()
            self.proc.wait(timeout=10)

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """The server hangs (SIGSTOP): the kernel still accepts connections, nothing answers."""
        self.proc.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.proc.send_signal(signal.SIGCONT)


class PrivateOpenSearch:
    """A second node started by scripts/opensearch-local with its own port and directory."""

    def __init__(self, workdir: Path, heap: str = "256m"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "OPENSEARCH_PORT": str(self.port),
                    "OPENSEARCH_TRANSPORT_PORT": str(free_port()),
                    "OPENSEARCH_NODE_DIR": str(workdir / "opensearch"), "OPENSEARCH_HEAP": heap}

    def _run(self, command: str) -> None:
        subprocess.run([str(ROOT / "scripts" / "opensearch-local"), command], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, timeout=180)

    def start(self) -> "PrivateOpenSearch":
        self._run("start")
        return self

    def stop(self) -> None:
        self._run("stop")

    @property
    def pid(self) -> int:
        """The node's JVM, as scripts/opensearch-local recorded it: for SIGSTOP and SIGCONT."""
        return int((Path(self.env["OPENSEARCH_NODE_DIR"]) / "run" / "opensearch.pid").read_text().strip())

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """The node hangs (SIGSTOP): connections open, nothing answers. Thawed on the way out."""
        os.kill(self.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.pid, signal.SIGCONT)


def free_port_run(count: int) -> int:
    """The first of `count` consecutive free ports (scripts/opensearch-local numbers nodes from it)."""
    import random
    import socket

    for _ in range(200):
        base = random.randrange(20000, 60000 - count)
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError(f"no {count} consecutive free ports")


class PrivateCluster:
    """A cluster of `nodes` OpenSearch nodes from scripts/opensearch-local (OPENSEARCH_NODES), on
    private ports and directories with a cluster name of its own, so it never meets the shared node.

    Test nodes compile with C1 only (-XX:TieredStopAtLevel=1): a node then starts in about half
    the time on a busy 2-core machine, which matters more here than peak query speed.
    """

    def __init__(self, workdir: Path, nodes: int = 3, heap: str = "256m"):
        self.nodes = nodes
        self.http_base, self.transport_base = free_port_run(nodes), free_port_run(nodes)
        self.urls = [f"http://127.0.0.1:{self.http_base + i}" for i in range(nodes)]
        self.url = ",".join(self.urls)
        self.root = workdir / "cluster"
        self.env = {**os.environ, "OPENSEARCH_NODES": str(nodes), "OPENSEARCH_PORT": str(self.http_base),
                    "OPENSEARCH_TRANSPORT_PORT": str(self.transport_base), "OPENSEARCH_NODE_DIR": str(self.root),
                    "OPENSEARCH_HEAP": heap, "OPENSEARCH_CLUSTER_NAME": f"test-cluster-{os.getpid()}-{self.http_base}",
                    "OPENSEARCH_JAVA_OPTS": "-XX:TieredStopAtLevel=1", "OPENSEARCH_START_TIMEOUT": "150"}

    def _run(self, *command: str) -> None:
        subprocess.run([str(ROOT / "scripts" / "opensearch-local"), *command], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, timeout=240)

    def start(self) -> "PrivateCluster":
        self._run("start")
        return self

    def stop(self) -> None:
        self._run("stop")

    def pid(self, node: int) -> int:
        return int((self.root / f"node-{node}" / "run" / "opensearch.pid").read_text().strip())

    def kill(self, node: int) -> None:
        """kill -9: no shutdown, no goodbye to the cluster, connections reset."""
        pid = self.pid(node)
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def start_node(self, node: int) -> None:
        """Start one node (again) and wait until every node has joined."""
        self._run("start-node", str(node))

    def stop_node(self, node: int) -> None:
        self._run("stop-node", str(node))


class CeleryProcess:
    """`celery worker` or `celery beat` as a real subprocess with the given environment."""

    def __init__(self, kind: str, env: dict, log_path: Path, queue: str, concurrency: int = 2):
        self.kind, self.env, self.log_path, self.queue = kind, env, log_path, queue
        self.concurrency = concurrency
        self.proc: subprocess.Popen | None = None

    def start(self) -> "CeleryProcess":
        celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
        args = [celery, "-A", "workers.app:celery_app", self.kind, "--loglevel=INFO"]
        if self.kind == "worker":
            args += [f"--concurrency={self.concurrency}", "-Q", self.queue, "--without-gossip", "--without-mingle",
                     "-n", f"{self.queue}-{time.monotonic_ns()}@%h"]
        else:
            args += ["--schedule", str(self.log_path.with_suffix(".schedule"))]
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: the pool children die mid-task, as in a crash."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
