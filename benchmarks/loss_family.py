"""The loss family side by side: the same short budget for every variant, beside gan and dcgan.

For each variant, at its paper's default hyper-parameters:
- MNIST (the embedded 10k test images), with the paper's optimizers: DCGAN networks of `--width`
  filters (gan keeps its MLPs; EBGAN/BEGAN have the autoencoder discriminator), `--steps`
  generator steps of `--batch-size` real images (the same images seen by every variant; critics
  with n_critic = 5 reuse each batch), then classifier-FID and KID (the shipped MNIST classifier's
  features, tfgan_suite.metrics) of `--samples` generated images against the 10k real ones;
- the ring of 8 Gaussians (not dcgan, whose networks are convolutional): MLPs of 128 units,
  `--ring-steps` steps of 256 points with the ring tests' recipe for every variant (Adam 1e-3
  decayed linearly to 1e-4, beta_1 = 0.5; the papers' rates are too slow for this budget), then
  the modes covered and the share of high-quality samples (tfgan_suite.toy.mode_coverage) of
  4000 samples.
Prints JSON (figures, budget, machine), then a markdown table.

    python benchmarks/loss_family.py [--steps 500] [--batch-size 64] [--width 16] [--ring-steps 2000]
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
from tfgan_suite.toy import mode_coverage  # noqa: E402

EXTRACTOR = "mnist-classifier"
VARIANTS = [
    ("gan", {}), ("dcgan", {}), ("gan", {"loss": "hinge"}),
    ("lsgan", {}), ("lsgan", {"coding": "-1-1-0"}),
    ("fgan", {"divergence": "kl"}), ("fgan", {"divergence": "jensen_shannon"}),
    ("fgan", {"divergence": "squared_hellinger"}),
    ("wgan", {}), ("wgan_gp", {}), ("ebgan", {}), ("began", {}),
]


def label(variant, options):
    return variant + "".join(f" {value}" for value in options.values())


def ring_optimizer(rate, steps):
    return keras.optimizers.Adam(keras.optimizers.schedules.PolynomialDecay(rate, steps, rate / 10),
                                 beta_1=0.5)


def train(variant, options, data, image_shape, steps, width, latent_dim, ring_recipe=False):
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model(variant, image_shape=image_shape, latent_dim=latent_dim,
                                    width=width, **options)
    if ring_recipe:
        model.compile(ring_optimizer(1e-3, steps * model.n_critic), ring_optimizer(1e-3, steps))
    else:
        model.compile()
    start = time.perf_counter()
    model.fit(data.repeat(), steps_per_epoch=steps, epochs=1, verbose=0)
    return model, time.perf_counter() - start


def mnist_scores(model, extractor, real_features, samples):
    features, logits = extractor.extract(model.sample(samples, seed=0))
    metrics = compute_metrics(real_features, features, logits, EXTRACTOR, metrics=("fid", "kid"))
    return {"fid": metrics[f"FID[{EXTRACTOR}]"], "kid": metrics[f"KID[{EXTRACTOR}]"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--ring-steps", type=int, default=2000)
    args = parser.parse_args()

    extractor = get_extractor(EXTRACTOR)
    real_images = load_arrays("mnist_embedded")[0].astype(np.float32) / 127.5 - 1.0
    real_features, _ = extractor.extract(real_images)
    mnist, _ = load_dataset("mnist_embedded", args.batch_size)
    ring, _ = load_dataset("ring8", 256)

    rows = []
    for variant, options in VARIANTS:
        model, mnist_seconds = train(variant, options, mnist, (28, 28, 1), args.steps, args.width,
                                     args.latent_dim)
        scores = mnist_scores(model, extractor, real_features, args.samples)
        row = {"variant": label(variant, options), **scores, "mnist_seconds": mnist_seconds}
        if variant != "dcgan":  # convolutional networks only: no ring
            model, ring_seconds = train(variant, options, ring, (2,), args.ring_steps, 128, 8,
                                        ring_recipe=True)
            modes, quality = mode_coverage(model.sample(4000, seed=1), "ring8")
            row.update(ring_modes=modes, ring_high_quality=quality, ring_seconds=ring_seconds)
        rows.append(row)
        print(json.dumps(rows[-1]), flush=True)

    print(json.dumps({
        "benchmark": "loss_family",
        "budget": {"mnist_steps": args.steps, "batch_size": args.batch_size,
                   "images_seen": args.steps * args.batch_size, "width": args.width,
                   "latent_dim": args.latent_dim, "generated_samples": args.samples,
                   "ring_steps": args.ring_steps, "ring_batch": 256},
        "extractor": EXTRACTOR,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "results": rows,
    }, indent=1))
    print("\n| variant | FID | KID | ring modes | ring high quality | MNIST s | ring s |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        ring = (f"{row['ring_modes']}/8 | {row['ring_high_quality']:.0%}" if "ring_modes" in row
                else "- | -")
        ring_seconds = f"{row['ring_seconds']:.0f}" if "ring_seconds" in row else "-"
        print(f"| {row['variant']} | {row['fid']:.1f} | {row['kid']:.4f} | {ring} | "
              f"{row['mnist_seconds']:.0f} | {ring_seconds} |")


if __name__ == "__main__":
    main()
