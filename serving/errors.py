"""One error type for the serving path: a gRPC status code plus TF Serving's message."""

import re
import sys
import traceback

import grpc

# model_servers/http_server.cc ToHTTPStatusCode
HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNKNOWN: 500,
}

_BY_VALUE = {code.value[0]: code for code in grpc.StatusCode}


def status_code_from_int(value):
    """TF's integer error codes are the gRPC ones (tensorflow/core/protobuf/error_codes.proto)."""
    return _BY_VALUE.get(int(value), grpc.StatusCode.UNKNOWN)


class ServingError(Exception):
    """A failed serving request. `code` is a `grpc.StatusCode`, `message` the server's text."""

    def __init__(self, code, message):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message

    @property
    def http_status(self):
        return HTTP_STATUS.get(self.code, 500)


def invalid_argument(message):
    return ServingError(grpc.StatusCode.INVALID_ARGUMENT, message)


def not_found(message):
    return ServingError(grpc.StatusCode.NOT_FOUND, message)


# A user's input causes these: one line instead of a traceback. OSError covers FileNotFound,
# FileExists, PermissionError and a busy port.
USER_ERRORS = (ValueError, KeyError, OSError, ServingError, grpc.RpcError)
EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
EXIT_INTERRUPTED = 130


# A message quoting a tensor would print its values (thousands of characters for one batch of
# images, e.g. TF's "Attempt to convert a value (PerReplica:{ 0: <tf.Tensor: ...numpy=array(...)>"):
# the line keeps a tensor's type, shape and dtype, and no line is longer than this.
MAX_MESSAGE_LENGTH = 500
_TENSOR = re.compile(r"<tf\.(\w+): (shape=\([^)]*\)), (dtype=\w+), numpy=.*?>", re.DOTALL)
# numpy's repr: `array([...])`, with `, shape=(...)` when it elides values and `, dtype=...`.
_ARRAY = re.compile(r"array\(\[.*?\]((?:, \w+=(?:\([^)]*\)|\w+))*)\)", re.DOTALL)


def describe(error):
    """The message of an exception as a user should read it: one line of at most
    MAX_MESSAGE_LENGTH characters, with no tensor's or array's values."""
    if isinstance(error, grpc.RpcError) and hasattr(error, "code"):
        message = f"{error.code().name}: {error.details()}"
    elif isinstance(error, KeyError) and error.args and isinstance(error.args[0], str):
        message = error.args[0]  # str(KeyError) would quote it
    elif isinstance(error, OSError) and error.filename and error.strerror:
        message = f"{error.strerror}: {error.filename}"
    else:
        message = str(error) or type(error).__name__
    message = _TENSOR.sub(r"<tf.\1 \2 \3>", message)
    message = _ARRAY.sub(lambda array: f"array({array[1].lstrip(', ') or '...'})", message)
    message = " ".join(message.split())
    if len(message) > MAX_MESSAGE_LENGTH:
        message = message[:MAX_MESSAGE_LENGTH - 3].rstrip() + "..."
    return message


def run_cli(main, argv=None, user_errors=(), verbose=False):
    """Run a command-line `main(argv)`, the one top-level handler of every entry point: a user
    error (USER_ERRORS or `user_errors`: a bad flag value, a missing file, a busy port, a refused
    request) is one line `error: ...` on stderr and exit status 2; anything else is an internal
    error, one line asking for a report, exit status 1; Ctrl-C is exit status 130. `verbose`
    prints the traceback too."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001  (the one top-level handler)
        if verbose:
            traceback.print_exc()
        if isinstance(error, USER_ERRORS + tuple(user_errors)):
            print(f"error: {describe(error)}", file=sys.stderr)
            return EXIT_USER_ERROR
        print(f"error: internal error, {type(error).__name__}: {describe(error)} (please report "
              "it; --verbose shows the traceback)", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
