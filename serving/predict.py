"""Predict on one loaded version, with the checks and messages of TF Serving's predict_util.cc."""

import math
from dataclasses import dataclass

import grpc
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2

from serving.errors import ServingError, invalid_argument, status_code_from_int
from serving.tensors import VALUE_FIELDS, to_ndarray, write_as_field

DEFAULT_SIGNATURE = "serving_default"
# TF Serving allows INT32_MAX (model_servers/server.cc); a generator's inputs need far less, and
# every request byte may become a server allocation.
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Older exports record no batch caps; the exporter's `sample` cap was 1024.
DEFAULT_BATCH_CAP = 1024


def dtype_name(dtype):
    """TF's DataTypeString spelling ("float", "double", "int32"), as in runtime error messages."""
    return {"float32": "float", "float64": "double"}.get(tf.as_dtype(dtype).name, tf.as_dtype(dtype).name)


def _braces(names):
    return "{" + ",".join(sorted(names)) + "}"


def signature_of(servable, signature_name):
    name = signature_name or DEFAULT_SIGNATURE
    function = servable.signatures.get(name)
    if function is None:
        raise ServingError(grpc.StatusCode.FAILED_PRECONDITION, f'Serving signature key "{name}" not found.')
    return name, function


def check_input_names(sent, expected):
    if len(sent) != len(expected):
        raise invalid_argument(
            f"input size does not match signature: {len(sent)}!={len(expected)} "
            f"len({_braces(sent)}) != len({_braces(expected)}). "
            f"Sent extra: {_braces(set(sent) - set(expected))}. "
            f"Missing but required: {_braces(set(expected) - set(sent))}."
        )
    for name in sorted(sent):
        if name not in expected:
            raise invalid_argument(
                f"input tensor alias not found in signature: {name}. "
                f"Inputs expected to be in the set {_braces(expected)}."
            )


@dataclass(frozen=True)
class RequestLimits:
    """What one Predict may make the server allocate, checked before any tensor is converted.

    `max_tensor_bytes`: no input may expand to more bytes than a request can carry (the max message
    size). `default_batch_cap`: the batch cap for signatures whose export records none
    (`batch_caps` in assets.extra/model_facts.json, written by the exporter).
    """

    max_tensor_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    default_batch_cap: int = DEFAULT_BATCH_CAP


def check_batch_cap(name, batch, cap, signature_name):
    if batch > cap:
        raise invalid_argument(
            f"input '{name}' has batch size {batch} but signature '{signature_name}' accepts at most {cap} "
            f"per request; split the batch into requests of at most {cap}"
        )


def declared_shape(name, proto):
    """The TensorProto's shape as a list of ints, refusing shapes no tensor can have."""
    if proto.tensor_shape.unknown_rank:
        raise invalid_argument(f"input '{name}' has an unknown rank; a request tensor needs a full shape")
    dims = [dim.size for dim in proto.tensor_shape.dim]
    if any(size < 0 for size in dims):
        raise invalid_argument(f"input '{name}' has shape {dims}; every dimension must be >= 0")
    return dims


def check_values(name, proto, dtype, num_elements):
    """The proto must carry the values its shape declares: all of them, or the single value that
    TF's make_tensor_proto writes for a filled tensor (TF repeats it)."""
    if proto.tensor_content:
        expected = num_elements * dtype.size
        if dtype == tf.string or len(proto.tensor_content) != expected:
            raise invalid_argument(
                f"input '{name}' is not a valid tensor: tensor_content holds {len(proto.tensor_content)} bytes "
                f"but its shape and dtype need {expected}"
            )
        return
    field = VALUE_FIELDS.get(dtype)
    if field is None:
        raise invalid_argument(f"input '{name}' has dtype {dtype_name(dtype)}, which the local server does not take")
    count = len(getattr(proto, field))
    if count != num_elements and not (count == 1 and num_elements > 1):
        raise invalid_argument(
            f"input '{name}' is not a valid tensor: it holds {count} values but its shape needs {num_elements}"
        )


def _input_values(request, specs, signature_name, batch_cap, limits):
    """TensorProtos -> tensors. Dtype, shape, batch cap, size and value count are checked on the
    proto first, so a tiny request declaring a huge shape is refused without allocating it."""
    values = {}
    for index, name in enumerate(sorted(specs)):
        spec, proto = specs[name], request.inputs[name]
        if proto.dtype != spec.dtype.as_datatype_enum:
            sent = dtype_name(proto.dtype) if proto.dtype else "an unset dtype"
            raise invalid_argument(f"Expects arg[{index}] to be {dtype_name(spec.dtype)} but {sent} is provided")
        shape = declared_shape(name, proto)
        # TF Serving leaves shapes to the graph, which fails with INVALID_ARGUMENT; say so up front.
        if not spec.shape.is_compatible_with(shape):
            raise invalid_argument(
                f"input '{name}' has shape {shape} but the signature expects "
                f"{spec.shape.as_list() if spec.shape.rank is not None else 'any shape'}"
            )
        if shape:
            check_batch_cap(name, shape[0], batch_cap, signature_name)
        num_elements = math.prod(shape)  # Python ints: no overflow
        if num_elements * max(spec.dtype.size, 1) > limits.max_tensor_bytes:
            raise invalid_argument(
                f"input '{name}' of shape {shape} would take more than {limits.max_tensor_bytes} bytes, "
                "the server's max message size"
            )
        check_values(name, proto, spec.dtype, num_elements)
        try:
            array = to_ndarray(proto)
        except (TypeError, ValueError) as exc:
            raise invalid_argument(f"input '{name}' is not a valid tensor: {exc}") from None
        values[name] = tf.constant(array, dtype=spec.dtype)
    return values


def _output_names(request, outputs):
    if not request.output_filter:
        return sorted(outputs)
    seen = []
    for alias in request.output_filter:
        if alias not in outputs:
            raise invalid_argument(
                f"output tensor alias not found in signature: {alias} "
                f"Outputs expected to be in the set {_braces(outputs)}."
            )
        if alias in seen:
            raise invalid_argument(f"duplicate output tensor alias: {alias}")
        seen.append(alias)
    return seen


def batch_cap_of(servable, signature_name, limits):
    return servable.batch_caps.get(signature_name, limits.default_batch_cap)


def run_predict(servable, request, limits=RequestLimits()):
    """PredictRequest -> PredictResponse on `servable`; raises ServingError with TF Serving's code."""
    signature_name, function = signature_of(servable, request.model_spec.signature_name)
    specs = function.structured_input_signature[1]
    check_input_names(list(request.inputs), list(specs))
    wanted = _output_names(request, function.structured_outputs)
    values = _input_values(request, specs, signature_name, batch_cap_of(servable, signature_name, limits), limits)
    try:
        outputs = function(**values)
    except tf.errors.OpError as exc:  # graph-time failures: asserts, bad shapes, ...
        raise ServingError(status_code_from_int(exc.error_code), exc.message) from None

    response = predict_pb2.PredictResponse()
    response.model_spec.name = servable.name
    response.model_spec.version.value = servable.version
    response.model_spec.signature_name = signature_name
    for name in wanted:
        write_as_field(outputs[name].numpy(), response.outputs[name])
    return response
