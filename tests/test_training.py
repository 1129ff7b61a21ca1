"""Training runs: the CLI, resuming a killed run, stopping on NaN, and mode coverage on the ring."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from tfgan_suite.toy_training import toy_coverage, train_on_toy
from tfgan_suite.training import TrainingDiverged, train


def cli(*args, timeout=300):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-m", "tfgan_suite.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def epochs_logged(run_dir):
    with open(run_dir / "history.csv") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_cli_train_writes_a_complete_run_and_samples_it(tmp_path):
    run = tmp_path / "run"
    result = cli("train", "gan", "--data", "ring8", "--epochs", "2", "--steps-per-epoch", "20",
                 "--batch-size", "32", "--width", "16", "--out", str(run))
    assert result.returncode == 0, result.stderr[-2000:]
    assert (run / "model.keras").is_file() and not (run / "backup").exists()
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]
    assert epochs_logged(run) == [0, 1] and any((run / "logs").rglob("events.out.tfevents*"))
    model = keras.models.load_model(run / "model.keras")
    assert model.training_info["steps"] == 40 and model.training_info["dataset"] == "ring8"

    result = cli("sample", str(run / "model.keras"), "--num", "16", "--out", str(tmp_path / "s.png"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "s.png").stat().st_size > 100


@pytest.mark.parametrize("args, message", [
    (["train", "nope"], "Unknown GAN variant 'nope'"),
    (["train", "gan", "--data", "nowhere_dataset"], "Unknown dataset 'nowhere_dataset'"),
    (["train", "dcgan", "--data", "ring8"], "DCGAN needs images of shape (H, W, C); got (2,)"),
    (["train", "gan", "--data", "ring8", "--batch-size", "100000"], "fewer than one batch"),
    (["sample", "missing.keras"], "No such model file: missing.keras"),
])
def test_cli_bad_input_exits_with_one_clear_error(args, message, tmp_path):
    result = cli(*args, "--out", str(tmp_path / "out"), timeout=120)
    assert result.returncode == 2
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("tfgan-suite: error: ") and message in last_line
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_killed_run_resumes_from_its_checkpoint_and_finishes(tmp_path):
    run, steps = tmp_path / "run", 400
    args = ["train", "gan", "--data", "ring8", "--epochs", "3", "--steps-per-epoch", str(steps),
            "--batch-size", "32", "--width", "16", "--out", str(run)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    process = subprocess.Popen([sys.executable, "-m", "tfgan_suite.cli", *args], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while not (run / "history.csv").is_file() or epochs_logged(run) != [0]:
        assert process.poll() is None and time.monotonic() < deadline, "run ended before epoch 1"
        time.sleep(0.05)
    time.sleep(0.3)  # well into epoch 2
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert epochs_logged(run) == [0] and (run / "backup").is_dir()

    refused = cli(*args)
    assert refused.returncode == 2 and "Pass --resume" in refused.stderr

    resumed = cli(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert epochs_logged(run) == [0, 1, 2]
    model = keras.models.load_model(run / "model.keras")
    # Weights and optimizer state came back: the step count is that of one uninterrupted run.
    assert model.training_info["steps"] == 3 * steps


class PoisonWeights(keras.callbacks.Callback):
    """Makes the generator's weights NaN at the start of epoch 2."""

    def on_train_batch_begin(self, batch, logs=None):
        if self.epoch == 1 and batch == 3:
            for w in self.model.generator.weights:
                w.assign(np.full(w.shape, np.nan, np.float32))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


def test_nan_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tmp_path):
    run = tmp_path / "run"
    options = dict(data="ring8", epochs=2, batch_size=32, steps_per_epoch=10, width=16, out=run,
                   verbose=0)
    with pytest.raises(TrainingDiverged, match=r"diverged at epoch 2, step 4: d_loss, g_loss became "
                                               r".*nan.*kept in .*backup.*resume with --resume"):
        train("gan", extra_callbacks=[PoisonWeights()], **options)
    assert not (run / "model.keras").exists()
    model = train("gan", resume=True, **options)
    assert model.training_info["steps"] == 20
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_gan_covers_the_ring_of_eight_gaussians():
    """The bar: at least 7 of 8 modes, at least 80% of samples within 3 sigma of a mode.
    Measured with gan's toy recipe (tfgan_suite.toy_training: 4000 steps of 256, Adam 1e-3 -> 1e-4)
    for seeds 0, 1, 2: 8 modes each, 84%, 88%, 89% high quality."""
    modes, quality = toy_coverage(train_on_toy("gan", 4000))
    print(json.dumps({"ring8_modes": modes, "high_quality": quality}))
    assert modes >= 7 and quality >= 0.8


@pytest.mark.slow
def test_demo_trains_exports_serves_and_samples_over_grpc(tmp_path):
    from PIL import Image

    result = cli("demo", "--out", str(tmp_path / "demo"), "--epochs", "1", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    demo = tmp_path / "demo"
    assert (demo / "models" / "dcgan" / "1" / "saved_model.pb").is_file()
    assert "sampled over gRPC" in result.stdout
    # The client process got exactly what the trained Keras model draws for seed 0.
    served = np.asarray(Image.open(demo / "served_samples.png"))
    trained = np.asarray(Image.open(demo / "run" / "samples" / "epoch_001.png"))
    np.testing.assert_array_equal(served, trained)
