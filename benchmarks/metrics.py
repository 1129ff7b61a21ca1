"""Speed of evaluation: feature extraction (images/s) and FID / KID / precision-recall on 10k images.

    python benchmarks/metrics.py [--num 10000] [--batch-size 500]

Runs every extractor available offline (the shipped classifiers, and InceptionV3 if its weights
are already in the Keras cache: this never downloads; without them, InceptionV3's speed alone is
measured with random weights). Images are MNIST's embedded test split in
[-1, 1] and a noisy copy of it. The reference figure, measured in the same process, is a plain
numpy Fréchet distance on the same features, so `fid_vs_numpy` is a ratio that travels across
machines. Prints one JSON object.
"""

import argparse
import json
import os
import platform
import time

import numpy as np
import tensorflow as tf

from tfgan_suite.data import load_arrays
from tfgan_suite.metrics import extractors, functions


def _seconds(call):
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def _numpy_frechet_distance(a, b):
    """Heusel et al. 2017 eq. (6) in numpy: Tr((S_a S_b)^1/2) from the eigenvalues of S_a S_b."""
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    trace_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvals(cov_a @ cov_b).real, 0, None)))
    return float(np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt)


def offline_extractors():
    names = [extractors.classifier_name(d) for d in extractors.CLASSIFIER_DATASETS]
    try:
        extractors.inception_weights_path(allow_download=False)
        names.append(extractors.INCEPTION)
    except RuntimeError:
        pass
    return names


def benchmark_extractor(name, real, generated, batch_size):
    extractor = extractors.get_extractor(name, allow_download=False)
    extractor.extract(real[:batch_size], batch_size=batch_size)  # trace the forward pass once
    extract_s, (real_features, _) = _seconds(lambda: extractor.extract(real, batch_size=batch_size))
    generated_features, _ = extractor.extract(generated, batch_size=batch_size)
    # First calls trace TF functions; time the second.
    functions.frechet_distance(real_features[:100], generated_features[:100])
    functions.kernel_inception_distance(real_features[:100], generated_features[:100])
    functions.precision_recall(real_features[:100], generated_features[:100])
    fid_s, fid = _seconds(lambda: functions.frechet_distance(real_features, generated_features))
    numpy_s, numpy_fid = _seconds(lambda: _numpy_frechet_distance(real_features, generated_features))
    kid_s, _ = _seconds(lambda: functions.kernel_inception_distance(real_features, generated_features))
    pr_s, _ = _seconds(lambda: functions.precision_recall(real_features, generated_features))
    return {
        "feature_dim": extractor.feature_dim,
        "extract_images_per_s": round(len(real) / extract_s, 1),
        "fid_seconds": round(fid_s, 3),
        "fid_total_seconds": round(extract_s + fid_s, 3),  # generated-image extraction + FID
        "numpy_fid_seconds": round(numpy_s, 3),
        "fid_vs_numpy": round(fid_s / numpy_s, 2),
        "fid_matches_numpy": bool(np.isclose(fid, numpy_fid, rtol=1e-4)),
        "kid_seconds": round(kid_s, 3),
        "precision_recall_seconds": round(pr_s, 3),
        "fid_real_vs_noisy": round(fid, 3),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--inception-images", type=int, default=100,
                        help="images for the InceptionV3 speed figure when its weights are absent")
    args = parser.parse_args(argv)
    images = load_arrays("mnist_embedded")[0][: args.num].astype(np.float32) / 127.5 - 1.0
    rng = np.random.default_rng(0)
    noisy = np.clip(images + 0.2 * rng.standard_normal(images.shape), -1, 1).astype(np.float32)
    results = {name: benchmark_extractor(name, images, noisy, args.batch_size) for name in offline_extractors()}
    if extractors.INCEPTION not in results:
        # Its speed does not depend on the weights: measure it with a random initialisation.
        inception = extractors.inception_extractor(weights=None)
        inception.extract(images[:args.inception_images], batch_size=args.inception_images)
        seconds, _ = _seconds(lambda: inception.extract(images[:args.inception_images],
                                                        batch_size=args.inception_images))
        results["inception (random weights: speed only)"] = {
            "feature_dim": inception.feature_dim,
            "extract_images_per_s": round(args.inception_images / seconds, 1),
            "estimated_extract_seconds_for_num_images": round(len(images) * seconds / args.inception_images, 1),
        }
    print(json.dumps({
        "benchmark": "metrics",
        "num_images": len(images),
        "batch_size": args.batch_size,
        "extractors": results,
        "inception": ("measured" if extractors.INCEPTION in results
                      else "no ImageNet weights in the Keras cache: speed only, with random weights"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "tensorflow": tf.__version__},
    }, indent=2))


if __name__ == "__main__":
    main()
