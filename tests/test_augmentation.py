"""Discriminator augmentation (DiffAugment, ADA) as an option of every latent GAN: the transforms
keep shapes and pass gradients, ADA's p follows D's overfitting signal, and 1 vs 2 replicas
augment alike."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from tfgan_suite.core import discriminator_augmentation as augmentation
from tfgan_suite.distribute import make_strategy
from tfgan_suite.models.dcgan import DCGAN

SHAPE = (28, 28, 1)


def numpy_draw(seed=0):
    """A `draw` from a numpy generator (the models pass their named noise)."""
    rng = np.random.default_rng(seed)

    def draw(name, shape, distribution, minval, maxval, dtype):
        if dtype == "int32":
            return tf.constant(rng.integers(minval, maxval, (4, *shape)), tf.int32)
        return tf.constant(rng.uniform(minval, maxval, (4, *shape)), tf.float32)
    return draw


def test_transforms_keep_the_shape_pass_gradients_and_do_what_they_say():
    images = tf.constant(np.random.default_rng(0).uniform(-1, 1, (4, *SHAPE)), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(images)
        augmented = augmentation.augment(images, numpy_draw())
        energy = tf.reduce_sum(augmented ** 2)
        unchanged = augmentation.augment(images, numpy_draw(), probability=tf.constant(0.0))
        always = augmentation.augment(images, numpy_draw(), probability=tf.constant(1.0))
    assert augmented.shape == images.shape
    gradient = tape.gradient(energy, images)
    assert np.isfinite(gradient.numpy()).all() and np.abs(gradient.numpy()).sum() > 0
    np.testing.assert_array_equal(unchanged.numpy(), images.numpy())  # ADA with p = 0
    assert np.abs(always.numpy() - images.numpy()).max() > 0.1
    dot = np.zeros((1, *SHAPE), np.float32)
    dot[0, 10, 12, 0] = 1.0
    moved = augmentation.translation(tf.constant(dot), tf.constant([[3]]), tf.constant([[-2]]))
    assert np.argwhere(moved.numpy()[0, ..., 0] == 1.0).tolist() == [[13, 10]]
    cut = augmentation.cutout(tf.ones((1, *SHAPE)), tf.constant([[14]]), tf.constant([[14]]), 14)
    assert int((cut.numpy() == 0).sum()) == 14 * 14
    brighter = augmentation.brightness(images, tf.fill((4, 1, 1, 1), 0.9))
    np.testing.assert_allclose((brighter - images).numpy(), 0.4, atol=1e-6)


def frozen_ada_model(kimg=0.064):
    """A DCGAN whose D answers a constant (its logit's kernel zero) and learns nothing (SGD 0):
    ADA's signal is then the sign of that constant. Batches of 8, 4 steps: p moves by
    32 / (kimg * 1000) = 0.5 per interval."""
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model("dcgan", image_shape=SHAPE, width=4, latent_dim=8,
                                    augment="ada", ada_kimg=kimg)
    model.compile(optimizers={name: keras.optimizers.SGD(0.0) for name in model.networks})
    return model


def set_real_answer(model, value):
    kernel, _ = model.discriminator.logit.get_weights()
    model.discriminator.logit.set_weights([np.zeros_like(kernel), np.full((1,), value, np.float32)])


def test_ada_p_rises_while_d_is_sure_of_the_reals_and_falls_otherwise(tmp_path):
    model = frozen_ada_model()
    batches = tf.data.Dataset.from_tensor_slices(np.zeros((32, *SHAPE), np.float32)).batch(8)
    set_real_answer(model, 5.0)  # sign D(real) = +1 > 0.6: overfitting, more augmentation
    assert model.fit(batches, epochs=2, verbose=0).history["augment_p"] == [0.5, 1.0]
    set_real_answer(model, -5.0)  # -1 < 0.6: less
    assert model.fit(batches, verbose=0).history["augment_p"] == [0.5]
    model.save(tmp_path / "ada.keras")
    assert float(keras.models.load_model(tmp_path / "ada.keras").ada_p.numpy()) == 0.5
    with pytest.raises(ValueError, match="augment must be one of diffaugment, ada"):
        tfgan_suite.build_model("dcgan", image_shape=SHAPE, width=4, augment="flip")
    with pytest.raises(ValueError, match="reconstructs its input"):
        tfgan_suite.build_model("began", image_shape=SHAPE, width=4, augment="diffaugment")


def test_ada_needs_the_real_scores_from_the_discriminator_loss():
    """ADA's signal is the `real_scores` term of the D phase: a discriminator loss that does not
    return it gets one clear error, before any update."""
    class WithoutRealScores(DCGAN):
        def discriminator_loss(self, images, labels, z):
            return {"d_loss": super().discriminator_loss(images, labels, z)["d_loss"]}

    keras.utils.set_random_seed(0)
    model = WithoutRealScores.create(image_shape=SHAPE, width=4, latent_dim=8, augment="ada")
    model.compile()
    start = [w.copy() for w in model.get_weights()]
    batches = tf.data.Dataset.from_tensor_slices(np.zeros((8, *SHAPE), np.float32)).batch(8)
    with pytest.raises(ValueError, match="discriminator loss does not return them"):
        model.fit(batches, verbose=0)
    for before, after in zip(start, model.get_weights()):
        np.testing.assert_array_equal(before, after)


@pytest.mark.slow  # two 8-step runs, one on 2 replicas: ~20 s
def test_one_and_two_replicas_augment_alike(two_replicas):
    """ADA with p reaching 1 after 4 steps (D's mean sign on the reals, 0.5, above the target):
    steps 4-7 apply every transform, each of its draws sliced from the global batch's."""
    images = np.random.default_rng(0).uniform(-1, 1, (64, *SHAPE)).astype(np.float32)
    batches = tf.data.Dataset.from_tensor_slices(images).batch(8)
    histories, weights = [], []
    for strategy in (make_strategy("default"), two_replicas):
        with strategy.scope():
            keras.utils.set_random_seed(0)
            model = tfgan_suite.build_model("dcgan", image_shape=SHAPE, width=4, latent_dim=8,
                                            augment="ada", ada_kimg=0.032, ada_target=0.2)
            model.compile(optimizers={name: keras.optimizers.SGD(0.05) for name in model.networks})
            set_real_answer(model, 3.0)  # D sure of the reals at first: p rises
        histories.append(model.fit(batches, epochs=2, steps_per_epoch=4, verbose=0).history)
        weights.append(model.get_weights())
    assert histories[0]["augment_p"] == [1.0, 1.0]  # the augmentations ran in the second epoch
    for name in histories[0]:
        np.testing.assert_allclose(histories[1][name], histories[0][name], rtol=1e-4, atol=1e-6)
    for single, mirrored in zip(*weights):
        np.testing.assert_allclose(mirrored, single, atol=1e-4)
