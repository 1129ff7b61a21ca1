"""Adversarial losses as pure functions of discriminator logits, returning PER-EXAMPLE values.

TF-GAN's functions are used where it has them (through the import shim); they default to
SUM_BY_NONZERO_WEIGHTS, so we ask for `Reduction.NONE` and let the model reduce with
`tf.nn.compute_average_loss` over the global batch.
"""

from keras import ops
import tensorflow as tf

from tfgan_suite.tfgan_compat import tfgan

_NONE = tf.compat.v1.losses.Reduction.NONE
_wargs = tfgan.losses.wargs


def _per_example(loss):
    return ops.reshape(loss, (-1,))


def minimax_discriminator_loss(real_logits, fake_logits):
    """Goodfellow et al. 2014, eq. 1, the discriminator's side:
    -log D(x) - log(1 - D(G(z))), with D = sigmoid(logits) (no label smoothing)."""
    return _per_example(_wargs.minimax_discriminator_loss(
        real_logits, fake_logits, label_smoothing=0.0, reduction=_NONE))


def minimax_generator_loss(fake_logits):
    """Goodfellow et al. 2014, eq. 1, the generator's side: log(1 - D(G(z))), minimised
    (saturates early in training when D rejects samples confidently)."""
    return _per_example(_wargs.minimax_generator_loss(
        fake_logits, label_smoothing=0.0, reduction=_NONE))


def non_saturating_generator_loss(fake_logits):
    """Goodfellow et al. 2014, sec. 3: maximise log D(G(z)) instead, i.e. minimise -log D(G(z)),
    which gives strong gradients early in learning."""
    return _per_example(_wargs.modified_generator_loss(
        fake_logits, label_smoothing=0.0, reduction=_NONE))
