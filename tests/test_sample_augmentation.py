"""`tfgan-suite augment` (GAN samples as extra training data) end to end on a tiny budget, and its
one-line errors. The measured gain (or its absence) is in benchmarks/sample_augmentation.py."""

import json

import numpy as np
import pytest

import tfgan_suite
from tfgan_suite.cli import main
from tfgan_suite.data import load_arrays

TINY = ["--labelled", "20", "--classifier-steps", "2", "--batch-size", "8", "--width", "8"]


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def saved(tmp_path):
    """A saved (untrained) model file of `variant`, 28x28 digits."""
    def save(variant, **options):
        path = tmp_path / f"{variant}.keras"
        tfgan_suite.build_model(variant, image_shape=(28, 28, 1), latent_dim=8, width=8,
                                **options).save(path)
        return path
    return save


# The classifier's bar on 50 labelled digits after 60 steps, against chance (0.1). Measured (seeds
# 0, 1): 0.72, 0.75 labelled only; 0.67, 0.57 with as many samples of an untrained cgan added.
# A classifier trained 1 step fails it (below).
TRAINED = ["--labelled", "50", "--classifier-steps", "60", "--batch-size", "16", "--width", "8"]
MIN_ACCURACY = 0.5


def test_trains_a_generator_and_reports_both_accuracies_and_the_mixed_set(tmp_path, capsys):
    code, out, err = run(capsys, "augment", *TRAINED, "--gan-steps", "2", "--ratio", "2",
                         "--save-npz", tmp_path / "mixed.npz", "--out", tmp_path / "result.json")
    assert code == 0, err
    result = json.loads((tmp_path / "result.json").read_text())
    assert (result["labelled"], result["generated"], result["test_images"]) == (50, 100, 2000)
    for key in ("accuracy_labelled_only", "accuracy_with_generated"):
        assert f"{result[key]:.4f}" in out
    assert result["accuracy_labelled_only"] >= MIN_ACCURACY
    # Untrained samples, twice as many as the real images, still leave it well above chance.
    assert result["accuracy_with_generated"] >= 0.3
    images, labels, num_classes, _ = load_arrays(tmp_path / "mixed.npz")
    assert images.shape == (150, 28, 28, 1) and images.dtype == np.uint8 and num_classes == 10
    # Balanced: 5 labelled and 10 generated images of each class.
    assert np.bincount(labels).tolist() == [15] * 10


@pytest.mark.slow  # a second run of the command
def test_the_accuracy_bar_fails_an_untrained_classifier(tmp_path, capsys):
    one_step = [*TRAINED[:2], "--classifier-steps", "1", *TRAINED[4:]]
    code, _, err = run(capsys, "augment", *one_step, "--gan-steps", "1", "--out",
                       tmp_path / "result.json")
    assert code == 0, err
    assert json.loads((tmp_path / "result.json").read_text())["accuracy_labelled_only"] < MIN_ACCURACY


@pytest.mark.slow  # trains and saves a cgan
def test_takes_a_trained_conditional_model_file(saved, capsys):
    code, out, err = run(capsys, "augment", *TINY, "--generator",
                         saved("cgan", num_classes=10))
    assert code == 0, err
    assert "with 20 generated ones added" in out


@pytest.mark.parametrize("args, message", [
    (["--labelled", "15"], "--labelled must be a multiple of the 10 classes"),
    (["--ratio", "0"], "argument --ratio: must be a positive number, got 0"),
    (["--generator", "missing.keras"], r"No such model file: missing.keras"),
    (["--data", "ring8"], "--data 'ring8' has no test split"),
])
def test_bad_options_are_one_clear_error(args, message, capsys):
    code, out, err = run(capsys, "augment", *args)
    assert code == 2 and err.startswith("error: ") and message in err, err


@pytest.mark.slow
def test_an_unconditional_or_mismatched_model_is_refused(saved, capsys):
    code, _, err = run(capsys, "augment", *TINY, "--generator", saved("dcgan"))
    assert code == 2 and "holds a dcgan model; augment needs a class-conditional one" in err, err
    code, _, err = run(capsys, "augment", *TINY, "--generator", saved("acgan", num_classes=4))
    assert code == 2 and "generates 4 classes" in err and "the data has 10 classes" in err, err
