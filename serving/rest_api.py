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
import sys
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
from serving.tensors import to_ndarray, write_as_content

log = logging.getLogger(__name__)

INT64_MAX = 2**63 - 1
DRAIN_READS = 16  # at most 1 MiB read away before a connection is closed
MAX_JSON_RANK = 32  # inputs of unknown rank: deeper nesting is refused before it is walked
_VERSION = r"(?:/versions/([0-9]+)|/labels/([^/:]+))?"
PREDICT_PATH = re.compile(r"(?i)/v1/models/([^/:]+)" + _VERSION + r":(classify|regress|predict)")
STATUS_PATH = re.compile(r"(?i)/v1/models(?:/([^/:]+))?" + _VERSION + r"(?:/(metadata))?")
BYTES_SUFFIX = "_bytes"  # outputs whose alias ends like this are returned base64-encoded


# -- JSON -> numpy ------------------------------------------------------------------------------
_type_of = np.frompyfunc(type, 1, 1)


def _json_types(dtype):
    """The JSON value types a dtype takes (util/json_tensor.cc); matched by exact type, so
    true/false (bool) is never taken for an int."""
    if dtype.is_floating:
        return (float, int)
    if dtype.is_integer:
        return (int,)
    return {tf.bool: (bool,), tf.string: (str, dict)}.get(dtype, ())


def _string_leaf(value):
    if isinstance(value, str):
        return value.encode()
    if set(value) == {"b64"} and isinstance(value["b64"], str):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except ValueError:
            raise invalid_argument(f"Unable to base64 decode: {value['b64'][:40]!r}") from None
    raise invalid_argument(f"JSON Value: {json.dumps(value)} is not of expected type: string")


def _depth(value):
    """Nesting depth along the first elements (a ragged list shows up once numpy lays it out)."""
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    return depth + isinstance(value, list)


def _refuse(value, shape, dtype, name):
    if isinstance(value, list):
        raise invalid_argument(f"Expecting shape {list(shape)} for input '{name}' but found a list where a value "
                               "belongs (ragged lists are not tensors)")
    raise invalid_argument(f"JSON Value: {json.dumps(value)} is not of expected type: {dtype_name(dtype)}")


def _fits(value, dtype):
    return abs(value) <= sys.float_info.max if dtype.is_floating else dtype.min <= value <= dtype.max


def json_to_array(value, dtype, name, max_rank=MAX_JSON_RANK):
    """A (nested) JSON list -> numpy array of `dtype`, laid out and converted by numpy as a whole;
    refuses nesting deeper than `max_rank` (the signature's rank), ragged lists and values of the
    wrong type or range."""
    depth = _depth(value)
    if depth > max_rank:
        raise invalid_argument(f"input '{name}' is nested deeper than the signature's rank {max_rank}")
    try:
        cells = np.array(value, dtype=object)
    except ValueError:  # numpy's own dimension limit: ragged past any signature's rank
        cells = np.empty(0, object)
    if cells.ndim < depth:
        _refuse([], cells.shape, dtype, name)
    kinds = _type_of(cells)
    valid = np.zeros(cells.shape, bool)
    for kind in _json_types(dtype):
        valid |= kinds == kind
    if not valid.all():
        _refuse(cells.flat[np.argmin(valid)], cells.shape, dtype, name)
    if dtype == tf.string:
        return np.asarray(np.frompyfunc(_string_leaf, 1, 1)(cells), dtype=object)  # a scalar too
    wide = np.float64 if dtype.is_floating else np.uint64 if dtype.is_unsigned else np.int64
    try:
        values = cells.astype(wide)
    except OverflowError:  # an int beyond 64 bits, or beyond any float
        values = None
    if values is None or (dtype.is_integer and not ((values >= dtype.min) & (values <= dtype.max)).all()):
        _refuse(next(v for v in cells.flat if not _fits(v, dtype)), cells.shape, dtype, name)
    return values.astype(dtype.as_numpy_dtype)


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
        write_as_content(array, request.inputs[name], specs[name].dtype)
    return request, fmt


# -- numpy -> JSON ------------------------------------------------------------------------------
# JSON text is written straight from the arrays: nested Python lists of one object per value would
# cost more than the model (Python's cyclic GC rescans TensorFlow's heap as they are created). Each
# value becomes a row of ASCII with a mask of the characters it keeps, so numpy formats and joins
# them all at once.
_FLOAT32_DIGITS = 9  # float32's max_digits10: 9 significant digits read back as the same float32
_DIGIT_COLUMNS = (10, 9, 8, 7, 6, 5, 4, 3, 1)  # of the 9 digits in "-d.dddddddde+XX"
_NON_FINITE = np.array([b"NaN", b"Infinity", b"-Infinity"], dtype="S15").view(np.uint8).reshape(3, 15)


def _float32_cells(values):
    """float32 values -> their JSON numbers as (chars, keep) rows: as TF Serving's WriteDecimal
    (util/json_tensor.cc), text that reads back as the same float32 (here 9 significant digits,
    max_digits10, with trailing zeros dropped; TF Serving tries 6 first) and NaN, Infinity,
    -Infinity."""
    with np.errstate(invalid="ignore"):  # a signalling NaN is still written NaN
        x = values.astype(np.float64)
    finite = np.isfinite(x)
    magnitude = np.where(finite, np.abs(x), 0.0)
    exponent = np.floor(np.log10(np.where(magnitude > 0, magnitude, 1.0))).astype(np.int64)
    mantissa = np.rint(magnitude / 10.0 ** (exponent - _FLOAT32_DIGITS + 1))
    # log10 and the rounding can be one off at powers of ten
    exponent += (mantissa >= 10.0 ** _FLOAT32_DIGITS).astype(np.int64)
    exponent -= ((mantissa < 10.0 ** (_FLOAT32_DIGITS - 1)) & (magnitude > 0)).astype(np.int64)
    mantissa = np.rint(magnitude / 10.0 ** (exponent - _FLOAT32_DIGITS + 1)).astype(np.uint32)
    # sign, d, ".", 8 digits, "e", exponent sign, 2 digits (float32 exponents lie within +-45)
    chars = np.empty((len(values), 15), np.uint8)
    chars[:, 0] = ord("-")
    chars[:, 2] = ord(".")
    for column in _DIGIT_COLUMNS:  # last digit first; dividing by a scalar is numpy's fast path
        quotient = mantissa // 10
        chars[:, column] = mantissa - quotient * 10 + ord("0")
        mantissa = quotient
    chars[:, 11] = ord("e")
    chars[:, 12] = np.where(exponent < 0, ord("-"), ord("+"))
    chars[:, 13] = np.abs(exponent) // 10 + ord("0")
    chars[:, 14] = np.abs(exponent) % 10 + ord("0")
    fraction = chars[:, 3:11] != ord("0")  # keep the fraction up to its last non-zero digit, at least one
    kept_fraction = np.where(fraction.any(axis=1), fraction.shape[1] - np.argmax(fraction[:, ::-1], axis=1), 1)
    keep = np.ones(chars.shape, bool)
    keep[:, 0] = np.signbit(x)
    keep[:, 3:11] = np.arange(1, 9) <= kept_fraction[:, None]
    keep[:, 11:] = (exponent != 0)[:, None]
    special = ~finite
    if special.any():
        which = np.where(np.isnan(x), 0, np.where(x > 0, 1, 2))[special]
        chars[special] = _NON_FINITE[which]
        keep[special] = chars[special] != 0
    return chars, keep


def _text_cells(texts):
    chars = np.array(texts, dtype=bytes)  # ASCII (json.dumps escapes the rest), NUL-padded
    chars = chars.view(np.uint8).reshape(len(texts), chars.dtype.itemsize)
    return chars, chars != 0


def _cells(flat, alias):
    if flat.dtype == np.float32:
        return _float32_cells(flat)
    if flat.dtype == object:  # strings: `_bytes` outputs as {"b64": ...} (g3doc/api_rest.md)
        if alias.endswith(BYTES_SUFFIX):
            return _text_cells([json.dumps({"b64": base64.b64encode(b).decode()}) for b in flat.tolist()])
        return _text_cells([json.dumps(b.decode("utf-8", "replace")) for b in flat.tolist()])
    return _text_cells(list(map(json.dumps, flat.tolist())))  # float64 as repr, ints, bools


def array_to_json(array, alias):
    """One output tensor as JSON text (bytes): nested lists, or a bare value for a scalar."""
    rank, count = array.ndim, array.size
    if not count:
        return json.dumps(np.empty(array.shape).tolist()).encode()
    chars, keep = _cells(array.reshape(-1), alias)
    if not rank:
        return chars[0][keep[0]].tobytes()
    # Before each value: "]" * k + "," + "[" * k, where k of its dimensions start anew ("[" * rank first).
    index, starts, stride = np.arange(count), np.zeros(count, np.int64), 1
    for size in reversed(array.shape[1:]):
        stride *= size
        starts += index % stride == 0
    width = 2 * rank - 1
    separators = np.zeros((rank + 1, width), np.uint8)
    for k in range(rank):
        text = b"]" * k + b"," + b"[" * k
        separators[k, :len(text)] = np.frombuffer(text, np.uint8)
    separators[rank, :rank] = ord("[")
    starts[0] = rank
    before = separators[starts]
    row, row_keep = np.concatenate([before, chars], axis=1), np.concatenate([before != 0, keep], axis=1)
    return row[row_keep].tobytes() + b"]" * rank


def predict_response_to_json(response, fmt):
    """The :predict answer as JSON bytes: {"outputs": ...} (columnar) or {"predictions": ...} (row),
    an object of outputs when there are several (g3doc/api_rest.md)."""
    arrays = {alias: to_ndarray(proto) for alias, proto in response.outputs.items()}
    key = b'"outputs"' if fmt == "columnar" else b'"predictions"'
    if len(arrays) == 1:
        (alias, array), = arrays.items()
        return b"{" + key + b": " + array_to_json(array, alias) + b"}"
    if fmt == "columnar":
        return b"{" + key + b": " + _json_object({alias: array_to_json(a, alias) for alias, a in arrays.items()}) + b"}"
    count = len(next(iter(arrays.values())))
    rows = [_json_object({alias: array_to_json(a[i, ...], alias) for alias, a in arrays.items()}) for i in range(count)]
    return b"{" + key + b": [" + b", ".join(rows) + b"]}"


def _json_object(texts):
    return b"{" + b", ".join(json.dumps(alias).encode() + b": " + text for alias, text in texts.items()) + b"}"


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
    """Routes one HTTP request to the core; returns (http status, body): a JSON-able object, or
    JSON text as bytes."""

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
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
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
