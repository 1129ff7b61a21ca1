"""Serving overhead: sampling over gRPC and REST against the same SavedModel signature called in
this process (the reference), all in one run.

    python benchmarks/serving_latency.py [--variant dcgan] [--seconds 6] [--max-calls 200]

Exports an (untrained) generator, starts the model server the launcher picks (TF Serving when on
PATH and --public is given, since it listens on every interface; else the local server, in a
subprocess) and times, at batch 1, 16 and 64:
  reference       the exported `sample` signature called in this process (images as numpy)
  grpc            GeneratorClient.sample
  rest            POST :predict, columnar JSON, decoded to a float32 array
  png_reference   the `sample_png` signature in this process (PNG bytes)
  grpc_png        GeneratorClient.sample_png
  rest_png        POST :predict on `sample_png` (base64 PNGs in JSON): REST's cheap path for images
The forms take turns call by call, so a neighbour's load on a shared machine falls on all of them
alike. Prints JSON: p50/p99 (ms) and images/s per form, each form's p50 over its reference, the
REST forms over their gRPC counterparts, a per-stage profile of one request (`profile`), and the
goals: gRPC within 1.10x of the reference at batch 64 and within +1 ms at batch 1; REST within
1.5x of gRPC at batch 64.
"""

import argparse
import base64
import gc
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
from tensorflow_serving.apis import predict_pb2  # noqa: E402

from benchmarks.report import cpu_flags  # noqa: E402
from export import export_generator  # noqa: E402
from serving.client import GeneratorClient, predict_outputs  # noqa: E402
from serving.launcher import start_server  # noqa: E402
from serving.model_manager import load_version  # noqa: E402
from serving.predict import run_predict  # noqa: E402
from serving.rest_api import array_to_json  # noqa: E402
from serving.tensors import write_as_field  # noqa: E402
from tfgan_suite.models import build_model  # noqa: E402

BATCH_SIZES = (1, 16, 64)
WARMUP_CALLS = 5
GOALS = {"grpc_over_reference_p50_at_batch_64": 1.10, "grpc_minus_reference_p50_ms_at_batch_1": 1.0,
         "rest_over_grpc_p50_at_batch_64": 1.5}


def interleaved(calls, seconds, max_rounds):
    """Seconds per call of each of `calls`, called in turn (the order rotating each round) after
    WARMUP_CALLS each, for up to `seconds` or `max_rounds` rounds."""
    names = list(calls)
    for name in names:
        for _ in range(WARMUP_CALLS):
            calls[name]()
    latencies = {name: [] for name in names}
    start = time.perf_counter()
    for round_ in range(max_rounds):
        if time.perf_counter() - start > seconds:
            break
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            t0 = time.perf_counter()
            calls[name]()
            latencies[name].append(time.perf_counter() - t0)
    return latencies


def measure(forms, batch, seconds, max_calls):
    def checked(form):
        def call():
            assert len(form(batch)) == batch
        return call

    results = {}
    for name, values in interleaved({name: checked(form) for name, form in forms.items()}, seconds, max_calls).items():
        ms = np.array(values) * 1e3
        results[name] = {"calls": len(values), "p50_ms": round(float(np.percentile(ms, 50)), 3),
                         "p99_ms": round(float(np.percentile(ms, 99)), 3),
                         "images_per_s": round(batch * len(values) / sum(values), 1)}
    return results


def rest_caller(port, model):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)  # kept alive across calls
    connection.connect()
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as any tuned HTTP client

    def post(signature, batch):
        body = json.dumps({"signature_name": signature, "inputs": {"num_samples": batch, "seed": 0}})
        connection.request("POST", f"/v1/models/{model}:predict", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(payload[:500])
        return payload

    return post, connection


def decode_rest_images(payload):
    return np.asarray(json.loads(payload)["outputs"], np.float32)


def decode_rest_pngs(payload):
    return [base64.b64decode(item["b64"]) for item in json.loads(payload)["outputs"]]


def profile(client, servable, signature, post, batch, seconds):
    """Stage medians (ms) of one gRPC `sample` request, timed in this process with the code the
    client and the server run, the stages taking turns; `channel` is what the round trip costs
    beyond them (gRPC framing, loopback, the server's thread hand-off, and waiting for a core).
    Plus the REST JSON stages of the same images."""
    inputs = {"num_samples": np.int32(batch), "seed": np.int32(0)}
    request = client.predict_request("sample", inputs, ["images"])
    response = run_predict(servable, request)
    images = signature(num_samples=tf.constant(batch), seed=tf.constant(0))["images"].numpy()
    payload = post("sample", batch)
    stages = interleaved({
        "client_encode": lambda: client.predict_request("sample", inputs, ["images"]),
        "request_serialize_and_parse": lambda: predict_pb2.PredictRequest.FromString(request.SerializeToString()),
        "server_predict_total": lambda: run_predict(servable, request),
        "signature_call": lambda: signature(num_samples=tf.constant(batch), seed=tf.constant(0)),
        "server_encode_output": lambda: write_as_field(images, predict_pb2.PredictResponse().outputs["x"]),
        "response_serialize_and_parse": lambda: predict_pb2.PredictResponse.FromString(response.SerializeToString()),
        "client_decode": lambda: predict_outputs(response),
        "grpc_round_trip": lambda: client.sample(batch, seed=0),
        "rest_server_json_encode": lambda: array_to_json(images, "images"),
        "rest_client_json_decode": lambda: decode_rest_images(payload),
    }, seconds, max_rounds=200)
    ms = {name: round(float(np.median(values)) * 1e3, 4) for name, values in stages.items()}
    # Differences taken within each round (its calls ran back to back), then their median.
    rounds = {name: np.array(values) * 1e3 for name, values in stages.items()}
    ms["server_decode_and_checks"] = round(float(np.median(
        rounds["server_predict_total"] - rounds["signature_call"] - rounds["server_encode_output"])), 4)
    ms["channel"] = round(float(np.median(rounds["grpc_round_trip"] - rounds["client_encode"]
                                          - rounds["server_predict_total"] - rounds["client_decode"])), 4)
    ms["rest_json_bytes"] = len(payload)
    return ms


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="dcgan")
    parser.add_argument("--image-shape", default="28,28,1")
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=6.0,
                        help="time budget per batch size (all forms) and per profile")
    parser.add_argument("--max-calls", type=int, default=200, help="per form and batch size")
    parser.add_argument("--public", action="store_true", help="allow TF Serving, which listens on 0.0.0.0")
    args = parser.parse_args()

    image_shape = tuple(int(v) for v in args.image_shape.split(","))
    model = build_model(args.variant, image_shape=image_shape, latent_dim=args.latent_dim)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as base:
        servable = load_version(args.variant, 1, export_generator(model, base, args.variant))
        sample, sample_png = servable.signatures["sample"], servable.signatures["sample_png"]
        handle = start_server(base, grpc_port=0, rest_port=0, public=args.public)
        client = GeneratorClient(handle.grpc_target, args.variant)
        post, connection = rest_caller(handle.rest_port, args.variant)
        forms = {
            "reference": lambda n: sample(num_samples=tf.constant(n), seed=tf.constant(0))["images"].numpy(),
            "grpc": lambda n: client.sample(n, seed=0),
            "rest": lambda n: decode_rest_images(post("sample", n)),
            "png_reference":
                lambda n: sample_png(num_samples=tf.constant(n), seed=tf.constant(0))["images_bytes"].numpy(),
            "grpc_png": lambda n: client.sample_png(n, seed=0),
            "rest_png": lambda n: decode_rest_pngs(post("sample_png", n)),
        }
        # Everything long-lived exists now: keep TensorFlow's heap out of every later GC pass, as in
        # a client process that does not hold a model (https://docs.python.org/3/library/gc.html#gc.freeze).
        gc.freeze()
        try:
            results = {}
            for batch in BATCH_SIZES:
                row = measure(forms, batch, args.seconds, args.max_calls)
                p50 = {name: row[name]["p50_ms"] for name in row}
                row["ratios_p50"] = {
                    "grpc_over_reference": round(p50["grpc"] / p50["reference"], 3),
                    "grpc_minus_reference_ms": round(p50["grpc"] - p50["reference"], 3),
                    "rest_over_reference": round(p50["rest"] / p50["reference"], 3),
                    "rest_over_grpc": round(p50["rest"] / p50["grpc"], 3),
                    "grpc_png_over_png_reference": round(p50["grpc_png"] / p50["png_reference"], 3),
                    "rest_png_over_png_reference": round(p50["rest_png"] / p50["png_reference"], 3),
                    "rest_png_over_grpc_png": round(p50["rest_png"] / p50["grpc_png"], 3),
                    "rest_png_over_grpc": round(p50["rest_png"] / p50["grpc"], 3),
                }
                results[f"batch_{batch}"] = row
            stages = {f"batch_{batch}": profile(client, servable, sample, post, batch, args.seconds)
                      for batch in (1, 64)}
        finally:
            connection.close()
            client.close()
            handle.stop()

    ratios_64, ratios_1 = results["batch_64"]["ratios_p50"], results["batch_1"]["ratios_p50"]
    measured = {"grpc_over_reference_p50_at_batch_64": ratios_64["grpc_over_reference"],
                "grpc_minus_reference_p50_ms_at_batch_1": ratios_1["grpc_minus_reference_ms"],
                "rest_over_grpc_p50_at_batch_64": ratios_64["rest_over_grpc"]}
    print(json.dumps({
        "benchmark": "serving",
        "server": handle.kind,
        "model": {"variant": args.variant, "image_shape": list(image_shape), "latent_dim": args.latent_dim,
                  "generator_params": int(model.generator.count_params())},
        "machine": {"cpus": os.cpu_count(), "cpu_flags": cpu_flags(), "platform": platform.platform(),
                    "python": platform.python_version(), "tensorflow": tf.__version__,
                    "load_average_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)}},
        "results": results,
        "profile_ms": stages,
        "goal": {name: {"target": target, "measured": measured[name], "met": measured[name] <= target}
                 for name, target in GOALS.items()}
                | {"rest_png_over_grpc_png_p50_at_batch_64": {
                    "target": GOALS["rest_over_grpc_p50_at_batch_64"], "measured": ratios_64["rest_png_over_grpc_png"],
                    "met": ratios_64["rest_png_over_grpc_png"] <= GOALS["rest_over_grpc_p50_at_batch_64"]}},
    }, indent=2))


if __name__ == "__main__":
    main()
