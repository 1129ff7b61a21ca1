"""f-GAN's variational bound (Nowozin et al. 2016, eq. 6) estimates the f-divergence: a critic
trained on samples of two known 1-D Gaussians reaches the true value: the closed form for every
divergence of Table 2 except Jensen-Shannon, which is integrated numerically."""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_suite import losses
from tfgan_suite.networks import MLPDiscriminator

# P (the "data") = N(0, 1), Q (the "model") = N(1, 1): equal variances, means DELTA apart.
MEAN_P, MEAN_Q, STD = 0.0, 1.0, 1.0
DELTA = (MEAN_P - MEAN_Q) / STD
TRUE_DIVERGENCE = {
    # KL(P || Q) = log(s_q / s_p) + (s_p^2 + (m_p - m_q)^2) / (2 s_q^2) - 1/2
    "kl": DELTA ** 2 / 2,
    # KL(Q || P): the same for equal variances
    "reverse_kl": DELTA ** 2 / 2,
    # f(u) = (u - 1)^2: chi^2 = int p^2 / q - 1, and int p^2 / q = exp(delta^2) for equal variances
    "pearson": np.expm1(DELTA ** 2),
    # f(u) = (sqrt(u) - 1)^2: H^2 = 2 (1 - BC), Bhattacharyya BC = exp(-delta^2 / 8)
    "squared_hellinger": 2 * (1 - np.exp(-DELTA ** 2 / 8)),
    # f(u) = |u - 1| / 2: TV = 2 Phi(|delta| / 2) - 1, the P-mass nearer m_p minus its Q-mass
    "total_variation": math.erf(abs(DELTA) / (2 * np.sqrt(2))),
}


def jensen_shannon_by_quadrature(points=200_001, half_width=12.0):
    """f(u) = u log u - (u + 1) log((u + 1) / 2) gives KL(P || M) + KL(Q || M), M = (P + Q) / 2
    (twice the Jensen-Shannon divergence); no closed form for Gaussians, so a Riemann sum."""
    x = np.linspace(MEAN_P - half_width * STD, MEAN_P + half_width * STD, points)
    p = np.exp(-0.5 * ((x - MEAN_P) / STD) ** 2) / (STD * np.sqrt(2 * np.pi))
    q = np.exp(-0.5 * ((x - MEAN_Q) / STD) ** 2) / (STD * np.sqrt(2 * np.pi))
    m = (p + q) / 2
    return float(np.sum(p * np.log(p / m) + q * np.log(q / m)) * (x[1] - x[0]))


TRUE_DIVERGENCE["jensen_shannon"] = jensen_shannon_by_quadrature()
STEPS, BATCH, EVAL_SAMPLES = 600, 1024, 200_000


def estimate(divergence, seed=0):
    """Trains V by ascending the bound F on fresh samples; returns F on held-out samples."""
    keras.utils.set_random_seed(seed)
    critic = MLPDiscriminator((1,), hidden=(32, 32))
    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.PolynomialDecay(3e-3, STEPS, 3e-4))
    rng = tf.random.Generator.from_seed(seed)

    def bound(n):
        p = rng.normal([n, 1], MEAN_P, STD)
        q = rng.normal([n, 1], MEAN_Q, STD)
        return tf.reduce_mean(losses.variational_divergence_terms(critic(p), critic(q), divergence))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = -bound(BATCH)
        optimizer.apply_gradients(zip(tape.gradient(loss, critic.trainable_variables),
                                      critic.trainable_variables))

    for _ in range(STEPS):
        step()
    return float(bound(EVAL_SAMPLES))


# Within 3% of the closed form, except Pearson chi^2: its optimal critic 2 (p/q - 1) grows as
# exp(x) in the tails, which the MLP's piecewise-linear critic follows only so far.
TOLERANCE = {"pearson": 0.08}


@pytest.mark.parametrize("divergence", [
    "kl", *(pytest.param(name, marks=pytest.mark.slow) for name in sorted(TRUE_DIVERGENCE) if name != "kl")])
def test_variational_bound_reaches_the_closed_form_divergence(divergence):
    """The bar: within TOLERANCE of the true value, and not above it by more than sampling noise
    (it is a lower bound). Measured, seeds 0 and 1, relative to the true value: KL -0.48%, -0.49%;
    reverse KL -0.88%, -0.88%; Pearson -4.7%, -5.3%; squared Hellinger -0.51%, -0.53%;
    Jensen-Shannon -0.43%, -0.43%; total variation -0.22%, -0.21%. KL stays in the quick
    selection, the others (~10 s each) are slow."""
    value = estimate(divergence)
    true = TRUE_DIVERGENCE[divergence]
    print(json.dumps({"divergence": divergence, "estimate": value, "true": true}))
    assert abs(value - true) <= TOLERANCE.get(divergence, 0.03) * true
    assert value <= 1.005 * true
