"""A local stand-in for `tensorflow_model_server`, for laptops and CI where the binary is absent.

It serves the same ``BASE/<name>/<version>/`` tree with TF Serving's protocol and behaviour
(tensorflow/serving's model_servers/): PredictionService Predict + GetModelMetadata (the other
RPCs answer UNIMPLEMENTED), ModelService GetModelStatus + HandleReloadConfigRequest, the REST API,
version policies and labels, polling for new versions and (--model_config_file_poll_wait_seconds)
for an edited models.config, TF Serving's status codes and messages. Listens on 127.0.0.1 unless
told otherwise.

Hardened against requests that would exhaust it: a request's tensors are checked
(shape, batch cap, size, value count) before they are converted; messages are limited to 64 MiB;
gRPC runs at most --grpc_max_threads calls at once (as many more wait, the next gets
RESOURCE_EXHAUSTED) and REST serves connections on --rest_api_num_threads workers with a read
timeout. Failed loads are retried (--max_num_load_retries, --load_retry_interval_micros).
HandleReloadConfigRequest only loads models from under the directories the server started with.

    python -m serving.local_server --model_base_path DIR [--model_name NAME] --port 8500 --rest_api_port 8501
    python -m serving.local_server --model_config_file models.config --model_config_file_poll_wait_seconds 60
"""

import argparse
import json
import logging
import os
import signal
import sys
import threading
from concurrent import futures
from functools import partial

import grpc
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
    prediction_service_pb2_grpc,
)
from tensorflow_serving.apis.get_model_metadata_pb2 import SignatureDefMap

from serving.errors import ServingError, invalid_argument, run_cli
from serving.model_config import entries_for_base, entries_from_config, read_models_config, read_server_config
from serving.model_manager import DEFAULT_LOAD_RETRY_INTERVAL_SECONDS, DEFAULT_MAX_NUM_LOAD_RETRIES, ModelManager
from serving.predict import (
    DEFAULT_BATCH_CAP,
    DEFAULT_MAX_MESSAGE_BYTES,
    RequestLimits,
    batch_cap_of,
    run_predict,
)
from serving.rest_api import RestServer

log = logging.getLogger(__name__)

SIGNATURE_DEF_FIELD = "signature_def"
MAX_RECEIVE = "grpc.max_receive_message_length"
MAX_SEND = "grpc.max_send_message_length"
DEFAULT_GRPC_MAX_THREADS = 8
DEFAULT_REST_API_NUM_THREADS = 4
DEFAULT_REST_API_TIMEOUT_SECONDS = 30.0  # TF Serving's --rest_api_timeout_in_ms default


def rpc(method):
    """A servicer method: ServingError -> its status; any other exception -> INTERNAL, logged."""
    def handler(self, request, context):
        try:
            return method(self, request)
        except ServingError as error:
            context.abort(error.code, error.message)
        except Exception as exc:  # a bug must answer the call, not leave it to gRPC's UNKNOWN
            log.exception("%s failed", method.__name__)
            context.abort(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}")
    handler.__name__ = method.__name__
    return handler


def _unimplemented(name):
    def handler(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{name} is not supported: the local server serves Predict "
                                                     "and GetModelMetadata (GAN generators have no classify/regress heads)")
    return handler


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, core):
        self.core = core

    @rpc
    def Predict(self, request):
        return self.core.predict(request)

    @rpc
    def GetModelMetadata(self, request):
        return self.core.metadata(request)

    Classify = _unimplemented("Classify")
    Regress = _unimplemented("Regress")
    MultiInference = _unimplemented("MultiInference")


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, core):
        self.core = core

    @rpc
    def GetModelStatus(self, request):
        return self.core.model_status(request)

    @rpc
    def HandleReloadConfigRequest(self, request):
        # TF Serving also fails the RPC itself on a bad config, not only the response status.
        return self.core.reload_config(request.config, confined=True)


def reload_roots_of(entries):
    """The directories holding the models a server starts with: where a reload may load from."""
    return sorted({os.path.dirname(os.path.realpath(entry.base_path)) for entry in entries})


def check_under_roots(entries, roots):
    for entry in entries:
        path = os.path.realpath(entry.base_path)  # no escape through `..` or a symlink
        if not any(os.path.commonpath([path, root]) == root for root in roots):
            raise ServingError(
                grpc.StatusCode.PERMISSION_DENIED,
                f"base_path {entry.base_path} of model {entry.name} is not under the directories this server "
                f"was started with ({', '.join(roots)}); HandleReloadConfigRequest only loads models from "
                "there. Export the model under one of them, or restart the server with its directory.",
            )


class ServingCore:
    """The protocol-independent server: what both the gRPC servicers and the REST handler call."""

    def __init__(self, manager, limits, reload_roots):
        self.manager = manager
        self.limits = limits
        self.reload_roots = reload_roots

    def predict(self, request):
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        return run_predict(self.manager.resolve(request.model_spec), request, self.limits)

    def batch_cap(self, servable, signature_name):
        return batch_cap_of(servable, signature_name, self.limits)

    def metadata(self, request):
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        if not request.metadata_field:
            raise invalid_argument("GetModelMetadataRequest must specify at least one metadata_field")
        for field in request.metadata_field:
            if field != SIGNATURE_DEF_FIELD:
                raise invalid_argument(f"Metadata field {field} is not supported")
        servable = self.manager.resolve(request.model_spec)
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = servable.name
        response.model_spec.version.value = servable.version
        signature_map = SignatureDefMap()
        for name, signature_def in servable.signature_defs.items():
            signature_map.signature_def[name].CopyFrom(signature_def)
        response.metadata[SIGNATURE_DEF_FIELD].Pack(signature_map)
        return response

    def reload_config(self, config, confined=False):
        """HandleReloadConfigRequest (model_service_impl.cc), `confined` to `reload_roots` for the
        RPC; also used for the config file poll (the operator's own file, not confined)."""
        if config.WhichOneof("config") != "model_config_list":
            raise invalid_argument("ServerModelConfig type not supported by HandleReloadConfigRequest. "
                                   "Only ModelConfigList is currently supported")
        try:
            entries = entries_from_config(config)
        except ValueError as error:  # a bad policy or label syntax
            raise invalid_argument(str(error)) from None
        if confined:
            check_under_roots(entries, self.reload_roots)
        self.manager.reload(entries)
        response = model_management_pb2.ReloadConfigResponse()
        response.status.SetInParent()  # error_code 0 = OK
        return response

    def model_status(self, request):
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        response = get_model_status_pb2.GetModelStatusResponse()
        for version, state in sorted(self.manager.status(request.model_spec).items()):
            entry = response.model_version_status.add(version=version, state=state.state)
            entry.status.error_code = state.error_code.value[0]
            entry.status.error_message = state.error_message
        return response


class LocalServer:
    """gRPC (+ optional REST) server over a ModelManager. `start()` binds the ports, loads the
    models and returns once they are served; a busy port fails before any model is loaded."""

    def __init__(self, entries, grpc_port=0, rest_port=None, host="127.0.0.1", poll_seconds=1.0,
                 max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES, grpc_channel_arguments=None,
                 grpc_max_threads=DEFAULT_GRPC_MAX_THREADS, rest_api_num_threads=DEFAULT_REST_API_NUM_THREADS,
                 rest_api_timeout_seconds=DEFAULT_REST_API_TIMEOUT_SECONDS, default_batch_cap=DEFAULT_BATCH_CAP,
                 max_num_load_retries=DEFAULT_MAX_NUM_LOAD_RETRIES,
                 load_retry_interval_seconds=DEFAULT_LOAD_RETRY_INTERVAL_SECONDS, enable_warmup=True,
                 config_file=None, config_poll_seconds=0):
        if grpc_port and rest_port and grpc_port == rest_port:
            raise ValueError(f"the REST port must differ from the gRPC port (both are {grpc_port})")
        # TF Serving's --grpc_channel_arguments may set the message limits; REST bodies follow the receive one.
        self.grpc_options = {MAX_RECEIVE: max_message_bytes, MAX_SEND: max_message_bytes,
                             **(grpc_channel_arguments or {})}
        limits = RequestLimits(max_tensor_bytes=self.grpc_options[MAX_RECEIVE], default_batch_cap=default_batch_cap)
        self.entries = entries
        self.manager = ModelManager(partial(run_predict, limits=limits), enable_warmup=enable_warmup,
                                    max_num_load_retries=max_num_load_retries,
                                    load_retry_interval_seconds=load_retry_interval_seconds)
        self.core = ServingCore(self.manager, limits, reload_roots_of(entries))
        self.host = host
        self.poll_seconds = poll_seconds
        self.config_file = config_file
        self.config_poll_seconds = config_poll_seconds
        self.grpc_max_threads = grpc_max_threads
        self.rest_api_num_threads = rest_api_num_threads
        self.rest_api_timeout_seconds = rest_api_timeout_seconds
        self._requested_ports = (grpc_port, rest_port)
        self.grpc_port = None
        self.rest_port = None
        self._grpc = None
        self._rest = None

    def start(self):
        try:
            self._bind()
            self.manager.reload(self.entries)  # like TF Serving: serve only once the initial versions are loaded
        except BaseException:
            self.stop(grace_seconds=0)  # release the ports bound before the failure
            raise
        self._grpc.start()
        if self._rest:
            self._rest.start()
        if self.poll_seconds:
            self.manager.start_polling(self.poll_seconds)
        if self.config_file and self.config_poll_seconds:
            # A bad file is logged by the poller and the old config keeps serving.
            self.manager.start_polling(self.config_poll_seconds, self.reload_config_file, "config-file-poller")
        return self

    def _bind(self):
        grpc_port, rest_port = self._requested_ports
        # A bounded pool: grpc_max_threads calls run, as many wait, the next is RESOURCE_EXHAUSTED.
        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=self.grpc_max_threads),
                                 options=list(self.grpc_options.items()),
                                 maximum_concurrent_rpcs=2 * self.grpc_max_threads)
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionServicer(self.core), self._grpc)
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(self.core), self._grpc)
        try:
            self.grpc_port = self._grpc.add_insecure_port(f"{self.host}:{grpc_port}")
        except RuntimeError:  # grpcio raises where older versions returned 0
            self.grpc_port = 0
        if not self.grpc_port:
            raise OSError(f"cannot listen for gRPC on {self.host}:{grpc_port} (is the port in use?); "
                          "pick another gRPC port (0 picks a free one)")
        if rest_port is not None:
            self._rest = RestServer(self.core, self.host, rest_port, self.grpc_options[MAX_RECEIVE],
                                    self.rest_api_num_threads, self.rest_api_timeout_seconds)
            self.rest_port = self._rest.port

    def reload_config_file(self):
        self.core.reload_config(read_server_config(self.config_file))

    def stop(self, grace_seconds=5.0):
        """Stop accepting requests, let in-flight ones finish (up to the grace period), stop polling."""
        self.manager.stop()
        if self._rest:
            self._rest.stop()
        if self._grpc:
            self._grpc.stop(grace_seconds).wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def channel_arguments(text):
    """TF Serving's --grpc_channel_arguments: "key=value,key=value", integer values as ints."""
    arguments = {}
    for item in filter(None, text.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"expected key=value pairs separated by commas, got {item!r}")
        arguments[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else value.strip()
    return arguments


def build_parser():
    # Flag names follow tensorflow_model_server's, so the launcher passes the same ones to both.
    parser = argparse.ArgumentParser(prog="python -m serving.local_server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8500, help="gRPC port (0 = pick a free one)")
    parser.add_argument("--rest_api_port", type=int, default=0, help="REST port (0 = off, as in TF Serving)")
    parser.add_argument("--rest_api_pick_free_port", action="store_true", help="bind REST to a free port")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 serves every interface (TF Serving's only mode)")
    parser.add_argument("--model_config_file", help="models.config (ModelServerConfig text proto)")
    parser.add_argument("--model_base_path", help="directory of <name>/<version>/ trees (without a config file)")
    parser.add_argument("--model_name", action="append", help="serve only these models under --model_base_path")
    parser.add_argument("--file_system_poll_wait_seconds", type=float, default=1.0)
    parser.add_argument("--model_config_file_poll_wait_seconds", type=float, default=0,
                        help="re-read --model_config_file this often (0 = never, as in TF Serving)")
    parser.add_argument("--grpc_channel_arguments", type=channel_arguments, default={},
                        help="e.g. grpc.max_receive_message_length=134217728 (default limit: 64 MiB each way; "
                             "REST bodies follow the receive limit)")
    parser.add_argument("--grpc_max_threads", type=int, default=DEFAULT_GRPC_MAX_THREADS,
                        help="gRPC calls served at once; as many more may wait, further ones get RESOURCE_EXHAUSTED")
    parser.add_argument("--rest_api_num_threads", type=int, default=DEFAULT_REST_API_NUM_THREADS,
                        help="REST connections served at once; as many more may wait, further ones get 429")
    parser.add_argument("--rest_api_timeout_in_ms", type=int, default=int(DEFAULT_REST_API_TIMEOUT_SECONDS * 1000),
                        help="a REST connection silent this long is closed")
    parser.add_argument("--default_batch_cap", type=int, default=DEFAULT_BATCH_CAP,
                        help="max dimension 0 of an input for exports whose model_facts.json has no batch_caps")
    parser.add_argument("--max_num_load_retries", type=int, default=DEFAULT_MAX_NUM_LOAD_RETRIES,
                        help="retries of a failed version load (0 = one attempt), as TF Serving")
    parser.add_argument("--load_retry_interval_micros", type=int,
                        default=int(DEFAULT_LOAD_RETRY_INTERVAL_SECONDS * 1e6),
                        help="wait between load retries (negative = none), as TF Serving")
    parser.add_argument("--enable_model_warmup", type=lambda v: v.lower() != "false", default=True)
    parser.add_argument("--ready_file", help="write {grpc_port, rest_port, pid} as JSON here once serving")
    return parser


def check_positive(args):
    for flag in ("grpc_max_threads", "rest_api_num_threads", "rest_api_timeout_in_ms", "default_batch_cap"):
        if getattr(args, flag) < 1:
            raise ValueError(f"--{flag} must be >= 1, got {getattr(args, flag)}")


def main(argv=None):
    args = build_parser().parse_args(argv)
    check_positive(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.model_config_file:
        entries = read_models_config(args.model_config_file)
    elif args.model_base_path:
        entries = entries_for_base(args.model_base_path, args.model_name)
    else:
        raise ValueError("give --model_config_file or --model_base_path")
    rest_port = 0 if args.rest_api_pick_free_port else (args.rest_api_port or None)
    server = LocalServer(
        entries, grpc_port=args.port, rest_port=rest_port, host=args.host,
        poll_seconds=args.file_system_poll_wait_seconds, grpc_channel_arguments=args.grpc_channel_arguments,
        grpc_max_threads=args.grpc_max_threads, rest_api_num_threads=args.rest_api_num_threads,
        rest_api_timeout_seconds=args.rest_api_timeout_in_ms / 1000, default_batch_cap=args.default_batch_cap,
        max_num_load_retries=args.max_num_load_retries,
        load_retry_interval_seconds=args.load_retry_interval_micros / 1e6, enable_warmup=args.enable_model_warmup,
        config_file=args.model_config_file, config_poll_seconds=args.model_config_file_poll_wait_seconds,
    ).start()

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    ready = {"grpc_port": server.grpc_port, "rest_port": server.rest_port, "pid": os.getpid()}
    if args.ready_file:
        with open(args.ready_file + ".tmp", "w") as f:
            json.dump(ready, f)
        os.replace(args.ready_file + ".tmp", args.ready_file)  # readers never see a half-written file
    log.info("serving %s on %s", [e.name for e in entries], ready)
    stopping.wait()
    log.info("shutting down")
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
