"""The local server: TF Serving's status codes and messages for bad requests, its REST API,
config files, and clean shutdown. Every bad request is followed by a good one (still serving)."""

import base64
import json
import urllib.error
import urllib.request

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving.launcher import start_server
from serving.local_server import LocalServer
from serving.model_config import ModelEntry, read_models_config, write_models_config
from serving_fixtures import BATCH_CAP, IMAGE_SHAPE, LATENT_DIM, export_test_models, served_model_entries

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_serving")

MAX_MESSAGE_BYTES = 256 * 1024
DEFAULT_BATCH_CAP = 200  # for `i2i`, whose export records no batch caps
HUGE = 10**9
C = grpc.StatusCode


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    base = tmp_path_factory.mktemp("served")
    return base, export_test_models(base)


@pytest.fixture(scope="module")
def server(tree):
    base, _ = tree
    with LocalServer(served_model_entries(base), rest_port=0, poll_seconds=0,
                     max_message_bytes=MAX_MESSAGE_BYTES, default_batch_cap=DEFAULT_BATCH_CAP) as running:
        yield running


@pytest.fixture(scope="module")
def stubs(server):
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}",
                               options=[("grpc.max_send_message_length", 8 * MAX_MESSAGE_BYTES)]) as channel:
        yield (prediction_service_pb2_grpc.PredictionServiceStub(channel),
               model_service_pb2_grpc.ModelServiceStub(channel))


# -- request builders ---------------------------------------------------------------------------
def tensor(value, dtype=None):
    return tf.make_tensor_proto(np.asarray(value) if dtype is None else value, dtype=dtype)


def predict_request(model="uncond_latest", signature="", version=None, label=None, inputs=None,
                    output_filter=()):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    if label is not None:
        request.model_spec.version_label = label
    for name, proto in (inputs or {}).items():
        request.inputs[name].CopyFrom(proto)
    request.output_filter.extend(output_filter)
    return request


def z(n=2, dim=LATENT_DIM):
    return tensor(np.zeros((n, dim), np.float32))


def sample_inputs(num_samples=2, seed=0, **extra):
    return {"num_samples": tensor(num_samples, tf.int32), "seed": tensor(seed, tf.int32), **extra}


def rpc_predict(**kwargs):
    return lambda prediction, models: prediction.Predict(predict_request(**kwargs), timeout=30)


def rpc_metadata(model="uncond_latest", fields=("signature_def",), version=None):
    def call(prediction, models):
        request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=list(fields))
        request.model_spec.name = model
        if version is not None:
            request.model_spec.version.value = version
        return prediction.GetModelMetadata(request, timeout=30)
    return call


def rpc_status(model="uncond", version=None, label=None):
    def call(prediction, models):
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = model
        if version is not None:
            request.model_spec.version.value = version
        if label is not None:
            request.model_spec.version_label = label
        return models.GetModelStatus(request, timeout=30)
    return call


def bad_tensor_content():
    proto = tensor(np.zeros((2, LATENT_DIM), np.float32))
    proto.tensor_content = proto.tensor_content[:-4]  # one float short of the declared shape
    return proto


def declared(dims, values=(), dtype=tf.float32):
    """A tensor proto declaring `dims` but carrying only `values`: a few bytes on the wire."""
    proto = tensor(np.asarray(values, dtype.as_numpy_dtype).reshape(-1))
    del proto.tensor_shape.dim[:]
    for size in dims:
        proto.tensor_shape.dim.add(size=size)
    return proto


def unknown_rank():
    proto = tensor(np.zeros((1, LATENT_DIM), np.float32))
    proto.tensor_shape.unknown_rank = True
    return proto


def typed_values(count, dims=(2, LATENT_DIM)):
    proto = declared(dims)
    proto.ClearField("tensor_content")
    proto.float_val.extend([0.0] * count)
    return proto


GRPC_CASES = {
    "missing model_spec": (lambda p, m: p.Predict(predict_pb2.PredictRequest(), timeout=30),
                           C.INVALID_ARGUMENT, "Missing ModelSpec"),
    "empty model name": (rpc_predict(model="", inputs={"z": z()}), C.INVALID_ARGUMENT, "Missing ModelSpec"),
    "unknown model": (rpc_predict(model="nope", inputs={"z": z()}),
                      C.NOT_FOUND, "Servable not found for request: Latest(nope)"),
    "unknown version": (rpc_predict(model="uncond", version=9, inputs={"z": z()}),
                        C.NOT_FOUND, "Servable not found for request: Specific(uncond, 9)"),
    "version outside specific policy": (rpc_predict(model="uncond_v1", version=2, inputs={"z": z()}),
                                        C.NOT_FOUND, "Specific(uncond_v1, 2)"),
    "version not loaded by latest policy": (rpc_predict(model="uncond_latest", version=1, inputs={"z": z()}),
                                            C.NOT_FOUND, "Specific(uncond_latest, 1)"),
    "unknown label": (rpc_predict(model="uncond", label="beta", inputs={"z": z()}),
                      C.INVALID_ARGUMENT, "Unrecognized servable version label: beta"),
    "unknown signature": (rpc_predict(signature="nope", inputs={"z": z()}),
                          C.FAILED_PRECONDITION, 'Serving signature key "nope" not found.'),
    "no inputs": (rpc_predict(inputs={}), C.INVALID_ARGUMENT,
                  "input size does not match signature: 0!=1 len({}) != len({z}). Sent extra: {}. "
                  "Missing but required: {z}."),
    "extra input": (rpc_predict(inputs={"z": z(), "extra": z()}), C.INVALID_ARGUMENT, "Sent extra: {extra}"),
    "missing labels": (rpc_predict(model="cond", inputs={"z": z()}),
                       C.INVALID_ARGUMENT, "Missing but required: {labels}"),
    "wrong input name": (rpc_predict(inputs={"latent": z()}), C.INVALID_ARGUMENT,
                         "input tensor alias not found in signature: latent. Inputs expected to be in the set {z}."),
    "latent to an image model": (rpc_predict(model="i2i", inputs={"z": z()}),
                                 C.INVALID_ARGUMENT, "input tensor alias not found in signature: z"),
    "int z": (rpc_predict(inputs={"z": tensor(np.zeros((2, LATENT_DIM), np.int32))}),
              C.INVALID_ARGUMENT, "Expects arg[0] to be float but int32 is provided"),
    "float seed": (rpc_predict(signature="sample", inputs=sample_inputs(seed=tensor(1.5, tf.float32))),
                   C.INVALID_ARGUMENT, "Expects arg[1] to be int32 but float is provided"),
    "string labels": (rpc_predict(model="cond", inputs={"z": z(), "labels": tensor([b"a", b"b"])}),
                      C.INVALID_ARGUMENT, "to be int32 but string is provided"),
    "wrong latent size": (rpc_predict(inputs={"z": z(dim=LATENT_DIM + 1)}), C.INVALID_ARGUMENT,
                          f"input 'z' has shape [2, {LATENT_DIM + 1}] but the signature expects [None, {LATENT_DIM}]"),
    "wrong z rank": (rpc_predict(inputs={"z": tensor(np.zeros(LATENT_DIM, np.float32))}),
                     C.INVALID_ARGUMENT, "input 'z' has shape [4]"),
    "num_samples not a scalar": (rpc_predict(signature="sample", inputs=sample_inputs(num_samples=tensor([2], tf.int32))),
                                 C.INVALID_ARGUMENT, "input 'num_samples' has shape [1] but the signature expects []"),
    "wrong image size": (rpc_predict(model="i2i", inputs={"images": tensor(np.zeros((1, 4, 4, 1), np.float32))}),
                         C.INVALID_ARGUMENT, "input 'images' has shape [1, 4, 4, 1]"),
    "too many samples": (rpc_predict(signature="sample", inputs=sample_inputs(num_samples=5000)),
                         C.INVALID_ARGUMENT, "num_samples must be <= 1024"),
    "zero samples": (rpc_predict(signature="sample", inputs=sample_inputs(num_samples=0)),
                     C.INVALID_ARGUMENT, "num_samples must be >= 1"),
    "negative seed": (rpc_predict(signature="sample", inputs=sample_inputs(seed=-1)),
                      C.INVALID_ARGUMENT, "seed must be >= 0"),
    "label out of range": (rpc_predict(model="cond", inputs={"z": z(), "labels": tensor(np.int32([0, 7]))}),
                           C.INVALID_ARGUMENT, "labels must be < num_classes=3"),
    "negative label": (rpc_predict(model="cond", inputs={"z": z(), "labels": tensor(np.int32([0, -2]))}),
                       C.INVALID_ARGUMENT, "labels must be >= 0"),
    "labels count differs from num_samples": (
        rpc_predict(model="cond", signature="sample", inputs=sample_inputs(labels=tensor(np.int32([1])))),
        C.INVALID_ARGUMENT, "labels must be empty or hold num_samples values"),
    "z and labels batch differ": (rpc_predict(model="cond", inputs={"z": z(3), "labels": tensor(np.int32([0, 1]))}),
                                  C.INVALID_ARGUMENT, "Dimension 0"),
    "corrupt tensor content": (rpc_predict(inputs={"z": bad_tensor_content()}),
                               C.INVALID_ARGUMENT, "input 'z' is not a valid tensor: tensor_content holds 28 bytes"),
    "too few values": (rpc_predict(inputs={"z": typed_values(3)}), C.INVALID_ARGUMENT,
                       "input 'z' is not a valid tensor: it holds 3 values but its shape needs 8"),
    "too many values": (rpc_predict(inputs={"z": typed_values(9)}), C.INVALID_ARGUMENT, "holds 9 values"),
    "no values for a non-empty shape": (rpc_predict(inputs={"z": typed_values(0)}), C.INVALID_ARGUMENT,
                                        "holds 0 values"),
    "batch over the export's cap": (rpc_predict(inputs={"z": z(BATCH_CAP + 1)}), C.INVALID_ARGUMENT,
                                    f"input 'z' has batch size {BATCH_CAP + 1} but signature 'serving_default' "
                                    f"accepts at most {BATCH_CAP} per request"),
    "batch over the default cap (export without caps)": (
        rpc_predict(model="i2i", inputs={"images": declared([DEFAULT_BATCH_CAP + 1, *IMAGE_SHAPE], [0.0])}),
        C.INVALID_ARGUMENT, f"accepts at most {DEFAULT_BATCH_CAP}"),
    "1e9 rows declared with one value": (rpc_predict(inputs={"z": declared([HUGE, LATENT_DIM], [0.5])}),
                                         C.INVALID_ARGUMENT, f"input 'z' has batch size {HUGE}"),
    "1e9 rows declared with no value": (rpc_predict(inputs={"z": declared([HUGE, LATENT_DIM])}),
                                        C.INVALID_ARGUMENT, f"input 'z' has batch size {HUGE}"),
    "1e9 labels declared to sample": (
        rpc_predict(model="cond", signature="sample", inputs=sample_inputs(labels=declared([HUGE], dtype=tf.int32))),
        C.INVALID_ARGUMENT, f"input 'labels' has batch size {HUGE} but signature 'sample'"),
    "int64-overflowing shape": (rpc_predict(inputs={"z": declared([2**62, 2**62], [0.0])}),
                                C.INVALID_ARGUMENT, f"input 'z' has shape [{2**62}, {2**62}]"),
    "negative dimension": (rpc_predict(inputs={"z": declared([-1, LATENT_DIM], [0.0])}), C.INVALID_ARGUMENT,
                           "every dimension must be >= 0"),
    "unknown rank": (rpc_predict(inputs={"z": unknown_rank()}), C.INVALID_ARGUMENT, "unknown rank"),
    "negative version": (rpc_predict(model="uncond", version=-1, inputs={"z": z()}),
                         C.NOT_FOUND, "Specific(uncond, -1)"),
    "unknown output filter": (rpc_predict(inputs={"z": z()}, output_filter=["nope"]), C.INVALID_ARGUMENT,
                              "output tensor alias not found in signature: nope Outputs expected to be in the set {images}."),
    "duplicate output filter": (rpc_predict(inputs={"z": z()}, output_filter=["images", "images"]),
                                C.INVALID_ARGUMENT, "duplicate output tensor alias: images"),
    "oversized message": (rpc_predict(inputs={"z": z(n=(MAX_MESSAGE_BYTES // (4 * LATENT_DIM)) + 100)}),
                          C.RESOURCE_EXHAUSTED, "Received message larger than max"),
    "metadata without field": (rpc_metadata(fields=()), C.INVALID_ARGUMENT,
                               "GetModelMetadataRequest must specify at least one metadata_field"),
    "metadata unsupported field": (rpc_metadata(fields=("signature_def", "graph")),
                                   C.INVALID_ARGUMENT, "Metadata field graph is not supported"),
    "metadata unknown model": (rpc_metadata(model="nope"), C.NOT_FOUND, "Servable not found for request: Latest(nope)"),
    "metadata unknown version": (rpc_metadata(model="uncond", version=5), C.NOT_FOUND, "Specific(uncond, 5)"),
    "status unknown model": (rpc_status(model="nope"), C.NOT_FOUND, "Could not find any versions of model nope"),
    "status unknown version": (rpc_status(version=9), C.NOT_FOUND, "Could not find version 9 of model uncond"),
    "status unknown label": (rpc_status(label="beta"), C.INVALID_ARGUMENT, "Unrecognized servable version label: beta"),
    "status without model_spec": (lambda p, m: m.GetModelStatus(get_model_status_pb2.GetModelStatusRequest(), timeout=30),
                                  C.INVALID_ARGUMENT, "Missing ModelSpec"),
    "classify": (lambda p, m: p.Classify(classification_pb2.ClassificationRequest(), timeout=30),
                 C.UNIMPLEMENTED, "Classify is not supported"),
}


def assert_still_serving(prediction):
    response = prediction.Predict(predict_request(inputs={"z": z(1)}), timeout=30)
    assert tf.make_ndarray(response.outputs["images"]).shape == (1, *IMAGE_SHAPE)


@pytest.mark.parametrize("case", GRPC_CASES, ids=list(GRPC_CASES))
def test_bad_grpc_request_gets_tf_serving_status(stubs, case):
    call, code, message = GRPC_CASES[case]
    with pytest.raises(grpc.RpcError) as info:
        call(*stubs)
    assert info.value.code() == code, info.value.details()
    assert message in info.value.details()
    assert_still_serving(stubs[0])


# -- REST ---------------------------------------------------------------------------------------
def rest(server, path, body=None, method=None):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{server.rest_port}{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


Z_ROW = [0.0] * LATENT_DIM
REST_CASES = {
    "malformed JSON": ("/v1/models/uncond_latest:predict", b"{not json", 400, "JSON Parse error"),
    "body not an object": ("/v1/models/uncond_latest:predict", [1, 2], 400, "must be a JSON object"),
    "both instances and inputs": ("/v1/models/uncond_latest:predict", {"instances": [Z_ROW], "inputs": [Z_ROW]}, 400,
                                  "expecting only one of 'inputs' or 'instances' keys"),
    "neither instances nor inputs": ("/v1/models/uncond_latest:predict", {"signature_name": "sample"}, 400,
                                     "Missing 'inputs' or 'instances' key"),
    "empty instances": ("/v1/models/uncond_latest:predict", {"instances": []}, 400, "No values in 'instances' array"),
    "instances not a list": ("/v1/models/uncond_latest:predict", {"instances": 3}, 400, "to be an list/array"),
    "string for a float": ("/v1/models/uncond_latest:predict", {"instances": [["a", 0, 0, 0]]}, 400,
                           'JSON Value: "a" is not of expected type: float'),
    "float for an int": ("/v1/models/uncond_latest:predict",
                         {"signature_name": "sample", "inputs": {"num_samples": 1.5, "seed": 0}}, 400,
                         "JSON Value: 1.5 is not of expected type: int32"),
    "ragged instances": ("/v1/models/uncond_latest:predict", {"instances": [Z_ROW, [0.0]]}, 400, "Expecting shape"),
    "instances missing a named input": ("/v1/models/cond:predict",
                                        {"instances": [{"z": Z_ROW, "labels": 0}, {"z": Z_ROW}]}, 400,
                                        "Missing named input"),
    "signature_name not a string": ("/v1/models/uncond_latest:predict", {"signature_name": 1, "instances": [Z_ROW]},
                                    400, "'signature_name' key must be a string value."),
    "unknown signature": ("/v1/models/uncond_latest:predict", {"signature_name": "nope", "instances": [Z_ROW]}, 400,
                          'Serving signature name: "nope" not found in signature def'),
    "unknown model": ("/v1/models/nope:predict", {"instances": [Z_ROW]}, 404,
                      "Servable not found for request: Latest(nope)"),
    "unknown version": ("/v1/models/uncond/versions/7:predict", {"instances": [Z_ROW]}, 404, "Specific(uncond, 7)"),
    "unknown label": ("/v1/models/uncond/labels/beta:predict", {"instances": [Z_ROW]}, 400,
                      "Unrecognized servable version label: beta"),
    "wrong input name": ("/v1/models/uncond_latest:predict", {"inputs": {"latent": [Z_ROW]}}, 400,
                         "input tensor alias not found in signature: latent"),
    "negative seed": ("/v1/models/uncond_latest:predict",
                      {"signature_name": "sample", "inputs": {"num_samples": 1, "seed": -4}}, 400, "seed must be >= 0"),
    "too many samples": ("/v1/models/uncond_latest:predict",
                         {"signature_name": "sample", "inputs": {"num_samples": 4096, "seed": 0}}, 400,
                         "num_samples must be <= 1024"),
    "classify": ("/v1/models/uncond_latest:classify", {"examples": []}, 501, "classify is not supported"),
    "unknown path": ("/v2/whatever", {"instances": [Z_ROW]}, 400, "Malformed request: POST /v2/whatever"),
    "oversized body": ("/v1/models/uncond_latest:predict", b" " * (MAX_MESSAGE_BYTES + 1), 413, "exceeds the limit"),
    "rows over the batch cap": ("/v1/models/uncond_latest:predict", {"instances": [Z_ROW] * (BATCH_CAP + 1)}, 400,
                                f"input 'z' has batch size {BATCH_CAP + 1}"),
    "columnar batch over the default cap": ("/v1/models/i2i:predict", {"inputs": [0] * (DEFAULT_BATCH_CAP + 1)},
                                            400, f"accepts at most {DEFAULT_BATCH_CAP}"),
    "version beyond int64": ("/v1/models/uncond/versions/99999999999999999999:predict", {"instances": [Z_ROW]}, 400,
                             "Failed to convert version: 99999999999999999999 to numeric."),
    "version of 5000 digits": ("/v1/models/uncond/versions/" + "9" * 5000 + ":predict", {"instances": [Z_ROW]},
                               400, "Failed to convert version"),
    "JSON nested past the recursion limit": ("/v1/models/uncond_latest:predict", b"[" * 100_000, 400,
                                             "JSON Parse error"),
    "instances nested deeper than the signature": ("/v1/models/uncond_latest:predict",
                                                   {"instances": [[[[[[0.0]]]]]]}, 400,
                                                   "input 'z' is nested deeper than the signature's rank 2"),
    "int beyond int32": ("/v1/models/uncond_latest:predict",
                         {"signature_name": "sample", "inputs": {"num_samples": 2**40, "seed": 0}}, 400,
                         f"JSON Value: {2**40} is not of expected type: int32"),
    "integer beyond any float": ("/v1/models/uncond_latest:predict", {"instances": [[10**400, 0, 0, 0]]}, 400,
                                 "is not of expected type: float"),
    "body not UTF-8": ("/v1/models/uncond_latest:predict", b"\xff\xfe{}", 400, "JSON Parse error"),
}


@pytest.mark.parametrize("case", REST_CASES, ids=list(REST_CASES))
def test_bad_rest_request_gets_tf_serving_status(server, stubs, case):
    path, body, http_status, message = REST_CASES[case]
    status, payload = rest(server, path, body)
    assert status == http_status, payload
    assert set(payload) == {"error"} and message in payload["error"]
    assert_still_serving(stubs[0])


def test_rest_get_errors(server):
    assert rest(server, "/v1/models/nope") == (404, {"error": "Could not find any versions of model nope"})
    assert rest(server, "/v1/models") == (400, {"error": "Missing model name in request."})
    status, payload = rest(server, "/v1/models/uncond_latest:predict")  # GET on :predict
    assert status == 400 and payload["error"].startswith("Malformed request: GET")
    assert rest(server, "/v1/models/uncond/versions/99999999999999999999") == (
        400, {"error": "Failed to convert version: 99999999999999999999 to numeric."})


def test_rest_row_format_matches_grpc(server, stubs, tree):
    _, models = tree
    rows = np.random.default_rng(0).normal(size=(3, LATENT_DIM)).astype(np.float32)
    status, payload = rest(server, "/v1/models/uncond_latest:predict", {"instances": rows.tolist()})
    assert status == 200
    expected = tf.make_ndarray(stubs[0].Predict(predict_request(inputs={"z": tensor(rows)})).outputs["images"])
    np.testing.assert_allclose(np.array(payload["predictions"], np.float32), expected, rtol=0, atol=1e-7)

    named_rows = [{"z": row, "labels": label} for row, label in zip(rows.tolist(), [0, 2, 1])]
    status, payload = rest(server, "/v1/models/cond:predict", {"instances": named_rows})
    assert status == 200 and np.array(payload["predictions"]).shape == (3, *IMAGE_SHAPE)


def test_rest_columnar_format_and_versions(server, tree):
    _, models = tree
    body = {"signature_name": "sample", "inputs": {"num_samples": 2, "seed": 3}}
    for path, version in [("/v1/models/uncond/versions/1:predict", 1), ("/v1/models/uncond/labels/canary:predict", 2)]:
        status, payload = rest(server, path, body)
        assert status == 200
        np.testing.assert_allclose(np.array(payload["outputs"], np.float32),
                                   models[("uncond", version)].sample(2, seed=3), atol=1e-6, rtol=0)


def test_rest_png_output_is_base64(server):
    body = {"signature_name": "sample_png", "inputs": {"num_samples": 2, "seed": 0}}
    status, payload = rest(server, "/v1/models/uncond_latest:predict", body)
    assert status == 200 and len(payload["outputs"]) == 2
    assert base64.b64decode(payload["outputs"][0]["b64"]).startswith(b"\x89PNG")


def test_rest_special_floats_are_accepted_and_emitted(server):
    image = np.zeros(IMAGE_SHAPE).tolist()
    image[0][0][0] = float("nan")
    body = json.dumps({"instances": [image]}).encode()  # json writes NaN, as TF Serving accepts
    assert b"NaN" in body
    status, payload = rest(server, "/v1/models/i2i:predict", body)
    assert status == 200 and np.isnan(np.array(payload["predictions"], np.float32)).any()


def test_rest_status_and_metadata(server):
    status, payload = rest(server, "/v1/models/uncond")
    assert status == 200
    assert payload == {"model_version_status": [
        {"version": str(v), "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}} for v in (1, 2)
    ]}
    assert rest(server, "/v1/models/uncond/labels/stable")[1]["model_version_status"][0]["version"] == "1"
    status, payload = rest(server, "/v1/models/cond/metadata")
    assert status == 200 and payload["model_spec"]["name"] == "cond" and payload["model_spec"]["version"] == "1"
    signature = payload["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert signature["inputs"]["labels"]["dtype"] == "DT_INT32"
    assert signature["outputs"]["images"]["dtype"] == "DT_FLOAT"


# -- configuration, start-up, shutdown -------------------------------------------------------------
def test_models_config_round_trip(tmp_path):
    entries = [
        ModelEntry("a", str(tmp_path / "a"), policy="latest", num_versions=2, labels={"stable": 1}),
        ModelEntry("b", str(tmp_path / "b"), policy="all"),
        ModelEntry("c", str(tmp_path / "c"), policy="specific", versions=(3, 5)),
    ]
    path = write_models_config(entries, tmp_path / "models.config")
    text = path.read_text()
    assert "model_config_list" in text and "num_versions: 2" in text and 'key: "stable"' in text
    assert read_models_config(path) == entries
    with pytest.raises(ValueError, match=r"\[a-zA-Z0-9_\]\+"):
        ModelEntry("a", "x", labels={"bad-label": 1})
    with pytest.raises(ValueError, match="version policy"):
        ModelEntry("a", "x", policy="newest")


def test_label_on_an_unavailable_version_is_refused(tree):
    base, _ = tree
    entry = ModelEntry("uncond", str(base / "uncond"), labels={"stable": 1})  # latest: only 2 is loaded
    with pytest.raises(Exception, match="version 1 of model uncond, which is not currently available"):
        LocalServer([entry], poll_seconds=0).start()


def test_failed_version_is_reported_and_the_rest_keep_serving(tmp_path, tree):
    base, _ = tree
    broken = tmp_path / "uncond"
    broken.mkdir()
    (broken / "3").mkdir()  # not a SavedModel
    import shutil

    shutil.copytree(base / "uncond" / "1", broken / "1")
    with LocalServer([ModelEntry("m", str(broken), policy="all")], poll_seconds=0, max_num_load_retries=0) as server:
        states = {v: s for v, s in server.manager.status(predict_request(model="m").model_spec).items()}
        assert states[1].state == get_model_status_pb2.ModelVersionStatus.State.AVAILABLE
        assert states[3].state == get_model_status_pb2.ModelVersionStatus.State.END
        assert "Failed to load" in states[3].error_message


@pytest.mark.slow  # a server subprocess
def test_serve_subprocess_starts_and_stops_cleanly_on_sigterm(tree, tmp_path):
    base, _ = tree
    entries = [ModelEntry("uncond", str(base / "uncond"))]
    handle = start_server(entries=entries, use_tf_serving=False, rest_port=0, log_file=tmp_path / "server.log")
    assert handle.kind == "local" and handle.grpc_port and handle.rest_port
    channel = grpc.insecure_channel(handle.grpc_target)
    response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(
        predict_request(model="uncond", inputs={"z": z(1)}), timeout=30)
    assert response.model_spec.version.value == 2
    channel.close()
    assert handle.stop() == 0  # SIGTERM -> graceful stop -> exit code 0
    assert "shutting down" in (tmp_path / "server.log").read_text()
