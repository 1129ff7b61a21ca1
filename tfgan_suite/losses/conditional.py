"""Losses of the conditional GAN family, as pure functions of tensors returning PER-EXAMPLE values.

TF-GAN's functions are used where it has them (ACGAN's class losses), with `Reduction.NONE`, so the
model reduces over the global batch with `tf.nn.compute_average_loss` (the global-batch scaling
of tf.distribute's custom training loops). TF-GAN's `mutual_information_penalty` is not used: it
averages each code's log-likelihood over the batch before weighting (no per-example values) and
needs `tfp` distributions; `information_loss` below is the same bound, per example.
"""

import tensorflow as tf
from keras import ops

from tfgan_suite.losses.tfgan_compat import tfgan

_NONE = tf.compat.v1.losses.Reduction.NONE
_wargs = tfgan.losses.wargs


def _per_example(loss):
    return ops.reshape(loss, (-1,))


def _one_hot(labels, class_logits):
    return tf.one_hot(tf.cast(labels, tf.int32), tf.shape(class_logits)[-1])


def condition_loss(class_logits, labels):
    """How far samples are from their condition: cross-entropy of an auxiliary classifier's
    `class_logits` against the requested `labels`, -log C(y | x).

    The generator's side of ACGAN's class loss (Odena et al. 2017, eq. 2, L_C on generated
    samples); the cGAN uses it as its condition loss. TF-GAN's `acgan_generator_loss`."""
    return _per_example(_wargs.acgan_generator_loss(
        class_logits, _one_hot(labels, class_logits), reduction=_NONE))


def classifier_loss(class_logits, labels):
    """Cross-entropy of a classifier head on labelled REAL images, -log C(y | x): trains the
    auxiliary classifier that measures the cGAN's condition loss (and IcGAN's encoder E_y,
    Perarnau et al. 2016, eq. 4, on real data)."""
    return _per_example(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=class_logits))


def mismatch_loss(mismatched_logits, loss="non_saturating"):
    """The matching-aware term (Reed et al. 2016, "Generative Adversarial Text to Image Synthesis",
    Algorithm 1, s_w = D(x, h_wrong)): real images paired with a wrong condition must be judged
    fake, -log(1 - D(x, y_wrong)), with D = sigmoid(logits); with the hinge `loss`, the hinge
    loss of a fake, max(0, 1 + D(x, y_wrong))."""
    if loss == "hinge":
        return _per_example(tf.nn.relu(1.0 + mismatched_logits))
    return _per_example(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.zeros_like(mismatched_logits), logits=mismatched_logits))


def acgan_discriminator_class_loss(real_class_logits, fake_class_logits, labels):
    """ACGAN (Odena et al. 2017, eq. 2): the discriminator maximises the log-likelihood of the
    correct class on real AND generated images, L_C = log P(C=c | X_real) + log P(C=c | X_fake);
    returned as -L_C. TF-GAN's `acgan_discriminator_loss`."""
    return _per_example(_wargs.acgan_discriminator_loss(
        real_class_logits, fake_class_logits, _one_hot(labels, real_class_logits), reduction=_NONE))


def information_loss(categorical_logits, categorical_codes, continuous_means, continuous_codes):
    """InfoGAN's variational lower bound on the mutual information I(c; G(z, c)) (Chen et al. 2016,
    eq. 4-5): L_I = E[log Q(c | x)] + H(c) with x = G(z, c). H(c) is a constant, so the loss is the
    negative log-likelihood -log Q(c | x) of the codes that made x:

    - categorical codes (integer indices): cross-entropy of Q's `categorical_logits`;
    - continuous codes: a factored Gaussian with unit variance centred on `continuous_means`,
      0.5 * ||c - mu||^2 (up to a constant), summed over the codes.

    Returns (categorical, continuous) per-example terms, so their weights can differ (the paper
    uses lambda = 1 for discrete codes and a smaller one for continuous codes, sec. 5)."""
    categorical = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(categorical_codes, tf.int32), logits=categorical_logits)
    continuous = 0.5 * ops.sum(ops.square(continuous_codes - continuous_means), axis=-1)
    return _per_example(categorical), _per_example(continuous)


def latent_reconstruction_loss(z, z_encoded):
    """IcGAN's encoder E_z (Perarnau et al. 2016, eq. 3): L_ez = ||z - E_z(G(z, y'))||_2^2."""
    return ops.sum(ops.square(z - z_encoded), axis=-1)
