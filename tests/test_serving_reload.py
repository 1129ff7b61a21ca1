"""Changing the served models while serving: HandleReloadConfigRequest and the models.config poll.

One tiny export, copied to a second version, backs every model name (as in serving_fixtures).
"""

import os
import shutil
import threading
import time

import grpc
import pytest
import tensorflow as tf
from tensorflow_serving.apis import model_management_pb2, model_service_pb2_grpc, predict_pb2, prediction_service_pb2_grpc

from export import export_generator
from serving.client import GeneratorClient
from serving.launcher import start_server
from serving.local_server import LocalServer, build_parser
from serving.model_config import ModelEntry, models_config_text
from serving_fixtures import unconditional_gan

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_serving_reload")

C = grpc.StatusCode
POLL_SECONDS = 0.2
WAIT_SECONDS = 30.0


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """`m/1` and `m/2` (a copy: the version numbers are what these tests look at)."""
    root = tmp_path_factory.mktemp("reload")
    export_generator(unconditional_gan(seed=1), root, "m", version=1)
    shutil.copytree(root / "m" / "1", root / "m" / "2")
    return root


def entry(base, name, **policy):
    return ModelEntry(name, str(base / "m"), **policy)


@pytest.fixture
def serve():
    """start(entries) -> (server, prediction stub, model stub); stopped after the test."""
    started = []

    def start(entries):
        server = LocalServer(entries, poll_seconds=0).start()
        channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}")
        started.append((server, channel))
        return (server, prediction_service_pb2_grpc.PredictionServiceStub(channel),
                model_service_pb2_grpc.ModelServiceStub(channel))

    yield start
    for server, channel in started:
        channel.close()
        server.stop()


def predict_request(model, label=None):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    if label:
        request.model_spec.version_label = label
    return request


def predict(stub, model, label=None):
    """The version that answered a `sample` request."""
    request = predict_request(model, label)
    request.model_spec.signature_name = "sample"
    request.inputs["num_samples"].CopyFrom(tf.make_tensor_proto(1, dtype=tf.int32))
    request.inputs["seed"].CopyFrom(tf.make_tensor_proto(0, dtype=tf.int32))
    return stub.Predict(request, timeout=30).model_spec.version.value


def reload_request(entries):
    request = model_management_pb2.ReloadConfigRequest()
    request.config.model_config_list.config.extend(e.to_proto() for e in entries)
    return request


def states(server, model):
    with GeneratorClient(f"127.0.0.1:{server.grpc_port}", model) as client:
        return [(s["version"], s["state"]) for s in client.status()]


def rpc_error(call, *args):
    with pytest.raises(grpc.RpcError) as info:
        call(*args, timeout=30)
    return info.value.code(), info.value.details()


def test_reload_adds_and_removes_models_without_a_gap_for_the_kept_one(base, serve):
    server, predictions, models = serve([entry(base, "kept"), entry(base, "gone", policy="specific", versions=(1,))])
    kept = server.manager.models["kept"].loaded[2]
    stop, seen, failures = threading.Event(), [], []

    def load():  # requests on the kept model all through the reload
        deadline = time.monotonic() + WAIT_SECONDS
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                seen.append(predict(predictions, "kept"))
            except grpc.RpcError as error:
                failures.append(f"{error.code()}: {error.details()}")

    thread = threading.Thread(target=load)
    thread.start()
    try:
        response = models.HandleReloadConfigRequest(reload_request([entry(base, "kept"), entry(base, "new")]), timeout=60)
    finally:
        stop.set()
        thread.join()

    assert response.HasField("status") and response.status.error_code == 0
    assert failures == [] and seen and set(seen) == {2}
    assert server.manager.models["kept"].loaded[2] is kept  # kept as loaded, not reloaded
    assert predict(predictions, "new") == 2
    assert rpc_error(predictions.Predict, predict_request("gone")) == (
        C.NOT_FOUND, "Servable not found for request: Latest(gone)")
    assert states(server, "gone") == [(1, "END")]
    assert states(server, "new") == [(2, "AVAILABLE")]


def test_reload_changes_version_policy_and_labels(base, serve):
    server, predictions, models = serve([entry(base, "m", labels={"stable": 2})])
    models.HandleReloadConfigRequest(
        reload_request([entry(base, "m", policy="all", labels={"stable": 1, "canary": 2})]), timeout=60)
    assert states(server, "m") == [(1, "AVAILABLE"), (2, "AVAILABLE")]
    assert (predict(predictions, "m", "stable"), predict(predictions, "m", "canary")) == (1, 2)

    models.HandleReloadConfigRequest(reload_request([entry(base, "m", policy="specific", versions=(1,))]), timeout=60)
    assert states(server, "m") == [(1, "AVAILABLE"), (2, "END")]
    assert predict(predictions, "m") == 1
    assert rpc_error(predictions.Predict, predict_request("m", label="canary")) == (
        C.INVALID_ARGUMENT, "Unrecognized servable version label: canary")


def bad_configs(base):
    custom = model_management_pb2.ReloadConfigRequest()
    custom.config.custom_model_config.SetInParent()
    unsupported = (C.INVALID_ARGUMENT, "ServerModelConfig type not supported by HandleReloadConfigRequest. "
                                       "Only ModelConfigList is currently supported")
    return [
        (reload_request([entry(base, "m", labels={"stable": 1}), entry(base, "other")]),  # latest: only 2
         (C.FAILED_PRECONDITION, "Request to assign label to version 1 of model m, which is not currently "
                                 "available for inference (label stable)")),
        (reload_request([entry(base, "other"), entry(base, "other")]),
         (C.INVALID_ARGUMENT, "Illegal to list model other multiple times in config list")),
        (model_management_pb2.ReloadConfigRequest(), unsupported),  # empty config
        (custom, unsupported),
    ]


def test_bad_config_is_rejected_and_the_old_one_keeps_serving(base, serve):
    server, predictions, models = serve([entry(base, "m", policy="all", labels={"stable": 1})])
    for request, expected in bad_configs(base):
        assert rpc_error(models.HandleReloadConfigRequest, request) == expected
        assert states(server, "m") == [(1, "AVAILABLE"), (2, "AVAILABLE")]
        assert (predict(predictions, "m"), predict(predictions, "m", "stable")) == (2, 1)
        assert rpc_error(predictions.Predict, predict_request("other"))[0] == C.NOT_FOUND


def write_atomically(path, text):
    """Like a deployment tool: the poller never reads a half-written file."""
    path.with_suffix(".tmp").write_text(text)
    os.replace(path.with_suffix(".tmp"), path)


def wait_for(condition, what):
    deadline, tries = time.monotonic() + WAIT_SECONDS, 0
    while time.monotonic() < deadline and tries < WAIT_SECONDS / 0.1:
        if condition():
            return
        time.sleep(0.1)
        tries += 1
    raise AssertionError(f"timed out waiting for {what}")


def serves(target, model):
    with GeneratorClient(target, model, max_attempts=1) as client:
        try:
            return any(s["state"] == "AVAILABLE" for s in client.status())
        except Exception:
            return False


@pytest.mark.slow  # a server subprocess
def test_config_file_poll_applies_edits_and_keeps_serving_through_bad_files(base, tmp_path):
    config = tmp_path / "models.config"
    write_atomically(config, models_config_text([entry(base, "a")]))
    log_file = tmp_path / "server.log"
    # The subprocess path: the launcher passes --model_config_file_poll_wait_seconds to the server.
    with start_server(config_file=config, use_tf_serving=False, rest_port=None, poll_seconds=0,
                      config_poll_seconds=POLL_SECONDS, log_file=log_file) as handle:
        write_atomically(config, models_config_text([entry(base, "a"), entry(base, "b")]))
        wait_for(lambda: serves(handle.grpc_target, "b"), "model b from the edited config file")

        for bad in ("model_config_list { config { name: ", models_config_text([entry(base, "a", labels={"x": 1})])):
            write_atomically(config, bad)
            errors = log_file.read_text().count("config-file-poller: poll failed")
            wait_for(lambda: log_file.read_text().count("config-file-poller: poll failed") > errors + 1,
                     "the bad config file to be logged")
            assert serves(handle.grpc_target, "a") and serves(handle.grpc_target, "b")

        write_atomically(config, models_config_text([entry(base, "b")]))
        wait_for(lambda: not serves(handle.grpc_target, "a"), "model a to be unloaded")
        with grpc.insecure_channel(handle.grpc_target) as channel:
            assert predict(prediction_service_pb2_grpc.PredictionServiceStub(channel), "b") == 2


def test_config_file_poll_is_off_by_default_as_in_tf_serving():
    assert build_parser().parse_args([]).model_config_file_poll_wait_seconds == 0
