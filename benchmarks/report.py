"""What every benchmark does with its results: indented JSON to a file, or to stdout; and what
it records beside them: the commit and the CPU flags a timing depends on."""

import json
import subprocess
from pathlib import Path

from tfgan_suite.cli.training import cpu_flags as all_cpu_flags

ROOT = Path(__file__).resolve().parents[1]
# The instruction sets a CPU timing depends on here (bfloat16 needs avx512_bf16 or amx_bf16).
TIMING_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")


def cpu_flags(wanted=TIMING_FLAGS):
    """Which of `wanted` this CPU has, in that order."""
    flags = all_cpu_flags()
    return [flag for flag in wanted if flag in flags]


def commit():
    """The checkout's short commit hash, or None outside a git checkout."""
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                           text=True, cwd=ROOT)
    return found.stdout.strip() or None


def write_json(results, out=None):
    """`results` as indented JSON into the file `out`, or on stdout when `out` is None (TFDS
    prints on stdout when it first prepares a dataset, so a script that loads one takes `--out`)."""
    text = json.dumps(results, indent=1)
    if out:
        with open(out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
