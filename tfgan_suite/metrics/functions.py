"""GAN evaluation metrics as pure functions of features and logits.

Every function takes precomputed classifier outputs (features from a penultimate layer, or logits),
so one pass of a feature extractor over the images feeds all of them. FID, KID and the Inception
score call TF-GAN's eval math; precision/recall, which TF-GAN does not have, is written here in the
same style.
"""

import math

import numpy as np
import tensorflow as tf

from tfgan_suite.losses.tfgan_compat import tfgan


def _as_float64_matrix(values, name):
    values = tf.convert_to_tensor(values, dtype=tf.float64)
    if values.shape.rank != 2:
        raise ValueError(f"{name} must be a 2-D [num_samples, dim] array; got shape {tuple(values.shape)}")
    return values


def _check_same_dim(features_a, features_b):
    if features_a.shape[1] != features_b.shape[1]:
        raise ValueError(
            f"features come from different extractors: dimension {features_a.shape[1]} vs {features_b.shape[1]}"
        )


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two feature sets (FID).

    Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
    Equilibrium", eq. (6): ``d^2 = |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))``, with the
    unbiased sample covariances. Computed in float64 by
    ``tfgan.eval.frechet_classifier_distance_from_activations``.

    Args:
      features_a, features_b: [N, D] and [M, D] arrays (e.g. real and generated features).

    Returns:
      The distance as a Python float.
    """
    features_a = _as_float64_matrix(features_a, "features_a")
    features_b = _as_float64_matrix(features_b, "features_b")
    _check_same_dim(features_a, features_b)
    return float(tfgan.eval.frechet_classifier_distance_from_activations(features_a, features_b))


def kernel_inception_distance(features_a, features_b, max_block_size=1000):
    """Kernel Inception Distance (KID): unbiased MMD^2 with a cubic polynomial kernel, and its std error.

    KID is defined in Bińkowski et al. 2018, "Demystifying MMD GANs": the unbiased MMD^2 estimator
    (Gretton et al. 2012, "A Kernel Two-Sample Test", Lemma 6, eq. (3)) with the polynomial kernel
    ``k(x, y) = (x.y / D + 1)^3``. The sets are split into blocks of at most
    ``max_block_size`` samples, and into at least two so the standard error is defined; the estimate
    is the mean of the per-block unbiased MMD^2 and the standard error is the std over blocks /
    sqrt(#blocks) (the block estimator of Zaremba et al. 2013, as in
    ``tfgan.eval.kernel_classifier_distance_and_std_from_activations``). The blocks assume both sets
    are in random order.

    Returns:
      (kid, kid_std_error) as Python floats. The estimator is unbiased, so it can be slightly
      negative when the two distributions are equal; for the very same set passed twice it is
      -O(1 / block size), because the cross term then includes each point paired with itself.
    """
    features_a = _as_float64_matrix(features_a, "features_a")
    features_b = _as_float64_matrix(features_b, "features_b")
    _check_same_dim(features_a, features_b)
    smallest = min(features_a.shape[0], features_b.shape[0])
    if smallest < 4:
        raise ValueError(f"KID needs at least 4 samples in each set (two blocks of two); got {smallest}")
    num_blocks = max(2, math.ceil(max(features_a.shape[0], features_b.shape[0]) / max_block_size))
    block_size = math.ceil(max(features_a.shape[0], features_b.shape[0]) / num_blocks)
    kid, std = tfgan.eval.kernel_classifier_distance_and_std_from_activations(
        features_a, features_b, max_block_size=block_size
    )
    return float(kid), float(std)


def inception_score(logits, num_splits=10):
    """Inception score ``exp(E_x KL(p(y|x) || p(y)))``, mean and std over splits.

    Salimans et al. 2016, "Improved Techniques for Training GANs", section 4. As in the paper's code,
    the samples are cut into ``num_splits`` equal parts, the score (computed by
    ``tfgan.eval.classifier_score_from_logits``) is taken on each, and the mean and std are reported.
    It ranges from 1 (every prediction equals the marginal) to the number of classes K (confident
    predictions spread evenly over all K classes).

    Returns:
      (mean, std) as Python floats.
    """
    logits = _as_float64_matrix(logits, "logits")
    num_samples = logits.shape[0]
    if not 1 <= num_splits <= num_samples:
        raise ValueError(f"num_splits must be in [1, {num_samples}] (the number of samples); got {num_splits}")
    # Equal splits, dropping the remainder, so every split's score has the same bias.
    split_size = num_samples // num_splits
    splits = tf.reshape(logits[: split_size * num_splits], [num_splits, split_size, -1])
    scores = np.array([float(tfgan.eval.classifier_score_from_logits(split)) for split in splits])
    return float(scores.mean()), float(scores.std())


def _kth_neighbour_radii(features, k, block_size):
    """Distance from each row of ``features`` to its k-th nearest other row."""
    radii = []
    for start in range(0, features.shape[0], block_size):
        distances = _pairwise_distances(features[start : start + block_size], features)
        # The smallest distance of each row is the point itself (0); its k-th neighbour is at index k.
        radii.append(-tf.math.top_k(-distances, k=k + 1).values[:, k])
    return tf.concat(radii, axis=0)


def _pairwise_distances(rows, columns):
    squared = (
        tf.reduce_sum(rows**2, axis=1, keepdims=True)
        - 2.0 * tf.matmul(rows, columns, transpose_b=True)
        + tf.reduce_sum(columns**2, axis=1)[tf.newaxis, :]
    )
    return tf.sqrt(tf.maximum(squared, 0.0))


def _mutual_coverage(real, real_radii, generated, generated_radii, block_size):
    """(fraction of `generated` inside the real manifold, fraction of `real` inside the generated one).

    One pass over the real-generated distances serves both directions: each block of generated
    rows is tested against every real ball, and marks the real points inside its own balls.
    """
    generated_inside = []
    real_inside = tf.zeros([real.shape[0]], dtype=tf.bool)
    for start in range(0, generated.shape[0], block_size):
        distances = _pairwise_distances(generated[start : start + block_size], real)
        generated_inside.append(tf.reduce_any(distances <= real_radii[tf.newaxis, :], axis=1))
        block_radii = generated_radii[start : start + block_size, tf.newaxis]
        real_inside = real_inside | tf.reduce_any(distances <= block_radii, axis=0)
    generated_inside = tf.concat(generated_inside, axis=0)
    return tuple(float(tf.reduce_mean(tf.cast(inside, tf.float64))) for inside in (generated_inside, real_inside))


def precision_recall(real_features, generated_features, k=3, block_size=1000):
    """Improved precision and recall of a generative model (Kynkäänniemi et al. 2019).

    "Improved Precision and Recall Metric for Assessing Generative Models", NeurIPS 2019, section 2:
    each set's manifold is the union of balls centred at its samples with radius the distance to the
    sample's k-th nearest neighbour in the same set (the paper uses k = 3);
    ``precision = mean_g f(g, real manifold)`` and ``recall = mean_r f(r, generated manifold)``,
    where f is 1 when the point lies in the manifold. Distances are computed block by block
    (``block_size`` rows at a time) so memory stays O(block_size * N).

    Returns:
      (precision, recall) as Python floats in [0, 1].
    """
    real = _as_float64_matrix(real_features, "real_features")
    generated = _as_float64_matrix(generated_features, "generated_features")
    _check_same_dim(real, generated)
    smallest = min(real.shape[0], generated.shape[0])
    if not 1 <= k < smallest:
        raise ValueError(f"k must be in [1, {smallest - 1}] (fewer than the samples in each set); got {k}")
    real_radii = _kth_neighbour_radii(real, k, block_size)
    generated_radii = _kth_neighbour_radii(generated, k, block_size)
    return _mutual_coverage(real, real_radii, generated, generated_radii, block_size)


def auroc(normal_scores, anomaly_scores):
    """The area under the ROC curve of anomaly scores (higher: more anomalous): the probability
    that an anomaly scores above a normal example, ties counting one half (the Mann-Whitney U
    statistic divided by the number of pairs). 0.5 is chance, 1.0 a perfect separation."""
    normal = np.asarray(normal_scores, np.float64).ravel()
    anomaly = np.asarray(anomaly_scores, np.float64).ravel()
    if not len(normal) or not len(anomaly):
        raise ValueError("AUROC needs at least one normal and one anomalous score.")
    scores = np.concatenate([normal, anomaly])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks over ties (1-based).
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    ranks[order] = np.repeat(first + (counts + 1) / 2.0, counts)
    u = ranks[len(normal):].sum() - len(anomaly) * (len(anomaly) + 1) / 2.0
    return float(u / (len(normal) * len(anomaly)))


def trivial_anomaly_aurocs(training_images, normal_images, anomalous_images):
    """The AUROCs of two scorers that need no model, which an anomaly detector must beat for its
    AUROC to mean anything: `mean_image`, the squared distance to the mean training image, and
    `ink`, the sum of pixel values (images in [-1, 1], so the amount of stroke). On "one digit is
    normal, another anomalous" splits both are near 1.0 (a "1" has little ink and sits close to the
    mean "1"), which is why GANomaly (Akcay et al. 2018, sec. 4.1) holds one digit out of the other
    nine instead."""
    flat = lambda images: np.asarray(images, np.float64).reshape(len(images), -1)
    mean = flat(training_images).mean(axis=0)
    scorers = {"mean_image": lambda images: ((flat(images) - mean) ** 2).sum(axis=1),
               "ink": lambda images: (flat(images) + 1.0).sum(axis=1)}
    return {name: auroc(score(normal_images), score(anomalous_images))
            for name, score in scorers.items()}
