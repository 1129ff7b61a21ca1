"""2-D toy distributions of the mode-collapse literature and the mode-coverage measure.

Ring of 8 Gaussians (radius 2, std 0.02) and grid of 25 (5 x 5 at {-4, -2, 0, 2, 4}, std 0.05), as in
Metz et al. 2017 (Unrolled GAN) and Srivastava et al. 2017 (VEEGAN). A sample is "high quality"
when it lies within 3 standard deviations of its nearest mode. A mode's share is the fraction of
all samples that are high quality for it; a mode is "covered" when its share is at least
`COVERED_SHARE`. VEEGAN (sec. 5.1) counts a mode with a single high-quality sample, so a generator
with 84% of its samples on one mode and one stray sample near each other mode would cover all of
them; a bar on the smallest share also fails one that spreads over the ring without concentrating
on the modes.
"""

import numpy as np

TOY_DISTRIBUTIONS = ("ring8", "grid25")
# A covered mode holds at least 1% of the samples: 8% of a perfect generator's share on the ring
# (12.5%), 40 of 4,000 samples.
COVERED_SHARE = 0.01


def toy_modes(name):
    """(mode centres [K, 2], std) of a toy distribution."""
    if name == "ring8":
        angles = 2 * np.pi * np.arange(8) / 8
        return np.stack([2 * np.cos(angles), 2 * np.sin(angles)], axis=1), 0.02
    if name == "grid25":
        grid = np.arange(-4, 5, 2, dtype=np.float64)
        return np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2), 0.05
    raise ValueError(f"Unknown toy distribution {name!r}: choose one of {', '.join(TOY_DISTRIBUTIONS)}.")


def toy_samples(name, n, seed=0):
    """`n` points drawn uniformly over the modes, with their mode index as the label."""
    modes, std = toy_modes(name)
    rng = np.random.default_rng(seed)
    labels = rng.integers(len(modes), size=n)
    points = modes[labels] + std * rng.standard_normal((n, 2))
    return points.astype(np.float32), labels.astype(np.int32)


def mode_shares(samples, name):
    """[K] share of generated 2-D `samples` within 3 sigma of each of the K modes (their sum is the
    share of high-quality samples; 1 / K each for a perfect generator)."""
    modes, std = toy_modes(name)
    distances = np.linalg.norm(np.asarray(samples)[:, None, :] - modes[None], axis=-1)
    good = distances.min(axis=1) <= 3 * std
    return np.bincount(distances.argmin(axis=1)[good], minlength=len(modes)) / len(distances)


def mode_coverage(samples, name, min_share=COVERED_SHARE):
    """(modes covered, share of high-quality samples) of generated 2-D `samples`: a mode is
    covered when at least `min_share` of the samples are high quality for it."""
    shares = mode_shares(samples, name)
    return int(np.count_nonzero(shares >= min_share)), float(shares.sum())
