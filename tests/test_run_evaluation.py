"""`train --eval-every N`: FID and KID (and a conditional model's class accuracy; a translator's
figures per direction; SRGAN's PSNR) every N epochs into history.csv and TensorBoard, best.keras
kept for the best FID, and kept across resumes."""

import csv
import hashlib
import math
import shutil

import keras
import numpy as np
import pytest
from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer

from tfgan_suite.cli import main
from tfgan_suite.data import load_dataset
from tfgan_suite.metrics import EvaluationCallback, SuperResolutionEvaluationCallback

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_run_evaluation")

FID = "FID[mnist-classifier]"
TINY = ["train", "dcgan", "--data", "mnist_embedded", "--steps-per-epoch", "5", "--batch-size",
        "16", "--width", "4", "--latent-dim", "8", "--eval-samples", "50"]


def train_cli(capsys, out, *flags):
    code = main([*TINY, "--out", str(out), *flags])
    err = capsys.readouterr().err
    assert code == 0, err


def history(run):
    with open(run / "history.csv", newline="") as f:
        return list(csv.DictReader(f))


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded_best(run):
    """best.keras's own record of its figure."""
    model = keras.models.load_model(run / "best.keras")
    return model.training_info["best"]


def set_recorded_best(run, value):
    """Rewrites best.keras's figure: a stand-in for an earlier session's better or worse model."""
    model = keras.models.load_model(run / "best.keras")
    model.training_info = {**model.training_info,
                           "best": {**model.training_info["best"], "value": value}}
    model.save(run / "best.keras")
    return digest(run / "best.keras")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A 2-epoch run evaluated at epoch 2 only (--eval-every 2)."""
    out = tmp_path_factory.mktemp("evaluated") / "run"
    assert main([*TINY, "--out", str(out), "--epochs", "2", "--eval-every", "2"]) == 0
    return out


def test_eval_every_writes_the_fid_column_tensorboard_and_best_keras(run):
    rows = history(run)
    assert [row[FID] for row in rows][0] == ""  # epoch 1 was not evaluated
    fid = float(rows[1][FID])
    assert math.isfinite(fid) and fid > 0 and float(rows[1]["KID[mnist-classifier]"]) > 0
    assert recorded_best(run) == {"metric": FID, "value": pytest.approx(fid), "epoch": 2}
    best = keras.models.load_model(run / "best.keras")
    np.testing.assert_array_equal(best.sample(4, seed=0),  # epoch 2's model is the last one
                                  keras.models.load_model(run / "model.keras").sample(4, seed=0))
    events = EventMultiplexer().AddRunsFromDirectory(str(run / "logs"))
    events.Reload()
    assert list(events.Runs()) == ["."]
    steps = {tag: [event.step for event in events.Tensors(".", tag)]
             for tag in (f"evaluation/{FID}", "d_loss", "samples")}
    assert steps == {f"evaluation/{FID}": [2], "d_loss": [1, 2], "samples": [1, 2]}


def test_resume_keeps_a_better_best_and_replaces_a_worse_one(run, tmp_path, capsys):
    resumed = tmp_path / "run"
    shutil.copytree(run, resumed)
    kept = set_recorded_best(resumed, 0.0)  # an earlier session's model no FID here can beat
    train_cli(capsys, resumed, "--resume", "--epochs", "3", "--eval-every", "1")
    assert math.isfinite(float(history(resumed)[2][FID]))
    assert digest(resumed / "best.keras") == kept
    set_recorded_best(resumed, 1e9)  # one every FID beats
    train_cli(capsys, resumed, "--resume", "--epochs", "4", "--eval-every", "1")
    assert recorded_best(resumed)["epoch"] == 4
    assert recorded_best(resumed)["value"] == pytest.approx(float(history(resumed)[3][FID]))


@pytest.mark.parametrize("variant, data, kind", [("gan", "ring8", "makes points"),
                                                  ("ganomaly", "mnist_embedded", "scores them")])
def test_eval_every_refuses_a_model_that_makes_no_images(variant, data, kind, tmp_path, capsys):
    code = main(["train", variant, "--data", data, "--eval-every", "1", "--out",
                 str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert f"--eval-every evaluates models that make images; a {variant} model {kind}" in err
    assert not (tmp_path / "run").exists()  # refused before the run directory is written


@pytest.mark.slow  # a training run of its own (the quick selection keeps the stand-ins)
def test_a_translator_is_evaluated_per_direction_on_the_style_pairs_truth(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "cyclegan", "--data", "mnist_style_pair", "--steps-per-epoch", "2",
                 "--batch-size", "4", "--width", "4", "--set",
                 'generator_options={"residual_blocks": 1}', "--eval-every", "1",
                 "--eval-samples", "40", "--out", str(out)]) == 0, capsys.readouterr().err
    row = history(out)[0]
    for direction in ("a2b", "b2a"):
        for figure in (f"{FID}_{direction}", f"cycle_l1_{direction}",
                       f"error_vs_truth_{direction}", f"class_accuracy_{direction}"):
            assert math.isfinite(float(row[figure])), (figure, row)
    assert recorded_best(out) == {"metric": f"{FID}_a2b",
                                  "value": pytest.approx(float(row[f"{FID}_a2b"])), "epoch": 1}


class OffsetUpscaler:
    """A stand-in super-resolution model that "upscales" to the real image moved 0.1 towards 0:
    its PSNR over the range of 2 is 10 log10(4 / 0.01) = 26.02 dB, whatever it is given."""

    variant = "stand-in"

    def __init__(self, real):
        self.real, self.calls = real, 0

    def downsample(self, images):
        return images[:, ::4, ::4]

    def upscale(self, low_res):
        start, self.calls = self.calls, self.calls + len(low_res)
        real = self.real[start % len(self.real):][:len(low_res)]
        return np.where(real > 0, real - 0.1, real + 0.1)


def test_super_resolution_is_evaluated_by_psnr_and_fid():
    real = next(iter(load_dataset("mnist_embedded", 64, shuffle=False)[0])).numpy()
    evaluation = SuperResolutionEvaluationCallback(real, batch_size=32)
    evaluation.set_model(OffsetUpscaler(real))
    evaluation.prepare()
    results = evaluation.evaluate()
    assert results["psnr"] == pytest.approx(10 * np.log10(4 / 0.01), abs=1e-3)
    assert results[FID] > 0
    evaluation.set_model(OffsetUpscaler(real[::-1]))  # the right images in the wrong order
    assert evaluation.evaluate()["psnr"] < 20


@pytest.mark.slow  # a training run of its own (the quick selection keeps the stand-ins)
def test_srgan_run_logs_psnr_and_keeps_the_best_fid(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "srgan", "--data", "mnist_embedded", "--steps-per-epoch", "2",
                 "--batch-size", "4", "--width", "4", "--set", "residual_blocks=1", "--set",
                 "pretrain_steps=2", "--eval-every", "1", "--eval-samples", "40", "--out",
                 str(out)]) == 0, capsys.readouterr().err
    row = history(out)[0]
    assert 0 < float(row["psnr"]) < 60 and float(row[FID]) > 0, row
    assert recorded_best(out)["metric"] == FID


class DigitsByLabel:
    """A stand-in conditional generator "sampling" real test digits of the asked labels (shifted
    by `shift`: 1 draws the wrong class every time)."""

    variant, image_shape, num_classes = "stand-in", (28, 28, 1), 10

    def __init__(self, shift):
        batches, _ = load_dataset("mnist_embedded", 2000, with_labels=True, shuffle=False)
        self.images, labels = (np.asarray(t) for t in next(iter(batches)))
        self.by_label = [np.flatnonzero(labels == k) for k in range(10)]
        self.shift = shift

    def sample(self, n, labels, seed):
        rng = np.random.default_rng(seed)
        return self.images[[rng.choice(self.by_label[(k + self.shift) % 10]) for k in labels]]


@pytest.mark.parametrize("shift, accuracy", [(0, (0.9, 1.0)), (1, (0.0, 0.1))])
def test_class_accuracy_is_the_share_of_samples_in_their_labels_class(shift, accuracy):
    model = DigitsByLabel(shift)
    callback = EvaluationCallback(model.images[:200], metrics="fid", num_samples=200,
                                  batch_size=100, class_accuracy=True)
    callback.set_model(model)
    callback.prepare()
    found = callback.evaluate()["class_accuracy[mnist-classifier]"]
    assert accuracy[0] <= found <= accuracy[1], found
