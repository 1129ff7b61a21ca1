"""A local stand-in for `tensorflow_model_server`, for laptops and CI where the binary is absent.

It serves the same ``BASE/<name>/<version>/`` tree with TF Serving's protocol and behaviour
(TF_SERVING.md): PredictionService Predict + GetModelMetadata (the other RPCs answer UNIMPLEMENTED),
ModelService GetModelStatus + HandleReloadConfigRequest, the REST API, version policies and labels,
polling for new versions and (--model_config_file_poll_wait_seconds) for an edited models.config,
TF Serving's status codes and messages. Listens on 127.0.0.1 unless told otherwise.

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

import grpc
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
    prediction_service_pb2_grpc,
)
from tensorflow_serving.apis.get_model_metadata_pb2 import SignatureDefMap

from serving.errors import ServingError, invalid_argument
from serving.model_config import entries_for_base, entries_from_config, read_models_config, read_server_config
from serving.model_manager import ModelManager
from serving.predict import run_predict
from serving.rest_api import RestServer

log = logging.getLogger(__name__)

# TF Serving sets the gRPC max message size to INT32_MAX (model_servers/server.cc).
DEFAULT_MAX_MESSAGE_BYTES = 2**31 - 1
SIGNATURE_DEF_FIELD = "signature_def"


def _abort(context, error):
    context.abort(error.code, error.message)


def _unimplemented(rpc):
    def handler(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{rpc} is not supported: the local server serves Predict "
                                                     "and GetModelMetadata (GAN generators have no classify/regress heads)")
    return handler


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, core):
        self.core = core

    def Predict(self, request, context):
        try:
            return self.core.predict(request)
        except ServingError as error:
            _abort(context, error)

    def GetModelMetadata(self, request, context):
        try:
            return self.core.metadata(request)
        except ServingError as error:
            _abort(context, error)

    Classify = _unimplemented("Classify")
    Regress = _unimplemented("Regress")
    MultiInference = _unimplemented("MultiInference")


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, core):
        self.core = core

    def GetModelStatus(self, request, context):
        try:
            return self.core.model_status(request)
        except ServingError as error:
            _abort(context, error)

    def HandleReloadConfigRequest(self, request, context):
        try:
            return self.core.reload_config(request.config)
        except ServingError as error:
            _abort(context, error)  # TF Serving also fails the RPC itself, not only the response status


class ServingCore:
    """The protocol-independent server: what both the gRPC servicers and the REST handler call."""

    def __init__(self, manager):
        self.manager = manager

    def predict(self, request):
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        return run_predict(self.manager.resolve(request.model_spec), request)

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

    def reload_config(self, config):
        """HandleReloadConfigRequest (model_service_impl.cc), also used for the config file poll."""
        if config.WhichOneof("config") != "model_config_list":
            raise invalid_argument("ServerModelConfig type not supported by HandleReloadConfigRequest. "
                                   "Only ModelConfigList is currently supported")
        try:
            entries = entries_from_config(config)
        except ValueError as error:  # a bad policy or label syntax
            raise invalid_argument(str(error)) from None
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
    """gRPC (+ optional REST) server over a ModelManager. `start()` returns once models are loaded."""

    def __init__(self, entries, grpc_port=0, rest_port=None, host="127.0.0.1", poll_seconds=1.0,
                 max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES, num_threads=8, enable_warmup=True,
                 config_file=None, config_poll_seconds=0):
        self.entries = entries
        self.manager = ModelManager(run_predict, enable_warmup=enable_warmup)
        self.core = ServingCore(self.manager)
        self.host = host
        self.poll_seconds = poll_seconds
        self.config_file = config_file
        self.config_poll_seconds = config_poll_seconds
        self.max_message_bytes = max_message_bytes
        self.num_threads = num_threads
        self._requested_ports = (grpc_port, rest_port)
        self.grpc_port = None
        self.rest_port = None
        self._grpc = None
        self._rest = None

    def start(self):
        self.manager.reload(self.entries)  # like TF Serving: serve only once the initial versions are loaded
        options = [
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.max_send_message_length", self.max_message_bytes),
        ]
        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=self.num_threads), options=options)
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionServicer(self.core), self._grpc)
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(self.core), self._grpc)
        grpc_port, rest_port = self._requested_ports
        self.grpc_port = self._grpc.add_insecure_port(f"{self.host}:{grpc_port}")
        if not self.grpc_port:
            raise OSError(f"could not bind gRPC port {self.host}:{grpc_port}")
        self._grpc.start()
        if rest_port is not None:
            self._rest = RestServer(self.core, self.host, rest_port, self.max_message_bytes)
            self.rest_port = self._rest.port
            self._rest.start()
        if self.poll_seconds:
            self.manager.start_polling(self.poll_seconds)
        if self.config_file and self.config_poll_seconds:
            # A bad file is logged by the poller and the old config keeps serving.
            self.manager.start_polling(self.config_poll_seconds, self.reload_config_file, "config-file-poller")
        return self

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


def build_parser():
    # Flag names follow tensorflow_model_server's, so the launcher passes the same ones to both.
    parser = argparse.ArgumentParser(prog="python -m serving.local_server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8500, help="gRPC port (0 = pick a free one)")
    parser.add_argument("--rest_api_port", type=int, default=0, help="REST port (0 = off, as in TF Serving)")
    parser.add_argument("--rest_api_pick_free_port", action="store_true", help="bind REST to a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--model_config_file", help="models.config (ModelServerConfig text proto)")
    parser.add_argument("--model_base_path", help="directory of <name>/<version>/ trees (without a config file)")
    parser.add_argument("--model_name", action="append", help="serve only these models under --model_base_path")
    parser.add_argument("--file_system_poll_wait_seconds", type=float, default=1.0)
    parser.add_argument("--model_config_file_poll_wait_seconds", type=float, default=0,
                        help="re-read --model_config_file this often (0 = never, as in TF Serving)")
    parser.add_argument("--max_message_bytes", type=int, default=DEFAULT_MAX_MESSAGE_BYTES)
    parser.add_argument("--num_threads", type=int, default=8)
    parser.add_argument("--enable_model_warmup", type=lambda v: v.lower() != "false", default=True)
    parser.add_argument("--ready_file", help="write {grpc_port, rest_port, pid} as JSON here once serving")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.model_config_file:
        entries = read_models_config(args.model_config_file)
    elif args.model_base_path:
        entries = entries_for_base(args.model_base_path, args.model_name)
    else:
        raise SystemExit("give --model_config_file or --model_base_path")
    rest_port = 0 if args.rest_api_pick_free_port else (args.rest_api_port or None)
    server = LocalServer(
        entries, grpc_port=args.port, rest_port=rest_port, host=args.host,
        poll_seconds=args.file_system_poll_wait_seconds, max_message_bytes=args.max_message_bytes,
        num_threads=args.num_threads, enable_warmup=args.enable_model_warmup,
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
    sys.exit(main())
