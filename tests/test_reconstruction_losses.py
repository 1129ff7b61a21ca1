"""The reconstruction, cycle, identity and content terms (`tfgan_suite.losses.reconstruction`),
each against a hand computation on small tensors: one value per example, the mean over its
pixels (or features)."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_suite import losses

# Two examples of 2x2 one-channel images: x and a prediction y of it.
X = np.array([[[[1.0], [-1.0]], [[0.5], [0.0]]],
              [[[0.0], [0.0]], [[0.0], [0.0]]]], np.float32)
Y = np.array([[[[0.0], [-1.0]], [[0.5], [2.0]]],
              [[[1.0], [-1.0]], [[1.0], [-1.0]]]], np.float32)


def test_l1_error_is_the_mean_absolute_difference_per_example():
    # Example 0: |1 - 0| + 0 + 0 + |0 - 2| = 3 over 4 pixels; example 1: 4 ones over 4.
    np.testing.assert_allclose(losses.l1_error(tf.constant(Y), tf.constant(X)), [0.75, 1.0])


def test_squared_error_is_the_mean_squared_difference_per_example():
    # Example 0: 1 + 0 + 0 + 4 = 5 over 4 pixels; example 1: 4 ones over 4.
    np.testing.assert_allclose(losses.squared_error(tf.constant(Y), tf.constant(X)), [1.25, 1.0])
    # Flat feature vectors (SRGAN's content on features, GANomaly's latent codes) alike.
    z, z_hat = tf.constant([[1.0, 2.0, 3.0]]), tf.constant([[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(losses.squared_error(z_hat, z), [(0 + 4 + 9) / 3])


def test_cycle_consistency_sums_both_directions():
    a, cycled_a = tf.constant(X), tf.constant(Y)
    b = tf.constant(np.zeros((2, 2, 2, 3), np.float32))   # domain B: another shape (3 channels)
    cycled_b = tf.constant(np.full((2, 2, 2, 3), [[[[0.5]]], [[[-2.0]]]], np.float32))
    # Zhu et al. 2017, eq. 2: L1 both ways; |0.5| and |-2| everywhere in B.
    np.testing.assert_allclose(losses.cycle_consistency_loss(a, cycled_a, b, cycled_b),
                               [0.75 + 0.5, 1.0 + 2.0])
    # DiscoGAN's L_CONST_A + L_CONST_B with the squared distance.
    np.testing.assert_allclose(
        losses.cycle_consistency_loss(a, cycled_a, b, cycled_b, distance=losses.squared_error),
        [1.25 + 0.25, 1.0 + 4.0])


def test_identity_loss_asks_each_generator_to_keep_its_own_domain():
    a, b = tf.constant(X), tf.constant(-X)
    # G_ba(a) = Y is 0.75 / 1.0 from a; G_ab(b) = b is perfect.
    np.testing.assert_allclose(losses.identity_loss(a, tf.constant(Y), b, b), [0.75, 1.0])
    # The order of the pairs matters: G_ab(b) = Y is compared with b.
    np.testing.assert_allclose(losses.identity_loss(a, a, b, tf.constant(Y)),
                               np.abs(Y + X).reshape(2, -1).mean(axis=1))


def test_per_example_values_have_the_gradient_of_the_mean():
    outputs = tf.Variable(Y)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(losses.squared_error(outputs, tf.constant(X)))
    np.testing.assert_allclose(tape.gradient(loss, outputs), 2 * (Y - X) / 4)


@pytest.mark.parametrize("loss", [losses.l1_error, losses.squared_error])
def test_a_batch_of_one_and_of_many_agree(loss):
    batch = loss(tf.constant(Y), tf.constant(X)).numpy()
    singles = [loss(tf.constant(Y[i:i + 1]), tf.constant(X[i:i + 1])).numpy()[0] for i in range(2)]
    np.testing.assert_array_equal(batch, singles)
