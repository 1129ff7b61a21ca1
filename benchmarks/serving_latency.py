"""Serving overhead: sampling over gRPC and REST vs calling the generator in-process, same run.

    python benchmarks/serving_latency.py [--variant dcgan] [--seconds 8]

Exports an (untrained) generator, starts the model server the launcher picks (TF Serving when on
PATH and --public is given, since it listens on every interface; else the local server, in a subprocess), and times `sample` at batch 1 and 64: in this
process (`model.sample`, and the exported SavedModel signature), over gRPC (GeneratorClient), and
over REST (JSON, columnar). Prints JSON with latency p50/p99 (ms), images/s and the gRPC /
in-process p50 ratios (goal at batch 64: <= 1.3).
"""

import argparse
import http.client
import json
import os
import platform
import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tensorflow as tf  # noqa: E402

from export import export_generator  # noqa: E402
from serving.client import GeneratorClient  # noqa: E402
from serving.launcher import start_server  # noqa: E402
from tfgan_suite.models import build_model  # noqa: E402

BATCH_SIZES = (1, 64)
WARMUP_CALLS = 5


def measure(call, batch, seconds, max_calls):
    """Sequential calls for up to `seconds` (and `max_calls`); latency percentiles and throughput."""
    for _ in range(WARMUP_CALLS):
        call(batch)
    latencies = []
    start = time.perf_counter()
    while len(latencies) < max_calls and time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        images = call(batch)
        latencies.append(time.perf_counter() - t0)
        assert images.shape[0] == batch
    total = time.perf_counter() - start
    ms = np.array(latencies) * 1e3
    return {
        "calls": len(latencies),
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "images_per_s": round(batch * len(latencies) / total, 1),
    }


def rest_sampler(port, model):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)  # kept alive across calls
    connection.connect()
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as any tuned HTTP client

    def call(batch):
        body = json.dumps({"signature_name": "sample", "inputs": {"num_samples": batch, "seed": 0}})
        connection.request("POST", f"/v1/models/{model}:predict", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        payload = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(payload)
        return np.asarray(payload["outputs"], np.float32)

    return call, connection


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="dcgan")
    parser.add_argument("--image-shape", default="28,28,1")
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=8.0, help="time budget per (path, batch)")
    parser.add_argument("--max-calls", type=int, default=500)
    parser.add_argument("--public", action="store_true", help="allow TF Serving, which listens on 0.0.0.0")
    args = parser.parse_args()

    image_shape = tuple(int(v) for v in args.image_shape.split(","))
    model = build_model(args.variant, image_shape=image_shape, latent_dim=args.latent_dim)
    with tempfile.TemporaryDirectory() as base:
        exported = tf.saved_model.load(str(export_generator(model, base, args.variant))).signatures["sample"]

        def in_process_graph(n):  # the exported graph, no server: isolates the serving overhead
            return exported(num_samples=tf.constant(n), seed=tf.constant(0))["images"].numpy()

        handle = start_server(base, grpc_port=0, rest_port=0, public=args.public)
        client = GeneratorClient(handle.grpc_target, args.variant)
        rest_call, connection = rest_sampler(handle.rest_port, args.variant)
        try:
            results = {}
            for batch in BATCH_SIZES:
                row = {
                    "in_process": measure(lambda n: model.sample(n, seed=0), batch, args.seconds, args.max_calls),
                    "in_process_savedmodel": measure(in_process_graph, batch, args.seconds, args.max_calls),
                    "grpc": measure(lambda n: client.sample(n, seed=0), batch, args.seconds, args.max_calls),
                    "rest": measure(rest_call, batch, args.seconds, args.max_calls),
                }
                base_p50 = row["in_process"]["p50_ms"]
                row["grpc_over_in_process_p50"] = round(row["grpc"]["p50_ms"] / base_p50, 3)
                row["rest_over_in_process_p50"] = round(row["rest"]["p50_ms"] / base_p50, 3)
                row["grpc_over_in_process_savedmodel_p50"] = round(
                    row["grpc"]["p50_ms"] / row["in_process_savedmodel"]["p50_ms"], 3
                )
                results[f"batch_{batch}"] = row
        finally:
            connection.close()
            client.close()
            handle.stop()

    print(json.dumps({
        "benchmark": "serving",
        "server": handle.kind,
        "model": {"variant": args.variant, "image_shape": list(image_shape), "latent_dim": args.latent_dim,
                  "generator_params": int(model.generator.count_params())},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "tensorflow": tf.__version__},
        "results": results,
        "goal": {"grpc_over_in_process_p50_at_batch_64": 1.3,
                 "met": results["batch_64"]["grpc_over_in_process_p50"] <= 1.3},
    }, indent=2))


if __name__ == "__main__":
    main()
