"""TF Serving's REST API (g3doc/api_rest.md) over the local server's ServingCore.

    POST /v1/models/NAME[/versions/N | /labels/L]:predict   {"instances": [...]} or {"inputs": ...}
    GET  /v1/models/NAME[/versions/N | /labels/L]           model status
    GET  /v1/models/NAME[/versions/N | /labels/L]/metadata  signature defs

JSON is converted to the signature's dtypes (util/json_tensor.cc rules), turned into a
PredictRequest and run through the same path as gRPC, so both report the same errors.

Connections are served by a fixed pool of `num_threads` workers; while they are all busy, as many
connections again may wait, and the next one is answered 429 at once. A connection that sends
nothing for `timeout_seconds` (TF Serving's --rest_api_timeout_in_ms) is closed. The body must come
with a Content-Length no larger than the max message size: libevent, under TF Serving's REST API,
answers 400 for an invalid one and 413 for one over its limit; a chunked body gets 411 (Length
Required) here. Every answer, errors included, is JSON: `{"error": "..."}`. Decoding JSON takes
about 12x the body in Python objects (measured: a 57 MiB body peaked at +712 MiB), so bodies are
decoded only while their total stays within one max-size body; the others wait (429 after the
timeout).
"""

import base64
import json
import logging
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer

import grpc
import numpy as np
import tensorflow as tf
from google.protobuf import json_format
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, model_pb2, predict_pb2

from serving.errors import ServingError, invalid_argument
from serving.predict import DEFAULT_SIGNATURE, check_batch_cap, check_input_names, dtype_name

log = logging.getLogger(__name__)

INT64_MAX = 2**63 - 1
DRAIN_READS = 16  # at most 1 MiB read away before a connection is closed
MAX_JSON_RANK = 32  # inputs of unknown rank: deeper nesting is refused before it is walked
_VERSION = r"(?:/versions/([0-9]+)|/labels/([^/:]+))?"
PREDICT_PATH = re.compile(r"(?i)/v1/models/([^/:]+)" + _VERSION + r":(classify|regress|predict)")
STATUS_PATH = re.compile(r"(?i)/v1/models(?:/([^/:]+))?" + _VERSION + r"(?:/(metadata))?")
BYTES_SUFFIX = "_bytes"  # outputs whose alias ends like this are returned base64-encoded


# -- JSON -> numpy ------------------------------------------------------------------------------
def _leaf(value, dtype):
    """One JSON scalar as a value of `dtype`, or None when it is not of that type."""
    if dtype.is_floating:
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:  # an integer beyond any float
                return None
        return value if isinstance(value, float) else None
    if dtype.is_integer:
        in_range = isinstance(value, int) and not isinstance(value, bool) and dtype.min <= value <= dtype.max
        return value if in_range else None
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


def json_to_array(value, dtype, name, max_rank=MAX_JSON_RANK):
    """A (nested) JSON list -> numpy array of `dtype`; rejects ragged lists, wrong value types and
    nesting deeper than `max_rank` (the signature's rank)."""
    leaves = []

    def walk(node, depth_shape, depth):
        if isinstance(node, list):
            if depth >= max_rank:
                raise invalid_argument(f"input '{name}' is nested deeper than the signature's rank {max_rank}")
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


def predict_request_from_json(body, model_spec, signature_for):
    """Parse a :predict body into (PredictRequest, format) with format "row" or "columnar".

    `signature_for(signature_name)` -> (input specs, batch cap). The cap is checked on the JSON
    lists, before any array is built.
    """
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_argument(f"JSON Parse error: {exc}") from None
    except RecursionError:
        raise invalid_argument("JSON Parse error: the body is nested too deeply") from None
    if not isinstance(payload, dict):
        raise invalid_argument("JSON Parse error: the request body must be a JSON object")
    signature_name = payload.get("signature_name", "")
    if not isinstance(signature_name, str):
        raise invalid_argument("'signature_name' key must be a string value.")
    if "instances" in payload and "inputs" in payload:
        raise invalid_argument("Not formatted correctly expecting only one of 'inputs' or 'instances' keys exists")
    if "instances" not in payload and "inputs" not in payload:
        raise invalid_argument("Missing 'inputs' or 'instances' key")
    specs, batch_cap = signature_for(signature_name)
    if "instances" in payload:
        named, fmt = _row_inputs(payload["instances"], specs), "row"
    else:
        named, fmt = _columnar_inputs(payload["inputs"], specs), "columnar"
    check_input_names(list(named), list(specs))
    request = predict_pb2.PredictRequest(model_spec=model_spec)
    request.model_spec.signature_name = signature_name
    for name, value in named.items():
        rank = specs[name].shape.rank
        if isinstance(value, list) and rank != 0:
            check_batch_cap(name, len(value), batch_cap, signature_name or DEFAULT_SIGNATURE)
        array = json_to_array(value, specs[name].dtype, name, MAX_JSON_RANK if rank is None else rank)
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
        # An int64, as absl::SimpleAtoi in http_rest_api_handler.cc; the length check comes first
        # because Python refuses to parse integers of thousands of digits.
        if len(version) > len(str(INT64_MAX)) or int(version) > INT64_MAX:
            raise invalid_argument(f"Failed to convert version: {version} to numeric.")
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
        except Exception as exc:  # a bug, not the client's fault: answer it, never drop the connection
            log.exception("REST %s %s failed", method, path)
            return 500, {"error": f"Internal error: {type(exc).__name__}: {exc}"}

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
        def signature_for(signature_name):
            servable = self.core.manager.resolve(model_spec)
            name = signature_name or DEFAULT_SIGNATURE
            signature = servable.signatures.get(name)
            if signature is None:  # REST looks the signature up itself: INVALID_ARGUMENT, not FAILED_PRECONDITION
                raise invalid_argument(f'Serving signature name: "{name}" not found in signature def')
            return signature.structured_input_signature[1], self.core.batch_cap(servable, name)

        request, fmt = predict_request_from_json(body, model_spec, signature_for)
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


class ByteBudget:
    """Lets requests hold at most `capacity` bytes at once; `hold` waits up to `timeout_seconds`."""

    def __init__(self, capacity):
        self._free = capacity
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, size, timeout_seconds):
        with self._changed:
            if not self._changed.wait_for(lambda: self._free >= size, timeout_seconds):
                raise ServingError(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                   "Too many large REST bodies being decoded at once; retry later")
            self._free -= size
        try:
            yield
        finally:
            with self._changed:
                self._free += size
                self._changed.notify_all()


class _PooledHTTPServer(HTTPServer):
    """Each connection is served on a fixed pool of threads (not a thread per connection); once the
    workers and as many waiting connections are taken, the next connection is answered 429 at once."""

    def __init__(self, address, handler, num_threads):
        self._pool = ThreadPoolExecutor(num_threads, thread_name_prefix="rest-api")
        self._slots = threading.BoundedSemaphore(2 * num_threads)
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            _refuse_busy(request)
            self.shutdown_request(request)
            return
        self._pool.submit(self._serve_connection, request, client_address)

    def shutdown_request(self, request):
        # Closing a socket with unread input sends a TCP reset, which can destroy the answer (a 413,
        # a 431) before the client reads it: read away what the client has already sent.
        try:
            request.setblocking(False)
            for _ in range(DRAIN_READS):
                if not request.recv(65536):
                    break
        except OSError:  # nothing more to read
            pass
        super().shutdown_request(request)

    def _serve_connection(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception as exc:  # e.g. the client reset the connection
            log.debug("REST connection from %s ended: %s", client_address, exc)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def server_close(self):
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


def _refuse_busy(connection):
    body = json.dumps({"error": "Too many concurrent REST connections; retry later"}).encode()
    head = (f"HTTP/1.1 429 {HTTPStatus(429).phrase}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    try:
        connection.settimeout(1.0)
        connection.sendall(head + body)
    except OSError:
        pass


class RestServer:
    def __init__(self, core, host, port, max_body_bytes, num_threads, timeout_seconds):
        api = RestApi(core)
        decoding = ByteBudget(max_body_bytes)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = timeout_seconds  # StreamRequestHandler sets it on the socket: every read is bounded

            def setup(self):
                super().setup()
                # Headers and body go out in separate writes; without this, Nagle + delayed ACK
                # add ~40 ms to every keep-alive response.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self):
                try:
                    body = self._read_body()
                except (TimeoutError, ConnectionError):  # a stalled or vanished client: drop it, as libevent does
                    self.close_connection = True
                    return
                if body is None:
                    return
                try:
                    with decoding.hold(len(body), timeout_seconds):
                        status, payload = api.handle(self.command, self.path, body)
                except ServingError as error:
                    status, payload = error.http_status, {"error": error.message}
                self._reply(status, payload)

            def _read_body(self):
                """The request body, or None after answering a framing error."""
                if self.headers.get("Transfer-Encoding"):
                    self._reply(411, {"error": "Length Required: send the body with a Content-Length header; "
                                               "chunked transfer encoding is not supported"}, close=True)
                    return None
                values = {value.strip() for value in self.headers.get_all("Content-Length") or []}
                if not values:
                    return b""
                value = values.pop()
                if values or not re.fullmatch(r"[0-9]+", value):
                    self._reply(400, {"error": f"Invalid Content-Length header: "
                                               f"{self.headers.get_all('Content-Length')}; send one integer >= 0"},
                                close=True)
                    return None
                if len(value) > len(str(max_body_bytes)) or int(value) > max_body_bytes:
                    self._reply(413, {"error": f"Request body of {value} bytes exceeds the limit of "
                                               f"{max_body_bytes} bytes (the max message size)"}, close=True)
                    return None
                body = self.rfile.read(int(value))
                if len(body) < int(value):
                    raise ConnectionError("the client closed the connection before sending the whole body")
                return body

            def _reply(self, status, payload, close=False):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if close:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def parse_request(self):
                if not super().parse_request():
                    return False
                if self.request_version == "HTTP/0.9":  # no headers: not even a Content-Length
                    self.send_error(400, "HTTP/0.9 requests are not supported; send HTTP/1.0 or HTTP/1.1")
                    return False
                return True

            def send_error(self, code, message=None, explain=None):
                # http.server's own errors (bad request line, too long, too many headers) as JSON too,
                # always with a status line (http.server leaves it out for what it takes as HTTP/0.9).
                self.command = getattr(self, "command", None)
                self.request_version = self.protocol_version
                self._reply(code, {"error": message or explain or HTTPStatus(code).phrase}, close=True)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _serve

            def log_message(self, *args):  # requests are not worth a log line each
                pass

        try:
            self._httpd = _PooledHTTPServer((host, port), Handler, num_threads)
        except OSError as error:
            raise OSError(error.errno, f"cannot listen for REST on {host}:{port} ({error.strerror}); "
                                       "pick another REST port (0 picks a free one)") from None
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="rest-api", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()
