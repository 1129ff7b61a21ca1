"""The `tfgan-suite` parser: one parser, sub-commands contributed by the modules listed below.

Quiet by default: TensorFlow's start-up logging (CUDA probing on a machine without a GPU, oneDNN
notes) is switched off before TensorFlow is imported, and a user error is one line on stderr,
`error: <what is wrong and how to fix it>`, exit status 2. `--verbose` (anywhere on the command
line) brings the logging and the tracebacks back.
"""

import argparse
import importlib
import sys

from serving.errors import EXIT_USER_ERROR, run_cli
from tfgan_suite.cli.quiet import quiet_tensorflow

# Each module exposes `register(subparsers)`, adding its sub-commands with `set_defaults(func=...)`.
COMMAND_MODULES = (
    "tfgan_suite.cli.training",
    "tfgan_suite.cli.image_in",
    "tfgan_suite.cli.augment",
    "tfgan_suite.cli.export",
    "tfgan_suite.cli.serve",
    "tfgan_suite.cli.evaluate",
)


# Every numeric option of every sub-command is a count, size, version, port or interval, so it
# must be positive; the exceptions are listed here.
ANY_NUMBER = {"seed", "mix_seed", "truncation_psi"}
ZERO_ALLOWED = {"rest_port", "crossover"}  # 0 turns REST off; crossover 0 takes every style mixed in
HIGHEST_PORT = 65535


def checked_number(kind, dest):
    """An argparse type: `kind` (int or float) > 0 (>= 0 for ZERO_ALLOWED), finite, and a valid
    port number for a `*_port` option."""
    lowest = 0 if dest in ZERO_ALLOWED else None
    what = {int: "integer", float: "number"}[kind]

    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive {what}, got {text!r}") from None
        if not (value > 0 or value == lowest) or value == float("inf"):
            raise argparse.ArgumentTypeError(
                f"must be a {'non-negative' if lowest == 0 else 'positive'} {what}, got {text}")
        if dest.endswith("port") and value > HIGHEST_PORT:
            raise argparse.ArgumentTypeError(f"a port is at most {HIGHEST_PORT}, got {text}")
        return value

    return convert


class Parser(argparse.ArgumentParser):
    """argparse with our one-line error format (argparse's own prints the usage first)."""

    def error(self, message):
        self.exit(EXIT_USER_ERROR, f"error: {message} (`{self.prog} --help` lists the options)\n")


def build_parser():
    parser = Parser(
        prog="tfgan-suite",
        description="Train, evaluate, export and serve classic GAN variants (Keras 3, tf.distribute).",
    )
    verbose_help = "show TensorFlow's start-up logging, warnings and full tracebacks"
    parser.add_argument("--verbose", action="store_true", help=verbose_help)
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    for command in subparsers.choices.values():
        for action in command._actions:
            if action.type in (int, float) and action.dest not in ANY_NUMBER:
                action.type = checked_number(action.type, action.dest)
        # SUPPRESS: a sub-command's default must not overwrite `tfgan-suite --verbose COMMAND`.
        command.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                             help=verbose_help)
    return parser


def parse_and_run(argv):
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # a usage error (printed) or --help: a status, for callers of main
        return stop.code
    args.argv = argv  # train's NaN message repeats the command
    return args.func(args)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    verbose = "--verbose" in argv
    if not verbose:
        quiet_tensorflow()
    from tfgan_suite.training import TrainingDiverged

    return run_cli(parse_and_run, argv, user_errors=(TrainingDiverged,), verbose=verbose)


