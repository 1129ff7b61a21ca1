"""1 replica vs 2 under the paper's optimizers, and `tfgan-suite train --strategy multi_worker` on
2 worker processes (the parity of every variant with SGD: on 2 replicas tests/test_contract.py, on
2 workers tests/test_multi_worker_contract.py)."""

import csv
import json
import sys
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import tiny_images, tiny_model
from multi_worker import Cluster
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



# The command of the multi-worker issue (cgan: labelled batches; cyclegan: two domains).
TRAIN = ["--strategy", "multi_worker", "--steps-per-epoch", "10", "--batch-size", "16", "--width", "8"]


def train_on_two_workers(variant, out, epochs, *flags, tmp):
    """`tfgan-suite train` as the two worker processes of one cluster; every wait is bounded."""
    command = [sys.executable, "-m", "tfgan_suite.cli", "train", variant, *TRAIN, "--out", str(out),
               "--epochs", str(epochs), *flags]
    with Cluster([command, command], tmp / f"logs-{epochs}", env={"TMPDIR": str(tmp)}) as cluster:
        assert cluster.wait(timeout=240) == [0, 0], cluster.logs()


def history_epochs(out):
    with open(out / "history.csv", newline="") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def event_files(out):
    """TensorBoard event files per folder of the run's logs."""
    found = {}
    for path in (out / "logs").rglob("events.out.tfevents.*"):
        found.setdefault(str(path.parent.relative_to(out)), []).append(path.name)
    return found


# --resume is checked with cgan only: what it restores does not depend on the batches' structure.
# Slow (about a minute of four processes): the quick selection keeps the two-worker contract of
# tests/test_multi_worker_contract.py.
@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("variant, resume", [("cgan", True), ("cyclegan", False)])
def test_cli_trains_on_two_workers_the_chief_writes_the_run_and_it_resumes(variant, resume,
                                                                           tmp_path):
    """Two `tfgan-suite train --strategy multi_worker` processes (TF_CONFIG) train one model: only
    the chief writes --out (one history row and one TensorBoard file per epoch, not one per
    worker), the other worker's temporary run is gone, and `--resume` continues on both."""
    flags = []
    if variant == "cyclegan":
        rng = np.random.default_rng(0)
        for domain in "AB":
            np.savez(tmp_path / f"{domain}.npz", images=rng.integers(0, 256, (64, 28, 28), np.uint8))
        flags = ["--data", f"{tmp_path / 'A.npz'},{tmp_path / 'B.npz'}"]
    out, tmp = tmp_path / "run", tmp_path / "tmp"
    tmp.mkdir()
    train_on_two_workers(variant, out, 1, *flags, tmp=tmp)
    assert {p.name for p in out.iterdir()} == {"run.json", "model.keras", "history.csv", "logs",
                                               "samples"}
    assert history_epochs(out) == [0]
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["epoch_001.png"]
    assert all(len(names) == 1 for names in event_files(out).values()), event_files(out)
    assert not list(tmp.glob("tfgan-suite-worker-*")), "the other worker's run must be deleted"
    if not resume:
        return
    train_on_two_workers(variant, out, 2, *flags, "--resume", tmp=tmp)
    assert history_epochs(out) == [0, 1]
    with zipfile.ZipFile(out / "model.keras") as archive:
        info = json.loads(archive.read("config.json"))["config"]["training_info"]
    assert (info["epochs"], info["steps"]) == (2, 20)
    assert not list(tmp.glob("tfgan-suite-worker-*"))


def test_an_error_line_names_a_tensors_shape_instead_of_printing_its_values(capsys):
    """TF's message for the PerReplica value of a batch quoted every pixel (~2,000 characters for
    a batch of 8 MNIST images): the CLI's one line names the tensors' shapes and stays short."""
    from serving.errors import MAX_MESSAGE_LENGTH, run_cli
    from tensorflow.python.distribute.values import PerReplica

    images = tf.random.uniform((8, 28, 28, 1))

    def fails(argv):
        tf.constant(PerReplica([images, images]))

    assert run_cli(fails) == 2  # a ValueError: the user-error line
    line = capsys.readouterr().err
    assert line.count("\n") == 1 and len(line) < MAX_MESSAGE_LENGTH + 100, line
    assert "<tf.Tensor shape=(8, 28, 28, 1) dtype=float32>" in line, line
    assert "numpy" not in line and "0." not in line, line

    def fails_at_length(argv):
        raise ValueError(f"the data {np.arange(5000)!r}, {np.eye(2, dtype=np.int8)!r} and then "
                         + "more words " * 200)

    assert run_cli(fails_at_length) == 2
    line = capsys.readouterr().err
    assert line.startswith("error: the data array(shape=(5000,)), array(dtype=int8) and then more")
    assert line.endswith("...\n") and len(line) == len("error: ") + MAX_MESSAGE_LENGTH + 1
