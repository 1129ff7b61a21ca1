"""The loss family (hinge GAN, LSGAN, f-GAN, WGAN, WGAN-GP, EBGAN, BEGAN) on the base model:
1 vs 2 replica parity, `.keras` round-trip, export, and each variant's own terms."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from export import export_generator
from tfgan_suite import losses
from tfgan_suite.distribute import make_strategy

GLOBAL_BATCH = 16
STEPS = 3
POINTS = dict(image_shape=(2,), latent_dim=4, width=16)
IMAGES = dict(image_shape=(28, 28, 1), latent_dim=8, width=4)

# (variant, constructor options): every variant, and every scheme of those with a choice. The
# critics take 2 steps instead of their paper's 5 here only to keep the tests short.
FAMILY = [
    ("gan", {"loss": "hinge"}),
    ("lsgan", {}),
    ("lsgan", {"coding": "-1-1-0"}),
    ("fgan", {"divergence": "kl"}),
    ("fgan", {"divergence": "jensen_shannon"}),
    ("wgan", {"n_critic": 2}),
    ("wgan_gp", {"n_critic": 2}),
    ("ebgan", {}),
    ("began", {}),
]
FAMILY_IDS = [variant + "".join(f"-{v}" for v in options.values()) for variant, options in FAMILY]
EXTRA_METRICS = {"fgan": {"divergence"}, "wgan_gp": {"gp"}, "ebgan": {"pt"},
                 "began": {"k_t", "convergence"}}


def sgd():
    # Linear in the gradient: checks the gradient scaling exactly (see test_distribution.py).
    return keras.optimizers.SGD(0.05)


def tiny(variant, strategy=None, weights=None, optimizer=None, shape=POINTS, **options):
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = tfgan_suite.build_model(variant, **shape, **options)
        if weights is not None:
            model.set_weights(weights)
        model.compile(*(() if optimizer is None else (optimizer(), optimizer())))
    return model


def data(shape, n=GLOBAL_BATCH * STEPS, seed=0):
    images = np.random.default_rng(seed).uniform(-1, 1, (n,) + shape["image_shape"])
    return tf.data.Dataset.from_tensor_slices(images.astype(np.float32)).batch(
        GLOBAL_BATCH, drop_remainder=True)


def train_few_steps(variant, strategy, weights=None, optimizer=sgd, shape=POINTS, **options):
    model = tiny(variant, strategy, weights, optimizer, shape, **options)
    start = [w.copy() for w in model.get_weights()]
    history = model.fit(data(shape), epochs=1, verbose=0)
    return start, model.get_weights(), history.history


def assert_parity(variant, options, shape, two_replicas):
    start, single_weights, single = train_few_steps(variant, make_strategy("default"), shape=shape,
                                                    **options)
    _, mirrored_weights, mirrored = train_few_steps(variant, two_replicas, weights=start,
                                                    shape=shape, **options)
    assert set(single) == {"d_loss", "g_loss"} | EXTRA_METRICS.get(variant, set())
    for name in single:
        np.testing.assert_allclose(mirrored[name], single[name], rtol=1e-5, atol=1e-7, err_msg=name)
    moved = max(np.abs(w1 - w0).max() for w1, w0 in zip(single_weights, start))
    assert moved > 1e-4, "training must have changed the weights for the comparison to mean anything"
    for w_single, w_mirrored in zip(single_weights, mirrored_weights):
        np.testing.assert_allclose(w_mirrored, w_single, atol=1e-5)


@pytest.mark.parametrize("variant, options", FAMILY, ids=FAMILY_IDS)
def test_one_and_two_replicas_agree_on_points(variant, options, two_replicas):
    assert_parity(variant, options, POINTS, two_replicas)


@pytest.mark.parametrize("variant, options", [("wgan", {"n_critic": 2}), ("wgan_gp", {"n_critic": 2}),
                                              ("ebgan", {}), ("began", {})])
def test_one_and_two_replicas_agree_on_images(variant, options, two_replicas):
    """The convolutional critics: batch-norm (WGAN), layer-norm (WGAN-GP) and autoencoders."""
    assert_parity(variant, options, IMAGES, two_replicas)


@pytest.mark.parametrize("variant, options", FAMILY, ids=FAMILY_IDS)
def test_default_optimizers_report_same_losses_on_two_replicas(variant, options, two_replicas):
    start, _, single = train_few_steps(variant, make_strategy("default"), optimizer=None, **options)
    _, _, mirrored = train_few_steps(variant, two_replicas, weights=start, optimizer=None, **options)
    for name in single:
        np.testing.assert_allclose(mirrored[name], single[name], rtol=1e-4, atol=1e-6, err_msg=name)
