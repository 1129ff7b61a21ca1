"""Labels end to end: a trained conditional model -> .keras -> export -> local server -> gRPC client."""

import grpc
import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from export import export_generator, read_facts
from serving.client import GeneratorClient
from serving.errors import ServingError
from serving.local_server import LocalServer
from serving.model_config import ModelEntry

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module. Exporting
# four models costs ~40 s, so it is in the full run only (test_client serves a dcgan quickly).
pytestmark = [pytest.mark.xdist_group("test_conditional_serving"), pytest.mark.slow]

IMAGE_SHAPE = (28, 28, 1)
ATOL = 1e-6  # graph vs eager kernels may differ in the last bit
LABELLED = {"cgan": dict(conditioning="projection"), "acgan": {}, "icgan": {}}
SERVED = {**{variant: dict(options, num_classes=10, latent_dim=8)
             for variant, options in LABELLED.items()}, "infogan": dict(latent_dim=16)}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("conditional")
    models = {}
    for variant, options in SERVED.items():
        keras.utils.set_random_seed(0)
        model = tfgan_suite.build_model(variant, image_shape=IMAGE_SHAPE, width=4, **options)
        model.compile()
        images = np.random.default_rng(0).uniform(-1, 1, (32,) + IMAGE_SHAPE).astype(np.float32)
        batch = (images, np.arange(32) % 10) if model.num_classes else images
        model.fit(tf.data.Dataset.from_tensor_slices(batch).batch(16), verbose=0)
        model.save(base / f"{variant}.keras")
        export_generator(base / f"{variant}.keras", base / "models", variant)
        models[variant] = model
    entries = [ModelEntry(variant, str(base / "models" / variant)) for variant in SERVED]
    with LocalServer(entries, poll_seconds=0) as server:
        yield f"127.0.0.1:{server.grpc_port}", models, base / "models"


@pytest.mark.parametrize("variant", list(LABELLED))
def test_client_samples_per_sample_labels_like_the_model(served, variant):
    target, models, base = served
    model = models[variant]
    assert read_facts(base / variant / "1")["num_classes"] == 10
    labels = [7, 0, 7, 3, 9]
    with GeneratorClient(target, variant) as client:
        signatures = client.metadata()["signatures"]
        assert signatures["sample"]["inputs"]["labels"] == {"dtype": "int32", "shape": [-1]}
        images = client.sample(5, seed=3, labels=labels)
        np.testing.assert_allclose(images, model.sample(5, labels=labels, seed=3), atol=ATOL, rtol=0)
        # Same z, different labels: samples 0 and 2 share the label, 0 and 1 do not.
        z = np.repeat(np.random.default_rng(1).normal(size=(1, 8)).astype(np.float32), 3, axis=0)
        by_label = client.generate(z, labels=[7, 0, 7])
        np.testing.assert_allclose(by_label[0], by_label[2], atol=ATOL)
        assert np.abs(by_label[0] - by_label[1]).max() > 100 * ATOL  # untrained: outputs ~1e-3


@pytest.mark.parametrize("labels, message", [([0, 10], "labels must be < num_classes=10"),
                                             ([-1, 2], "labels must be >= 0"),
                                             ([1, 2, 3], "labels must be empty or hold num_samples")])
def test_bad_labels_are_invalid_argument_over_the_wire(served, labels, message):
    target, _, _ = served
    with GeneratorClient(target, "cgan") as client, pytest.raises(ServingError) as info:
        client.sample(2, seed=0, labels=labels)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT and message in info.value.message


def test_infogan_codes_are_served_inputs(served):
    """`sample_codes` sets InfoGAN's codes over the wire, as `model.sample` does in-process."""
    target, models, _ = served
    categories = np.array([3, 3, 8], np.int32)
    continuous = np.array([[-1, 0], [1, 0], [0, 0.5]], np.float32)
    with GeneratorClient(target, "infogan") as client:
        images = client.predict("sample_codes", {"seed": np.int32(4), "categories": categories,
                                                 "continuous": continuous})["images"]
        np.testing.assert_allclose(images, models["infogan"].sample(
            3, seed=4, categories=categories, continuous=continuous), atol=ATOL, rtol=0)
        assert np.abs(images[0] - images[1]).max() > 100 * ATOL  # the continuous code matters
        for bad, message in [(dict(categories=np.array([10, 0, 1], np.int32)),
                              "categories must be < categorical_dim=10"),
                             (dict(continuous=continuous[:2]),
                              "continuous must hold one row of codes per category")]:
            inputs = {"seed": np.int32(4), "categories": categories, "continuous": continuous, **bad}
            with pytest.raises(ServingError) as info:
                client.predict("sample_codes", inputs)
            assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
            assert message in info.value.message
