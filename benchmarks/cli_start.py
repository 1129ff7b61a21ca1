"""Start-up time of the command line: `tfgan-suite --help`, `--version`, `list`, `list --options`
and a mistyped command, each in a fresh process, against `python -c pass` measured in the same run
(so the ratios travel across machines and loads), and a command that loads TensorFlow (`sample`
of a missing file: parse, import, one error line) for scale.

    python benchmarks/cli_start.py [--repeats 5]

Prints one JSON object: the median and best wall seconds of each command, its ratio to the
reference, the commit and the CPU flags that matter here.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.report import commit, cpu_flags  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "--help": [sys.executable, "-m", "tfgan_suite.cli", "--help"],
    "--version": [sys.executable, "-m", "tfgan_suite.cli", "--version"],
    "list": [sys.executable, "-m", "tfgan_suite.cli", "list"],
    "list --options wgan_gp": [sys.executable, "-m", "tfgan_suite.cli", "list", "--options",
                               "wgan_gp"],
    "trian (typo)": [sys.executable, "-m", "tfgan_suite.cli", "trian"],
    "sample missing.keras (loads TensorFlow)": [sys.executable, "-m", "tfgan_suite.cli", "sample",
                                                "missing.keras"],
}


def wall_seconds(command):
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    os.environ.update(env)
    runs = {name: [] for name in COMMANDS}
    for _ in range(args.repeats):  # interleaved, so a burst of load touches every command alike
        for name, command in COMMANDS.items():
            runs[name].append(wall_seconds(command))
    reference = statistics.median(runs["python -c pass"])
    print(json.dumps({
        "seconds": {name: {"median": round(statistics.median(times), 3),
                           "best": round(min(times), 3),
                           "vs_python_pass": round(statistics.median(times) / reference, 2)}
                    for name, times in runs.items()},
        "repeats": args.repeats, "commit": commit(), "cpu_flags": cpu_flags(),
        "cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": platform.python_version(),
    }, indent=1))


if __name__ == "__main__":
    main()
