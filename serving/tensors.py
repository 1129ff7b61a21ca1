"""numpy <-> TensorProto without a Python step per element, in the forms TF Serving uses.

Requests go out as `tensor_content` (raw little-endian bytes), which TF Serving accepts beside the
typed value fields (Tensor::FromProto reads either). Responses come back the way TF Serving writes
them by default: `Tensor::AsProtoField`, i.e. each dtype's typed field (`float_val`, `int_val`,
`half_val`, `string_val`, ...), never `tensor_content`; see PostProcessPredictionResult in
tensorflow_serving/servables/tensorflow/predict_util.cc, whose RunPredict passes kAsProtoField
"for backward compatibility" (only --enable_serialization_as_tensor_content, server.cc, changes it).

Filling a repeated field through the protobuf API costs one Python object per value (~2 ms per
50k floats). Those fields are `[packed = true]`, and a packed field's wire form is a tag, a byte
length and the values back to back (https://protobuf.dev/programming-guides/encoding/#packed):
raw little-endian bytes for float/double, varints for the integer kinds. So the field is written
as those bytes, built by numpy, and merged into the message by the C parser. Reading one back,
numpy copies a repeated field through its `__array__` in one call.
"""

import math

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2

# The typed field of each dtype, as TF's ProtoHelper<T> (tensorflow/core/framework/tensor.cc)
# and tensor.proto define them; half and bfloat16 travel as their 16-bit patterns.
VALUE_FIELDS = {
    tf.float32: "float_val", tf.float64: "double_val", tf.float16: "half_val", tf.bfloat16: "half_val",
    tf.int32: "int_val", tf.int16: "int_val", tf.int8: "int_val", tf.uint8: "int_val", tf.uint16: "int_val",
    tf.int64: "int64_val", tf.uint32: "uint32_val", tf.uint64: "uint64_val", tf.bool: "bool_val",
    tf.complex64: "scomplex_val", tf.complex128: "dcomplex_val", tf.string: "string_val",
}
_FIELD_NUMBERS = {field.name: field.number for field in tensor_pb2.TensorProto.DESCRIPTOR.fields}
# Fields whose packed values are the array's own little-endian bytes (fixed32 / fixed64 on the
# wire; a complex number is its real and imaginary parts).
_FIXED_WIDTH = {"float_val": "<f4", "double_val": "<f8", "scomplex_val": "<f4", "dcomplex_val": "<f8"}
_VARINT_SHIFTS = np.arange(0, 64, 7, dtype=np.uint64)  # a 64-bit varint has at most 10 groups of 7 bits


def _varint(value):
    """One varint, for a field's header (numpy's fixed cost would exceed a small tensor's)."""
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out + bytes([value]))


def _varints(values):
    """uint64 array -> the concatenated base-128 varints, least significant group first."""
    groups = (values[:, None] >> _VARINT_SHIFTS) & 0x7F
    lengths = np.maximum(1, ((values[:, None] >> _VARINT_SHIFTS) != 0).sum(axis=1))
    position = np.arange(len(_VARINT_SHIFTS))
    more = (position < (lengths - 1)[:, None]).astype(np.uint64) << 7
    return (groups | more).astype(np.uint8)[position < lengths[:, None]].tobytes()


def _packed_values(field, flat):
    """`flat`'s values in the wire form of the packed repeated `field`."""
    if field in _FIXED_WIDTH:
        return flat.astype(flat.dtype.newbyteorder("<"), copy=False).tobytes()
    if field == "half_val":  # 16-bit patterns as int32 varints
        return _varints(flat.view(np.uint16).astype(np.uint64))
    # Signed fields are int32/int64: negatives are 10-byte varints of their 64-bit two's complement.
    return _varints(flat.astype(np.int64).view(np.uint64) if flat.dtype.kind == "i" else flat.astype(np.uint64))


def _start(proto, array, dtype):
    proto.dtype = dtype.as_datatype_enum
    proto.tensor_shape.SetInParent()  # TF writes the shape of a scalar too: present and empty
    for size in array.shape:
        proto.tensor_shape.dim.add(size=size)


def _string_values(flat):
    return [value if isinstance(value, bytes) else str(value).encode() for value in flat.tolist()]


def write_as_field(array, proto, dtype=None):
    """Fill the empty TensorProto `proto` with `array` as TF's Tensor::AsProtoField writes it."""
    dtype = tf.as_dtype(dtype or array.dtype)
    array = np.asarray(array, None if dtype == tf.string else dtype.as_numpy_dtype)
    _start(proto, array, dtype)
    field = VALUE_FIELDS.get(dtype)
    if field is None:
        raise ValueError(f"no TensorProto value field for dtype {dtype.name}")
    flat = array.reshape(-1)
    if not flat.size:
        return proto
    if field == "string_val":
        proto.string_val.extend(_string_values(flat))
        return proto
    payload = _packed_values(field, np.ascontiguousarray(flat))
    # tag (field number, wire type 2: length-delimited), byte length, values
    proto.MergeFromString(_varint(_FIELD_NUMBERS[field] << 3 | 2) + _varint(len(payload)) + payload)
    return proto


def write_as_content(array, proto, dtype=None):
    """Fill the empty TensorProto `proto` with `array` as raw `tensor_content` (strings, which have
    no fixed width, go to `string_val`)."""
    dtype = tf.as_dtype(dtype or array.dtype)
    if dtype == tf.string:
        return write_as_field(array, proto, dtype)
    array = np.asarray(array, dtype.as_numpy_dtype)
    _start(proto, array, dtype)
    proto.tensor_content = np.ascontiguousarray(array).tobytes()
    return proto


def to_ndarray(proto):
    """TensorProto -> numpy array. Like Tensor::FromProto, fewer typed values than the shape needs
    repeat the last one (tf.make_tensor_proto writes a filled tensor as one value)."""
    dtype = tf.as_dtype(proto.dtype)
    shape = [dim.size for dim in proto.tensor_shape.dim]
    if proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype.as_numpy_dtype).reshape(shape)
    field = VALUE_FIELDS.get(dtype)
    if field is None:
        raise ValueError(f"no TensorProto value field for dtype {dtype.name}")
    if field == "string_val":
        values = np.array(list(proto.string_val), dtype=object)
    elif field == "half_val":
        values = np.asarray(proto.half_val, np.int32).astype(np.uint16).view(dtype.as_numpy_dtype)
    elif field in ("scomplex_val", "dcomplex_val"):
        values = np.asarray(getattr(proto, field), _FIXED_WIDTH[field]).view(dtype.as_numpy_dtype)
    else:
        values = np.asarray(getattr(proto, field), dtype.as_numpy_dtype)
    count = math.prod(shape)
    if values.size < count:
        values = (np.pad(values, (0, count - values.size), mode="edge") if values.size
                  else np.full(count, b"" if field == "string_val" else 0, values.dtype))
    return values.reshape(shape)
