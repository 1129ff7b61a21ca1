"""Start a model server over a models.config: `tensorflow_model_server` when it is on PATH and may
listen on every interface (it binds 0.0.0.0; `public=True`), else the local server
(serving.local_server, 127.0.0.1), both in a subprocess with the same flags and files.

    handle = start_server("models/", grpc_port=0, rest_port=0)
    ... GeneratorClient(f"127.0.0.1:{handle.grpc_port}", "dcgan") ...
    handle.stop()
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc

from serving.model_config import entries_for_base, read_models_config, write_models_config
from serving.predict import DEFAULT_MAX_MESSAGE_BYTES

TF_SERVING_BINARY = "tensorflow_model_server"
DEPLOY_DIR = Path(__file__).parent / "deploy"
BATCHING_PARAMETERS = DEPLOY_DIR / "batching_parameters.txt"
MONITORING_CONFIG = DEPLOY_DIR / "monitoring.config"
AVAILABLE = get_model_status_pb2.ModelVersionStatus.State.AVAILABLE
# TF Serving allows INT32_MAX by default; both servers get the local server's 64 MiB.
MESSAGE_LIMITS = (f"grpc.max_receive_message_length={DEFAULT_MAX_MESSAGE_BYTES},"
                  f"grpc.max_send_message_length={DEFAULT_MAX_MESSAGE_BYTES}")
PUBLIC_WARNING = (f"{TF_SERVING_BINARY} listens on every network interface (0.0.0.0), with no authentication: "
                  "anyone who can reach this machine can call it")
LOG_TAIL_LINES = 5


def tf_serving_binary():
    return shutil.which(TF_SERVING_BINARY)


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class ServerHandle:
    process: subprocess.Popen
    kind: str  # "tensorflow_model_server" or "local"
    grpc_port: int
    rest_port: int | None
    workdir: Path

    @property
    def grpc_target(self):
        return f"127.0.0.1:{self.grpc_port}"

    def stop(self, timeout_seconds=15.0):
        """SIGTERM (both servers shut down cleanly on it), SIGKILL if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def tf_serving_command(binary, config_file, grpc_port, rest_port, poll_seconds, batching, config_poll_seconds=0):
    command = [
        binary,
        f"--port={grpc_port}",
        f"--rest_api_port={rest_port or 0}",
        f"--model_config_file={config_file}",
        f"--file_system_poll_wait_seconds={max(1, round(poll_seconds))}",
        f"--monitoring_config_file={MONITORING_CONFIG}",
        f"--grpc_channel_arguments={MESSAGE_LIMITS}",
    ]
    if config_poll_seconds:  # TF Serving takes whole seconds
        command.append(f"--model_config_file_poll_wait_seconds={max(1, round(config_poll_seconds))}")
    if batching:
        # Session batching concatenates inputs along dimension 0, so it only suits signatures whose
        # inputs all have a batch dimension (serving_default); `sample` takes scalars. Opt-in.
        command += ["--enable_batching=true", f"--batching_parameters_file={BATCHING_PARAMETERS}"]
    return command


def local_command(config_file, grpc_port, rest_port, poll_seconds, ready_file, host, config_poll_seconds=0):
    command = [
        sys.executable, "-m", "serving.local_server",
        f"--model_config_file={config_file}",
        f"--port={grpc_port}",
        f"--file_system_poll_wait_seconds={poll_seconds}",
        f"--model_config_file_poll_wait_seconds={config_poll_seconds}",
        f"--ready_file={ready_file}",
        f"--host={host}",
    ]
    if rest_port == 0:
        command.append("--rest_api_pick_free_port")
    elif rest_port:
        command.append(f"--rest_api_port={rest_port}")
    return command


def start_server(model_base=None, grpc_port=0, rest_port=0, *, model_names=None, entries=None, config_file=None,
                 poll_seconds=1.0, use_tf_serving=None, public=False, batching=False, host="127.0.0.1",
                 ready_timeout_seconds=180.0, log_file=None, config_poll_seconds=0):
    """Start a server and return a ServerHandle once every configured model has a version AVAILABLE.

    Port 0 means "pick a free one"; `rest_port=None` disables REST. TF Serving binds every interface,
    so it is only started with `public=True`: `use_tf_serving=None` picks it when `public` and its
    binary is on PATH (else the local server on `host`), `use_tf_serving=True` insists. The models
    come from `config_file`, `entries`, or every model directory under `model_base` (optionally
    only `model_names`). `config_poll_seconds` > 0 re-reads the config file that often
    (--model_config_file_poll_wait_seconds). A server that exits before it is ready raises
    RuntimeError with the end of its log.
    """
    if use_tf_serving and not public:
        raise ValueError(f"{PUBLIC_WARNING}; pass public=True to start it anyway")
    binary = tf_serving_binary() if use_tf_serving is not False and public else None
    if use_tf_serving and not binary:
        raise FileNotFoundError(f"{TF_SERVING_BINARY} is not on PATH")
    workdir = Path(tempfile.mkdtemp(prefix="tfgan-serving-"))
    process = None
    try:
        log_file = log_file or workdir / "server.log"
        if config_file is None:
            entries = entries or entries_for_base(model_base, model_names)
            config_file = write_models_config(entries, workdir / "models.config")
        if binary:
            # TF Serving cannot report a port it picked, so pick them here.
            grpc_port = grpc_port or free_port()
            rest_port = free_port() if rest_port == 0 else rest_port
            command = tf_serving_command(binary, config_file, grpc_port, rest_port, poll_seconds, batching,
                                         config_poll_seconds)
            process = _spawn(command, log_file)
            handle = ServerHandle(process, "tensorflow_model_server", grpc_port, rest_port, workdir)
            _wait_until_available(handle, config_file, ready_timeout_seconds, log_file)
            return handle

        ready_file = workdir / "ready.json"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent.parent),
                                                           os.environ.get("PYTHONPATH", "")]))
        command = local_command(config_file, grpc_port, rest_port, poll_seconds, ready_file, host, config_poll_seconds)
        process = _spawn(command, log_file, env)
        deadline = time.monotonic() + ready_timeout_seconds
        while not ready_file.exists():  # written once the initial versions are loaded and ports bound
            _check_alive(process, deadline, log_file)
            time.sleep(0.1)
        ready = json.loads(ready_file.read_text())
        return ServerHandle(process, "local", ready["grpc_port"], ready["rest_port"], workdir)
    except BaseException:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def _spawn(command, log_file, env=None):
    with open(log_file, "ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)


def _check_alive(process, deadline, log_file):
    if process.poll() is not None:
        tail = Path(log_file).read_text(errors="replace").strip().splitlines()[-LOG_TAIL_LINES:]
        raise RuntimeError(f"model server exited with code {process.returncode} before it was ready; "
                           "the end of its log:\n" + "\n".join(tail))
    if time.monotonic() > deadline:
        process.kill()
        raise TimeoutError("model server did not become ready in time")


def _wait_until_available(handle, config_file, timeout_seconds, log_file):
    names = [entry.name for entry in read_models_config(config_file)]
    deadline = time.monotonic() + timeout_seconds
    with grpc.insecure_channel(handle.grpc_target) as channel:
        stub = model_service_pb2_grpc.ModelServiceStub(channel)
        pending = set(names)
        while pending:
            _check_alive(handle.process, deadline, log_file)
            for name in sorted(pending):
                request = get_model_status_pb2.GetModelStatusRequest()
                request.model_spec.name = name
                try:
                    states = stub.GetModelStatus(request, timeout=2).model_version_status
                except grpc.RpcError:
                    continue  # not listening yet, or the model is not loaded yet
                if any(s.state == AVAILABLE for s in states):
                    pending.discard(name)
            time.sleep(0.2)
