"""Predict on one loaded version, with the checks and messages of TF Serving's predict_util.cc."""

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2

from serving.errors import ServingError, invalid_argument, status_code_from_int

DEFAULT_SIGNATURE = "serving_default"


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


def _input_values(request, specs):
    """TensorProtos -> tensors, checking dtype and shape against the signature."""
    values = {}
    for index, name in enumerate(sorted(specs)):
        spec, proto = specs[name], request.inputs[name]
        if proto.dtype != spec.dtype.as_datatype_enum:
            sent = dtype_name(proto.dtype) if proto.dtype else "an unset dtype"
            raise invalid_argument(f"Expects arg[{index}] to be {dtype_name(spec.dtype)} but {sent} is provided")
        try:
            array = tf.make_ndarray(proto)
        except (TypeError, ValueError) as exc:
            raise invalid_argument(f"input '{name}' is not a valid tensor: {exc}") from None
        # TF Serving leaves shapes to the graph, which fails with INVALID_ARGUMENT; say so up front.
        if not spec.shape.is_compatible_with(array.shape):
            raise invalid_argument(
                f"input '{name}' has shape {list(array.shape)} but the signature expects "
                f"{spec.shape.as_list() if spec.shape.rank is not None else 'any shape'}"
            )
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


def run_predict(servable, request):
    """PredictRequest -> PredictResponse on `servable`; raises ServingError with TF Serving's code."""
    signature_name, function = signature_of(servable, request.model_spec.signature_name)
    specs = function.structured_input_signature[1]
    check_input_names(list(request.inputs), list(specs))
    wanted = _output_names(request, function.structured_outputs)
    values = _input_values(request, specs)
    try:
        outputs = function(**values)
    except tf.errors.OpError as exc:  # graph-time failures: asserts, bad shapes, ...
        raise ServingError(status_code_from_int(exc.error_code), exc.message) from None

    response = predict_pb2.PredictResponse()
    response.model_spec.name = servable.name
    response.model_spec.version.value = servable.version
    response.model_spec.signature_name = signature_name
    for name in wanted:
        response.outputs[name].CopyFrom(tf.make_tensor_proto(np.asarray(outputs[name].numpy())))
    return response
