"""The command line in-process (`main([...])`): one clear error line for every bad input, variant
options (`--set`, `--config`, `list --options`), precision, and the run-directory rules."""

import json
import socket

import keras
import numpy as np
import pytest

from tfgan_suite.cli import main
from tfgan_suite.models import get_variant
from tfgan_suite.training import train
from tfgan_suite.core.options import accepted_parameters, parse_set, variant_options

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_cli")

TINY = ["--data", "ring8", "--epochs", "1", "--steps-per-epoch", "5", "--batch-size", "16",
        "--width", "8"]


def run_cli(capsys, *args):
    """(exit code, stdout, stderr) of `tfgan-suite ARGS` run in this process."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished tiny run on the ring (one epoch of five steps)."""
    run = tmp_path_factory.mktemp("cli") / "run"
    train("gan", data="ring8", epochs=1, steps_per_epoch=5, batch_size=16, width=8, out=run,
          verbose=0)
    return run


BAD_INPUTS = [
    (["train", "nope"], "Unknown GAN variant 'nope'. Available: acgan"),
    (["train", "gan", "--data", "nowhere_dataset"], "Unknown dataset 'nowhere_dataset'"),
    (["train", "dcgan", "--data", "ring8"], "DCGAN needs images of shape (H, W, C); got (2,)"),
    (["train", "gan", "--data", "ring8", "--batch-size", "100000"], "fewer than one batch"),
    (["train", "gan", "--epochs", "0"], "argument --epochs: must be a positive integer, got 0"),
    (["train", "gan", "--batch-size", "-4"], "argument --batch-size: must be a positive integer"),
    (["train", "gan", "--steps-per-epoch", "x"], "expected a positive integer, got 'x'"),
    (["train", "gan", "--learning-rate-scale", "0"], "must be a positive number, got 0"),
    (["train", "cyclegan", "--data", "mnist_style_pair", "--learning-rate-scale", "0.5",
      "--out", "{tmp}/run"], "--learning-rate-scale multiplies constant learning rates, and "
     "cyclegan's follow a schedule"),
    (["train", "gan", "--precision", "fp8"], "argument --precision: invalid choice: 'fp8'"),
    (["train", "gan", "--set", "nonsense=1"],
     "gan has no option 'nonsense'. It accepts: ada_kimg, ada_target, augment, ema_decay, ema_start, "
     "latent_dim, loss, n_critic, width"),
    (["train", "gan", "--set", "seed=3"], "'seed' is not a --set option: it is set by --seed"),
    (["train", "gan", "--set", "loss"], "--set takes key=value"),
    (["train", "gan", "--width", "8", "--set", "width=16"], "--width 8 and --set width=16 disagree"),
    (["train", "gan", "--config", "{tmp}/missing.json"], "No such --config file"),
    (["train", "gan", "--config", "{tmp}/bad.json"], "is not valid JSON"),
    (["train", "gan", "--config", "{tmp}/list.json"], "must hold one JSON object"),
    (["train", "gan", "--data", "ring8", "--out", "{tmp}/a_file/run"],
     "Cannot write the run to --out"),
    (["train", "gan", "--resume", "--out", "{tmp}/empty_run"], "There is no run to resume"),
    (["train", "gan", *TINY, "--out", "{run}"], "holds a finished run (1 epoch, "),
    (["train", "gan", *TINY, "--out", "{run}", "--resume"], None),  # finished: nothing to do
    (["train", "gan", *TINY[:-1], "16", "--out", "{run}", "--resume", "--epochs", "2"],
     "--set/--config/--latent-dim/--width is {'width': 16}, the run has {'width': 8}"),
    (["train", "gan", *TINY, "--out", "{run}", "--resume", "--overwrite"], "give one"),
    (["sample", "{tmp}/missing.keras"], "No such model file"),
    (["sample", "{run}/model.keras", "--num-samples", "0"],
     "argument --num-samples: must be a positive integer"),
    (["sample", "{run}/model.keras", "--out", "{tmp}/grid.txt"], "has no image extension"),
    (["sample", "{tmp}/bad.json", "--out", "{tmp}/x.png"], "is not a model saved by"),
    (["sample", "{tmp}/fake.keras", "--out", "{tmp}/x.png"], "is not a model saved by"),
    (["sample", "{run}/model.keras", "--labels", "1,2", "--out", "{tmp}/x.png"],
     "model is unconditional; do not pass labels"),
    (["sample", "{run}/model.keras", "--labels", "1,a"], "expected comma-separated integers"),
    (["sample", "gan", "--server", "127.0.0.1:{port}", "--out", "{tmp}/x.png"],
     "no server answers at 127.0.0.1:{port}: start one with `tfgan-suite serve"),
    (["export", "{tmp}/missing.keras", "--model-base", "{tmp}/models", "--name", "gan"],
     "File not found"),
    (["export", "{run}/model.keras", "--model-base", "{tmp}/models", "--name", "gan",
      "--version", "0"], "argument --version: must be a positive integer, got 0"),
    (["export", "{run}/model.keras", "--model-base", "{tmp}/models", "--name", "taken",
      "--version", "1"], "already exists; versions are immutable"),
    (["export", "{run}/model.keras", "--model-base", "{tmp}/models", "--name", "gan",
      "--max-samples", "0"], "argument --max-samples: must be a positive integer, got 0"),
    (["serve"], "the following arguments are required: --model-base"),
    (["serve", "--model-base", "{tmp}", "--grpc-port", "70000"], "a port is at most 65535"),
    (["serve", "--model-base", "{tmp}", "--poll-seconds", "-1"], "must be a positive number"),
    (["evaluate", "{run}/model.keras", "--num-samples", "0"], "must be a positive integer, got 0"),
    (["list", "--options", "nope"], "Unknown GAN variant 'nope'"),
    (["nope"], "argument command: invalid choice: 'nope'"),
]


@pytest.mark.parametrize("args, message", BAD_INPUTS, ids=[" ".join(a)[:60] for a, _ in BAD_INPUTS])
def test_bad_input_gets_one_clear_error_line_and_exit_status_2(args, message, tmp_path, capsys,
                                                                finished_run):
    (tmp_path / "a_file").write_text("")
    (tmp_path / "bad.json").write_text("{loss: hinge")
    (tmp_path / "list.json").write_text("[1]")
    (tmp_path / "fake.keras").write_text("not a zip")
    (tmp_path / "models" / "taken" / "1").mkdir(parents=True)
    port = free_port()
    args = [a.format(tmp=tmp_path, run=finished_run, port=port) for a in args]
    if args[0] == "train" and "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    code, out, err = run_cli(capsys, *args)
    if message is None:
        assert code == 0, err
        return
    assert code == 2, (code, err)
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert message.replace("{port}", str(port)) in err, err


def test_verbose_brings_the_traceback_back(capsys):
    code, _, err = run_cli(capsys, "train", "gan", "--set", "nonsense=1", "--verbose")
    assert code == 2 and "Traceback" in err and err.strip().splitlines()[-1].startswith("error: ")


def test_unexpected_exceptions_are_one_line_too_and_exit_1(capsys, monkeypatch):
    import tfgan_suite.cli.training

    def broken(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(tfgan_suite.cli.training, "run_list", broken)
    code, _, err = run_cli(capsys, "list")
    assert code == 1 and err.startswith("error: internal error, ZeroDivisionError: a bug")
    assert "Traceback" not in err


def test_options_are_declared_by_the_variant_and_its_templates():
    # gan: latent_dim and width its own, n_critic, loss and the discriminator augmentation
    # LatentGAN's, the EMA options the core's.
    assert {o.name: o.default for o in variant_options(get_variant("gan"))} == {
        "latent_dim": 64, "width": 128, "loss": "non_saturating", "n_critic": 1,
        "augment": None, "ada_target": 0.6, "ada_kimg": 500.0, "ema_decay": None, "ema_start": 0}
    # WGAN restates n_critic with its paper's 5; its paper fixes the loss, so `loss` is not offered.
    wgan_options = {o.name: o.default for o in variant_options(get_variant("wgan"))}
    assert wgan_options["n_critic"] == 5 and "loss" not in wgan_options
    # The run sets these; they are accepted by the builder but not offered to --set.
    assert {"num_classes", "seed"} <= set(accepted_parameters(get_variant("cgan")))
    assert parse_set(["loss=hinge", "gamma=0.75", "stall_patience=null", "coding=-1-1-0"]) == {
        "loss": "hinge", "gamma": 0.75, "stall_patience": None, "coding": "-1-1-0"}


def test_list_options_shows_defaults_and_meaning(capsys):
    code, out, _ = run_cli(capsys, "list", "--options", "fgan")
    assert code == 0
    line = next(line for line in out.splitlines() if line.split()[:1] == ["divergence"])
    assert '"kl"' in line and "The f-divergence the critic estimates" in line
    assert 'Takes one of "kl", "reverse_kl"' in line


def test_set_and_config_reach_the_model_in_float32(tmp_path, capsys):
    (tmp_path / "options.json").write_text(json.dumps({"loss": "minimax", "n_critic": 3}))
    code, _, err = run_cli(capsys, "train", "gan", *TINY, "--config", tmp_path / "options.json",
                           "--set", "loss=hinge", "--precision", "fp32", "--out", tmp_path / "run")
    assert code == 0, err
    model = keras.models.load_model(tmp_path / "run" / "model.keras")
    # --set overrides the file; the file's other keys stay.
    assert (model.adversarial_loss, model.n_critic) == ("hinge", 3)
    assert model.training_info["arguments"]["options"] == {"loss": "hinge", "n_critic": 3,
                                                           "width": 8}
    assert all(w.dtype == np.float32 for w in model.get_weights())


def test_unknown_option_fails_before_any_data_is_loaded(tmp_path, capsys, monkeypatch):
    import tfgan_suite.training

    def no_data(*args, **kwargs):
        raise AssertionError("data loaded before the options were checked")

    monkeypatch.setattr(tfgan_suite.training.run, "load_dataset", no_data)
    code, _, err = run_cli(capsys, "train", "cgan", "--set", "nonsense=1", "--out", tmp_path / "r")
    assert code == 2 and "cgan has no option 'nonsense'" in err and "condition_weight" in err
    assert not (tmp_path / "r").exists()


def test_precision_bf16_trains_in_mixed_bfloat16(tmp_path, capsys, monkeypatch):
    import tfgan_suite.cli.training

    monkeypatch.setattr(tfgan_suite.cli.training, "cpu_flags", lambda: {"avx2", "fma"})
    code, _, err = run_cli(capsys, "train", "gan", *TINY, "--precision", "bf16", "--out", tmp_path)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "10x slower than fp32" in warnings[0], err
    assert "use --precision fp32" in warnings[0]
    model = keras.models.load_model(tmp_path / "model.keras")
    assert model.dtype_policy.name == "mixed_bfloat16"
    assert model.training_info["arguments"]["precision"] == "bf16"


def test_cgan_trains_with_the_hinge_loss_set_on_the_command_line(tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "cgan", "--data", "mnist_embedded", "--epochs", "1",
                           "--steps-per-epoch", "2", "--batch-size", "16", "--width", "8",
                           "--set", "loss=hinge", "--out", tmp_path)
    assert code == 0, err
    model = keras.models.load_model(tmp_path / "model.keras")
    assert model.training_info["arguments"]["options"]["loss"] == "hinge"


def test_a_failed_in_graph_check_reads_as_its_reason():
    from tfgan_suite.cli.training import _server_message

    raw = ("{{function_node __inference_signature_wrapper_694}} assertion failed: [num_samples must "
           "be <= 1024] [Condition x <= y did not hold element-wise:] [x (num_samples:0) = ] "
           "[100000]\n\t [[{{node assert_less_equal/Assert/Assert}}]] [Op:__inference_694]")
    assert _server_message(raw) == "num_samples must be <= 1024"
    assert _server_message("Servable not found for request: Latest(x)") == (
        "Servable not found for request: Latest(x)")


@pytest.mark.slow
def test_the_console_is_quiet_unless_verbose():
    """In a fresh process (TensorFlow's start-up logging happens once, at its import)."""
    import os
    import subprocess
    import sys

    def cli(*args):
        env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
        return subprocess.run([sys.executable, "-m", "tfgan_suite.cli", *args], env=env,
                              capture_output=True, text=True, timeout=300)

    quiet = cli("train", "gan", "--set", "nonsense=1")
    assert quiet.returncode == 2
    assert quiet.stderr.startswith("error: gan has no option 'nonsense'") and quiet.stderr.count("\n") == 1
    verbose = cli("train", "gan", "--set", "nonsense=1", "--verbose")
    assert verbose.returncode == 2 and "Traceback" in verbose.stderr
    assert verbose.stderr.strip().splitlines()[-1] == quiet.stderr.strip()


@pytest.mark.parametrize("flags, gpus, precision, warned", [
    ({"avx2"}, [], "bf16", True),                      # AVX2 only: bfloat16 is emulated, slow
    ({"avx2", "avx512f", "avx512_bf16"}, [], "bf16", False),
    ({"avx2", "amx_bf16"}, [], "bf16", False),
    ({"avx2"}, ["/physical_device:GPU:0"], "bf16", False),  # the GPU computes in bfloat16
    ({"avx2"}, [], "fp32", False),
])
def test_bf16_warning_only_where_bfloat16_is_slow(flags, gpus, precision, warned, monkeypatch):
    import tensorflow as tf

    import tfgan_suite.cli.training as training

    monkeypatch.setattr(training, "cpu_flags", lambda: flags)
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: gpus if kind == "GPU" else [])
    assert (training.bf16_warning(precision) == training.BF16_SLOW_WARNING) is warned


def test_cpu_flags_reads_this_machines_cpuinfo():
    from tfgan_suite.cli.training import cpu_flags

    assert "fpu" in cpu_flags()  # every x86 CPU has it; an empty or broken read would not
