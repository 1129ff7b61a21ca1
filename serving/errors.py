"""One error type for the serving path: a gRPC status code plus TF Serving's message."""

import sys

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


def run_cli(main, argv=None):
    """Run a command-line `main`: a user error (bad flag value, missing file, busy port, a refused
    request) is one line `error: ...` on stderr and exit code 2, never a traceback."""
    try:
        return main(argv)
    except (ValueError, OSError, ServingError, grpc.RpcError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
