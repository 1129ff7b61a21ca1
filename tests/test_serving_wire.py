"""The serving fast path's wire forms: requests as `tensor_content`, responses as TF Serving writes
them (Tensor::AsProtoField: each dtype's typed field), REST JSON written and read by numpy as a
whole. Each is checked against TensorFlow's own TensorProto reader and Python's json module."""

import base64
import json

import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2
from tensorflow_serving.apis import predict_pb2

from serving.client import GeneratorClient
from serving.local_server import LocalServer
from serving.rest_api import array_to_json, json_to_array, predict_response_to_json
from serving.tensors import VALUE_FIELDS, to_ndarray, write_as_content, write_as_field
from serving_fixtures import IMAGE_SHAPE, export_test_models, served_model_entries

pytestmark = pytest.mark.xdist_group("test_serving_wire")

RNG = np.random.default_rng(0)
ARRAYS = {
    "float32": RNG.normal(size=(2, 3, 1)).astype(np.float32),
    "float32 specials": np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45, 3.4028235e38], np.float32),
    "float64": RNG.normal(size=(4,)),
    "float16": RNG.normal(size=(2, 2)).astype(np.float16),
    "bfloat16": RNG.normal(size=(3,)).astype(ml_dtypes.bfloat16),
    "int32": np.array([-2**31, -1, 0, 2**31 - 1], np.int32),
    "int8": np.array([-128, 127], np.int8),
    "uint8": np.array([[0, 255]], np.uint8),
    "int16": np.array([-32768, 32767], np.int16),
    "uint16": np.array([0, 65535], np.uint16),
    "int64": np.array([-2**63, 2**63 - 1], np.int64),
    "uint32": np.array([0, 2**32 - 1], np.uint32),
    "uint64": np.array([0, 2**64 - 1], np.uint64),
    "bool": np.array([[True], [False]]),
    "complex64": np.array([1 + 2j, -3.5j], np.complex64),
    "string": np.array([b"png", b"\x00\xff", b""], object),
    "scalar": np.array(7, np.int32),
    "empty": np.zeros((0, 3), np.float32),
}


def assert_same(actual, expected):
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    if expected.dtype == object:
        assert actual.tolist() == expected.tolist()
    else:  # bit for bit, NaN and -0.0 included
        assert actual.tobytes() == expected.tobytes()


@pytest.mark.parametrize("name", ARRAYS)
def test_field_form_is_tensorflows_and_reads_back(name):
    array = ARRAYS[name]
    proto = write_as_field(array, tensor_pb2.TensorProto())
    dtype = tf.as_dtype(array.dtype)
    assert proto.dtype == dtype.as_datatype_enum and not proto.tensor_content
    assert proto.HasField("tensor_shape") and [d.size for d in proto.tensor_shape.dim] == list(array.shape)
    assert len(getattr(proto, VALUE_FIELDS[dtype])) == array.size * (2 if dtype.is_complex else 1)
    assert_same(to_ndarray(proto), array)
    assert_same(tf.make_ndarray(proto), array)
    # TensorFlow's C++ reader (Tensor::FromProto, what TF Serving runs) takes the same tensor.
    assert_same(tf.io.parse_tensor(proto.SerializeToString(), dtype).numpy(), array)


@pytest.mark.parametrize("name", ARRAYS)
def test_content_form_carries_the_raw_bytes(name):
    array = ARRAYS[name]
    proto = write_as_content(array, tensor_pb2.TensorProto())
    if array.dtype == object:  # strings have no fixed width: TF writes them to string_val as well
        assert not proto.tensor_content and len(proto.string_val) == array.size
    else:
        assert proto.tensor_content == array.tobytes()
    assert_same(to_ndarray(proto), array)
    assert_same(tf.io.parse_tensor(proto.SerializeToString(), tf.as_dtype(array.dtype)).numpy(), array)


def test_fewer_values_than_the_shape_repeat_the_last_as_in_tensorflow():
    proto = tensor_pb2.TensorProto(dtype=tf.float32.as_datatype_enum, float_val=[1.0, 2.0])
    proto.tensor_shape.dim.add(size=4)
    expected = tf.io.parse_tensor(proto.SerializeToString(), tf.float32).numpy()
    assert_same(to_ndarray(proto), expected)
    assert expected.tolist() == [1.0, 2.0, 2.0, 2.0]


# -- JSON ---------------------------------------------------------------------------------------
def test_float32_json_reads_back_bit_for_bit():
    values = np.concatenate([
        RNG.integers(0, 2**32, size=100_000, dtype=np.uint64).astype(np.uint32).view(np.float32),
        ARRAYS["float32 specials"],
        np.array([0.1, 1.0, 10.0, 100.0, 1e9, 9.999999e8, 16777216.0, 1e-5, 1.1754944e-38], np.float32),
    ])
    text = array_to_json(values, "x")
    back = np.array(json.loads(text), np.float32)
    same = (back.view(np.uint32) == values.view(np.uint32)) | (np.isnan(back) & np.isnan(values))
    assert same.all()
    assert array_to_json(np.array([0.5, -2.0, np.nan], np.float32), "x") == b"[5.0e-01,-2.0,NaN]"


@pytest.mark.parametrize("name", ["float32", "float64", "int32", "uint64", "bool", "scalar", "empty"])
def test_json_has_the_arrays_nesting_and_values(name):
    array = ARRAYS[name]
    values = json.loads(array_to_json(array, "x"))
    assert np.array(values).shape == np.array(array.tolist()).shape
    assert_same(np.array(values, array.dtype).reshape(array.shape), array)


def test_json_bytes_outputs_are_base64():
    text = array_to_json(ARRAYS["string"], "images_bytes")
    assert [base64.b64decode(item["b64"]) for item in json.loads(text)] == ARRAYS["string"].tolist()
    assert json.loads(array_to_json(np.array([b"caf\xc3\xa9"], object), "label")) == ["café"]


def test_json_answer_of_several_outputs_in_both_formats():
    scores, pngs = np.array([0.5, -1.0], np.float32), np.array([b"a", b"b"], object)
    response = predict_pb2.PredictResponse()
    write_as_field(scores, response.outputs["scores"])
    write_as_field(pngs, response.outputs["images_bytes"])
    b64 = [{"b64": base64.b64encode(png).decode()} for png in pngs.tolist()]
    assert json.loads(predict_response_to_json(response, "columnar")) == {
        "outputs": {"scores": [0.5, -1.0], "images_bytes": b64}}
    assert json.loads(predict_response_to_json(response, "row")) == {
        "predictions": [{"scores": 0.5, "images_bytes": b64[0]}, {"scores": -1.0, "images_bytes": b64[1]}]}


def test_json_inputs_become_arrays_of_the_signatures_dtype():
    z = RNG.normal(size=(3, 4)).astype(np.float32)
    assert_same(json_to_array(z.tolist(), tf.float32, "z", 2), z)
    assert_same(json_to_array([[1, 2.5]], tf.float32, "z", 2), np.array([[1, 2.5]], np.float32))
    assert_same(json_to_array(7, tf.int32, "seed", 0), np.array(7, np.int32))
    assert_same(json_to_array([True, False], tf.bool, "b", 1), np.array([True, False]))
    assert_same(json_to_array(["a", {"b64": "AAE="}], tf.string, "s", 1), np.array([b"a", b"\x00\x01"], object))
    assert_same(json_to_array("a", tf.string, "s", 0), np.array(b"a", object))
    assert_same(json_to_array([[], []], tf.float32, "z", 2), np.zeros((2, 0), np.float32))


# -- the local server ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("served")
    models = export_test_models(base)
    with LocalServer(served_model_entries(base), poll_seconds=0) as server:
        with GeneratorClient(f"127.0.0.1:{server.grpc_port}", "uncond_latest") as client:
            yield client, models


def test_client_sends_tensor_content(served):
    client, _ = served
    request = client.predict_request("sample", {"num_samples": np.int32(3), "seed": np.int32(0)})
    for name, proto in request.inputs.items():
        assert proto.tensor_content and not proto.int_val, name
    assert request.inputs["num_samples"].dtype == tf.int32.as_datatype_enum


def test_server_answers_as_tf_serving_writes_it(served):
    client, models = served
    response = client._call(client._predict.Predict,
                            client.predict_request("sample", {"num_samples": np.int32(3), "seed": np.int32(5)}))
    images = response.outputs["images"]
    assert images.dtype == tf.float32.as_datatype_enum and not images.tensor_content
    assert [d.size for d in images.tensor_shape.dim] == [3, *IMAGE_SHAPE]
    assert len(images.float_val) == 3 * np.prod(IMAGE_SHAPE)
    np.testing.assert_allclose(client.sample(3, seed=5), models[("uncond", 2)].sample(3, seed=5), atol=1e-6, rtol=0)

    response = client._call(client._predict.Predict,
                            client.predict_request("sample_png", {"num_samples": np.int32(2), "seed": np.int32(0)}))
    pngs = response.outputs["images_bytes"]
    assert pngs.dtype == tf.string.as_datatype_enum and [d.size for d in pngs.tensor_shape.dim] == [2]
    assert all(png.startswith(b"\x89PNG") for png in pngs.string_val)
