"""The loss family side by side: the same short budget for every variant, beside gan and dcgan.

For each variant, at its paper's default hyper-parameters:
- MNIST (the embedded 10k test images), with the paper's optimizers: DCGAN networks of `--width`
  filters (gan keeps its MLPs; EBGAN/BEGAN have the autoencoder discriminator), `--steps`
  generator steps of `--batch-size` real images (the same images seen by every variant; critics
  with n_critic = 5 reuse each batch), then classifier-FID and KID (the shipped MNIST classifier's
  features, tfgan_suite.metrics) of `--samples` generated images against the 10k real ones;
  With `--seconds S` every variant instead trains for the same S seconds of this machine's CPU
  (at most `--steps` steps), and the table says how many images each saw;
- the ring of 8 Gaussians (not dcgan, whose networks are convolutional): `--ring-steps` steps of
  each variant's toy recipe, the one its ring test uses (tfgan_suite.training.toy_recipes), then the
  modes covered and the share of high-quality samples of 4000 samples.
Prints JSON (figures, budget, machine), then a markdown table.

    python benchmarks/loss_family.py [--steps 1500] [--seconds S] [--batch-size 64] [--width 16]
                                     [--ring-steps 3000] [--seed 0]
                                     [--only "wgan,fgan divergence=kl"]

`--seed` (weights, noise, data order) tells a variant's seed-to-seed spread from a change;
`--only` runs the listed rows (labels as in the table).
"""

import argparse
import json
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import tfgan_suite  # noqa: E402
from tfgan_suite.data import load_arrays, load_dataset  # noqa: E402
from tfgan_suite.metrics.evaluate import compute_metrics  # noqa: E402
from tfgan_suite.metrics.extractors import get_extractor  # noqa: E402
from tfgan_suite.training.toy_recipes import toy_coverage, train_on_toy  # noqa: E402

EXTRACTOR = "mnist-classifier"
VARIANTS = [
    ("gan", {}), ("dcgan", {}), ("gan", {"loss": "hinge"}),
    ("lsgan", {}), ("lsgan", {"coding": "-1-1-0"}),
    ("fgan", {"divergence": "kl"}), ("fgan", {"divergence": "jensen_shannon"}),
    ("fgan", {"divergence": "squared_hellinger"}), ("fgan", {"divergence": "pearson"}),
    ("fgan", {"divergence": "reverse_kl"}), ("fgan", {"divergence": "total_variation"}),
    ("wgan", {}), ("wgan_gp", {}), ("ebgan", {}), ("began", {}), ("began", {"gamma": 1.0}),
    ("began", {"networks": "paper"}),
]


def label(variant, options):
    return variant + "".join(f" {key}={value}" for key, value in options.items())


class Stopwatch(keras.callbacks.Callback):
    """Times training from the end of its first step (so tracing the step is not counted) and
    stops it once `seconds` have passed, if given."""

    def __init__(self, seconds=None):
        super().__init__()
        self.seconds = seconds
        self.start = None
        self.elapsed = 0.0

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self.start is None:
            self.start = now
        self.elapsed = now - self.start
        if self.seconds is not None and self.elapsed >= self.seconds:
            self.model.stop_training = True


def train_mnist(variant, options, data, steps, width, latent_dim, seconds, seed):
    keras.utils.set_random_seed(seed)
    model = tfgan_suite.build_model(variant, image_shape=(28, 28, 1), latent_dim=latent_dim,
                                    width=width, seed=seed, **options)
    model.compile()
    stopwatch = Stopwatch(seconds)
    model.fit(data.repeat(), steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[stopwatch])
    return model, stopwatch.elapsed


def mnist_scores(model, extractor, real_features, samples):
    features, logits = extractor.extract(model.sample(samples, seed=0))
    metrics = compute_metrics(real_features, features, logits, EXTRACTOR, metrics=("fid", "kid"))
    return {"fid": metrics[f"FID[{EXTRACTOR}]"], "kid": metrics[f"KID[{EXTRACTOR}]"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=None,
                        help="train every variant for this many seconds (at most --steps steps)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--ring-steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default=None,
                        help="comma-separated row labels, e.g. 'wgan,fgan divergence=kl' "
                             "(default: all)")
    args = parser.parse_args()
    labels = [label(variant, options) for variant, options in VARIANTS]
    only = labels if args.only is None else [name.strip() for name in args.only.split(",")]
    unknown = sorted(set(only) - set(labels))
    if unknown:
        parser.error(f"--only: unknown rows {unknown}; the rows are {labels}.")

    extractor = get_extractor(EXTRACTOR)
    real_images = load_arrays("mnist_embedded")[0].astype(np.float32) / 127.5 - 1.0
    real_features, _ = extractor.extract(real_images)
    mnist, _ = load_dataset("mnist_embedded", args.batch_size, seed=args.seed)

    rows = []
    for variant, options in VARIANTS:
        if label(variant, options) not in only:
            continue
        model, mnist_seconds = train_mnist(variant, options, mnist, args.steps, args.width,
                                           args.latent_dim, args.seconds, args.seed)
        scores = mnist_scores(model, extractor, real_features, args.samples)
        steps = int(model.g_optimizer.iterations)
        row = {"variant": label(variant, options), **scores, "mnist_steps": steps,
               "images_seen": steps * args.batch_size, "mnist_seconds": mnist_seconds}
        if variant != "dcgan":  # convolutional networks only: no ring
            start = time.perf_counter()
            model = train_on_toy(variant, args.ring_steps, seed=args.seed, **options)
            ring_seconds = time.perf_counter() - start
            modes, quality = toy_coverage(model)
            row.update(ring_modes=modes, ring_high_quality=quality, ring_seconds=ring_seconds)
        rows.append(row)
        print(json.dumps(rows[-1]), flush=True)

    print(json.dumps({
        "benchmark": "loss_family",
        "budget": {"mnist_steps": args.steps, "mnist_seconds": args.seconds,
                   "batch_size": args.batch_size, "width": args.width,
                   "latent_dim": args.latent_dim, "generated_samples": args.samples,
                   "ring_steps": args.ring_steps, "seed": args.seed},
        "extractor": EXTRACTOR,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "results": rows,
    }, indent=1))
    print("\n| variant | FID | KID | images seen | MNIST s | ring modes | ring high quality | ring s |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        ring = (f"{row['ring_modes']}/8 | {row['ring_high_quality']:.0%}" if "ring_modes" in row
                else "- | -")
        ring_seconds = f"{row['ring_seconds']:.0f}" if "ring_seconds" in row else "-"
        print(f"| {row['variant']} | {row['fid']:.1f} | {row['kid']:.4f} | {row['images_seen']} | "
              f"{row['mnist_seconds']:.0f} | {ring} | {ring_seconds} |")


if __name__ == "__main__":
    main()
