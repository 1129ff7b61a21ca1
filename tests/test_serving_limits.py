"""The local server against requests meant to exhaust it: bounded pools, REST framing
and timeouts, answers instead of dropped connections, memory under oversized shapes, load retries
and reload confinement. Every bad request is followed by a good one (still serving)."""

import http.client
import json
import os
import shutil
import socket
import threading
import time

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_status_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

import serving.model_manager as model_manager
from serving.launcher import start_server
from serving.local_server import LocalServer
from serving.model_config import ModelEntry
from serving.errors import ServingError
from serving.predict import RequestLimits, run_predict
from serving.rest_api import ByteBudget
from serving_fixtures import BATCH_CAP, IMAGE_SHAPE, LATENT_DIM, export_test_models

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_serving_limits")

C = grpc.StatusCode
MAX_MESSAGE_BYTES = 256 * 1024
REST_TIMEOUT_SECONDS = 1.0
WAIT_SECONDS = 15.0  # upper bound for anything the server should do within its timeout
AVAILABLE = get_model_status_pb2.ModelVersionStatus.State.AVAILABLE
END = get_model_status_pb2.ModelVersionStatus.State.END


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    base = tmp_path_factory.mktemp("limits")
    export_test_models(base)
    return base


def entries(base, *names):
    return [ModelEntry(name, str(base / name)) for name in names]


@pytest.fixture(scope="module")
def server(base):
    with LocalServer(entries(base, "uncond", "cond"), rest_port=0, poll_seconds=0, max_message_bytes=MAX_MESSAGE_BYTES,
                     rest_api_timeout_seconds=REST_TIMEOUT_SECONDS) as running:
        yield running


def z_request(n=1, model="uncond"):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.inputs["z"].CopyFrom(tf.make_tensor_proto(np.zeros((n, LATENT_DIM), np.float32)))
    return request


def assert_still_serving(server):
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(z_request(), timeout=30)
    assert tf.make_ndarray(response.outputs["images"]).shape == (1, *IMAGE_SHAPE)
    if server.rest_port is None:
        return
    status, payload = raw_http(server.rest_port, post("/v1/models/uncond:predict", json.dumps({"instances": [[0.0] * 4]})))
    assert status == 200 and np.array(payload["predictions"]).shape == (1, *IMAGE_SHAPE)


# -- REST framing ---------------------------------------------------------------------------------
def post(path, body="", headers=None):
    headers = {"Content-Length": str(len(body))} if headers is None else headers
    head = "".join(f"{key}: {value}\r\n" for key, value in headers.items())
    return f"POST {path} HTTP/1.1\r\nHost: test\r\n{head}\r\n{body}".encode()


def raw_http(port, data):
    """Send raw bytes, return (status, JSON body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.getheader("Content-Type") == "application/json"
        return response.status, json.loads(response.read())


PREDICT = "/v1/models/uncond:predict"
FRAMING_CASES = {
    "negative Content-Length": (post(PREDICT, headers={"Content-Length": "-5"}), 400, "Invalid Content-Length"),
    "non-numeric Content-Length": (post(PREDICT, headers={"Content-Length": "abc"}), 400, "Invalid Content-Length"),
    "Content-Length in exponent form": (post(PREDICT, headers={"Content-Length": "1e3"}), 400, "Invalid Content-Length"),
    "conflicting Content-Lengths": (
        f"POST {PREDICT} HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{{}}".encode(), 400,
        "Invalid Content-Length"),
    "Content-Length over the limit, no body sent": (
        post(PREDICT, headers={"Content-Length": str(MAX_MESSAGE_BYTES + 1)}), 413, "exceeds the limit"),
    "Content-Length of 30 digits": (post(PREDICT, headers={"Content-Length": "9" * 30}), 413, "exceeds the limit"),
    "chunked body": (post(PREDICT, "5\r\nhello\r\n0\r\n\r\n", headers={"Transfer-Encoding": "chunked"}), 411,
                     "Length Required"),
    "request line over 64 KiB": (f"GET /{'a' * 70_000} HTTP/1.1\r\n\r\n".encode(), 414, "URI Too Long"),
    "over 100 headers": (post(PREDICT, "{}", headers={"Content-Length": "2", **{f"X-{i}": "x" for i in range(120)}}),
                         431, "Too many headers"),
    "unknown method": (b"BREW /v1/models/uncond HTTP/1.1\r\n\r\n", 501, "Unsupported method"),
    "not HTTP": (b"hello there\r\n\r\n", 400, "Bad HTTP/0.9 request type ('hello')"),
    "HTTP/0.9 request": (b"GET /v1/models/uncond\r\n\r\n", 400, "HTTP/0.9 requests are not supported"),
}


@pytest.mark.parametrize("case", FRAMING_CASES, ids=list(FRAMING_CASES))
def test_bad_framing_gets_a_json_error(server, case):
    data, status, message = FRAMING_CASES[case]
    answer = raw_http(server.rest_port, data)
    assert answer[0] == status and message in answer[1]["error"], answer
    assert_still_serving(server)


def closed_by_server(sock):
    """True once the server closes `sock` (bounded by WAIT_SECONDS), False if it answers instead."""
    sock.settimeout(WAIT_SECONDS)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_stalled_and_idle_connections_are_closed_after_the_read_timeout(server):
    with socket.create_connection(("127.0.0.1", server.rest_port)) as stalled_body, \
            socket.create_connection(("127.0.0.1", server.rest_port)) as idle:
        stalled_body.sendall(post(PREDICT, headers={"Content-Length": "100"}) + b'{"instances"')
        assert closed_by_server(stalled_body)  # no answer to a half body: dropped, as libevent does
        assert closed_by_server(idle)
    assert_still_serving(server)


def test_a_rest_handler_failure_is_a_json_500_and_grpc_says_internal(base):
    with LocalServer(entries(base, "uncond"), rest_port=0, poll_seconds=0) as server:
        def broken(request):
            raise RuntimeError("boom")

        server.core.model_status = broken
        assert raw_http(server.rest_port, b"GET /v1/models/uncond HTTP/1.1\r\n\r\n") == (
            500, {"error": "Internal error: RuntimeError: boom"})
        with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            request = get_model_status_pb2.GetModelStatusRequest()
            request.model_spec.name = "uncond"
            with pytest.raises(grpc.RpcError) as info:
                model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(request, timeout=30)
        assert (info.value.code(), info.value.details()) == (C.INTERNAL, "RuntimeError: boom")
        assert_still_serving(server)


# -- bounded pools ----------------------------------------------------------------------------------
def test_rest_connections_beyond_the_pool_get_429_at_once(base):
    with LocalServer(entries(base, "uncond"), rest_port=0, poll_seconds=0, rest_api_num_threads=1,
                     rest_api_timeout_seconds=WAIT_SECONDS) as server:
        held = [socket.create_connection(("127.0.0.1", server.rest_port)) for _ in range(2)]  # 1 served, 1 waiting
        try:
            time.sleep(0.5)  # both accepted before the next one
            status, payload = raw_http(server.rest_port, b"GET /v1/models/uncond HTTP/1.1\r\n\r\n")
            assert status == 429 and "Too many concurrent REST connections" in payload["error"]
        finally:
            for sock in held:
                sock.close()
        deadline = time.monotonic() + WAIT_SECONDS
        while True:  # the pool frees up once the held connections are closed
            status, _ = raw_http(server.rest_port, b"GET /v1/models/uncond HTTP/1.1\r\n\r\n")
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert status == 200
        assert_still_serving(server)


def test_grpc_calls_beyond_the_pool_get_resource_exhausted(base):
    with LocalServer(entries(base, "uncond"), rest_port=0, poll_seconds=0, grpc_max_threads=1) as server:
        started, release = threading.Semaphore(0), threading.Event()
        predict = server.core.predict

        def slow_predict(request):
            started.release()
            release.wait(WAIT_SECONDS)
            return predict(request)

        server.core.predict = slow_predict
        with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            running = stub.Predict.future(z_request(), timeout=30)
            assert started.acquire(timeout=WAIT_SECONDS)
            waiting = stub.Predict.future(z_request(), timeout=30)
            time.sleep(0.2)
            with pytest.raises(grpc.RpcError) as info:
                stub.Predict(z_request(), timeout=30)  # the pool (1) and its queue (1) are full
            assert info.value.code() == C.RESOURCE_EXHAUSTED
            release.set()
            assert running.result().model_spec.version.value == waiting.result().model_spec.version.value == 2
        del server.core.predict  # back to the class's method
        assert_still_serving(server)


def test_large_bodies_are_decoded_one_budget_at_a_time():
    budget = ByteBudget(10)
    holding, release = threading.Event(), threading.Event()

    def hold_six():
        with budget.hold(6, WAIT_SECONDS):
            holding.set()
            release.wait(WAIT_SECONDS)

    thread = threading.Thread(target=hold_six)
    thread.start()
    try:
        assert holding.wait(WAIT_SECONDS)
        with budget.hold(4, 0):  # fits beside the first
            pass
        with pytest.raises(ServingError) as info:
            with budget.hold(6, 0.1):
                pass
        assert info.value.code == C.RESOURCE_EXHAUSTED
    finally:
        release.set()
        thread.join()
    with budget.hold(10, 0):
        pass


# -- checks before conversion ---------------------------------------------------------------------
def test_a_tensor_larger_than_a_message_is_refused_before_it_is_built(server):
    servable = server.manager.models["uncond"].loaded[2]
    request = z_request(n=BATCH_CAP)
    limits = RequestLimits(max_tensor_bytes=BATCH_CAP * LATENT_DIM * 4 - 1)
    with pytest.raises(Exception, match=r"input 'z' of shape \[100, 4\] would take more than 1599 bytes"):
        run_predict(servable, request, limits)
    assert run_predict(servable, z_request(n=BATCH_CAP), RequestLimits()).outputs["images"].tensor_shape.dim[0].size == 100


@pytest.mark.parametrize("facts, caps", [
    (None, {}),
    ({"batch_caps": {"serving_default": 8, "sample": None, "sample_png": 0, "translate": True}},
     {"serving_default": 8}),
    ({"batch_caps": [8]}, {}),
    ("{not json", {}),
])
def test_unusable_batch_caps_fall_back_to_the_default_cap(tmp_path, facts, caps):
    (tmp_path / "assets.extra").mkdir()
    if facts is not None:
        text = facts if isinstance(facts, str) else json.dumps(facts)
        (tmp_path / "assets.extra" / "model_facts.json").write_text(text)
    assert model_manager.batch_caps(tmp_path) == caps


def vm_kib(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def oversized(dims, values=(), dtype=np.float32):
    proto = tf.make_tensor_proto(np.asarray(values, dtype))
    del proto.tensor_shape.dim[:]
    for size in dims:
        proto.tensor_shape.dim.add(size=size)
    return proto


@pytest.mark.slow  # a server subprocess
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="peak RSS is read from /proc (Linux)")
def test_peak_memory_stays_under_twice_idle_during_oversized_shape_requests(base, tmp_path):
    handle = start_server(entries=entries(base, "uncond", "cond", "i2i"), use_tf_serving=False, rest_port=0,
                          poll_seconds=0, log_file=tmp_path / "server.log")
    try:
        pid = handle.process.pid
        with grpc.insecure_channel(handle.grpc_target) as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            for _ in range(5):  # warm: first calls build what later calls reuse
                stub.Predict(z_request(n=64), timeout=60)
            idle_kib = vm_kib(pid, "VmRSS")

            requests = []
            for dims in ([10**9, LATENT_DIM], [2**40, LATENT_DIM], [BATCH_CAP + 1, 10**8]):
                for values in ((), (0.5,)):
                    requests.append(("uncond", "serving_default", {"z": oversized(dims, values)}))
            requests.append(("cond", "sample", {"num_samples": tf.make_tensor_proto(1, tf.int32),
                                                "seed": tf.make_tensor_proto(0, tf.int32),
                                                "labels": oversized([10**9], (1,), np.int32)}))
            requests.append(("i2i", "serving_default", {"images": oversized([10**6, *IMAGE_SHAPE], (0.0,))}))
            sizes = []
            for _ in range(10):
                for model, signature, inputs in requests:
                    request = predict_pb2.PredictRequest()
                    request.model_spec.name, request.model_spec.signature_name = model, signature
                    for name, proto in inputs.items():
                        request.inputs[name].CopyFrom(proto)
                    sizes.append(request.ByteSize())
                    with pytest.raises(grpc.RpcError) as info:
                        stub.Predict(request, timeout=60)
                    assert info.value.code() == C.INVALID_ARGUMENT
            peak_kib = vm_kib(pid, "VmHWM")
            response = stub.Predict(z_request(n=1), timeout=60)  # still serving
            assert response.outputs["images"].tensor_shape.dim[0].size == 1
        print(json.dumps({"idle_rss_mib": round(idle_kib / 1024, 1), "peak_rss_mib": round(peak_kib / 1024, 1),
                          "requests": len(sizes), "largest_request_bytes": max(sizes)}))
        assert max(sizes) < 100
        assert peak_kib < 2 * idle_kib, f"peak {peak_kib} KiB vs idle {idle_kib} KiB"
    finally:
        handle.stop()


# -- version loading --------------------------------------------------------------------------------
def counting_loads(monkeypatch, failures_before_success=None):
    """Count load_version calls per version; optionally fail the first N attempts of every version."""
    attempts = {}
    load = model_manager.load_version

    def counted(name, version, path):
        attempts[version] = attempts.get(version, 0) + 1
        if failures_before_success is not None and attempts[version] <= failures_before_success:
            raise OSError("storage hiccup")
        return load(name, version, path)

    monkeypatch.setattr(model_manager, "load_version", counted)
    return attempts


def test_a_failing_load_is_retried_then_given_up_and_a_version_fixed_in_place_is_picked_up(base, tmp_path,
                                                                                             monkeypatch):
    shutil.copytree(base / "uncond" / "1", tmp_path / "m" / "1")
    broken = tmp_path / "m" / "2"
    shutil.copytree(base / "uncond" / "2", broken)
    (broken / "saved_model.pb").write_bytes(b"half copied")
    attempts = counting_loads(monkeypatch)
    with LocalServer([ModelEntry("m", str(tmp_path / "m"))], poll_seconds=0, max_num_load_retries=2,
                     load_retry_interval_seconds=0.01) as server:
        assert attempts == {2: 3, 1: 1}  # 1 + 2 retries, then `latest` falls back to version 1
        states = server.manager.models["m"].states
        assert states[2].state == END and "Failed to load" in states[2].error_message
        assert server.manager.resolve(z_request(model="m").model_spec).version == 1

        server.manager.poll_once()
        assert attempts == {2: 3, 1: 1}  # unchanged files: not tried again
        shutil.rmtree(broken)
        shutil.copytree(base / "uncond" / "2", broken)  # the copy, done right
        server.manager.poll_once()
        assert attempts[2] == 4
        assert [(v, s.state) for v, s in sorted(server.manager.models["m"].states.items())] == [(1, END), (2, AVAILABLE)]
        assert server.manager.resolve(z_request(model="m").model_spec).version == 2


def test_a_transient_load_failure_is_retried_until_it_loads(base, monkeypatch):
    attempts = counting_loads(monkeypatch, failures_before_success=2)
    with LocalServer(entries(base, "uncond"), poll_seconds=0, max_num_load_retries=5,
                     load_retry_interval_seconds=0.01) as server:
        assert attempts == {2: 3}
        assert server.manager.models["uncond"].states[2].state == AVAILABLE


def test_load_retries_follow_tf_serving_flags():
    from serving.local_server import build_parser

    args = build_parser().parse_args([])
    assert (args.max_num_load_retries, args.load_retry_interval_micros) == (5, 60_000_000)
    assert args.grpc_channel_arguments == {}
    parsed = build_parser().parse_args(["--grpc_channel_arguments", "grpc.max_receive_message_length=1024,x=y"])
    assert parsed.grpc_channel_arguments == {"grpc.max_receive_message_length": 1024, "x": "y"}


# -- reload confinement ---------------------------------------------------------------------------
def reload_request(*model_entries):
    request = model_management_pb2.ReloadConfigRequest()
    request.config.model_config_list.config.extend(e.to_proto() for e in model_entries)
    return request


def test_reload_only_loads_models_under_the_starting_directories(base, tmp_path):
    outside = tmp_path / "outside"
    shutil.copytree(base / "uncond", outside / "uncond")
    link = base / "link_outside"
    link.symlink_to(outside / "uncond")
    try:
        with LocalServer(entries(base, "uncond"), poll_seconds=0) as server, \
                grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            stub = model_service_pb2_grpc.ModelServiceStub(channel)
            for path in (outside / "uncond", base / ".." / outside.name / "uncond", link, "/"):
                with pytest.raises(grpc.RpcError) as info:
                    stub.HandleReloadConfigRequest(reload_request(ModelEntry("evil", str(path))), timeout=30)
                assert info.value.code() == C.PERMISSION_DENIED
                assert "is not under the directories this server was started with" in info.value.details()
                assert set(server.manager.models) == {"uncond"}
            response = stub.HandleReloadConfigRequest(
                reload_request(*entries(base, "uncond", "cond")), timeout=60)
            assert response.status.error_code == 0 and set(server.manager.models) == {"uncond", "cond"}
            assert_still_serving(server)
    finally:
        link.unlink()
