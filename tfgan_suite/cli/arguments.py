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


def hide_aliases(action, *old):
    """The `old` option strings of `action`, its names before one name was chosen per concept
    across commands, keep working for scripts but --help and error messages show only its new
    name, e.g. hide_aliases(parser.add_argument("--num-samples", "--num", ...), "--num")."""
    action.hidden_aliases = old
    return action


def shown_option_strings(action):
    return [name for name in action.option_strings
            if name not in getattr(action, "hidden_aliases", ())]
