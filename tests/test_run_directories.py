"""Run directories wherever a model file is: `sample`, `export`, `evaluate`, `translate`, `upscale`
and `score` take a run directory for its model.keras (best.keras with --best), through the one
resolver `cli.arguments.model_path`; a bare `train --resume` continues to the run's own epoch
count; `train --out` into a folder holding other files is refused."""

import json

import keras
import numpy as np
import pytest

import tfgan_suite
from tfgan_suite.cli import main
from tfgan_suite.cli.arguments import model_path
from tfgan_suite.training import train
from tfgan_suite.training.pictures import save_picture

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_run_directories")

# Untrained tiny models stand in for trained ones: the commands only read the file.
MODELS = {
    "dcgan": dict(image_shape=(28, 28, 1), latent_dim=8, width=4),
    "cyclegan": dict(image_shape=(8, 8, 1), image_shape_b=(8, 8, 3), width=4,
                     generator_options={"residual_blocks": 1}),
    "srgan": dict(image_shape=(28, 28, 1), width=4, residual_blocks=1),
    "ganomaly": dict(image_shape=(28, 28, 1), width=4, latent_dim=8),
}


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def save_run(directory, variant, best=True):
    """A run directory as `train` leaves it: run.json, model.keras and (from --eval-every)
    best.keras, a model with other weights."""
    directory.mkdir(parents=True)
    (directory / "run.json").write_text(json.dumps({"variant": variant, "epochs": 1}))
    for name, seed in (("model.keras", 0), ("best.keras", 1))[:2 if best else 1]:
        keras.utils.set_random_seed(seed)
        model = tfgan_suite.build_model(variant, seed=seed, **MODELS[variant])
        model.compile()
        model.save(directory / name)
    return directory


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return {variant: save_run(root / variant, variant) for variant in MODELS}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Folders of grey images: 28x28 (GANomaly), 8x8 (the CycleGAN), 7x7 (SRGAN's input)."""
    root = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    for size in (28, 8, 7):
        (root / str(size)).mkdir()
        for index in range(2):
            save_picture(root / str(size) / f"{index}.png",
                         rng.integers(0, 256, (size, size, 1), np.uint8))
    return root


def test_sample_reads_the_runs_model_and_best_with_best(runs, tmp_path, capsys):
    run = runs["dcgan"]
    grids = {}
    for name, args in {"dir": [run], "file": [run / "model.keras"], "best": [run, "--best"],
                       "best_file": [run / "best.keras"]}.items():
        out = tmp_path / f"{name}.png"
        assert run_cli(capsys, "sample", *args, "--num-samples", "4", "--out", out)[0] == 0
        grids[name] = out.read_bytes()
    assert grids["dir"] == grids["file"] and grids["best"] == grids["best_file"]
    assert grids["dir"] != grids["best"]  # --best read the other model


def test_export_and_evaluate_take_a_run_directory(runs, tmp_path, capsys):
    code, out, err = run_cli(capsys, "export", runs["dcgan"], "--best", "--model-base",
                             tmp_path / "models", "--name", "dcgan")
    assert code == 0, err
    assert (tmp_path / "models" / "dcgan" / "1" / "saved_model.pb").is_file()
    report = tmp_path / "eval.json"
    code, out, err = run_cli(capsys, "evaluate", runs["dcgan"], "--metrics", "fid",
                             "--num-samples", "20", "--num-reference", "20", "--batch-size", "20",
                             "--cache-dir", tmp_path / "cache", "--out", report)
    assert code == 0, err
    assert json.loads(report.read_text())["source"] == str(runs["dcgan"] / "model.keras")


@pytest.mark.parametrize("command, variant, size, extra", [
    ("translate", "cyclegan", 8, ["--direction", "a2b", "--out", "{tmp}/out"]),
    ("upscale", "srgan", 7, ["--out", "{tmp}/out"]),
    ("score", "ganomaly", 28, ["--out", "{tmp}/scores.csv"]),
])
def test_image_commands_take_a_run_directory(command, variant, size, extra, runs, inputs,
                                             tmp_path, capsys):
    extra = [a.format(tmp=tmp_path) for a in extra]
    code, out, err = run_cli(capsys, command, runs[variant], "--input", inputs / str(size), *extra)
    assert code == 0, err
    assert len(out.strip().splitlines()) == 2  # a line per input image


def test_the_resolver_leaves_other_paths_and_explains_a_run_without_the_file(runs, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    assert model_path(images) == str(images)  # evaluate's folder of images
    assert model_path(runs["dcgan"]) == str(runs["dcgan"] / "model.keras")
    assert model_path(runs["dcgan"], best=True) == str(runs["dcgan"] / "best.keras")
    interrupted = tmp_path / "interrupted"
    interrupted.mkdir()
    (interrupted / "run.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="has no model.keras yet .* --resume"):
        model_path(interrupted)
    with pytest.raises(FileNotFoundError, match="has no best.keras: .* --eval-every N"):
        model_path(interrupted, best=True)
    with pytest.raises(ValueError, match="--best picks the best.keras of a run directory"):
        model_path(runs["dcgan"] / "model.keras", best=True)


@pytest.mark.parametrize("args, message", [
    (["sample", "{run}", "--best", "--server", "127.0.0.1:1"], "--best picks a run directory's"),
    (["score", "{run}", "--best", "--server", "127.0.0.1:1", "--input", "{run}"],
     "--best picks a run directory's"),
    (["sample", "{empty_run}", "--best"], "has no best.keras"),
    (["export", "{empty_run}", "--model-base", "{tmp}/m", "--name", "x"], "has no model.keras yet"),
])
def test_run_directory_errors_are_one_line(args, message, runs, tmp_path, capsys):
    empty_run = tmp_path / "empty_run"
    empty_run.mkdir()
    (empty_run / "run.json").write_text("{}")
    args = [a.format(run=runs["dcgan"], empty_run=empty_run, tmp=tmp_path) for a in args]
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and err.count("\n") == 1 and message in err, err


TINY = dict(data="ring8", steps_per_epoch=5, batch_size=16, width=8, verbose=0)


class StopAtEpoch(keras.callbacks.Callback):
    """A kill at the start of epoch `epoch` (0-based), after the previous epoch's checkpoint."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_a_bare_resume_continues_to_the_runs_own_epochs(tmp_path, capsys):
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train("gan", epochs=2, out=run, extra_callbacks=[StopAtEpoch(1)], **TINY)
    code, _, err = run_cli(capsys, "train", "gan", "--data", "ring8", "--steps-per-epoch", 5,
                           "--batch-size", 16, "--width", 8, "--out", run, "--resume")
    assert code == 0, err
    model = keras.models.load_model(run / "model.keras")
    assert model.training_info["epochs"] == 2 and model.training_info["steps"] == 10


def test_train_refuses_a_folder_holding_other_files(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    for flags in ([], ["--overwrite"]):
        code, _, err = run_cli(capsys, "train", "gan", "--data", "ring8", "--out", tmp_path,
                               *flags)
        assert code == 2 and err.count("\n") == 1, err
        assert "holding other files (notes.txt) and no run: choose a new or empty folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
