"""`tfgan-suite serve` (TF Serving when on PATH, else the local server) and `sample --server` support."""

import os
import tempfile
from dataclasses import replace
from pathlib import Path

from serving import local_server
from serving.client import GeneratorClient
from serving.images import write_pngs
from serving.launcher import MONITORING_CONFIG, tf_serving_binary
from serving.model_config import entries_for_base, write_models_config


def register(subparsers):
    parser = subparsers.add_parser(
        "serve", help="serve exported generators over gRPC and REST (TF Serving if installed, else the local server)"
    )
    parser.add_argument("--model-base", required=True, help="directory holding <name>/<version>/ SavedModels")
    parser.add_argument("--model", action="append", help="serve only this model (repeatable; default: all)")
    parser.add_argument("--grpc-port", type=int, default=8500)
    parser.add_argument("--rest-port", type=int, default=8501, help="0 disables REST")
    parser.add_argument("--poll-seconds", type=float, default=1.0, help="how often new versions are looked for")
    parser.add_argument("--local", action="store_true", help="use the local server even if TF Serving is installed")
    parser.add_argument("--write-config", metavar="FILE", help="only write models.config for these models, then exit")
    parser.add_argument(
        "--config-base", metavar="DIR",
        help="with --write-config: the model base as the server sees it (e.g. /models in the container)",
    )
    parser.set_defaults(func=serve)


def serve(args):
    entries = entries_for_base(args.model_base, args.model)
    if args.write_config:
        if args.config_base:
            entries = [replace(e, base_path=str(Path(args.config_base) / e.name)) for e in entries]
        print(write_models_config(entries, args.write_config))
        return 0
    config = write_models_config(entries, Path(tempfile.mkdtemp(prefix="tfgan-serve-")) / "models.config")
    binary = None if args.local else tf_serving_binary()
    if binary:
        # Replace this process, so SIGTERM reaches TF Serving directly.
        os.execv(binary, [
            binary, f"--port={args.grpc_port}", f"--rest_api_port={args.rest_port}",
            f"--model_config_file={config}", f"--file_system_poll_wait_seconds={max(1, round(args.poll_seconds))}",
            f"--monitoring_config_file={MONITORING_CONFIG}",
        ])
    return local_server.main([
        f"--model_config_file={config}", f"--port={args.grpc_port}", f"--rest_api_port={args.rest_port}",
        f"--file_system_poll_wait_seconds={args.poll_seconds}",
    ])


def sample_from_server(args):
    """`tfgan-suite sample --server HOST:PORT --model NAME`: sample over gRPC and write PNG(s).

    args: server, model, version, label, num, seed, labels, out, grid. With `grid` one PNG is
    written to `out`; otherwise one PNG per image, `out` with the image index before the suffix.
    """
    with GeneratorClient(args.server, args.model, version=args.version, label=args.label) as client:
        images = client.sample(args.num, args.seed, labels=args.labels)
    for path in write_pngs(images, args.out, grid=args.grid):
        print(path)
    return 0
