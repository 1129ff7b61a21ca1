"""Mode coverage of the loss family on the ring of 8 Gaussians (tfgan_suite.data.toy: a sample is high
quality within 3 sigma of a mode; a mode's share is the fraction of all samples high quality for
it; a mode is covered when its share is at least 1%, `COVERED_SHARE`).

Budget: each variant's toy recipe (tfgan_suite.training.toy_recipes: MLPs of 128 units, latent 8, batches of
256, the paper's optimizer family at 1e-3 decayed linearly to a tenth), 3000 steps, 4000 samples
scored. Each bar is one the variant cleared (numbers in each docstring), and every bar fails a
generator collapsed on one mode and one spread over the circle through the modes (a circle of
radius 2 covers all 8 modes with 7.6% high quality, 0.95% per mode), test_the_bars_fail_a_circle_
and_a_collapsed_generator, and so does one with 84% of its samples on one mode, a stray sample
near each of six others and uniform noise for the rest.

EBGAN and BEGAN have their bars on MNIST (tests/test_loss_family_mnist.py): their discriminators
are autoencoders whose energy is a reconstruction error, and on 2-D points a one-dimensional code
reconstructs the whole circle through the modes as well as the modes themselves, while a wider
code reconstructs every point. Measured: EBGAN (8-D code, seeds 0, 1) covers 8 modes with 28% and
7.2% high quality but 0.45% and 0.22% for its emptiest mode (a circle: 0.95%); margin 0.25: 9.2%,
0.75%. BEGAN ends on at most one mode in every set-up tried: codes 1, 2, 8, 64; gamma 0.5 or 1;
lambda_k 0.001 to 10; L1 or L2 error; ELU or ReLU autoencoders of one or two layers; a denoising
autoencoder; batch norm on the code layers; the paper's Adam(1e-4) for 20000 steps.
"""

import json

import numpy as np
import pytest

from tfgan_suite.data.toy import mode_coverage, mode_shares, toy_modes, toy_samples
from tfgan_suite.training.toy_recipes import train_on_toy

# Each mode's share of the samples for the per-mode bar: a quarter of a perfect generator's 1/8,
# three times a circle's 0.95%.
MIN_MODE_SHARE = 0.03


def ring_coverage(variant, steps, seed=0, **options):
    """(modes covered, high-quality share, smallest mode share) after `steps` of the toy recipe."""
    samples = train_on_toy(variant, steps, seed=seed, **options).sample(4000, seed=1)
    shares = mode_shares(samples, "ring8")
    modes, quality = mode_coverage(samples, "ring8")
    print(json.dumps({"variant": variant, **options, "ring8_modes": modes, "high_quality": quality,
                      "mode_shares": shares.tolist()}))
    return modes, quality, float(shares.min())


def mostly_one_mode(rng, n=4000, share=0.84):
    """`share` of the samples on the first mode, one sample on each of six others, uniform noise
    over [-3, 3]^2 for the rest: VEEGAN's count (one sample covers a mode) gives it 7 modes."""
    modes, std = toy_modes("ring8")
    on_mode = modes[0] + std * rng.standard_normal((round(n * share), 2))
    strays = modes[1:7] + std * rng.standard_normal((6, 2))
    noise = rng.uniform(-3, 3, (n - len(on_mode) - len(strays), 2))
    return np.concatenate([on_mode, strays, noise])


def test_the_bars_fail_a_circle_and_a_collapsed_generator():
    rng = np.random.default_rng(0)
    angles = rng.uniform(0, 2 * np.pi, 4000)
    circle = 2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    collapsed = toy_modes("ring8")[0][0] + 0.02 * rng.standard_normal((4000, 2))
    mostly_collapsed = mostly_one_mode(rng)
    assert np.count_nonzero(mode_shares(mostly_collapsed, "ring8")) == 7
    data, _ = toy_samples("ring8", 4000)
    assert mode_shares(data, "ring8").min() >= MIN_MODE_SHARE
    assert mode_coverage(data, "ring8")[0] == 8
    for fake in (circle, collapsed, mostly_collapsed):
        modes, quality = mode_coverage(fake, "ring8")
        assert mode_shares(fake, "ring8").min() < MIN_MODE_SHARE
        # The (modes, quality) bars below and gan's in test_training.py: the weakest are 6 modes
        # with 70% high quality and 7 modes with 30%.
        assert modes < 6 or quality < 0.3


@pytest.mark.slow
@pytest.mark.quality(variant="lsgan")
def test_lsgan_covers_the_ring():
    """Bar: >= 6 modes, >= 70% high quality: LSGAN drops a mode or two on some seeds. Measured
    (modes holding >= 1%), seeds 0, 1: 7 modes, 83% (the eighth empty); 8, 82% (smallest 1.9%)."""
    modes, quality, _ = ring_coverage("lsgan", 3000)
    assert modes >= 6 and quality >= 0.7


@pytest.mark.slow
@pytest.mark.quality(variant="gan")
def test_hinge_gan_covers_the_ring():
    """Bar: >= 7 modes, >= 60% high quality, no mode under 4%. Measured: seed 0: 8, 74%, smallest
    mode 8.0%; seed 1: 8, 78%, 8.5%."""
    modes, quality, smallest_share = ring_coverage("gan", 3000, loss="hinge")
    assert modes >= 7 and quality >= 0.6 and smallest_share >= 0.04


# f-GAN (Nowozin et al. 2016): the divergences of its Table 2 that train with the same toy recipe.
# Bars: (smallest mode share or None, high-quality share), with 7 or more modes; measured, seeds
# 0 / 1: (modes holding >= 1%, high quality, smallest mode share).
F_GAN_RING_BARS = {
    "kl": (MIN_MODE_SHARE, 0.5),                # 8, 61%, 6.4% / 8, 65%, 6.9%
    "jensen_shannon": (MIN_MODE_SHARE, 0.6),    # 8, 75%, 8.4% / 8, 80%, 9.2%
    "squared_hellinger": (None, 0.5),           # 7, 65%, 0.65%: one mode nearly empty / 8, 87%, 9.9%
}
# The other three divergences of Table 2 do not train on the ring with this recipe, seed 0:
# pearson, 8 modes but 15% high quality and 0.9% for the emptiest mode (a circle: 7.6%, 0.95%);
# reverse_kl, 0% high quality (learning rate 1e-3 or 1e-4); total_variation, 0.15%.
# benchmarks/loss_family.py measures them beside the others; their variational bounds are checked
# against the closed forms in tests/test_fgan_divergence.py.


@pytest.mark.slow
@pytest.mark.quality(variant="fgan")
@pytest.mark.parametrize("divergence", F_GAN_RING_BARS)
def test_fgan_learns_the_ring(divergence):
    min_share, min_quality = F_GAN_RING_BARS[divergence]
    modes, quality, smallest_share = ring_coverage("fgan", 3000, divergence=divergence)
    assert modes >= 7 and quality >= min_quality
    assert min_share is None or smallest_share >= min_share


@pytest.mark.slow
@pytest.mark.quality(variant="wgan")
def test_wgan_covers_the_ring():
    """Bar: >= 7 modes, >= 30% high quality, with RMSProp (the paper's optimizer: Adam gave
    4 modes, 0.3%) and clip_value 0.1: the paper's c = 0.01, set for DCGAN critics on images,
    leaves this MLP critic too weak (2000 steps: 5 modes, 0.2%; c = 0.05, 3000 steps: 8, 23%).
    Measured (c = 0.1): seed 0: 8, 40% (smallest mode 1.25%); seed 1: 8, 70% (7.1%)."""
    modes, quality, _ = ring_coverage("wgan", 3000)
    assert modes >= 7 and quality >= 0.3


@pytest.mark.slow
@pytest.mark.quality(variant="wgan_gp")
def test_wgan_gp_covers_the_ring():
    """Bar: >= 7 modes, >= 70% high quality, with the paper's toy-data settings (its gan_toy.py:
    lambda = 0.1, Adam betas (0.5, 0.9), n_critic = 5), no mode under 5%. Measured: seed 0: 8, 80%,
    smallest mode 9.3%; seed 1: 8, 82%, 9.6%. (lambda = 1: 8, 83%; the image setting lambda = 10:
    8, 61%, seed 0.)"""
    modes, quality, smallest_share = ring_coverage("wgan_gp", 3000)
    assert modes >= 7 and quality >= 0.7 and smallest_share >= 0.05


@pytest.mark.slow
def test_began_reaches_its_equilibrium_on_the_ring():
    """Not a coverage bar: BEGAN covers no mode of the ring (module docstring; its coverage bar
    is on MNIST). What the paper promises and this asserts: M_global, its convergence
    measure, falls at least 10x from the first to the last sixth of the run while k_t stays in
    (0, 0.1). Measured, seeds 0, 1, 2: M_global 0.089 -> 0.0029, 0.075 -> 0.0028, 0.109 -> 0.0028;
    final k_t 0.012, 0.010, 0.013; 0 modes each."""
    model = train_on_toy("began", 3000, epochs=6)
    history = {name: np.ravel(values) for name, values in model.history.history.items()}
    modes, quality = mode_coverage(model.sample(4000, seed=1), "ring8")
    print(json.dumps({"variant": "began", "convergence": history["convergence"].tolist(),
                      "k_t": history["k_t"].tolist(), "ring8_modes": modes, "high_quality": quality}))
    assert history["convergence"][-1] <= history["convergence"][0] / 10
    assert 0 < history["k_t"][-1] < 0.1
