"""Adversarial losses as pure functions of discriminator logits, returning PER-EXAMPLE values
(the mean over a PatchGAN's patches: `per_example_mean`).

TF-GAN's functions are used where it has them (through the import shim); they default to
SUM_BY_NONZERO_WEIGHTS, so we ask for `Reduction.NONE` and let the model reduce with
`tf.nn.compute_average_loss` over the global batch.
"""

import numpy as np
from keras import ops
import tensorflow as tf

from tfgan_suite.losses.tfgan_compat import tfgan

_NONE = tf.compat.v1.losses.Reduction.NONE
_wargs = tfgan.losses.wargs


def per_example_mean(values):
    """The mean of `values` over every axis but the batch: one loss per example, for a scalar
    score per example (unchanged) as for a PatchGAN's score per patch (averaged)."""
    return ops.mean(ops.reshape(values, (ops.shape(values)[0], -1)), axis=1)


def minimax_discriminator_loss(real_logits, fake_logits):
    """Goodfellow et al. 2014, eq. 1, the discriminator's side:
    -log D(x) - log(1 - D(G(z))), with D = sigmoid(logits) (no label smoothing)."""
    return per_example_mean(_wargs.minimax_discriminator_loss(
        real_logits, fake_logits, label_smoothing=0.0, reduction=_NONE))


def minimax_generator_loss(fake_logits):
    """Goodfellow et al. 2014, eq. 1, the generator's side: log(1 - D(G(z))), minimised
    (saturates early in training when D rejects samples confidently)."""
    return per_example_mean(_wargs.minimax_generator_loss(
        fake_logits, label_smoothing=0.0, reduction=_NONE))


def non_saturating_generator_loss(fake_logits):
    """Goodfellow et al. 2014, sec. 3: maximise log D(G(z)) instead, i.e. minimise -log D(G(z)),
    which gives strong gradients early in learning."""
    return per_example_mean(_wargs.modified_generator_loss(
        fake_logits, label_smoothing=0.0, reduction=_NONE))


def hinge_discriminator_loss(real_logits, fake_logits):
    """Lim & Ye 2017 ("Geometric GAN"), as used by Miyato et al. 2018 (SN-GAN, eq. 16) and SAGAN /
    BigGAN: max(0, 1 - D(x)) + max(0, 1 + D(G(z)))."""
    return per_example_mean(ops.relu(1.0 - real_logits) + ops.relu(1.0 + fake_logits))


def hinge_generator_loss(fake_logits):
    """The hinge GAN's generator side: -D(G(z))."""
    return per_example_mean(-fake_logits)


# The adversarial-loss choice of the GAN family: name -> (discriminator loss, generator loss).
ADVERSARIAL_LOSSES = {
    "non_saturating": (minimax_discriminator_loss, non_saturating_generator_loss),
    "minimax": (minimax_discriminator_loss, minimax_generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
}


def adversarial_losses(name):
    """(discriminator loss, generator loss) of the adversarial loss `name`."""
    if name not in ADVERSARIAL_LOSSES:
        raise ValueError(f"loss must be one of {', '.join(sorted(ADVERSARIAL_LOSSES))}; got {name!r}.")
    return ADVERSARIAL_LOSSES[name]


# ----- LSGAN ----------------------------------------------------------------------------------

def least_squares_discriminator_loss(real_outputs, fake_outputs, real_label, fake_label):
    """Mao et al. 2017, eq. 2, the discriminator's side with the a-b coding (a: fake, b: real):
    1/2 (D(x) - b)^2 + 1/2 (D(G(z)) - a)^2."""
    return per_example_mean(_wargs.least_squares_discriminator_loss(
        real_outputs, fake_outputs, real_label=real_label, fake_label=fake_label, reduction=_NONE))


def least_squares_generator_loss(fake_outputs, target):
    """Mao et al. 2017, eq. 2, the generator's side: 1/2 (D(G(z)) - c)^2, c the value G wants D
    to believe for fake data."""
    return per_example_mean(_wargs.least_squares_generator_loss(
        fake_outputs, real_label=target, reduction=_NONE))


# ----- WGAN and WGAN-GP -----------------------------------------------------------------------

def wasserstein_critic_loss(real_scores, fake_scores):
    """Arjovsky et al. 2017, Algorithm 1 (and Gulrajani et al. 2017, Algorithm 1): the critic
    maximises D(x) - D(G(z)), the Kantorovich-Rubinstein estimate of W(P_r, P_g), so it minimises
    D(G(z)) - D(x)."""
    return per_example_mean(_wargs.wasserstein_discriminator_loss(
        real_scores, fake_scores, reduction=_NONE))


def wasserstein_generator_loss(fake_scores):
    """Arjovsky et al. 2017, Algorithm 1: the generator minimises -D(G(z))."""
    return per_example_mean(_wargs.wasserstein_generator_loss(fake_scores, reduction=_NONE))


def gradient_penalty(critic, real, fake, epsilon):
    """Gulrajani et al. 2017, eq. 3: (||grad_x_hat D(x_hat)||_2 - 1)^2 per example, at the random
    interpolates x_hat = epsilon x + (1 - epsilon) G(z), epsilon ~ U[0, 1] per example.

    Written here rather than taken from `tfgan.losses.wargs.wasserstein_gradient_penalty`, which
    draws epsilon itself (so replicas could not share the global batch's draws) and needs a
    variable scope. The norm is sqrt(sum of squares + 1e-10), as in TF-GAN: a bare sqrt has an
    infinite gradient at a zero gradient and turns the step into NaN (keras-io#910).
    """
    interpolates = epsilon * real + (1.0 - epsilon) * fake
    with tf.GradientTape() as tape:
        tape.watch(interpolates)
        scores = critic(interpolates)
    gradients = ops.reshape(tape.gradient(scores, interpolates), (ops.shape(real)[0], -1))
    norms = ops.sqrt(ops.sum(ops.square(gradients), axis=1) + 1e-10)
    return ops.square(norms - 1.0)



def r1_penalty(discriminator, real):
    """Mescheder et al. 2018 ("Which Training Methods for GANs do actually Converge?", eq. 9):
    ||grad_x D(x)||^2 per example, at the real images."""
    with tf.GradientTape() as tape:
        tape.watch(real)
        scores = discriminator(real)
    gradients = tape.gradient(scores, real)  # of the sum of the scores
    return ops.sum(ops.square(gradients), axis=tuple(range(1, len(real.shape))))

# ----- f-GAN ----------------------------------------------------------------------------------

def _kl(v):
    return v, ops.exp(v - 1.0)


def _reverse_kl(v):
    return -ops.exp(-v), v - 1.0


def _pearson(v):
    return v, ops.square(v) / 4.0 + v


def _squared_hellinger(v):
    return 1.0 - ops.exp(-v), ops.exp(v) - 1.0


def _jensen_shannon(v):
    return np.log(2.0) - ops.softplus(-v), ops.softplus(v) - np.log(2.0)


def _total_variation(v):
    half_tanh = 0.5 * ops.tanh(v)
    return half_tanh, half_tanh


# Nowozin et al. 2016, Table 2: the output activation g_f(v) taking the critic's raw output v into
# the domain of the conjugate f*, and f*(g_f(v)), simplified so that it stays finite:
#   kl                  g_f = v                     f*(t) = exp(t - 1)
#   reverse_kl          g_f = -exp(-v)              f*(t) = -1 - log(-t)
#   pearson             g_f = v                     f*(t) = t^2 / 4 + t
#   squared_hellinger   g_f = 1 - exp(-v)           f*(t) = t / (1 - t)
#   jensen_shannon      g_f = log 2 - log(1 + e^-v) f*(t) = -log(2 - exp(t))
#   total_variation     g_f = tanh(v) / 2           f*(t) = t
F_DIVERGENCES = {
    "kl": _kl,
    "reverse_kl": _reverse_kl,
    "pearson": _pearson,
    "squared_hellinger": _squared_hellinger,
    "jensen_shannon": _jensen_shannon,
    "total_variation": _total_variation,
}


def f_divergence(name):
    """v -> (g_f(v), f*(g_f(v))) of the f-divergence `name` (Nowozin et al. 2016, Table 2)."""
    if name not in F_DIVERGENCES:
        raise ValueError(f"divergence must be one of {', '.join(sorted(F_DIVERGENCES))}; got {name!r}.")
    return F_DIVERGENCES[name]


def variational_divergence_terms(real_outputs, fake_outputs, divergence):
    """Nowozin et al. 2016, eq. 6 per example: g_f(V(x)) - f*(g_f(V(G(z)))), whose mean is the
    variational lower bound F on D_f(P || Q), P the data and Q the generator."""
    activation = f_divergence(divergence)
    real_value, _ = activation(real_outputs)
    _, fake_conjugate = activation(fake_outputs)
    return per_example_mean(real_value - fake_conjugate)


def f_gan_generator_loss(fake_outputs, divergence):
    """Nowozin et al. 2016, sec. 3.2: the generator maximises E_Q[g_f(V(G(z)))] rather than
    minimising F (the non-saturating choice, the GAN trick generalised), so it minimises
    -g_f(V(G(z)))."""
    fake_value, _ = f_divergence(divergence)(fake_outputs)
    return per_example_mean(-fake_value)


# ----- EBGAN and BEGAN ------------------------------------------------------------------------

def reconstruction_error(images, reconstructions, power):
    """The energy of an autoencoder discriminator, per example: the mean over pixels of
    |x - Dec(Enc(x))|^power (power 2 for EBGAN's squared error, 1 for BEGAN's L1, eq. 1)."""
    return per_example_mean(ops.abs(images - reconstructions) ** power)


def energy_margin_loss(real_energy, fake_energy, margin):
    """Zhao et al. 2017, eq. 1: the discriminator's L_D = D(x) + [m - D(G(z))]^+."""
    return per_example_mean(real_energy + ops.relu(margin - fake_energy))


def pulling_away_term(codes, all_codes, offset):
    """Zhao et al. 2017, eq. 4, per example: f_PT = 1 / (N (N - 1)) sum_{i != j} cos^2(S_i, S_j),
    here the row i of `codes` gets (1 / (N - 1)) sum_{j != i} cos^2(S_i, S_j) over the N rows of
    `all_codes` (the codes of the whole global batch; `codes` are its rows offset..offset+n), so
    the mean over examples is f_PT."""
    unit = tf.math.l2_normalize(ops.reshape(codes, (ops.shape(codes)[0], -1)), axis=1)
    all_unit = tf.math.l2_normalize(ops.reshape(all_codes, (ops.shape(all_codes)[0], -1)), axis=1)
    cosines = ops.square(ops.matmul(unit, ops.transpose(all_unit)))
    total = ops.shape(all_codes)[0]
    self_pairs = tf.one_hot(offset + tf.range(ops.shape(codes)[0]), total)
    return ops.sum(cosines * (1.0 - self_pairs), axis=1) / ops.cast(total - 1, cosines.dtype)


def began_balance_update(k, real_error, fake_error, gamma, learning_rate):
    """Berthelot et al. 2017, eq. 4: k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z_G))), 0, 1),
    with L the mean reconstruction errors; clipped to [0, 1] as in the paper."""
    return tf.clip_by_value(k + learning_rate * (gamma * real_error - fake_error), 0.0, 1.0)


def began_convergence(real_error, fake_error, gamma):
    """Berthelot et al. 2017, sec. 3.4.1: M_global = L(x) + |gamma L(x) - L(G(z_G))|."""
    return real_error + ops.abs(gamma * real_error - fake_error)
