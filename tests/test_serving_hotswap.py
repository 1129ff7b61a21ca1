"""A new version exported under load is picked up with no failed request; a half-written one never shows."""

import threading
import time

import grpc
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

import export.exporter as exporter
from export import export_generator
from serving.client import GeneratorClient
from serving.local_server import LocalServer
from serving.model_config import ModelEntry
from serving_fixtures import unconditional_gan

LOAD_THREADS = 4
LOAD_SECONDS_MAX = 20.0
POLL_SECONDS = 0.2


def _sample_request():
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "m"
    request.model_spec.signature_name = "sample"
    request.inputs["num_samples"].CopyFrom(tf.make_tensor_proto(4, dtype=tf.int32))
    request.inputs["seed"].CopyFrom(tf.make_tensor_proto(0, dtype=tf.int32))
    return request


def test_new_version_is_swapped_in_under_load_without_failures(tmp_path):
    export_generator(unconditional_gan(seed=1), tmp_path, "m")
    entry = ModelEntry("m", str(tmp_path / "m"))  # latest policy: v2 replaces v1
    with LocalServer([entry], poll_seconds=POLL_SECONDS) as server:
        stop = threading.Event()
        seen, failures, lock = [], [], threading.Lock()

        def load():
            with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
                stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
                deadline = time.monotonic() + LOAD_SECONDS_MAX
                while not stop.is_set() and time.monotonic() < deadline:
                    try:
                        version = stub.Predict(_sample_request(), timeout=10).model_spec.version.value
                        with lock:
                            seen.append(version)
                    except grpc.RpcError as error:
                        with lock:
                            failures.append(f"{error.code()}: {error.details()}")

        threads = [threading.Thread(target=load) for _ in range(LOAD_THREADS)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)
            export_generator(unconditional_gan(seed=2), tmp_path, "m")  # written while requests flow
            deadline = time.monotonic() + LOAD_SECONDS_MAX - 5
            while time.monotonic() < deadline and not (seen and seen[-1] == 2):
                time.sleep(0.05)
            time.sleep(0.5)  # some requests on the new version too
        finally:
            stop.set()
            for thread in threads:
                thread.join()

        assert failures == []
        assert 1 in seen and seen[-1] == 2
        first_v2 = seen.index(2)
        assert set(seen[first_v2 + LOAD_THREADS:]) == {2}  # once swapped (allowing in-flight), only v2
        with GeneratorClient(f"127.0.0.1:{server.grpc_port}", "m") as client:
            assert [(s["version"], s["state"]) for s in client.status()] == [(1, "END"), (2, "AVAILABLE")]


def test_interrupted_or_partial_export_never_becomes_visible(tmp_path, monkeypatch):
    export_generator(unconditional_gan(seed=1), tmp_path, "m")
    with LocalServer([ModelEntry("m", str(tmp_path / "m"), policy="all")], poll_seconds=POLL_SECONDS) as server:
        def crash(*args, **kwargs):
            raise KeyboardInterrupt("killed mid-export")

        monkeypatch.setattr(exporter, "_write_assets_extra", crash)
        with pytest.raises(KeyboardInterrupt):
            export_generator(unconditional_gan(seed=2), tmp_path, "m")
        # What a killed exporter leaves behind: a hidden, half-written temporary directory.
        partial = tmp_path / "m" / ".tmp-2-killed" / "saved_model"
        partial.mkdir(parents=True)
        (partial / "saved_model.pb").write_bytes(b"truncated")
        assert sorted(p.name for p in (tmp_path / "m").iterdir() if not p.name.startswith(".")) == ["1"]

        # A complete export after the partial one: once the server shows it, the poller has looked
        # at the folder since the partial one appeared (a fixed sleep would pass if it never ran).
        monkeypatch.undo()
        export_generator(unconditional_gan(seed=3), tmp_path, "m", version=3)
        with GeneratorClient(f"127.0.0.1:{server.grpc_port}", "m") as client:
            deadline = time.monotonic() + LOAD_SECONDS_MAX
            while ((3, "AVAILABLE") not in [(s["version"], s["state"]) for s in client.status()]
                   and time.monotonic() < deadline):
                time.sleep(POLL_SECONDS)
            assert [(s["version"], s["state"]) for s in client.status()] == [(1, "AVAILABLE"), (3, "AVAILABLE")]
            assert client.sample(2, seed=0).shape[0] == 2
