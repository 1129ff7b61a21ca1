"""GeneratorClient against the local server, and against TF Serving itself when its binary is on PATH."""

import subprocess
import sys
from unittest import mock

import grpc
import numpy as np
import pytest

from serving.client import GeneratorClient
from serving.errors import ServingError
from serving.launcher import start_server, tf_serving_binary
from serving.local_server import LocalServer
from serving_fixtures import IMAGE_SHAPE, LATENT_DIM, export_test_models, served_model_entries

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_client")

ATOL = 1e-6  # graph vs eager Keras kernels may differ in the last bit


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    base = tmp_path_factory.mktemp("served")
    return base, export_test_models(base)


@pytest.fixture(scope="module", params=["local", "tensorflow_model_server"])
def target(request, tree):
    base, _ = tree
    if request.param == "local":
        with LocalServer(served_model_entries(base), poll_seconds=0) as server:
            yield f"127.0.0.1:{server.grpc_port}"
        return
    if not tf_serving_binary():
        pytest.skip("tensorflow_model_server is not on PATH")
    with start_server(entries=served_model_entries(base), use_tf_serving=True, public=True) as handle:
        yield handle.grpc_target


@pytest.fixture
def client_for(target):
    clients = []

    def make(model, **kwargs):
        clients.append(GeneratorClient(target, model, **kwargs))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def test_sample_matches_the_model_and_is_deterministic(client_for, tree):
    _, models = tree
    client = client_for("uncond_latest")
    images = client.sample(6, seed=4)
    assert images.shape == (6, *IMAGE_SHAPE) and images.dtype == np.float32
    np.testing.assert_allclose(images, models[("uncond", 2)].sample(6, seed=4), atol=ATOL, rtol=0)
    np.testing.assert_array_equal(client.sample(6, seed=4), images)


def test_generate_matches_the_model(client_for, tree):
    _, models = tree
    z = np.random.default_rng(0).normal(size=(5, LATENT_DIM)).astype(np.float32)
    expected = models[("uncond", 2)].generator(z).numpy()
    np.testing.assert_allclose(client_for("uncond_latest").generate(z), expected, atol=ATOL, rtol=0)


def test_conditional_sample_and_generate(client_for, tree):
    _, models = tree
    model, client = models[("cond", 1)], client_for("cond")
    np.testing.assert_allclose(client.sample(5, seed=2), model.sample(5, seed=2), atol=ATOL, rtol=0)
    labels = [2, 2, 0]
    np.testing.assert_allclose(
        client.sample(3, seed=2, labels=labels), model.sample(3, labels=labels, seed=2), atol=ATOL, rtol=0
    )
    z = np.zeros((3, LATENT_DIM), np.float32)
    by_label = client.generate(z, labels=[0, 1, 2])
    assert not np.allclose(by_label[0], by_label[1])  # the label changes the image


def test_translate(client_for, tree):
    _, models = tree
    images = np.random.default_rng(1).uniform(-1, 1, (2, *IMAGE_SHAPE)).astype(np.float32)
    expected = models[("i2i", 1)].generator(images).numpy()
    np.testing.assert_allclose(client_for("i2i").translate(images), expected, atol=ATOL, rtol=0)


def test_sample_png(client_for):
    pngs = client_for("uncond_latest").sample_png(3, seed=1)
    assert len(pngs) == 3 and all(png.startswith(b"\x89PNG") for png in pngs)


def test_metadata_lists_the_signatures(client_for):
    metadata = client_for("cond").metadata()
    assert metadata["name"] == "cond" and metadata["version"] == 1
    signatures = metadata["signatures"]
    assert set(signatures) == {"serving_default", "sample", "sample_png"}
    assert signatures["serving_default"]["inputs"] == {
        "z": {"dtype": "float32", "shape": [-1, LATENT_DIM]},
        "labels": {"dtype": "int32", "shape": [-1]},
    }
    assert signatures["sample"]["outputs"] == {"images": {"dtype": "float32", "shape": [-1, *IMAGE_SHAPE]}}


def test_status_per_version_policy(client_for):
    def versions(model):
        return [(s["version"], s["state"], s["error_code"]) for s in client_for(model).status()]

    assert versions("uncond") == [(1, "AVAILABLE", "OK"), (2, "AVAILABLE", "OK")]  # all
    assert versions("uncond_latest") == [(2, "AVAILABLE", "OK")]  # latest, num_versions 1
    assert versions("uncond_v1") == [(1, "AVAILABLE", "OK")]  # specific [1]


def test_version_and_label_selection(client_for, tree):
    _, models = tree
    client = client_for("uncond")
    by_version = {v: client.select(version=v).sample(2, seed=0) for v in (1, 2)}
    for version, images in by_version.items():
        np.testing.assert_allclose(images, models[("uncond", version)].sample(2, seed=0), atol=ATOL, rtol=0)
    np.testing.assert_array_equal(client.select(label="stable").sample(2, seed=0), by_version[1])
    np.testing.assert_array_equal(client.select(label="canary").sample(2, seed=0), by_version[2])
    np.testing.assert_array_equal(client.sample(2, seed=0), by_version[2])  # unset: the latest
    assert client_for("uncond", version=1).metadata()["version"] == 1
    assert client_for("uncond", label="canary").metadata()["version"] == 2


def test_errors_carry_the_status_code(client_for):
    with pytest.raises(ServingError) as info:
        client_for("uncond", version=9).sample(1, seed=0)
    assert info.value.code == grpc.StatusCode.NOT_FOUND
    assert "Specific(uncond, 9)" in info.value.message
    with pytest.raises(ServingError) as info:
        client_for("nope").status()
    assert info.value.code == grpc.StatusCode.NOT_FOUND
    with pytest.raises(ServingError) as info:
        client_for("uncond_latest").sample(2, seed=-3)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT and "seed must be >= 0" in info.value.message


def test_labels_for_an_unconditional_model_are_refused_locally(client_for):
    with pytest.raises(ValueError, match="not conditional"):
        client_for("uncond_latest").sample(2, seed=0, labels=[1, 2])


def test_deadline_exceeded_is_reported_not_retried(client_for):
    client = client_for("uncond_latest", timeout_seconds=1e-6, max_attempts=3)
    predict, attempts = client._predict.Predict, []
    client._predict = mock.Mock(Predict=lambda request, timeout: attempts.append(timeout) or predict(
        request, timeout=timeout))
    with pytest.raises(ServingError) as info:
        client.generate(np.zeros((1, LATENT_DIM), np.float32))
    assert info.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert attempts == [1e-6]  # one attempt: a deadline is an answer, not retried


def test_client_message_size_limit(client_for):
    client = client_for("uncond_latest", max_message_bytes=1024)
    with pytest.raises(ServingError) as info:
        client.sample(64, seed=0)  # 64 * 8*8 floats = 16 KiB reply
    assert info.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED


# -- independent of the backend ----------------------------------------------------------------
class _Flaky:
    """An RPC that answers `code` a number of times before succeeding."""

    def __init__(self, failures, code):
        self.calls, self.failures, self.code = 0, failures, code

    def __call__(self, request, timeout):
        self.calls += 1
        if self.calls <= self.failures:
            error = grpc.RpcError()
            error.code = lambda: self.code
            error.details = lambda: "flaky"
            raise error
        return "ok"


def test_retries_only_unavailable_with_backoff():
    client = GeneratorClient("127.0.0.1:1", "m", max_attempts=3, backoff_seconds=0.001)
    flaky = _Flaky(2, grpc.StatusCode.UNAVAILABLE)
    assert client._call(flaky, None) == "ok" and flaky.calls == 3
    always_down = _Flaky(5, grpc.StatusCode.UNAVAILABLE)
    with pytest.raises(ServingError) as info:
        client._call(always_down, None)
    assert info.value.code == grpc.StatusCode.UNAVAILABLE and always_down.calls == 3
    for code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.DEADLINE_EXCEEDED):
        answered = _Flaky(1, code)
        with pytest.raises(ServingError) as info:
            client._call(answered, None)
        assert info.value.code == code and answered.calls == 1
    client.close()


def test_unreachable_server_is_unavailable_after_retries():
    client = GeneratorClient("127.0.0.1:1", "m", max_attempts=2, backoff_seconds=0.01, timeout_seconds=2)
    with pytest.raises(ServingError) as info:
        client.status()
    assert info.value.code == grpc.StatusCode.UNAVAILABLE
    client.close()


def test_tls_client_builds_a_secure_channel(monkeypatch):
    opened = []

    def secure_channel(target, credentials, options):
        opened.append((target, type(credentials).__name__, dict(options)))
        return mock.MagicMock()

    monkeypatch.setattr(grpc, "secure_channel", secure_channel)
    GeneratorClient("example.org:443", "m", tls=True, max_message_bytes=1 << 20)
    assert opened == [("example.org:443", "ChannelCredentials", {
        "grpc.max_receive_message_length": 1 << 20, "grpc.max_send_message_length": 1 << 20})]


def test_version_and_label_are_exclusive():
    with pytest.raises(ValueError, match="not both"):
        GeneratorClient("127.0.0.1:1", "m", version=1, label="stable")


def test_serving_never_imports_tfgan_suite():
    code = (
        "import sys, serving.client, serving.local_server, serving.launcher;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tfgan_suite', 'export')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
