"""Small builders shared by the foundation tests: tiny networks, a few steps."""

import keras
import numpy as np
import tensorflow as tf

import tfgan_suite

TINY = {
    "gan": dict(image_shape=(2,), latent_dim=4, width=16),
    "dcgan": dict(image_shape=(28, 28, 1), latent_dim=8, width=4),
}


def tiny_model(variant, strategy=None, weights=None, optimizer=None, **kwargs):
    """A compiled tiny `variant` built in `strategy`'s scope, optionally starting from `weights`."""
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = tfgan_suite.build_model(variant, **{**TINY[variant], **kwargs})
        if weights is not None:
            model.set_weights(weights)
        if optimizer is None:
            model.compile()
        else:
            model.compile(d_optimizer=optimizer(), g_optimizer=optimizer())
    return model


def tiny_images(variant, n=64, seed=0):
    rng = np.random.default_rng(seed)
    shape = TINY[variant]["image_shape"]
    return rng.uniform(-1, 1, (n,) + shape).astype(np.float32)
