"""GAN samples as extra training data (`tfgan-suite augment`), measured: the shipped classifiers'
architecture trained on N labelled images (class-balanced) with and without a cgan's samples
(trained on the same N images), accuracy on the whole test split; mean and spread (standard
deviation) over seeds, for each N. JSON on stdout or `--out` (TFDS reports its first preparation
of a dataset on stdout too); progress on stderr.

    PYTHONPATH=. python -m benchmarks.sample_augmentation --data mnist \
        --manual-dir ../shared/datasets/mnist --labelled 100 1000 --seeds 0 1 2
    PYTHONPATH=. python -m benchmarks.sample_augmentation --data fashion_mnist \
        --manual-dir ../shared/datasets/fashion_mnist --out fashion.json
"""

import argparse
import platform
import sys
import time

import numpy as np
import tensorflow as tf

from benchmarks.report import write_json
from tfgan_suite.training.synthetic_data import (balanced_subset, generated_examples, test_accuracy,
                                             train_and_test_arrays, train_generator)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="mnist")
    parser.add_argument("--manual-dir")
    parser.add_argument("--data-dir")
    parser.add_argument("--labelled", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variant", default="cgan")
    parser.add_argument("--gan-steps", type=int, default=1000)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--ratio", type=float, default=1.0)
    parser.add_argument("--classifier-steps", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", help="JSON file (default: stdout)")
    args = parser.parse_args(argv)
    (train_images, train_labels), test, num_classes = train_and_test_arrays(
        args.data, args.manual_dir, args.data_dir)
    results = {"machine": {"platform": platform.platform(), "tensorflow": tf.__version__},
               "settings": vars(args), "test_images": len(test[1])}
    for labelled in args.labelled:
        runs = []
        for seed in args.seeds:
            start = time.perf_counter()
            chosen = balanced_subset(train_labels, labelled // num_classes, seed)
            images, labels = train_images[chosen], train_labels[chosen]
            model = train_generator(args.variant, images, labels, num_classes, args.gan_steps,
                                    args.width, args.batch_size, seed)
            fake = generated_examples(model, round(args.ratio * labelled), num_classes, seed)
            mixed = (np.concatenate([images, fake[0]]), np.concatenate([labels, fake[1]]))
            accuracy = lambda x, y: test_accuracy(x, y, test, num_classes, args.classifier_steps,
                                                  args.batch_size, seed)
            runs.append({"seed": seed, "labelled_only": accuracy(images, labels),
                         "with_generated": accuracy(*mixed),
                         "seconds": round(time.perf_counter() - start, 1)})
            print(f"{labelled} labelled, seed {seed}: {runs[-1]}", file=sys.stderr)
        summary = {}
        for key in ("labelled_only", "with_generated"):
            values = [run[key] for run in runs]
            summary[key] = {"mean": float(np.mean(values)), "std": float(np.std(values))}
        gains = [run["with_generated"] - run["labelled_only"] for run in runs]
        summary["gain"] = {"mean": float(np.mean(gains)), "std": float(np.std(gains))}
        results[str(labelled)] = {"runs": runs, **summary}
    write_json(results, args.out)


if __name__ == "__main__":
    main()
