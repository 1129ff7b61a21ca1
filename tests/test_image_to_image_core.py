"""The image-to-image template on the core, with a tiny CycleGAN-shaped model (two generators, two
discriminators, four optimizers): 1 vs 2 replica parity, `.keras` round-trip, export of the
`translate_*` signatures, served by the local server and called by the unchanged client."""

import grpc
import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers, ops

from export import export_generator, read_facts
from serving.client import GeneratorClient
from serving.errors import ServingError
from serving.local_server import LocalServer
from serving.model_config import ModelEntry
from tfgan_suite.distribute import make_strategy
from tfgan_suite.core.image_to_image import ImageToImageGAN

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_image_to_image_core")

SHAPE_A, SHAPE_B = (8, 8, 1), (8, 8, 3)
GLOBAL_BATCH, STEPS, CAP = 8, 3, 4
CYCLE_WEIGHT = 10.0


def per_example(x):
    return ops.mean(ops.reshape(x, (ops.shape(x)[0], -1)), axis=1)


def least_squares(patch_scores, target):
    """Mao et al. 2017: 1/2 (D(x) - target)^2, averaged over a PatchGAN's patches."""
    return per_example(0.5 * ops.square(patch_scores - target))


@keras.saving.register_keras_serializable(package="tests")
class TinyCycleGAN(ImageToImageGAN):
    """CycleGAN's game (Zhu et al. 2017, eq. 3) with least-squares losses and L1 cycle loss."""

    extra_metrics = ("cycle_loss",)

    @classmethod
    def create(cls, **kwargs):
        def generator(shape_in, channels_out):
            return keras.Sequential([keras.Input(shape_in), layers.Conv2D(4, 3, padding="same",
                                     activation="relu"), layers.Conv2D(channels_out, 3, padding="same",
                                     activation="tanh")])

        def patch_discriminator(shape):
            return keras.Sequential([keras.Input(shape), layers.Conv2D(4, 3, strides=2, padding="same"),
                                     layers.LeakyReLU(0.2), layers.Conv2D(1, 3, padding="same")])

        return cls.create_built(generator(SHAPE_A, SHAPE_B[-1]), generator(SHAPE_B, SHAPE_A[-1]),
                                patch_discriminator(SHAPE_A), patch_discriminator(SHAPE_B),
                                SHAPE_A, SHAPE_B, **kwargs)

    def generator_loss(self, a, b):
        fake_b, fake_a = self.run(self.generator_ab, a, True), self.run(self.generator_ba, b, True)
        adversarial = (least_squares(self.run(self.discriminator_b, fake_b, True), 1.0)
                       + least_squares(self.run(self.discriminator_a, fake_a, True), 1.0))
        cycle = (per_example(ops.abs(self.run(self.generator_ba, fake_b, True) - a))
                 + per_example(ops.abs(self.run(self.generator_ab, fake_a, True) - b)))
        return {"g_loss": adversarial + CYCLE_WEIGHT * cycle, "cycle_loss": cycle}

    def discriminator_loss(self, a, b):
        fake_b = tf.stop_gradient(self.run(self.generator_ab, a, True))
        fake_a = tf.stop_gradient(self.run(self.generator_ba, b, True))
        d = lambda net, real, fake: (least_squares(self.run(net, real, True), 1.0)
                                     + least_squares(self.run(net, fake, True), 0.0))
        return {"d_loss": d(self.discriminator_a, a, fake_a) + d(self.discriminator_b, b, fake_b)}


def two_domains(n=GLOBAL_BATCH * STEPS, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (n,) + SHAPE_A).astype(np.float32)
    b = rng.uniform(-1, 1, (n,) + SHAPE_B).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices((a, b)).batch(GLOBAL_BATCH, drop_remainder=True)


def tiny(strategy=None, weights=None, sgd=True, **options):
    with (strategy or tf.distribute.get_strategy()).scope():
        keras.utils.set_random_seed(0)
        model = TinyCycleGAN.create(**options)
        if weights is not None:
            model.set_weights(weights)
        model.compile(optimizers={name: keras.optimizers.SGD(0.1) for name in model.networks}
                      if sgd else None)
    return model


def test_one_and_two_replicas_agree(two_replicas):
    single = tiny(make_strategy("default"))
    start = [w.copy() for w in single.get_weights()]
    single_history = single.fit(two_domains(), verbose=0).history
    mirrored = tiny(two_replicas, weights=start)
    mirrored_history = mirrored.fit(two_domains(), verbose=0).history
    assert set(single_history) == {"g_loss", "d_loss", "cycle_loss"}
    for name in single_history:
        np.testing.assert_allclose(mirrored_history[name], single_history[name], rtol=1e-5)
    moved = max(np.abs(w1 - w0).max() for w1, w0 in zip(single.get_weights(), start))
    assert moved > 1e-4
    for w_single, w_mirrored in zip(single.get_weights(), mirrored.get_weights()):
        np.testing.assert_allclose(w_mirrored, w_single, atol=1e-5)
    assert {name: int(opt.iterations) for name, opt in single.optimizers.items()} == {
        name: STEPS for name in single.networks}  # four optimizers, one step each per batch


def test_bad_batches_and_directions_get_one_clear_error():
    model = tiny()
    with pytest.raises(ValueError, match=r"trains on \(domain_a, domain_b\) batches"):
        model.fit(tf.data.Dataset.from_tensor_slices(np.zeros((8,) + SHAPE_A, np.float32)).batch(4),
                  verbose=0)
    with pytest.raises(ValueError, match=r"Domain B images must be float32 .* of shape \(8, 8, 3\)"):
        model.fit(tf.data.Dataset.from_tensor_slices(
            (np.zeros((8,) + SHAPE_A, np.float32), np.zeros((8,) + SHAPE_A, np.float32))).batch(4),
            verbose=0)
    with pytest.raises(ValueError, match="direction must be one of a2b, b2a"):
        model.translate(np.zeros((1,) + SHAPE_A), direction="sideways")
    with pytest.raises(ValueError, match=r"b2a translates images of shape \[N, 8, 8, 3\]"):
        model.translate(np.zeros((1,) + SHAPE_A), direction="b2a")


@pytest.fixture(scope="module")
def trained_and_served(tmp_path_factory):
    base = tmp_path_factory.mktemp("i2i")
    keras.utils.clear_session()
    model = tiny(sgd=False, ema_decay=0.5)
    model.fit(two_domains(), verbose=0)
    model.save(base / "cycle.keras")
    export_generator(base / "cycle.keras", base / "models", "cycle", max_samples=CAP)
    with LocalServer([ModelEntry("cycle", str(base / "models" / "cycle"))], poll_seconds=0) as server:
        yield model, base, f"127.0.0.1:{server.grpc_port}"


def test_keras_file_round_trips_with_ema(trained_and_served):
    model, base, _ = trained_and_served
    loaded = keras.models.load_model(base / "cycle.keras")
    assert type(loaded) is TinyCycleGAN and loaded.ema_decay == 0.5
    for saved, restored in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(restored, saved)
    images = np.random.default_rng(1).uniform(-1, 1, (3,) + SHAPE_B).astype(np.float32)
    np.testing.assert_array_equal(loaded.translate(images, "b2a"), model.translate(images, "b2a"))
    # The EMA generator serves, and it differs from the raw one after training.
    raw = model.generator_ba(images, training=False).numpy()
    assert np.abs(model.translate(images, "b2a") - raw).max() > 1e-6


def test_export_serves_both_directions_behind_a_batch_cap(trained_and_served):
    model, base, target = trained_and_served
    loaded = tf.saved_model.load(str(base / "models" / "cycle" / "1"))
    assert set(loaded.signatures) == {"serving_default", "translate_a2b", "translate_b2a"}
    assert read_facts(base / "models" / "cycle" / "1")["batch_caps"] == {
        "translate_a2b": CAP, "translate_b2a": CAP, "serving_default": CAP}
    a = np.random.default_rng(2).uniform(-1, 1, (CAP,) + SHAPE_A).astype(np.float32)
    b = np.random.default_rng(3).uniform(-1, 1, (CAP,) + SHAPE_B).astype(np.float32)
    np.testing.assert_allclose(loaded.signatures["translate_b2a"](images=b)["images"].numpy(),
                               model.translate(b, "b2a"), atol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="batch cap of the translate_a2b"):
        loaded.signatures["translate_a2b"](images=np.concatenate([a, a[:1]]))
    with GeneratorClient(target, "cycle") as client:
        np.testing.assert_allclose(client.translate(a), model.translate(a, "a2b"), atol=1e-6)
        served = client.predict("translate_b2a", {"images": b})["images"]
        np.testing.assert_allclose(served, model.translate(b, "b2a"), atol=1e-6)
        with pytest.raises(ServingError) as info:
            client.translate(b)  # domain B images sent to the A -> B signature
        assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_translate_command_over_grpc_and_from_the_keras_file(trained_and_served, tmp_path):
    from PIL import Image

    from tfgan_suite.cli import main

    model, base, target = trained_and_served
    pictures = np.random.default_rng(4).integers(0, 256, (2,) + SHAPE_B, dtype=np.uint8)
    (tmp_path / "in").mkdir()
    for i, picture in enumerate(pictures):
        Image.fromarray(picture).save(tmp_path / "in" / f"digit{i}.png")
    expected = model.translate(pictures / 127.5 - 1.0, "b2a")
    with GeneratorClient(target, "cycle") as client:
        np.testing.assert_allclose(client.translate(pictures / 127.5 - 1.0, direction="b2a"),
                                   expected, atol=1e-5)
    for name, source in (("served", ["cycle", "--server", target]),
                         ("file", [str(base / "cycle.keras")])):
        assert main(["translate", *source, "--input", str(tmp_path / "in"), "--direction", "b2a",
                     "--out", str(tmp_path / name)]) == 0
        written = np.stack([np.asarray(Image.open(tmp_path / name / f"digit{i}_b2a.png"))
                            for i in range(2)])[..., None]
        np.testing.assert_allclose(written / 127.5 - 1.0, expected, atol=1.01 / 127.5)
