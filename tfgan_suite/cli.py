"""`tfgan-suite` command line: one parser, sub-commands contributed by the modules listed below."""

import argparse
import importlib
import sys

# Each module exposes `register(subparsers)`, adding its sub-commands with `set_defaults(func=...)`.
COMMAND_MODULES = (
    "tfgan_suite.commands",
    "export.cli",
    "serving.cli",
    "tfgan_suite.metrics.cli",
)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tfgan-suite",
        description="Train, evaluate, export and serve classic GAN variants (Keras 3, tf.distribute).",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
