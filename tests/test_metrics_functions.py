"""The metric functions against closed forms and independent numpy/scipy implementations."""

import numpy as np
import pytest

from tfgan_suite.metrics import functions as fn

scipy_linalg = pytest.importorskip("scipy.linalg", reason="scipy is the independent FID reference (test extra)")


def _with_exact_moments(rng, mean, cov, n):
    """n samples whose sample mean and unbiased sample covariance are exactly `mean` and `cov`."""
    x = rng.standard_normal((n, len(mean)))
    x -= x.mean(axis=0)
    # Whiten to identity sample covariance, then colour with cov's Cholesky factor.
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False))).T
    return x @ np.linalg.cholesky(cov).T + mean


def _scipy_fid(a, b):
    """Heusel et al. 2017, eq. (6), as in the authors' numpy code (scipy.linalg.sqrtm)."""
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy_linalg.sqrtm(cov_a @ cov_b).real
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * covmean))


def _numpy_unbiased_mmd2(x, y):
    """Gretton et al. 2012 eq. (3) with KID's kernel (x.y/d + 1)^3, one block."""
    d = x.shape[1]
    k_xx, k_yy, k_xy = ((x @ x.T) / d + 1) ** 3, ((y @ y.T) / d + 1) ** 3, ((x @ y.T) / d + 1) ** 3
    m, n = len(x), len(y)
    return float(
        (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
        + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
        - 2 * k_xy.mean()
    )


def test_fid_of_two_gaussians_equals_closed_form():
    rng = np.random.default_rng(0)
    dim = 8
    mean_a, mean_b = np.zeros(dim), np.linspace(-1, 1, dim)
    var_a, var_b = np.linspace(0.5, 2.0, dim), np.linspace(3.0, 0.2, dim)
    a = _with_exact_moments(rng, mean_a, np.diag(var_a), 500)
    b = _with_exact_moments(rng, mean_b, np.diag(var_b), 700)
    # For diagonal covariances Tr(S_a + S_b - 2 (S_a S_b)^1/2) = sum (sqrt(var_a) - sqrt(var_b))^2.
    closed_form = np.sum((mean_a - mean_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    assert fn.frechet_distance(a, b) == pytest.approx(closed_form, rel=1e-6)
    assert fn.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_fid_equals_scipy_reference_on_correlated_features():
    rng = np.random.default_rng(1)
    mixing = rng.standard_normal((16, 16))
    a = rng.standard_normal((2000, 16)) @ mixing
    b = rng.standard_normal((1500, 16)) @ (mixing + 0.3 * rng.standard_normal((16, 16))) + 0.5
    reference = _scipy_fid(a, b)
    assert reference > 1.0
    assert fn.frechet_distance(a, b) == pytest.approx(reference, rel=1e-6)
    assert fn.frechet_distance(a.astype(np.float32), b.astype(np.float32)) == pytest.approx(reference, rel=1e-4)


def test_kid_equals_numpy_unbiased_mmd_per_block():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 10))
    y = rng.standard_normal((200, 10)) + 0.4
    kid, std = fn.kernel_inception_distance(x, y, max_block_size=1000)
    # Two blocks (the minimum, for a standard error): the mean of the two blocks' estimates.
    blocks = [_numpy_unbiased_mmd2(x[:150], y[:100]), _numpy_unbiased_mmd2(x[150:], y[100:])]
    assert kid == pytest.approx(np.mean(blocks), rel=1e-9)
    assert std == pytest.approx(np.std(blocks, ddof=1) / np.sqrt(2), rel=1e-9)


def test_kid_is_unbiased_and_near_zero_for_equal_distributions():
    rng = np.random.default_rng(3)
    draws = np.array(
        [fn.kernel_inception_distance(rng.standard_normal((400, 10)), rng.standard_normal((400, 10)))[0]
         for _ in range(30)]
    )
    shifted, shifted_std = fn.kernel_inception_distance(rng.standard_normal((400, 10)),
                                                         rng.standard_normal((400, 10)) + 0.5)
    # Unbiased: the mean over independent draws is 0 within its standard error, and draws go negative.
    assert abs(draws.mean()) < 3 * draws.std() / np.sqrt(len(draws))
    assert (draws < 0).any()
    assert shifted > 20 * draws.std() and shifted_std > 0
    same = rng.standard_normal((1000, 10))
    # Identical sets: -O(1/block size), since the cross term also counts the pairs (x, x).
    small_blocks = fn.kernel_inception_distance(same, same, max_block_size=250)
    large_blocks = fn.kernel_inception_distance(same, same, max_block_size=1000)
    assert abs(small_blocks[0]) < 0.1 * shifted and small_blocks[1] > 0
    assert abs(large_blocks[0]) == pytest.approx(abs(small_blocks[0]) / 2, rel=0.2)  # 500 vs 250 per block


def test_inception_score_uniform_is_one_and_confident_balanced_is_k():
    assert fn.inception_score(np.zeros((1000, 10)), num_splits=10) == pytest.approx((1.0, 0.0), abs=1e-9)
    k = 7
    labels = np.tile(np.arange(k), 100)  # balanced inside every split of 70
    confident = 50.0 * np.eye(k)[labels]
    mean, std = fn.inception_score(confident, num_splits=10)
    assert mean == pytest.approx(k, rel=1e-6)
    assert std == pytest.approx(0.0, abs=1e-6)


def _numpy_inception_score(logits, num_splits):
    """Salimans et al. 2016 sec. 4 as in their code: exp(mean KL(p(y|x) || p(y))) per split."""
    scores = []
    for split in np.split(logits[: len(logits) // num_splits * num_splits], num_splits):
        p = np.exp(split - split.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        scores.append(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(p.mean(axis=0))), axis=1))))
    return np.mean(scores), np.std(scores)


def test_inception_score_equals_numpy_reference_per_split():
    rng = np.random.default_rng(4)
    # Splits of different confidence, so the std across splits is far from 0.
    logits = rng.standard_normal((2005, 10)) * np.repeat(np.linspace(0.5, 4.0, 5), 401)[:, None]
    mean, std = fn.inception_score(logits, num_splits=5)
    reference_mean, reference_std = _numpy_inception_score(logits, 5)
    assert (mean, std) == pytest.approx((reference_mean, reference_std), rel=1e-6)
    assert std > 0.1 * mean


def test_precision_recall_identical_sets_and_shift():
    rng = np.random.default_rng(5)
    real = rng.standard_normal((800, 8))
    assert fn.precision_recall(real, real, k=3, block_size=300) == (1.0, 1.0)
    precision, recall = fn.precision_recall(real, rng.standard_normal((800, 8)) + 2.0, k=3)
    assert precision < 0.5 and recall < 0.5
    # A generator covering only part of the real distribution keeps precision but loses recall.
    narrow = 0.3 * rng.standard_normal((800, 8))
    precision, recall = fn.precision_recall(real, narrow, k=3)
    assert precision > 0.9 and recall < 0.3


def test_precision_recall_matches_brute_force():
    rng = np.random.default_rng(6)
    real, gen = rng.standard_normal((120, 4)), rng.standard_normal((90, 4)) * 1.3 + 0.3
    k = 3

    def brute(points, manifold):
        d_manifold = np.linalg.norm(manifold[:, None] - manifold[None], axis=-1)
        radii = np.sort(d_manifold, axis=1)[:, k]
        d = np.linalg.norm(points[:, None] - manifold[None], axis=-1)
        return float(np.mean((d <= radii[None]).any(axis=1)))

    assert fn.precision_recall(real, gen, k=k, block_size=50) == pytest.approx(
        (brute(gen, real), brute(real, gen)), abs=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: fn.frechet_distance(np.zeros((10, 3)), np.zeros((10, 4))), "different extractors"),
        (lambda: fn.frechet_distance(np.zeros(10), np.zeros(10)), "2-D"),
        (lambda: fn.inception_score(np.zeros((5, 3)), num_splits=10), "num_splits"),
        (lambda: fn.kernel_inception_distance(np.zeros((3, 2)), np.zeros((9, 2))), "at least 4"),
        (lambda: fn.precision_recall(np.zeros((3, 2)), np.zeros((3, 2)), k=3), "k must be"),
    ],
)
def test_bad_inputs_raise_one_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_auroc_is_the_probability_an_anomaly_scores_above_a_normal_example():
    assert fn.auroc([1, 2, 3], [4, 5]) == 1.0 and fn.auroc([4, 5], [1, 2, 3]) == 0.0
    assert fn.auroc([1, 2], [2, 3]) == 0.875  # 3 of 4 pairs above, the tie counts one half
    assert fn.auroc([0.5] * 3, [0.5] * 2) == 0.5
    with pytest.raises(ValueError, match="at least one normal and one anomalous"):
        fn.auroc([], [1.0])
