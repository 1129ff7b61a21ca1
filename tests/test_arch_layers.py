"""The modern-architecture toolbox (tfgan_suite.networks.layers): spectral norm, self-attention,
conditional batch norm, orthogonal regularisation."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from tfgan_suite.networks.layers import (ConditionalBatchNorm, SelfAttention, SpectralConv2D,
                                         SpectralDense, orthogonal_regularization)


def largest_singular_value(kernel):
    matrix = np.reshape(np.asarray(kernel), (-1, kernel.shape[-1]))
    return np.linalg.svd(matrix, compute_uv=False)[0]


def test_power_iterations_bring_the_largest_singular_value_to_one():
    keras.utils.set_random_seed(0)
    for layer, inputs in ((SpectralDense(30, kernel_initializer=keras.initializers.RandomNormal(
                               stddev=3.0)), np.zeros((1, 20), np.float32)),
                          (SpectralConv2D(8, 3, kernel_initializer=keras.initializers.RandomNormal(
                               stddev=3.0)), np.zeros((1, 5, 5, 4), np.float32))):
        layer(inputs)
        assert largest_singular_value(layer.kernel) > 10  # far from 1 before normalisation
        for _ in range(100):
            layer.update_power_iteration()
        np.testing.assert_allclose(largest_singular_value(layer.normalized_kernel()), 1.0,
                                   rtol=5e-3)


def test_an_untrained_layer_never_divides_by_less_than_a_random_direction_gives():
    """Before any power iteration sigma is ||W u|| for a random unit direction u: below the
    largest singular value, but of its order (the stored u, not yet unit, gave 1-20% of it)."""
    keras.utils.set_random_seed(0)
    for layer, inputs in ((SpectralDense(64), np.zeros((1, 128), np.float32)),
                          (SpectralConv2D(32, 3), np.zeros((1, 5, 5, 16), np.float32))):
        layer(inputs)
        ratio = float(layer.sigma()) / largest_singular_value(layer.kernel)
        assert 0.3 < ratio <= 1.0, ratio


def test_the_gradient_flows_through_sigma():
    """f(W / sigma(W)) is scale-invariant in W, so its gradient is orthogonal to W; with sigma
    under stop_gradient (Keras's SpectralNormalization) <grad, W> = f, far from 0."""
    keras.utils.set_random_seed(1)
    layer = SpectralDense(6)
    x = tf.random.normal((4, 5))
    layer(x)
    for _ in range(20):
        layer.update_power_iteration()
    with tf.GradientTape() as tape:
        output = tf.reduce_sum(layer(x) ** 2)
    gradient = tape.gradient(output, layer.kernel.value)
    inner = float(tf.reduce_sum(gradient * layer.kernel.value))
    assert abs(inner) < 1e-3 * float(output)


def test_self_attention_starts_as_the_identity():
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 16)).astype(np.float32)
    attention = SelfAttention()
    np.testing.assert_array_equal(attention(x).numpy(), x)
    attention.gamma.assign(1.0)
    assert np.abs(attention(x).numpy() - x).max() > 1e-3


def test_conditional_batch_norm_with_one_class_is_that_class_batch_norm():
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(8, 4, 4, 5)).astype(np.float32)
    gain, bias = rng.normal(size=5).astype(np.float32), rng.normal(size=5).astype(np.float32)
    conditional = ConditionalBatchNorm(num_classes=3)
    labels = np.full(8, 1, np.int32)
    conditional([x, labels])
    conditional.gain.embeddings.assign(np.stack([np.ones(5), gain, np.ones(5)]))
    conditional.bias.embeddings.assign(np.stack([np.zeros(5), bias, np.zeros(5)]))
    plain = layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
    plain(x)
    plain.gamma.assign(gain)
    plain.beta.assign(bias)
    np.testing.assert_allclose(conditional([x, labels], training=True).numpy(),
                               plain(x, training=True).numpy(), rtol=1e-5, atol=1e-5)
    other = conditional([x, np.zeros(8, np.int32)], training=True).numpy()
    assert np.abs(other - plain(x, training=True).numpy()).max() > 1e-2


def test_orthogonal_regularization_ignores_norms_and_penalises_overlap():
    orthogonal = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 4)))[0] * 3.0
    assert float(orthogonal_regularization([orthogonal.astype(np.float32)])) < 1e-8
    overlapping = np.ones((6, 4), np.float32)  # every pair of filters has inner product 6
    np.testing.assert_allclose(float(orthogonal_regularization([overlapping])),
                               1e-4 * 12 * 36, rtol=1e-6)
