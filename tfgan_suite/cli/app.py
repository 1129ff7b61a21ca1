"""The `tfgan-suite` parser: one parser, sub-commands contributed by the modules listed below.

Parse first, load later: the parser and the command modules import no TensorFlow (nor gRPC), so
`--help`, `--version`, `list` and a mistyped flag answer at once; a command's handler imports what
it needs when it runs (tests/test_cli_start.py checks this, benchmarks/cli_start.py times it).

Quiet by default: TensorFlow's start-up logging (CUDA probing on a machine without a GPU, oneDNN
notes) is switched off before TensorFlow is imported, and a user error is one line on stderr,
`error: <what is wrong and how to fix it>`, exit status 2. `--verbose` (anywhere on the command
line) brings the logging and the tracebacks back.
"""

import argparse
import importlib
import sys

from tfgan_suite.cli.arguments import shown_option_strings
from tfgan_suite.cli.quiet import quiet_start_up, quiet_tensorflow

EXIT_USER_ERROR = 2  # serving.errors.EXIT_USER_ERROR (argparse's own too); that module loads gRPC

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


class DefaultsShown(argparse.HelpFormatter):
    """`--help` shows each option's default, as argparse.ArgumentDefaultsHelpFormatter does, but
    not those of flags nor None, nor where the help already speaks of its default."""

    def _format_action_invocation(self, action):
        if not getattr(action, "hidden_aliases", ()):
            return super()._format_action_invocation(action)
        shown = argparse.Action(shown_option_strings(action), action.dest, nargs=action.nargs,
                                metavar=action.metavar)
        return super()._format_action_invocation(shown)

    def _get_help_string(self, action):
        text = action.help or ""
        if (not action.option_strings or action.nargs == 0  # a flag, on or off
                or action.default is None or action.default is argparse.SUPPRESS
                or "default" in text or text == argparse.SUPPRESS):
            return text
        return f"{text} (default: %(default)s)".lstrip()


class ShowVersion(argparse.Action):
    """`--version`: the installed distribution's version, read only when asked for."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("tfgan-suite")
        except PackageNotFoundError:  # a source tree on PYTHONPATH, not installed
            from tfgan_suite import __version__ as number
        parser.exit(message=f"tfgan-suite {number}\n")


class Parser(argparse.ArgumentParser):
    """argparse with our one-line error format (argparse's own prints the usage first) and the
    defaults in --help."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", DefaultsShown)
        super().__init__(*args, **kwargs)

    def error(self, message):
        for action in self._actions:  # "argument --num-samples/--num: ..." names the new flag only
            message = message.replace("/".join(action.option_strings),
                                      "/".join(shown_option_strings(action)))
        self.exit(EXIT_USER_ERROR, f"error: {message} (`{self.prog} --help` lists the options)\n")


def build_parser():
    parser = Parser(
        prog="tfgan-suite",
        description="Train, evaluate, export and serve classic GAN variants (Keras 3, tf.distribute).",
    )
    verbose_help = "show TensorFlow's start-up logging, warnings and full tracebacks"
    parser.add_argument("--verbose", action="store_true", help=verbose_help)
    parser.add_argument("--version", action=ShowVersion, help="print the version and exit")
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


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # a usage error (printed) or --help: a status, for callers of main
        return stop.code
    args.argv = argv  # train's NaN message repeats the command
    from serving.errors import run_cli

    return run_cli(lambda _: run(args), argv, verbose=args.verbose)


def run(args):
    """A command's checks that need no TensorFlow (`prepare`, e.g. train's --set values), then
    TensorFlow, loaded with its start-up logging silenced, then the command."""
    prepare = getattr(args, "prepare", None)
    if prepare is not None:
        args.options = prepare(args)
    if not args.verbose:
        quiet_tensorflow()
    if getattr(args, "needs_tensorflow", True):
        with quiet_start_up(command_line=True, verbose=args.verbose):
            import tensorflow  # noqa: F401  (now, while its start-up logging is silenced)
    return args.func(args)


