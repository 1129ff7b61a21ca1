"""Training runs: a complete run from the command line, resuming (after a kill at any moment, or to
more epochs) to the very weights of an uninterrupted run, the run directory's rules, stopping on
NaN, and mode coverage on the ring."""

import csv
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from tfgan_suite.cli import main
from tfgan_suite.data.toy import mode_coverage, mode_shares
from tfgan_suite.training.toy_recipes import train_on_toy
from tfgan_suite.training import TrainingDiverged, run_status, train

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_training")

EPOCHS, STEPS = 3, 30
RING = dict(data="ring8", batch_size=32, steps_per_epoch=STEPS, width=16, verbose=0)


def epochs_logged(run_dir):
    with open(run_dir / "history.csv") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """(weights, steps) of a 3-epoch ring run never interrupted."""
    model = train("gan", epochs=EPOCHS, out=tmp_path_factory.mktemp("runs") / "whole", **RING)
    return model.get_weights(), model.training_info["steps"]


def assert_same_as_uninterrupted(run_dir, uninterrupted):
    weights, steps = uninterrupted
    model = keras.models.load_model(run_dir / "model.keras")
    assert model.training_info["steps"] == steps == EPOCHS * STEPS
    for resumed, whole in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_allclose(resumed, whole, rtol=1e-6, atol=1e-7)
    assert epochs_logged(run_dir) == list(range(EPOCHS))
    assert run_status(run_dir) == "finished" and not (run_dir / "backup").exists()


def test_cli_train_writes_a_complete_run_and_samples_it(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "gan", "--data", "ring8", "--epochs", "2", "--steps-per-epoch", "20",
                 "--batch-size", "32", "--width", "16", "--out", str(run)]) == 0
    assert (run / "model.keras").is_file() and not (run / "backup").exists()
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]
    assert epochs_logged(run) == [0, 1] and any((run / "logs").rglob("events.out.tfevents*"))
    model = keras.models.load_model(run / "model.keras")
    assert model.training_info["steps"] == 40 and model.training_info["dataset"] == "ring8"
    assert json.loads((run / "run.json").read_text())["options"] == {"width": 16}

    assert main(["sample", str(run / "model.keras"), "--num-samples", "16", "--out",
                 str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 100
    assert capsys.readouterr().err == ""


def test_resume_to_more_epochs_gives_the_uninterrupted_weights(tmp_path, uninterrupted):
    run = tmp_path / "run"
    train("gan", epochs=EPOCHS - 1, out=run, **RING)
    with pytest.raises(FileExistsError, match="holds a finished run .* --resume with more --epochs"):
        train("gan", epochs=EPOCHS, out=run, **RING)
    train("gan", epochs=EPOCHS, out=run, resume=True, **RING)
    assert_same_as_uninterrupted(run, uninterrupted)


def test_the_learning_rate_scale_holds_across_resumes_and_can_change(tmp_path):
    run, options = tmp_path / "run", {**RING, "steps_per_epoch": 5}
    train("gan", epochs=1, out=run, learning_rate_scale=0.5, **options)
    model = train("gan", epochs=2, out=run, resume=True, learning_rate_scale=0.5, **options)
    assert float(model.g_optimizer.learning_rate) == pytest.approx(0.5 * 2e-4)  # not halved twice
    model = train("gan", epochs=3, out=run, resume=True, learning_rate_scale=0.25, **options)
    assert float(model.g_optimizer.learning_rate) == pytest.approx(0.25 * 2e-4)


class Killed(BaseException):
    """Stands for SIGKILL in-process: nothing in `fit` catches it."""


def test_a_kill_while_a_checkpoint_is_written_resumes_from_the_previous_one(
        tmp_path, uninterrupted, monkeypatch):
    run = tmp_path / "run"
    save_weights = keras.Model.save_weights

    def half_written_at_epoch_2(self, path, *args, **kwargs):
        save_weights(self, path, *args, **kwargs)
        if "epoch-000002" in str(path):
            with open(path, "r+b") as f:
                f.truncate(os.path.getsize(path) // 2)
            raise Killed

    monkeypatch.setattr(keras.Model, "save_weights", half_written_at_epoch_2)
    with pytest.raises(Killed):
        train("gan", epochs=EPOCHS, out=run, **RING)
    monkeypatch.undo()
    assert sorted(p.name for p in (run / "backup").iterdir()) == [".partial-epoch-000002",
                                                                  "epoch-000001"]
    assert run_status(run) == "interrupted"
    with pytest.raises(FileExistsError, match="holds an interrupted run. Pass --resume"):
        train("gan", epochs=EPOCHS, out=run, **RING)
    train("gan", epochs=EPOCHS, out=run, resume=True, **RING)
    assert_same_as_uninterrupted(run, uninterrupted)


def test_resume_with_other_arguments_is_refused_naming_them(tmp_path):
    run = tmp_path / "run"
    train("gan", epochs=1, out=run, **{**RING, "steps_per_epoch": 5})
    with pytest.raises(ValueError, match=r"--batch-size is 16, the run has 32; --seed is 1, the "
                                         r"run has 0\. Give the run's values, or --overwrite"):
        train("gan", epochs=2, out=run, resume=True, seed=1,
              **{**RING, "steps_per_epoch": 5, "batch_size": 16})
    model = train("gan", epochs=1, out=run, overwrite=True, seed=1,
                  **{**RING, "steps_per_epoch": 5, "batch_size": 16})
    assert model.training_info["arguments"]["seed"] == 1 and epochs_logged(run) == [0]


class PoisonWeights(keras.callbacks.Callback):
    """Makes the generator's weights NaN at step 4 of `epoch` (0-based)."""

    def __init__(self, epoch):
        super().__init__()
        self.poisoned_epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.epoch == self.poisoned_epoch and batch == 3:
            for w in self.model.generator.weights:
                w.assign(np.full(w.shape, np.nan, np.float32))


def test_nan_stops_with_advice_the_cli_can_follow_and_keeps_the_last_good_checkpoint(tmp_path):
    run = tmp_path / "run"
    options = dict(RING, epochs=2, steps_per_epoch=10, out=run, command="tfgan-suite train gan")
    with pytest.raises(TrainingDiverged, match=(
            r"diverged at epoch 2, step 4: d_loss, g_loss became .*nan.* The last good checkpoint "
            r"\(end of epoch 1\) is kept in .*backup: continue from it with lower learning rates, "
            r"`tfgan-suite train gan --resume --learning-rate-scale 0.5`")):
        train("gan", extra_callbacks=[PoisonWeights(epoch=1)], **options)
    assert not (run / "model.keras").exists()
    model = train("gan", resume=True, learning_rate_scale=0.5, **options)
    assert model.training_info["steps"] == 20
    assert all(np.isfinite(w).all() for w in model.get_weights())
    # The checkpoint's rates (the paper's 2e-4) were halved for the epoch left.
    assert float(model.d_optimizer.learning_rate) == pytest.approx(1e-4)


def test_nan_in_the_first_epoch_says_there_is_no_checkpoint(tmp_path):
    with pytest.raises(TrainingDiverged, match=r"No checkpoint was written before it .* start "
                                               r"again with lower learning rates, `.* --overwrite "
                                               r"--learning-rate-scale 0.5`"):
        train("gan", extra_callbacks=[PoisonWeights(epoch=0)], epochs=1, out=tmp_path, **RING)


@pytest.mark.slow
@pytest.mark.quality(variant="gan")
def test_gan_covers_the_ring_of_eight_gaussians():
    """The bar: at least 7 of 8 modes (each holding >= 1% of the samples), at least 80% of samples
    within 3 sigma of a mode, no mode under 5%. Measured with gan's toy recipe
    (tfgan_suite.training.toy_recipes: 4000 steps of 256, Adam 1e-3 -> 1e-4), seeds 0, 1: 8 modes,
    83%, 86% high quality, smallest mode 9.9%, 9.7%. A generator with 84% of its samples on one
    mode fails it (tests/test_loss_family_ring.py, the bars' self-check)."""
    samples = train_on_toy("gan", 4000).sample(4000, seed=1)
    modes, quality = mode_coverage(samples, "ring8")
    smallest_share = float(mode_shares(samples, "ring8").min())
    print(json.dumps({"ring8_modes": modes, "high_quality": quality, "smallest": smallest_share}))
    assert modes >= 7 and quality >= 0.8 and smallest_share >= 0.05


# A training process that SIGKILLs itself at a chosen moment: after a given step, halfway through
# writing a checkpoint or model.keras, or just after renaming one into place.
KILLED_RUN = r"""
import json, os, signal, sys
import keras
from tfgan_suite.training import train

kill, options = json.loads(sys.argv[1]), json.loads(sys.argv[2])

def die():
    os.kill(os.getpid(), signal.SIGKILL)

class KillAfterStep(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == kill.get("step"):
            die()

def halfway(save):
    def write_half_then_die(self, path, *args, **kwargs):
        save(self, path, *args, **kwargs)
        if kill.get("writing", "\0") in str(path):
            with open(path, "r+b") as f:
                f.truncate(os.path.getsize(path) // 2)
            die()
    return write_half_then_die

keras.Model.save_weights = halfway(keras.Model.save_weights)
keras.Model.save = halfway(keras.Model.save)
rename = os.replace
def rename_then_die(source, target):
    rename(source, target)
    if kill.get("renamed", "\0") in str(target):
        die()
os.replace = rename_then_die
train("gan", extra_callbacks=[KillAfterStep()], **options)
"""


def run_killed(kill, run_dir):
    options = {**RING, "epochs": EPOCHS, "out": str(run_dir)}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-c", KILLED_RUN, json.dumps(kill), json.dumps(options)],
                          env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("kill", [
    {"step": 10},                        # first epoch: no checkpoint yet, starts again
    {"step": 45},                        # mid-epoch 2
    {"writing": "epoch-000002"},         # half-written checkpoint: epoch 1's is used
    {"renamed": "epoch-000002"},         # checkpoint in place, epoch 1's not yet deleted
    {"writing": "model.partial.keras"},  # half-written model.keras: the last checkpoint has it all
    {"renamed": "model.keras"},          # model.keras in place, backup not yet deleted
], ids=json.dumps)
def test_sigkill_at_any_moment_then_resume_gives_the_uninterrupted_weights(
        kill, tmp_path, uninterrupted):
    run = tmp_path / "run"
    killed = run_killed(kill, run)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert main(["train", "gan", "--data", "ring8", "--epochs", str(EPOCHS), "--steps-per-epoch",
                 str(STEPS), "--batch-size", "32", "--width", "16", "--out", str(run),
                 "--resume"]) == 0
    assert_same_as_uninterrupted(run, uninterrupted)


@pytest.mark.slow
def test_demo_trains_exports_serves_and_samples_over_grpc(tmp_path):
    from PIL import Image

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "tfgan_suite.cli", "demo", "--out",
                             str(tmp_path / "demo"), "--epochs", "1"],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    demo = tmp_path / "demo"
    assert (demo / "models" / "dcgan" / "1" / "saved_model.pb").is_file()
    assert "sampled over gRPC" in result.stdout
    # The client process got exactly what the trained Keras model draws for seed 0.
    served = np.asarray(Image.open(demo / "served_samples.png"))
    trained = np.asarray(Image.open(demo / "run" / "samples" / "epoch_001.png"))
    np.testing.assert_array_equal(served, trained)


@pytest.mark.slow
def test_demo_cyclegan_translates_over_grpc_as_the_trained_model(tmp_path):
    import tfgan_suite.models  # noqa: F401  (registers the models for loading)
    from tfgan_suite.cli.image_in import read_images

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "tfgan_suite.cli", "demo", "--variant",
                             "cyclegan", "--out", str(tmp_path / "demo"), "--epochs", "1",
                             "--steps-per-epoch", "5"],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    demo = tmp_path / "demo"
    assert (demo / "models" / "cyclegan" / "1" / "saved_model.pb").is_file()
    assert "translated over gRPC" in result.stdout
    digits, names = read_images(demo / "inputs")
    served, served_names = read_images(demo / "served_translations")
    assert len(names) == 8 and served_names == [f"{name}_a2b" for name in names]
    # The client process got the trained Keras model's translations (up to the PNG's rounding).
    model = keras.models.load_model(demo / "run" / "model.keras")
    expected = np.round((np.clip(model.translate(digits, "a2b"), -1, 1) + 1) * 127.5)
    np.testing.assert_allclose((served + 1) * 127.5, expected, atol=1.01)
