"""TF Serving's REST API (g3doc/api_rest.md) over the local server's ServingCore.

    POST /v1/models/NAME[/versions/N | /labels/L]:predict   {"instances": [...]} or {"inputs": ...}
    GET  /v1/models/NAME[/versions/N | /labels/L]           model status
    GET  /v1/models/NAME[/versions/N | /labels/L]/metadata  signature defs

JSON is converted to the signature's dtypes (util/json_tensor.cc rules), turned into a
PredictRequest and run through the same path as gRPC, so both report the same errors.
"""

import base64
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import numpy as np
import tensorflow as tf
from google.protobuf import json_format
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, model_pb2, predict_pb2

from serving.errors import ServingError, invalid_argument
from serving.predict import DEFAULT_SIGNATURE, check_input_names, dtype_name

_VERSION = r"(?:/versions/(\d+)|/labels/([^/:]+))?"
PREDICT_PATH = re.compile(r"(?i)/v1/models/([^/:]+)" + _VERSION + r":(classify|regress|predict)")
STATUS_PATH = re.compile(r"(?i)/v1/models(?:/([^/:]+))?" + _VERSION + r"(?:/(metadata))?")
BYTES_SUFFIX = "_bytes"  # outputs whose alias ends like this are returned base64-encoded


# -- JSON -> numpy ------------------------------------------------------------------------------
def _leaf(value, dtype):
    """One JSON scalar as a value of `dtype`, or None when it is not of that type."""
    if dtype.is_floating:
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if dtype.is_integer:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if dtype == tf.bool:
        return value if isinstance(value, bool) else None
    if dtype == tf.string:
        if isinstance(value, str):
            return value.encode()
        if isinstance(value, dict) and set(value) == {"b64"} and isinstance(value["b64"], str):
            try:
                return base64.b64decode(value["b64"], validate=True)
            except ValueError:
                raise invalid_argument(f"Unable to base64 decode: {value['b64'][:40]!r}") from None
    return None


def json_to_array(value, dtype, name):
    """A (nested) JSON list -> numpy array of `dtype`; rejects ragged lists and wrong value types."""
    leaves = []

    def walk(node, depth_shape, depth):
        if isinstance(node, list):
            if depth < len(depth_shape) and depth_shape[depth] != len(node):
                raise invalid_argument(
                    f"Expecting shape {depth_shape} for input '{name}' but found a list of {len(node)} "
                    f"values at depth {depth} (ragged lists are not tensors)"
                )
            if depth == len(depth_shape):
                depth_shape.append(len(node))
            for child in node:
                walk(child, depth_shape, depth + 1)
            return
        if depth != len(depth_shape):
            raise invalid_argument(f"Expecting shape {depth_shape} for input '{name}' but found a scalar at depth {depth}")
        converted = _leaf(node, dtype)
        if converted is None:
            raise invalid_argument(f"JSON Value: {json.dumps(node)} is not of expected type: {dtype_name(dtype)}")
        leaves.append(converted)

    shape = []
    walk(value, shape, 0)
    np_dtype = object if dtype == tf.string else dtype.as_numpy_dtype
    return np.array(leaves, dtype=np_dtype).reshape(shape)


def _row_inputs(instances, specs):
    if not isinstance(instances, list):
        raise invalid_argument("Excepting 'instances' to be an list/array")
    if not instances:
        raise invalid_argument("No values in 'instances' array")
    if not all(isinstance(row, dict) and "b64" not in row for row in instances):
        if len(specs) != 1:
            raise invalid_argument(
                f"instances must be objects naming the signature's inputs {sorted(specs)} (one key per input)"
            )
        return {next(iter(specs)): instances}
    names = set(instances[0])
    for index, row in enumerate(instances):
        if set(row) != names:
            raise invalid_argument(
                f"Missing named input in 'instances' object {index}: every instance needs the keys {sorted(names)}"
            )
    return {name: [row[name] for row in instances] for name in names}


def _columnar_inputs(inputs, specs):
    if isinstance(inputs, dict) and not set(inputs) == {"b64"}:
        return inputs
    if len(specs) != 1:
        raise invalid_argument(f"Missing named input: 'inputs' must be an object with the keys {sorted(specs)}")
    return {next(iter(specs)): inputs}


def predict_request_from_json(body, model_spec, specs_for_signature):
    """Parse a :predict body into (PredictRequest, format) with format "row" or "columnar"."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_argument(f"JSON Parse error: {exc}") from None
    if not isinstance(payload, dict):
        raise invalid_argument("JSON Parse error: the request body must be a JSON object")
    signature_name = payload.get("signature_name", "")
    if not isinstance(signature_name, str):
        raise invalid_argument("'signature_name' key must be a string value.")
    if "instances" in payload and "inputs" in payload:
        raise invalid_argument("Not formatted correctly expecting only one of 'inputs' or 'instances' keys exists")
    if "instances" not in payload and "inputs" not in payload:
        raise invalid_argument("Missing 'inputs' or 'instances' key")
    specs = specs_for_signature(signature_name)
    if "instances" in payload:
        named, fmt = _row_inputs(payload["instances"], specs), "row"
    else:
        named, fmt = _columnar_inputs(payload["inputs"], specs), "columnar"
    check_input_names(list(named), list(specs))
    request = predict_pb2.PredictRequest(model_spec=model_spec)
    request.model_spec.signature_name = signature_name
    for name, value in named.items():
        array = json_to_array(value, specs[name].dtype, name)
        request.inputs[name].CopyFrom(tf.make_tensor_proto(array, dtype=specs[name].dtype))
    return request, fmt


# -- numpy -> JSON ------------------------------------------------------------------------------
def _to_json_value(array, alias):
    if array.dtype == object:
        if alias.endswith(BYTES_SUFFIX):
            encode = np.vectorize(lambda b: {"b64": base64.b64encode(b).decode()}, otypes=[object])
        else:
            encode = np.vectorize(lambda b: b.decode("utf-8", "replace"), otypes=[object])
        return encode(array).tolist() if array.ndim else encode(array).item()
    return array.tolist()


def predict_response_to_json(response, fmt):
    arrays = {alias: tf.make_ndarray(proto) for alias, proto in response.outputs.items()}
    if fmt == "columnar":
        if len(arrays) == 1:
            return {"outputs": _to_json_value(*next(iter(arrays.items()))[::-1])}
        return {"outputs": {alias: _to_json_value(a, alias) for alias, a in arrays.items()}}
    if len(arrays) == 1:
        alias, array = next(iter(arrays.items()))
        return {"predictions": _to_json_value(array, alias)}
    rows = {alias: _to_json_value(a, alias) for alias, a in arrays.items()}
    count = len(next(iter(rows.values())))
    return {"predictions": [{alias: values[i] for alias, values in rows.items()} for i in range(count)]}


def _message_json(message):
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


# -- HTTP ---------------------------------------------------------------------------------------
def _model_spec(name, version, label):
    spec = model_pb2.ModelSpec(name=name)
    if version is not None:
        spec.version.value = int(version)
    elif label is not None:
        spec.version_label = label
    return spec


class RestApi:
    """Routes one HTTP request to the core; returns (http status, JSON-able body)."""

    def __init__(self, core):
        self.core = core

    def handle(self, method, path, body):
        try:
            return 200, self._route(method, path, body)
        except ServingError as error:
            return error.http_status, {"error": error.message}

    def _route(self, method, path, body):
        path = path.split("?", 1)[0]
        match = PREDICT_PATH.fullmatch(path)
        if method == "POST" and match:
            name, version, label, verb = match.groups()
            if verb.lower() != "predict":
                raise ServingError(grpc.StatusCode.UNIMPLEMENTED, f"{verb} is not supported: GAN generators only serve predict")
            return self._predict(_model_spec(name, version, label), body)
        match = STATUS_PATH.fullmatch(path)
        if method == "GET" and match:
            name, version, label, metadata = match.groups()
            if not name:
                raise invalid_argument("Missing model name in request.")
            spec = _model_spec(name, version, label)
            return self._metadata(spec) if metadata else self._status(spec)
        raise invalid_argument(f"Malformed request: {method} {path}")

    def _predict(self, model_spec, body):
        def specs_for_signature(signature_name):
            servable = self.core.manager.resolve(model_spec)
            signature = servable.signatures.get(signature_name or DEFAULT_SIGNATURE)
            if signature is None:  # REST looks the signature up itself: INVALID_ARGUMENT, not FAILED_PRECONDITION
                raise invalid_argument(
                    f'Serving signature name: "{signature_name or DEFAULT_SIGNATURE}" not found in signature def'
                )
            return signature.structured_input_signature[1]

        request, fmt = predict_request_from_json(body, model_spec, specs_for_signature)
        return predict_response_to_json(self.core.predict(request), fmt)

    def _status(self, spec):
        return _message_json(self.core.model_status(get_model_status_pb2.GetModelStatusRequest(model_spec=spec)))

    def _metadata(self, spec):
        request = get_model_metadata_pb2.GetModelMetadataRequest(model_spec=spec, metadata_field=["signature_def"])
        response = self.core.metadata(request)
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(signature_map)
        return {
            "model_spec": _message_json(response.model_spec),
            "metadata": {"signature_def": _message_json(signature_map)},
        }


class RestServer:
    def __init__(self, core, host, port, max_body_bytes):
        api = RestApi(core)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # Headers and body go out in separate writes; without this, Nagle + delayed ACK
                # add ~40 ms to every keep-alive response.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length > max_body_bytes:
                    status, payload = 429, {"error": f"Request body of {length} bytes exceeds the limit of {max_body_bytes}"}
                    self.close_connection = True
                else:
                    status, payload = api.handle(self.command, self.path, self.rfile.read(length))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args):  # requests are not worth a log line each
                pass

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="rest-api", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()
