"""`tfgan-suite serve` (TF Serving when on PATH, else the local server) and `sample --server` support.

Also runs without the training code: `python -m tfgan_suite.cli.serve serve --model-base DIR`.
"""

import argparse
import signal
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path



def register(subparsers):
    parser = subparsers.add_parser(
        "serve", help="serve exported generators over gRPC and REST (TF Serving if installed, else the local server)"
    )
    parser.add_argument("--model-base", required=True, help="directory holding <name>/<version>/ SavedModels")
    parser.add_argument("--model", action="append", help="serve only this model (repeatable; default: all)")
    parser.add_argument("--grpc-port", type=int, default=8500, help="gRPC port")
    parser.add_argument("--rest-port", type=int, default=8501, help="0 disables REST")
    parser.add_argument("--poll-seconds", type=float, default=1.0, help="how often new versions are looked for")
    parser.add_argument("--local", action="store_true", help="use the local server even if TF Serving is installed")
    parser.add_argument(
        "--public", action="store_true",
        help="listen on every interface (0.0.0.0), unauthenticated; TF Serving always does, so it needs this flag",
    )
    parser.add_argument("--write-config", metavar="FILE", help="only write models.config for these models, then exit")
    parser.add_argument(
        "--config-base", metavar="DIR",
        help="with --write-config: the model base as the server sees it (e.g. /models in the container)",
    )
    parser.set_defaults(func=serve)


def serve(args):
    """Raises ValueError / FileNotFoundError / OSError with what is wrong and how to fix it."""
    from serving import local_server
    from serving.launcher import (MESSAGE_LIMITS, MONITORING_CONFIG, PUBLIC_WARNING,
                                  tf_serving_binary)
    from serving.model_config import entries_for_base, write_models_config

    if args.rest_port and args.rest_port == args.grpc_port:
        raise ValueError(f"--rest-port must differ from --grpc-port (both are {args.grpc_port}); 0 disables REST")
    if args.poll_seconds < 0:
        raise ValueError(f"--poll-seconds must be >= 0 (0 = look once), got {args.poll_seconds}")
    entries = entries_for_base(args.model_base, args.model)
    if args.write_config:
        if args.config_base:
            entries = [replace(e, base_path=str(Path(args.config_base) / e.name)) for e in entries]
        print(write_models_config(entries, args.write_config))
        return 0
    binary = None if args.local else tf_serving_binary()
    if binary and not args.public:
        raise ValueError(f"{PUBLIC_WARNING}. Pass --public to start it anyway, "
                         "or --local for the local server on 127.0.0.1 only")
    with tempfile.TemporaryDirectory(prefix="tfgan-serve-") as workdir:  # removed however serving ends
        config = write_models_config(entries, Path(workdir) / "models.config")
        if binary:
            print(f"warning: {PUBLIC_WARNING}", file=sys.stderr)
            return run_until_signalled([
                binary, f"--port={args.grpc_port}", f"--rest_api_port={args.rest_port}",
                f"--model_config_file={config}", f"--file_system_poll_wait_seconds={max(1, round(args.poll_seconds))}",
                f"--monitoring_config_file={MONITORING_CONFIG}", f"--grpc_channel_arguments={MESSAGE_LIMITS}",
            ])
        if args.public:
            print("warning: the local server listens on every network interface (0.0.0.0), with no "
                  "authentication", file=sys.stderr)
        return local_server.main([
            f"--model_config_file={config}", f"--port={args.grpc_port}", f"--rest_api_port={args.rest_port}",
            f"--file_system_poll_wait_seconds={args.poll_seconds}",
            f"--host={'0.0.0.0' if args.public else '127.0.0.1'}",
        ])


def run_until_signalled(command):
    """Run `command`, passing SIGTERM/SIGINT on to it; its exit code."""
    process = subprocess.Popen(command)
    forward = lambda signum, _frame: process.send_signal(signum)  # noqa: E731
    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        return process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if process.poll() is None:
            process.kill()
            process.wait()


def sample_from_server(args):
    """`tfgan-suite sample --server HOST:PORT --model NAME`: sample over gRPC and write PNG(s).

    args: server, model, version, label, num_samples, seed, labels, truncation_psi, mix_seed, crossover,
    out, grid (mix_seed and crossover: the `style_mix` signature). With `grid` one PNG is
    written to `out`; otherwise one PNG per image, `out` with the image index before the suffix.
    """
    from serving.client import GeneratorClient
    from tfgan_suite.training.pictures import write_pngs

    with GeneratorClient(args.server, args.model, version=args.version, label=args.label) as client:
        if getattr(args, "mix_seed", None) is not None:
            images = client.style_mix(args.num_samples, args.seed, args.mix_seed, args.crossover)
        else:
            images = client.sample(args.num_samples, args.seed, labels=args.labels,
                                   truncation_psi=getattr(args, "truncation_psi", None))
    for path in write_pngs(images, args.out, grid=args.grid):
        print(path)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tfgan_suite.cli.serve", description=__doc__.splitlines()[0])
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    from serving.errors import run_cli

    sys.exit(run_cli(main))
