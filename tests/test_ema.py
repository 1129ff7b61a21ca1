"""The EMA generator of the core (`ema_decay`, `ema_start`): its closed form on 1 and 2 replicas,
and that `.keras`, `sample` and the export carry it."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from export import export_generator

POINTS = dict(image_shape=(2,), latent_dim=4, width=8)
BATCH = 8


def tiny(strategy=None, **options):
    with (strategy or tf.distribute.get_strategy()).scope():
        keras.utils.set_random_seed(0)
        model = tfgan_suite.build_model("gan", **POINTS, **options)
        model.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    return model


def batches(steps, seed=0):
    points = np.random.default_rng(seed).normal(size=(BATCH * steps, 2)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices(points).batch(BATCH)


def generator_weights_per_step(model, steps):
    """The generator's weights before training and after each of `steps` steps."""
    history = [model.generator.get_weights()]
    for step in range(steps):
        model.fit(batches(1, seed=step), verbose=0)
        history.append(model.generator.get_weights())
    return history


def test_decay_zero_keeps_the_ema_equal_to_the_generator():
    model = tiny(ema_decay=0.0)
    model.fit(batches(3), verbose=0)
    for average, weight in zip(model.ema["generator"].get_weights(), model.generator.get_weights()):
        np.testing.assert_array_equal(average, weight)


@pytest.mark.parametrize("replicas", ["one", "two"])
def test_ema_is_the_closed_form_average(replicas, request):
    strategy = request.getfixturevalue("two_replicas") if replicas == "two" else None
    decay, start, steps = 0.8, 2, 4
    model = tiny(strategy, ema_decay=decay, ema_start=start)
    weights = generator_weights_per_step(model, steps)
    # Steps 0 .. start-1 copy the generator; from then on ema <- d ema + (1 - d) w.
    expected = weights[start]
    for step in range(start + 1, steps + 1):
        expected = [decay * e + (1 - decay) * w for e, w in zip(expected, weights[step])]
    moved = max(np.abs(e - w).max() for e, w in zip(expected, weights[steps]))
    assert moved > 1e-5, "the average must differ from the last weights for the test to mean anything"
    for average, closed_form in zip(model.ema["generator"].get_weights(), expected):
        np.testing.assert_allclose(average, closed_form, rtol=1e-5, atol=1e-6)


def test_keras_file_sample_and_export_use_the_ema_generator(tmp_path):
    model = tiny(ema_decay=0.9)
    model.fit(batches(3), verbose=0)
    z = model.prior_latent(5, 7)
    raw = model.generator(z, training=False).numpy()
    averaged = model.ema["generator"](z, training=False).numpy()
    assert np.abs(raw - averaged).max() > 1e-4
    np.testing.assert_array_equal(model.sample(5, seed=7), averaged)

    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert (loaded.ema_decay, loaded.ema_start) == (0.9, 0)
    np.testing.assert_array_equal(loaded.sample(5, seed=7), averaged)

    exported = tf.saved_model.load(str(export_generator(loaded, tmp_path / "models", "ema")))
    served = exported.signatures["sample"](num_samples=tf.constant(5), seed=tf.constant(7))
    np.testing.assert_allclose(served["images"].numpy(), averaged, atol=1e-6)


def test_bad_ema_settings_get_one_clear_error():
    with pytest.raises(ValueError, match=r"ema_decay must be in \[0, 1\)"):
        tfgan_suite.build_model("gan", **POINTS, ema_decay=1.0)
    with pytest.raises(ValueError, match="ema_start must be a step >= 0"):
        tfgan_suite.build_model("gan", **POINTS, ema_decay=0.9, ema_start=-1)

