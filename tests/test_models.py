"""The base model's contract: registry, serialization, sampling, and clear errors for bad data."""

import importlib
import inspect
import pkgutil

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from helpers import tiny_images, tiny_model
from tfgan_suite.losses.tfgan_compat import tfgan


def test_registry_lists_foundation_variants_and_names_unknown_ones():
    assert {"gan", "dcgan"} <= set(tfgan_suite.VARIANTS)
    with pytest.raises(ValueError, match=r"Unknown GAN variant 'nope'.*dcgan.*gan"):
        tfgan_suite.build_model("nope", image_shape=(2,))


@pytest.mark.parametrize("variant", ["gan", "dcgan"])
def test_keras_file_round_trip_gives_identical_samples(variant, tmp_path):
    model = tiny_model(variant, eager=True)
    model.fit(tf.data.Dataset.from_tensor_slices(tiny_images(variant, 32)).batch(16), verbose=0)
    model.training_info = {"dataset": "unit-test"}
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")

    assert type(loaded) is type(model)
    assert loaded.training_info == {"dataset": "unit-test"}
    np.testing.assert_array_equal(loaded.sample(8, seed=7), model.sample(8, seed=7))
    # Compiled from its saved compile config, with the optimizer state restored.
    assert loaded.g_optimizer.iterations.numpy() == model.g_optimizer.iterations.numpy() == 2


def test_sample_is_deterministic_for_a_seed_and_matches_the_export_draw():
    model = tiny_model("dcgan")
    first, again, other = model.sample(4, seed=3), model.sample(4, seed=3), model.sample(4, seed=4)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    assert first.shape == (4, 28, 28, 1) and np.abs(first).max() <= 1.0
    z = tf.random.stateless_normal([4, 8], seed=[3, 0])
    np.testing.assert_array_equal(model.generator(z, training=False).numpy(), first)


def test_conditional_sampling_checks_labels():
    model = tiny_model("gan", num_classes=3)
    assert model.sample(5, labels=[0, 1, 2, 2, 1], seed=0).shape == (5, 2)
    assert model.sample(5, seed=0).shape == (5, 2)  # labels default to 0, 1, 2, 0, 1
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]; got \[3\]"):
        model.sample(2, labels=[0, 3])
    with pytest.raises(ValueError, match="labels must be 2 integers"):
        model.sample(2, labels=[0, 1, 2])
    with pytest.raises(ValueError, match="unconditional; do not pass labels"):
        tiny_model("gan").sample(2, labels=[0, 1])


@pytest.mark.parametrize("images, message", [
    (np.zeros((32, 14, 14, 1), np.float32), r"take images of shape \(28, 28, 1\); the data has \(14, 14, 1\)"),
    (np.zeros((32, 28, 28), np.float32), r"take images of shape \(28, 28, 1\); the data has \(28, 28\)"),
    (np.zeros((32, 28, 28, 1), np.uint8), r"must be float32 scaled to .*\[-1, 1\]; got <dtype: 'uint8'>"),
])
def test_fit_rejects_images_the_networks_cannot_take(images, message):
    model = tiny_model("dcgan")
    with pytest.raises(ValueError, match=message):
        model.fit(tf.data.Dataset.from_tensor_slices(images).batch(16), verbose=0)


def test_conditional_model_needs_labelled_batches():
    model = tiny_model("gan", num_classes=3)
    with pytest.raises(ValueError, match=r"must yield \(images, labels\) batches"):
        model.fit(tf.data.Dataset.from_tensor_slices(tiny_images("gan", 32)).batch(16), verbose=0)
    labels = np.arange(32, dtype=np.int32) % 3
    history = model.fit(tf.data.Dataset.from_tensor_slices((tiny_images("gan", 32), labels)).batch(16),
                        verbose=0)
    assert np.isfinite(history.history["d_loss"][0])


def test_minimax_loss_option_trains_and_round_trips(tmp_path):
    model = tiny_model("gan", loss="minimax")
    model.fit(tf.data.Dataset.from_tensor_slices(tiny_images("gan", 32)).batch(16), verbose=0)
    model.save(tmp_path / "m.keras")
    assert keras.models.load_model(tmp_path / "m.keras").adversarial_loss == "minimax"
    with pytest.raises(ValueError, match="loss must be one of hinge, minimax, non_saturating"):
        tiny_model("gan", loss="wasserstein")


def test_tfgan_shim_gives_tfgan_losses_and_eval():
    logits = tf.constant([[0.0], [2.0]])
    loss = tfgan.losses.wargs.modified_generator_loss(
        logits, reduction=tf.compat.v1.losses.Reduction.NONE)
    np.testing.assert_allclose(loss.numpy().ravel(), -np.log(1 / (1 + np.exp(-logits.numpy().ravel()))),
                               rtol=1e-5)
    # Shifting a set by 1 in each of 4 dimensions keeps its covariance: FID = |mean shift|^2 = 4.
    features = tf.random.stateless_normal([64, 4], seed=[0, 0])
    shifted = tfgan.eval.frechet_classifier_distance_from_activations(features, features + 1.0)
    assert float(shifted) == pytest.approx(4.0, abs=1e-3)


def test_uncompiled_model_saves_and_loads(tmp_path):
    model = tfgan_suite.build_model("gan", image_shape=(2,), latent_dim=4, width=8)
    model.save(tmp_path / "m.keras")
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "m.keras").sample(3, seed=1),
                                  model.sample(3, seed=1))


def test_labels_outside_the_models_classes_stop_training_with_a_clear_error():
    model = tiny_model("gan", num_classes=3)
    bad = np.array([0, 1, 2, 3] * 4, np.int32)
    data = tf.data.Dataset.from_tensor_slices((tiny_images("gan", 16), bad)).batch(16)
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels must be < num_classes=3"):
        model.fit(data, verbose=0)


@pytest.mark.parametrize("image_shape, layers", [((28, 28, 1), 2), ((32, 32, 3), 3), ((64, 64, 3), 4)])
def test_dcgan_networks_fit_their_image_size(image_shape, layers):
    """28 = 7 * 2^2 and 32 = 4 * 2^3: the generator starts at 7x7 or 4x4 and doubles per layer."""
    model = tfgan_suite.build_model("dcgan", image_shape=image_shape, latent_dim=8, width=4)
    assert len(model.generator.up_convs) + 1 == len(model.discriminator.down_convs) == layers
    model.compile(run_eagerly=True)
    images = np.random.default_rng(0).uniform(-1, 1, (8,) + image_shape).astype(np.float32)
    history = model.fit(tf.data.Dataset.from_tensor_slices(images).batch(4), verbose=0)
    assert np.isfinite(history.history["g_loss"][0])
    assert model.sample(2, seed=0).shape == (2,) + image_shape
    with pytest.raises(ValueError, match="need an even image size"):
        tfgan_suite.build_model("dcgan", image_shape=(27, 27, 1))


def test_sample_grid_writes_one_png_and_one_tensorboard_image_per_epoch(tmp_path):
    from tfgan_suite.training.pictures import SampleGrid

    model = tiny_model("dcgan", eager=True)
    data = tf.data.Dataset.from_tensor_slices(tiny_images("dcgan", 32)).batch(16)
    grid = SampleGrid(tmp_path / "png", tmp_path / "logs", num_samples=4)
    model.fit(data, epochs=2, callbacks=[grid], verbose=0)
    pictures = []
    for event_file in (tmp_path / "logs").iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            for value in event.summary.value:
                if value.tag == "samples":
                    # TF2 image summaries are tensors: [width, height, PNG...]
                    png = tf.make_ndarray(value.tensor)[2]
                    pictures.append((event.step, tf.io.decode_png(png).numpy()))
    assert [step for step, _ in pictures] == [1, 2]
    assert all(picture.shape == (56, 56, 1) for _, picture in pictures)  # a 2 x 2 grid of 28 x 28
    assert not np.array_equal(pictures[0][1], pictures[1][1])  # the generator trained in between
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == ["epoch_001.png", "epoch_002.png"]


def test_every_serializable_class_of_the_suite_has_a_registered_name_of_its_own():
    """Keras registers a class as "package>ClassName", and a second class of that name silently
    replaces the first: a saved model would then load the wrong class."""
    registered = set()
    for module_info in pkgutil.walk_packages(tfgan_suite.__path__, "tfgan_suite."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if keras.saving.get_registered_name(cls).startswith("tfgan_suite>"):
                registered.add(cls)
    assert len(registered) >= 20  # every variant and its networks
    for cls in registered:
        name = keras.saving.get_registered_name(cls)
        assert keras.saving.get_registered_object(name) is cls, f"{name} names two classes"
