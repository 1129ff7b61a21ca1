"""The command line answers without TensorFlow until a command runs: `--help`, `--version`,
`list` and argument errors parse first and import nothing heavy (checked on the modules a fresh
process loaded, not on time: benchmarks/cli_start.py times it). One name per concept across
commands (old names kept as hidden aliases), and the defaults in --help."""

import json
import subprocess
import sys
from importlib.metadata import version

import pytest

from tfgan_suite.cli import arguments
from tfgan_suite.cli.app import build_parser

HEAVY = ("tensorflow", "keras", "grpc", "numpy")

# Runs the command line in a fresh interpreter, then prints which heavy modules it loaded.
PROBE = """
import contextlib, json, sys
from tfgan_suite.cli import main
with contextlib.redirect_stdout(sys.stderr):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted({m.split(".")[0] for m in sys.modules}
                                                 & set(%r))}))
""" % (HEAVY,)


def run_fresh(*args):
    """(exit code, heavy modules loaded, what the command printed) in a new Python process."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          timeout=120)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["code"], report["loaded"], done.stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["train", "--help"],
                                  ["sample", "--help"], ["evaluate", "--help"], ["trian"],
                                  ["train", "gan", "--epochs", "0"], ["export", "m.keras"],
                                  ["list"], ["list", "--options", "wgan"],
                                  ["train", "wgan", "--set", "n_critic=abc"]],
                         ids=" ".join)
def test_help_version_and_argument_errors_load_no_tensorflow(args):
    code, loaded, printed = run_fresh(*args)
    assert code in (0, 2) and printed.strip(), (code, printed)
    assert "tensorflow" not in loaded and "keras" not in loaded, loaded
    if args[0] != "list" and "--set" not in args:  # those print their errors through serving's
        assert "grpc" not in loaded, loaded


def test_a_command_that_runs_loads_tensorflow():
    """The probe sees TensorFlow when a handler needs it (so the test above can fail)."""
    code, loaded, printed = run_fresh("sample", "missing.keras")
    assert code == 2 and "No such model file" in printed
    assert "tensorflow" in loaded


def test_version_is_the_installed_distributions():
    code, _, printed = run_fresh("--version")
    assert code == 0 and printed.strip() == f"tfgan-suite {version('tfgan-suite')}"


def _help(command):
    parser = build_parser()
    return parser._subparsers._group_actions[0].choices[command].format_help()


def test_help_shows_defaults_but_not_hidden_aliases():
    text = " ".join(_help("train").split())
    assert "global batch size (default: 64)" in text and "(default: runs/run)" in text
    assert "--flip random horizontal flips --" in text  # a flag shows no "(default: False)"
    sample, export = " ".join(_help("sample").split()), " ".join(_help("export").split())
    assert "--num-samples NUM_SAMPLES how many images (default: 64)" in sample
    assert "--num " not in sample and "--num," not in sample
    assert "--model-base MODEL_BASE" in export and "--base-dir" not in export


@pytest.mark.parametrize("command, new, old, value", [
    (["sample", "m.keras"], "num_samples", "--num", "8"),
    (["export", "m.keras", "--name", "x"], "model_base", "--base-dir", "models"),
])
def test_one_name_per_concept_old_names_still_parse(command, new, old, value):
    args = build_parser().parse_args([*command, old, value])
    assert str(getattr(args, new)) == value


def test_an_error_names_the_new_flag(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sample", "m.keras", "--num", "0"])
    assert "argument --num-samples: must be a positive integer" in capsys.readouterr().err


def test_the_parsers_literal_choices_equal_the_librarys():
    from export.exporter import DEFAULT_MAX_SAMPLES
    from tfgan_suite.data import embedded_names
    from tfgan_suite.data.images import RESIZE_MODES
    from tfgan_suite.distribute import STRATEGIES
    from tfgan_suite.metrics.evaluate import METRICS
    from tfgan_suite.metrics.extractors import available_extractors
    from tfgan_suite.training import PRECISIONS, run
    from tfgan_suite.training.synthetic_data import CONDITIONAL_VARIANTS

    assert arguments.EMBEDDED_DATA == embedded_names()
    assert arguments.RESIZE_MODES == RESIZE_MODES
    assert arguments.STRATEGIES == STRATEGIES
    assert arguments.PRECISIONS == tuple(PRECISIONS)
    assert arguments.CONDITIONAL_VARIANTS == CONDITIONAL_VARIANTS
    assert arguments.METRICS == METRICS
    assert arguments.EXTRACTORS == available_extractors()
    assert arguments.DEFAULT_MAX_SAMPLES == DEFAULT_MAX_SAMPLES
    assert arguments.DEFAULT_EPOCHS == run.DEFAULT_EPOCHS
    assert ((arguments.RUN_FILE, arguments.MODEL_FILE, arguments.BEST_MODEL_FILE)
            == (run.RUN_FILE, run.MODEL_FILE, run.BEST_MODEL_FILE))
