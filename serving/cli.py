"""`tfgan-suite serve` (TF Serving when on PATH, else the local server) and `sample --server` support."""

import math
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from serving import local_server
from serving.client import GeneratorClient
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


def image_grid(images):
    """[N, H, W, C] in [-1, 1] -> one uint8 image, tiled as close to square as N allows."""
    n, h, w, c = images.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    pixels = np.round((np.clip(images, -1, 1) + 1) * 127.5).astype(np.uint8)
    grid = np.zeros((rows * h, cols * w, c), np.uint8)
    for i, image in enumerate(pixels):
        r, col = divmod(i, cols)
        grid[r * h:(r + 1) * h, col * w:(col + 1) * w] = image
    return grid


def _to_pil(pixels):
    return Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)


def sample_from_server(args):
    """`tfgan-suite sample --server HOST:PORT --model NAME`: sample over gRPC and write PNG(s).

    args: server, model, version, label, num, seed, labels, out, grid. With `grid` one PNG is
    written to `out`; otherwise one PNG per image, `out` with the image index before the suffix.
    """
    with GeneratorClient(args.server, args.model, version=args.version, label=args.label) as client:
        images = client.sample(args.num, args.seed, labels=args.labels)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.grid:
        _to_pil(image_grid(images)).save(out)
        written = [out]
    else:
        written = [out.with_name(f"{out.stem}_{i}{out.suffix or '.png'}") for i in range(len(images))]
        for path, image in zip(written, images):
            _to_pil(image_grid(image[None])).save(path)
    for path in written:
        print(path)
    return 0
