"""1 replica vs 2 under the paper's optimizers, and 2 worker processes vs 1 replica (the
MirroredStrategy parity of every variant with SGD: tests/test_contract.py)."""

import json
import os
import subprocess
import sys
import socket
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import tiny_images, tiny_model
from tfgan_suite.distribute import make_strategy

GLOBAL_BATCH = 16
STEPS = 3


def sgd():
    # Plain SGD: the update is linear in the gradient, so it checks the gradient scaling exactly
    # (Adam's g / sqrt(v) would magnify float noise in near-zero gradients).
    return keras.optimizers.SGD(0.05)


def train_few_steps(variant, strategy, weights=None, optimizer=sgd):
    model = tiny_model(variant, strategy, weights=weights, optimizer=optimizer)
    start = [w.copy() for w in model.get_weights()]
    data = tf.data.Dataset.from_tensor_slices(tiny_images(variant, GLOBAL_BATCH * STEPS))
    history = model.fit(data.batch(GLOBAL_BATCH, drop_remainder=True), epochs=1, verbose=0)
    return start, model.get_weights(), history.history


# dcgan (batch norm under Adam) in the full run only: the quick contract checks its SGD parity.
@pytest.mark.parametrize("variant", ["gan", pytest.param("dcgan", marks=pytest.mark.slow)])
def test_default_optimizers_report_same_losses_on_two_replicas(variant, two_replicas):
    """With the paper's Adam the logged losses match too: metrics are global-batch means."""
    start, _, single_history = train_few_steps(variant, make_strategy("default"), optimizer=None)
    _, _, mirrored_history = train_few_steps(variant, two_replicas, weights=start, optimizer=None)
    for name in single_history:
        np.testing.assert_allclose(mirrored_history[name], single_history[name], rtol=1e-4)


WORKER = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
sys.path.insert(0, {tests!r})
import numpy as np
import tensorflow as tf
from tfgan_suite.distribute import make_strategy
from test_distribution import train_few_steps
start = [np.asarray(w, np.float32) for w in json.load(open({weights!r}))]
_, weights, history = train_few_steps({variant!r}, make_strategy("multi_worker"), weights=start)
if json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 0:
    json.dump({{"history": history, "weights": [w.tolist() for w in weights]}}, open({out!r}, "w"))
"""


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["gan", "dcgan"])
def test_two_worker_processes_agree_with_one_replica(variant, tmp_path):
    start, single_weights, single_history = train_few_steps(variant, make_strategy("default"))
    weights_file, out = tmp_path / "start.json", tmp_path / "result.json"
    weights_file.write_text(json.dumps([w.tolist() for w in start]))
    script = WORKER.format(tests=str(Path(__file__).parent), weights=str(weights_file),
                           variant=variant, out=str(out))
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    workers = []
    for index in range(2):
        env = {**os.environ, "TF_CONFIG": json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}})}
        workers.append(subprocess.Popen([sys.executable, "-c", script], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    try:
        outputs = [w.communicate(timeout=240)[0] for w in workers]
    finally:
        for w in workers:
            w.kill()
    assert [w.returncode for w in workers] == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    result = json.loads(out.read_text())
    for name in single_history:
        np.testing.assert_allclose(result["history"][name], single_history[name], rtol=1e-5)
    for w_single, w_workers in zip(single_weights, result["weights"]):
        np.testing.assert_allclose(np.asarray(w_workers, np.float32), w_single, atol=1e-5)
