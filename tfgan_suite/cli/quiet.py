"""Quiet start-up: TensorFlow's start-up logging (CUDA probing on a machine without a GPU, oneDNN
notes) kept off the command line's output unless `--verbose`. Imported by the package itself, so it
imports nothing but the standard library and absl."""

import contextlib
import os
import sys


def quiet_tensorflow():
    """Silences TensorFlow's C++ logging and Python warnings (the C++ level is read once, when
    TensorFlow loads: see `quiet_start_up`)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import warnings

    warnings.filterwarnings("ignore")
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)


@contextlib.contextmanager
def quiet_start_up(command_line=None, verbose=None):
    """Around TensorFlow's first import: in the command line without --verbose, TensorFlow's
    C++ start-up logging (CUDA probing on a machine without a GPU, CPU features) goes to
    /dev/null, as TF_CPP_MIN_LOG_LEVEL no longer silences it (tensorflow/tensorflow#100442).
    The command line (`command_line` None: guessed) is the `tfgan-suite` script or `python -m
    tfgan_suite...` (sys.argv[0] is "-m" while Python imports the package of the module it runs),
    not a program using the library. `verbose` None: "--verbose" is among sys.argv.
    """
    if command_line is None:
        program = os.path.basename(sys.argv[0]) if sys.argv else ""
        command_line = program in ("tfgan-suite", "-m")
    if verbose is None:
        verbose = "--verbose" in sys.argv
    if not command_line or verbose or "tensorflow" in sys.modules:
        yield
        return
    quiet_tensorflow()
    sys.stderr.flush()
    saved_stderr, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(devnull)
