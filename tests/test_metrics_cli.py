"""`tfgan-suite evaluate` on a .keras file, an exported SavedModel and image files."""

import json

import numpy as np
import pytest

from export import export_generator
from tfgan_suite.data import load_arrays
from tfgan_suite.cli import main
from tfgan_suite.models import build_model

FID = "FID[mnist-classifier]"


def evaluate(*argv):
    return main(["evaluate", *map(str, argv)])


@pytest.fixture
def common(tmp_path):
    return ["--num-reference", 500, "--batch-size", 100, "--cache-dir", tmp_path / "cache"]


def test_keras_file_and_its_saved_model_give_the_same_numbers(tmp_path, common, capsys):
    model = build_model("dcgan", image_shape=(28, 28, 1), latent_dim=16, width=8)
    model.save(tmp_path / "g.keras")
    saved_model_dir = export_generator(tmp_path / "g.keras", tmp_path / "export", "g")
    assert evaluate(tmp_path / "g.keras", "--num-samples", 200, "--out", tmp_path / "k.json", *common) == 0
    table = capsys.readouterr().out
    assert FID in table and "recall[mnist-classifier]" in table
    assert evaluate(saved_model_dir, "--num-samples", 200, "--out", tmp_path / "s.json", *common) == 0
    from_keras = json.loads((tmp_path / "k.json").read_text())
    from_saved_model = json.loads((tmp_path / "s.json").read_text())
    assert (from_keras["source_kind"], from_saved_model["source_kind"]) == ("keras", "saved_model")
    assert from_keras["metrics"][FID] > 10.0  # an untrained generator
    # The `sample` signature draws the latents model.sample draws for the same seeds.
    for name, value in from_keras["metrics"].items():
        assert from_saved_model["metrics"][name] == pytest.approx(value, rel=1e-3, abs=1e-5), name


def test_image_files_real_versus_noise(tmp_path, common):
    real = load_arrays("mnist_embedded")[0][-500:]  # uint8, scaled to [-1, 1] by the command
    np.savez(tmp_path / "real.npz", images=real)
    noise = np.random.default_rng(0).integers(0, 256, real.shape, dtype=np.uint8)
    np.savez(tmp_path / "noise.npz", images=noise)
    assert evaluate(tmp_path / "real.npz", "--metrics", "fid,is", "--out", tmp_path / "r.json", *common) == 0
    assert evaluate(tmp_path / "noise.npz", "--metrics", "fid", "--out", tmp_path / "n.json", *common) == 0
    real_report = json.loads((tmp_path / "r.json").read_text())
    noise_fid = json.loads((tmp_path / "n.json").read_text())["metrics"][FID]
    assert real_report["num_samples"] == 500 and set(real_report["metrics"]) == {
        FID, "IS[mnist-classifier]", "IS_std[mnist-classifier]"}
    assert real_report["metrics"][FID] < 0.05 * noise_fid
    assert real_report["metrics"]["IS[mnist-classifier]"] > 8.0


def test_bad_source_is_one_clear_error(tmp_path, common, capsys):
    assert evaluate(tmp_path / "missing.h5", "--out", tmp_path / "x.json", *common) == 2
    assert "is not a .keras file, a SavedModel directory" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
