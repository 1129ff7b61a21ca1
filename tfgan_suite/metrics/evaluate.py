"""Evaluate generated images against real ones: extract features once, report every chosen metric.

Metric names carry their extractor, e.g. ``FID[mnist-classifier]`` or ``IS[inception]``, because
numbers from different extractors are not comparable.
"""

import numpy as np
import tensorflow as tf

from tfgan_suite.metrics import functions
from tfgan_suite.metrics.extractors import get_extractor

# fid: Fréchet distance; kid: kernel distance (+ std error); is: Inception score (+ std over splits);
# pr: precision and recall.
METRICS = ("fid", "kid", "is", "pr")


def parse_metrics(metrics):
    """A comma-separated string or a sequence of names -> a validated tuple, in METRICS order."""
    names = [m.strip().lower() for m in (metrics.split(",") if isinstance(metrics, str) else metrics)]
    unknown = sorted(set(names) - set(METRICS))
    if unknown or not names:
        raise ValueError(f"unknown metrics {unknown or names}; choose from {', '.join(METRICS)}")
    return tuple(m for m in METRICS if m in names)


def compute_metrics(real_features, generated_features, generated_logits, extractor_name, metrics=METRICS,
                    num_splits=10, k=3):
    """Every metric in `metrics` from features/logits that `extractor_name` produced.

    Precision/recall uses the same number of real and generated samples (the smaller count), since
    the k-NN radii shrink as a set grows and unequal sets would bias one side.

    Returns:
      {"FID[<extractor>]": ..., "KID[...]": ..., "KID_std[...]": ..., "IS[...]": ..., "IS_std[...]": ...,
       "precision[...]": ..., "recall[...]": ...} for the chosen metrics, as Python floats.
    """
    results = {}

    def put(name, value):
        results[f"{name}[{extractor_name}]"] = value

    metrics = parse_metrics(metrics)
    if "fid" in metrics:
        put("FID", functions.frechet_distance(real_features, generated_features))
    if "kid" in metrics:
        kid, kid_std = functions.kernel_inception_distance(real_features, generated_features)
        put("KID", kid)
        put("KID_std", kid_std)
    if "is" in metrics:
        splits = min(num_splits, len(generated_logits))
        score, score_std = functions.inception_score(generated_logits, num_splits=splits)
        put("IS", score)
        put("IS_std", score_std)
    if "pr" in metrics:
        n = min(len(real_features), len(generated_features))
        precision, recall = functions.precision_recall(real_features[:n], generated_features[:n], k=k)
        put("precision", precision)
        put("recall", recall)
    return results


def mean_psnr(images, originals):
    """Mean PSNR in dB of `images` against `originals`, both in [-1, 1] (a peak-to-peak range of
    2, `tf.image.psnr`): the fidelity figure of super-resolution (Ledig et al. 2017, sec. 3.3)."""
    return float(tf.reduce_mean(tf.image.psnr(images, originals, max_val=2.0)))


def batched(function, images, batch_size=500):
    """`function` applied to `images` batch by batch, the results concatenated."""
    return np.concatenate([function(images[i:i + batch_size])
                           for i in range(0, len(images), batch_size)])


def sample_batches(sample, num_samples, batch_size, seed):
    """Yield `num_samples` images as batches of `sample(n, seed)`, seeds seed, seed + 1, ...

    Drawing batch by batch keeps memory at one batch of images however many are evaluated, and the
    fixed seeds make every evaluation of the same generator see the same latents.
    """
    for index, start in enumerate(range(0, num_samples, batch_size)):
        yield sample(min(batch_size, num_samples - start), seed + index)


def evaluate_images(images, real_features, extractor, metrics=METRICS, batch_size=500):
    """Metrics of `images` (an array or an iterable of batches in [-1, 1]) against `real_features`.

    `extractor` is a name or a `FeatureExtractor`; `real_features` must come from the same one.
    """
    extractor = get_extractor(extractor) if isinstance(extractor, str) else extractor
    features, logits = extractor.extract(images, batch_size=batch_size)
    return compute_metrics(real_features, features, logits, extractor.name, metrics)
