"""Real images to compare against, and their features cached once per (dataset, split, extractor).

A dataset is anything `tfgan_suite.data.load_dataset` takes: the embedded "mnist_embedded" (MNIST's
test split, shipped with the package), a TFDS name ("mnist", "fashion_mnist", ...; prepared offline
from the original archives when `manual_dir` is given), or a local .npz / folder of images.
Reference features are cached as .npz under `cache_dir` (default ``$TFGAN_SUITE_CACHE/reference`` or
``~/.cache/tfgan_suite/reference``), so a callback evaluating every few epochs extracts them once.
"""

import itertools
import math
import os
import re
from pathlib import Path

import numpy as np

from tfgan_suite.data import load_dataset
from tfgan_suite.metrics.extractors import get_extractor


def default_cache_dir():
    return Path(os.environ.get("TFGAN_SUITE_CACHE", Path.home() / ".cache" / "tfgan_suite")) / "reference"


def reference_batches(dataset, split="test", num=10000, batch_size=500, data_dir=None, manual_dir=None):
    """Up to `num` real images of `dataset`/`split` in [-1, 1], as an iterator of numpy batches.

    A seeded random subset: splits can be sorted (e.g. by class), and KID's blocks and
    precision/recall's equal-size subsets need random order.
    """
    batch_size = min(batch_size, num)
    batches, _ = load_dataset(dataset, batch_size, split=split, shuffle=True, seed=0,
                              manual_dir=manual_dir, data_dir=data_dir)
    return itertools.islice(batches.as_numpy_iterator(), math.ceil(num / batch_size))


def cache_key(dataset, split, extractor, num):
    """File stem naming a reference set: dataset, split, extractor (name and weights) and count."""
    name = Path(str(dataset)).stem if os.sep in str(dataset) or Path(str(dataset)).suffix else str(dataset)
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", f"{name}-{split}-{extractor.name}@{extractor.weights_id}-{num}")


def reference_features(dataset, split="test", extractor="mnist-classifier", num=10000, data_dir=None,
                       manual_dir=None, cache_dir=None, batch_size=500):
    """Features and logits of `num` real images, read from the .npz cache or computed and cached.

    The cache file is named by `cache_key`, e.g. "mnist_embedded-test-mnist-classifier@<weights>-10000.npz".

    Returns:
      (features, logits) float32 arrays with at most `num` rows.
    """
    extractor = get_extractor(extractor) if isinstance(extractor, str) else extractor
    cache_file = Path(cache_dir or default_cache_dir()) / f"{cache_key(dataset, split, extractor, num)}.npz"
    if cache_file.exists():
        with np.load(cache_file) as cached:
            return cached["features"], cached["logits"]
    batches = reference_batches(dataset, split, num, batch_size, data_dir, manual_dir)
    features, logits = extractor.extract(batches)
    features, logits = features[:num], logits[:num]
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent reader never sees half a file.
    partial = cache_file.with_name(f"{cache_file.stem}.{os.getpid()}.partial.npz")
    np.savez(partial, features=features, logits=logits)
    os.replace(partial, cache_file)
    return features, logits
