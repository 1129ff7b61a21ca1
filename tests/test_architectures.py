"""The modern-architecture family (sngan, sagan, biggan, ssgan) beyond the contract: spectral
norm's power iteration on 1 and 2 replicas, SSGAN's rotations, BigGAN's truncation in-process,
exported and served, conditional SAGAN served with labels."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from export import export_generator
from serving.client import GeneratorClient
from serving.errors import ServingError
from serving.local_server import LocalServer
from serving.model_config import ModelEntry
from tfgan_suite.models.ssgan import rotate
from tfgan_suite.networks.layers import ConditionalBatchNorm, SpectralDense

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_architectures")

IMAGE_SHAPE = (28, 28, 1)
ATOL = 1e-4  # graph vs eager kernels differ in the last bits, amplified by untrained weights
TINY = dict(image_shape=IMAGE_SHAPE, latent_dim=16, width=4, num_classes=10)


def test_power_iteration_is_the_same_on_one_and_two_replicas(two_replicas):
    def built(strategy):
        with strategy.scope():
            keras.utils.set_random_seed(0)
            layer = SpectralDense(5)
            layer(np.zeros((1, 7), np.float32))
        return layer

    single, mirrored = built(tf.distribute.get_strategy()), built(two_replicas)
    mirrored.set_weights(single.get_weights())

    @tf.function
    def update():
        two_replicas.run(mirrored.update_power_iteration)

    for _ in range(3):
        single.update_power_iteration()
        update()
    replicas = two_replicas.experimental_local_results(mirrored.u.value)
    assert len(replicas) == 2
    for u in replicas:
        np.testing.assert_allclose(u.numpy(), single.u.numpy(), rtol=1e-6)
    assert np.abs(single.u.numpy() - single.get_weights()[-1]).max() == 0  # u is a saved weight


def test_rotations_are_quarter_turns():
    images = np.random.default_rng(0).normal(size=(4, 5, 5, 2)).astype(np.float32)
    turned = rotate(images, np.array([0, 1, 2, 3], np.int32)).numpy()
    for k in range(4):
        np.testing.assert_array_equal(turned[k], np.rot90(images[k], k, axes=(0, 1)))


def test_truncation_keeps_latents_within_the_threshold():
    model = tfgan_suite.build_model("biggan", **TINY)
    plain = model.prior_latent(200, 4).numpy()
    assert np.abs(plain).max() > 2.0  # the prior has values to resample
    for threshold in (1.0, 0.25):
        truncated = model.truncated(tf.constant(plain), 4, threshold).numpy()
        assert np.abs(truncated).max() <= threshold
        inside = np.abs(plain) <= threshold
        np.testing.assert_array_equal(truncated[inside], plain[inside])  # only outliers resampled
        assert (truncated[~inside] != plain[~inside]).all()
    np.testing.assert_array_equal(model.truncated(tf.constant(plain), 4, 0.0).numpy(), plain)
    with pytest.raises(ValueError, match="truncation must be a number >= 0"):
        model.sample(2, truncation=-1.0)
    with pytest.raises(ValueError, match="samples without truncation"):
        tfgan_suite.build_model("sagan", **TINY).sample(2, truncation=0.5)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Untrained tiny biggan and conditional sagan, exported and served by the local server."""
    base = tmp_path_factory.mktemp("architectures")
    models = {}
    for variant in ("biggan", "sagan"):
        keras.utils.set_random_seed(0)
        models[variant] = tfgan_suite.build_model(variant, **TINY)
    # As training would: SAGAN's per-class gains (1) and biases (0) made to differ, and batch
    # norm's moving statistics brought near the batches' (at init they leave activations
    # unnormalised, so large that graph vs eager rounding shows in the images).
    generator = models["sagan"].generator
    for layer in generator._flatten_layers():
        if isinstance(layer, ConditionalBatchNorm):
            for table in (layer.gain.embeddings, layer.bias.embeddings):
                table.assign(table + np.random.default_rng(0).normal(0, 0.2, table.shape))
    rng = np.random.default_rng(0)
    for _ in range(40):
        generator([rng.normal(size=(32, 16)).astype(np.float32), np.arange(32) % 10],
                  training=True)
    for variant, model in models.items():
        export_generator(model, base / "models", variant)
    entries = [ModelEntry(variant, str(base / "models" / variant)) for variant in models]
    with LocalServer(entries, poll_seconds=0) as server:
        yield f"127.0.0.1:{server.grpc_port}", models, base / "models"


@pytest.mark.slow  # the fixture exports two models: ~40 s
def test_truncated_samples_match_in_process_exported_and_served(served):
    target, models, base = served
    model = models["biggan"]
    labels = [3, 3, 8, 1]
    truncated = model.sample(4, labels=labels, seed=7, truncation=0.3)
    np.testing.assert_array_equal(model.sample(4, labels=labels, seed=7, truncation=0.3), truncated)
    untruncated = model.sample(4, labels=labels, seed=7)
    assert np.abs(truncated - untruncated).max() > 1e-4  # the threshold changes the images
    exported = tf.saved_model.load(str(base / "biggan" / "1")).signatures["sample"]
    from_export = exported(num_samples=tf.constant(4), seed=tf.constant(7),
                           truncation=tf.constant(0.3), labels=tf.constant(labels))["images"]
    np.testing.assert_allclose(from_export.numpy(), truncated, atol=ATOL, rtol=0)
    with GeneratorClient(target, "biggan") as client:
        assert client.metadata()["signatures"]["sample"]["inputs"]["truncation"] == {
            "dtype": "float32", "shape": []}
        np.testing.assert_allclose(client.sample(4, seed=7, labels=labels, truncation=0.3),
                                   truncated, atol=ATOL, rtol=0)
        np.testing.assert_allclose(client.sample(4, seed=7, labels=labels), untruncated,
                                   atol=ATOL, rtol=0)
        assert len(client.sample_png(2, seed=1, truncation=0.5)) == 2
        with pytest.raises(ServingError, match="truncation must be >= 0"):
            client.sample(2, seed=1, truncation=-0.5)


@pytest.mark.slow
def test_conditional_sagan_serves_per_sample_labels(served):
    target, models, _ = served
    model = models["sagan"]
    labels = [7, 0, 7]
    with GeneratorClient(target, "sagan") as client:
        assert "truncation" not in client.metadata()["signatures"]["sample"]["inputs"]
        images = client.sample(3, seed=2, labels=labels)
        np.testing.assert_allclose(images, model.sample(3, labels=labels, seed=2), atol=ATOL,
                                   rtol=0)
        z = np.repeat(np.random.default_rng(1).normal(size=(1, 16)).astype(np.float32), 3, axis=0)
        by_label = client.generate(z, labels=labels)
        np.testing.assert_allclose(by_label[0], by_label[2], atol=ATOL)
        assert np.abs(by_label[0] - by_label[1]).max() > 1e-4
        with pytest.raises(ValueError, match="takes no truncation"):
            client.sample(2, seed=1, truncation=0.5)
