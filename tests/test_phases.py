"""The core's phases and named noise: a lazy phase (StyleGAN's R1 every k steps) runs exactly on
the steps k divides, the same on 1 and 2 replicas, and named draws are separate streams."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan_suite.distribute import make_strategy
from tfgan_suite.models import Phase
from tfgan_suite.models.gan import GAN

EVERY, STEPS, BATCH = 2, 5, 8


@keras.saving.register_keras_serializable(package="tests")
class LazyPenaltyGAN(GAN):
    """A GAN with an extra discriminator phase every EVERY steps (a stand-in for lazy R1)."""

    def phases(self):
        return super().phases() + (Phase("penalty", ("discriminator",), "penalty_loss",
                                         every=EVERY),)

    def penalty_loss(self, images, labels, z):
        return {"penalty": ops.mean(ops.square(self.discriminate(images, labels)), axis=-1)}


def train(strategy, weights=None):
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = LazyPenaltyGAN.create(image_shape=(2,), latent_dim=4, width=8)
        if weights is not None:
            model.set_weights(weights)
        model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05))
    start = [w.copy() for w in model.get_weights()]
    points = np.random.default_rng(0).normal(size=(BATCH * STEPS, 2)).astype(np.float32)
    history = model.fit(tf.data.Dataset.from_tensor_slices(points).batch(BATCH), verbose=0).history
    return model, start, history


def test_lazy_phase_runs_every_k_steps_on_one_and_two_replicas(two_replicas):
    single, start, single_history = train(make_strategy("default"))
    mirrored, _, mirrored_history = train(two_replicas, start)
    # Steps 0, 2 and 4 of 5 run the penalty: 5 + 3 discriminator updates.
    lazy_runs = len(range(0, STEPS, EVERY))
    iterations = lambda optimizer: int(ops.convert_to_numpy(optimizer.iterations))
    assert iterations(single.d_optimizer) == iterations(mirrored.d_optimizer) == STEPS + lazy_runs
    assert iterations(mirrored.optimizer) == iterations(mirrored.g_optimizer) == STEPS
    assert set(single_history) == {"d_loss", "g_loss", "penalty"}
    for name in single_history:
        np.testing.assert_allclose(mirrored_history[name], single_history[name], rtol=1e-5)
    for w_single, w_mirrored in zip(single.get_weights(), mirrored.get_weights()):
        np.testing.assert_allclose(w_mirrored, w_single, atol=1e-5)


def test_named_draws_are_separate_streams_fixed_by_step():
    model, _, _ = train(make_strategy("default"))
    z = model.noise("z", [3], batch_size=4)
    np.testing.assert_array_equal(model.noise("z", [3], batch_size=4), z)  # same step, same name
    assert not np.allclose(model.noise("epsilon", [3], batch_size=4), z)
    codes = model.noise("codes", (), "uniform", 0, 5, "int32", batch_size=1000).numpy()
    assert codes.dtype == np.int32 and set(codes) == set(range(5))
    model.optimizer.iterations.assign_add(1)
    assert not np.allclose(model.noise("z", [3], batch_size=4), z)  # a new step, a new draw
