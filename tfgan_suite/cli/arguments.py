"""What the command modules share to declare their arguments without importing TensorFlow.

The values the parser offers as choices and defaults are written out here because the library
modules that define them import TensorFlow, and the parser must not (it answers `--help` and a
mistyped flag without loading TensorFlow). tests/test_cli_start.py keeps each equal to its source.
"""


EMBEDDED_DATA = ("mnist_embedded", "ring8", "grid25", "mnist_style_pair")  # data.embedded_names()
RESIZE_MODES = ("crop", "pad", "stretch")  # tfgan_suite.data.images.RESIZE_MODES
STRATEGIES = ("default", "mirrored", "multi_worker")  # tfgan_suite.distribute.STRATEGIES
PRECISIONS = ("fp32", "bf16", "fp16")  # tfgan_suite.training.PRECISIONS
CONDITIONAL_VARIANTS = ("cgan", "acgan")  # tfgan_suite.training.synthetic_data
METRICS = ("fid", "kid", "is", "pr")  # tfgan_suite.metrics.evaluate.METRICS
EXTRACTORS = ("mnist-classifier", "fashion_mnist-classifier", "inception")  # available_extractors()
DEFAULT_MAX_SAMPLES = 1024  # export.exporter.DEFAULT_MAX_SAMPLES
DEFAULT_EPOCHS = 5  # tfgan_suite.training.run.DEFAULT_EPOCHS
# A run directory's files (tfgan_suite.training.run's RUN_FILE, MODEL_FILE, BEST_MODEL_FILE).
RUN_FILE, MODEL_FILE, BEST_MODEL_FILE = "run.json", "model.keras", "best.keras"


def hide_aliases(action, *old):
    """The `old` option strings of `action`, its names before one name was chosen per concept
    across commands, keep working for scripts but --help and error messages show only its new
    name, e.g. hide_aliases(parser.add_argument("--num-samples", "--num", ...), "--num")."""
    action.hidden_aliases = old
    return action


def shown_option_strings(action):
    return [name for name in action.option_strings
            if name not in getattr(action, "hidden_aliases", ())]


def add_best_flag(parser):
    """`--best`, for the commands that read a model file (`model_path`)."""
    parser.add_argument("--best", action="store_true",
                        help=f"with a run directory: its {BEST_MODEL_FILE} (the best FID of "
                             f"`train --eval-every`) instead of its {MODEL_FILE}")


def check_best_is_local(args):
    """--best names a file of a run directory, so it cannot go with --server's served model."""
    if args.best and args.server:
        raise ValueError(f"--best picks a run directory's {BEST_MODEL_FILE}; with --server the "
                         "model is the version the server serves: drop one of them.")


def model_path(path, best=False):
    """The file a command reads for a model argument: a run directory (`tfgan-suite train --out`,
    it holds run.json or a model file) gives its model.keras, or with `best` its best.keras; any
    other path is returned as given (a .keras file; for `evaluate` also a SavedModel or a folder of
    images). The one resolver of every command that takes a model (sample, export, evaluate,
    translate, upscale, score)."""
    from pathlib import Path

    path = Path(path)
    is_run = path.is_dir() and any((path / name).exists()
                                   for name in (RUN_FILE, MODEL_FILE, BEST_MODEL_FILE))
    if not is_run:
        if best:
            raise ValueError(f"--best picks the {BEST_MODEL_FILE} of a run directory (`tfgan-suite "
                             f"train --out`); {path} is not one: drop --best, or give the run.")
        return str(path)
    if best:
        if not (path / BEST_MODEL_FILE).is_file():
            raise FileNotFoundError(
                f"The run in {path} has no {BEST_MODEL_FILE}: a run keeps its best model when "
                f"trained with --eval-every N. Drop --best for its {MODEL_FILE}.")
        return str(path / BEST_MODEL_FILE)
    if not (path / MODEL_FILE).is_file():
        also = (f", or --best for its {BEST_MODEL_FILE} so far"
                if (path / BEST_MODEL_FILE).is_file() else "")
        raise FileNotFoundError(
            f"The run in {path} has no {MODEL_FILE} yet (it is interrupted or still training): "
            f"finish it with `tfgan-suite train ... --out {path} --resume`{also}.")
    return str(path / MODEL_FILE)
