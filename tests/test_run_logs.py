"""What a training run logs: plain lines when stdout is not a terminal (no progress bar), only the
metrics that ran, and TensorBoard's scalars and pictures in one run on one step axis."""

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer
from tensorboard.util import tensor_util

from tfgan_suite.training import train

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_run_logs")

EPOCHS, STEPS, EVERY = 3, 4, 2
PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def piped_run(tmp_path_factory):
    """(stdout, run directory) of `tfgan-suite train` in a fresh process writing to a pipe."""
    run = tmp_path_factory.mktemp("piped") / "run"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(PROJECT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run(
        [sys.executable, "-m", "tfgan_suite.cli", "train", "gan", "--data", "ring8", "--epochs",
         str(EPOCHS), "--steps-per-epoch", str(STEPS), "--batch-size", "16", "--width", "8",
         "--log-every", str(EVERY), "--out", str(run)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode(), run


def test_output_to_a_pipe_is_one_plain_line_per_epoch_and_per_n_steps(piped_run):
    out, run = piped_run
    assert "\b" not in out and "\r" not in out and "\x1b" not in out, repr(out[:300])
    lines = out.splitlines()
    epoch_lines = [line for line in lines if re.fullmatch(
        rf"epoch \d/{EPOCHS}: d_loss [-\d.e]+, g_loss [-\d.e]+ \(\d+\.\d ms/step\)", line)]
    step_lines = [line for line in lines if re.fullmatch(
        rf"epoch \d/{EPOCHS} step \d/{STEPS}: d_loss [-\d.e]+, g_loss [-\d.e]+ "
        r"\(\d+\.\d ms/step\)", line)]
    assert [line.split(":")[0] for line in epoch_lines] == [
        f"epoch {e}/{EPOCHS}" for e in range(1, EPOCHS + 1)], out
    assert len(step_lines) == EPOCHS * STEPS // EVERY, out
    assert len(lines) == len(epoch_lines) + len(step_lines) + 2, out  # + the two closing lines
    assert lines[-1] == f"losses, samples and evaluations: tensorboard --logdir {run / 'logs'}"
    # The logged losses are history's (the epoch's means), to the 4 digits printed.
    with open(run / "history.csv", newline="") as f:
        history = list(csv.DictReader(f))
    for line, row in zip(epoch_lines, history, strict=True):
        assert f"d_loss {float(row['d_loss']):.4g}," in line, (line, row)


def test_tensorboard_holds_scalars_and_pictures_in_one_run_on_one_step_axis(piped_run):
    _, run = piped_run
    events = EventMultiplexer().AddRunsFromDirectory(str(run / "logs"))
    events.Reload()
    assert list(events.Runs()) == ["."], events.Runs()  # the logs folder itself, no sub-runs
    tags = events.Runs()["."]["tensors"]
    assert {"d_loss", "g_loss", "samples", "learning_rate/generator",
            "learning_rate/discriminator"} <= set(tags), tags
    steps = {tag: [event.step for event in events.Tensors(".", tag)] for tag in tags}
    assert all(found == list(range(1, EPOCHS + 1)) for found in steps.values()), steps
    # The rates as the optimizers have them (Keras's callback logged its step clock's 0.0).
    model = keras.models.load_model(run / "model.keras")
    for player, optimizer in model.optimizers.items():
        logged = [float(tensor_util.make_ndarray(event.tensor_proto))
                  for event in events.Tensors(".", f"learning_rate/{player}")]
        assert logged == pytest.approx([float(optimizer.learning_rate)] * EPOCHS), player
        assert logged[0] > 0


def test_a_player_that_did_not_train_is_not_logged(tmp_path, capsys):
    """SRGAN's MSE pre-training fills epoch 1 (6 steps of 8): Keras logs its discriminator's
    d_loss as 0.0 there; the line, history.csv and TensorBoard leave it out. In epoch 2 both
    phases ran."""
    run = tmp_path / "run"
    history = keras.callbacks.History()
    train("srgan", data="mnist_embedded", epochs=2, steps_per_epoch=6, batch_size=8, width=4,
          options={"pretrain_steps": 8, "residual_blocks": 1}, out=run, verbose="lines",
          extra_callbacks=[history])
    assert history.history["d_loss"][0] == 0.0  # what Keras reports for the idle player
    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith("epoch 1/2: mse_loss ") and "d_loss" not in first, first
    assert "d_loss" in second and "g_loss" in second and "mse_loss" in second, second
    with open(run / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["d_loss"] == "" and float(rows[1]["d_loss"]) > 0
    events = EventMultiplexer().AddRunsFromDirectory(str(run / "logs"))
    events.Reload()
    assert [event.step for event in events.Tensors(".", "d_loss")] == [2]
    assert [event.step for event in events.Tensors(".", "mse_loss")] == [1, 2]
    assert np.isfinite(float(rows[0]["mse_loss"]))
