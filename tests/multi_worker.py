"""A MultiWorkerMirroredStrategy cluster of worker processes on 127.0.0.1 for the tests: free
ports, TF_CONFIG per worker, every wait bounded in time."""

import json
import os
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class Cluster:
    """`commands[i]` started as worker i of one cluster; each one's output goes to
    `log_dir/worker<i>.log`. Use as a context manager: leaving it kills the workers still running."""

    def __init__(self, commands, log_dir, env=None):
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(len(commands))]}
        self.workers = []
        for index, command in enumerate(commands):
            tf_config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
            with open(self.log(index), "w") as log:
                self.workers.append(subprocess.Popen(
                    command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                    env={**os.environ, **(env or {}), "TF_CONFIG": json.dumps(tf_config)}))

    def log(self, index):
        return self.log_dir / f"worker{index}.log"

    def logs(self, tail=3000):
        """The end of every worker's output, for a failure message."""
        return "\n".join(f"--- worker {i} (exit {w.poll()}):\n{self.log(i).read_text()[-tail:]}"
                         for i, w in enumerate(self.workers))

    def wait(self, timeout):
        """Every worker's exit status (None for one still running after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            try:
                worker.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        return [worker.poll() for worker in self.workers]

    def wait_for_file(self, *candidates, timeout):
        """The first of `candidates` to appear within `timeout` seconds, else None (also as soon
        as a worker has failed, or all have exited, without writing one)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path in candidates:
                if path.exists():
                    return path
            statuses = [worker.poll() for worker in self.workers]
            if any(status not in (None, 0) for status in statuses) or all(
                    status == 0 for status in statuses):
                return next((path for path in candidates if path.exists()), None)
            time.sleep(0.2)
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
