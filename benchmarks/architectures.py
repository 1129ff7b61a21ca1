"""The modern-architecture family against DCGAN on Fashion-MNIST, on one budget.

    python -m benchmarks.architectures [--steps 600] [--only dcgan,sngan,...] [--markdown]
                                       [--ema-start STEP] [--ema-decay DECAY] [--seed 0]

Every variant trains on Fashion-MNIST (TFDS, prepared offline from the original archives in the
`shared/datasets/fashion_mnist` folder beside the checkout, or under `--datasets`) for the same number of batches of 64
real images (the same images seen; D and G steps per batch are each paper's), with `width` 32
and a 64-d latent, and is measured with the shipped `fashion_mnist-classifier` on 2000 samples
against 2000 real test images:

- FID and KID on the classifier's 128-d features, its Inception score (10 classes: 10 is the
  maximum), improved precision and recall (Kynkaenniemi et al. 2019, k = 3);
- class-accuracy for the conditional biggan (the classifier's class = the requested class);
- biggan's EMA generator next to its raw generator (`--ema-start` moves the step the EMA starts
  from and `--ema-decay` sets its decay, so a short run can compare them), and a truncation
  sweep (threshold vs FID, precision, recall: precision should rise and recall fall as the
  threshold tightens);
- ssgan's discriminator rotation accuracy on real test images (chance 0.25);
- lapgan (Laplacian pyramid 7 -> 14 -> 28) and stylegan (small StyleGAN2), with a psi sweep for
  stylegan's truncation towards the average w (psi vs FID, precision, recall: psi = 0 is one
  image, so precision may stay while recall falls to ~0).

Each row gives the CPU seconds its training took (process time, both cores), so that the budget
in compute is visible next to the budget in images. Prints JSON; `--markdown` adds a table.
"""

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

import tfgan_suite
from tfgan_suite.data import CHECKOUT_DATASETS, load_dataset
from tfgan_suite.metrics import extractors, functions
from tfgan_suite.models.ssgan import rotation_accuracy
from tfgan_suite.core.options import accepted_parameters

DATA = "fashion_mnist"
CLASSIFIER = "fashion_mnist-classifier"
VARIANTS = ("dcgan", "sngan", "sagan", "biggan", "ssgan", "lapgan", "stylegan")
BUDGET = dict(batch_size=64, steps=600, width=32, latent_dim=64)
EVAL = 2000
TRUNCATIONS = (0.0, 2.0, 1.0, 0.5, 0.25)
PSIS = (1.0, 0.7, 0.5, 0.0)


def fashion(split, with_labels, batch_size, data_dir, datasets=CHECKOUT_DATASETS, seed=0):
    return load_dataset(DATA, batch_size, split=split, with_labels=with_labels, seed=seed,
                        manual_dir=Path(datasets) / DATA, data_dir=data_dir)


def train(variant, steps, data_dir, datasets, seed=0, callbacks=(), **options):
    """(model, CPU seconds of its `fit`); `options` are build_model's, `callbacks` `fit`'s."""
    keras.utils.set_random_seed(seed)
    conditional = tfgan_suite.get_variant(variant).requires_labels
    dataset, info = fashion("train", conditional, BUDGET["batch_size"], data_dir, datasets, seed)
    model = tfgan_suite.build_model(variant, image_shape=info.image_shape,
                                    num_classes=info.num_classes if conditional else None,
                                    latent_dim=BUDGET["latent_dim"], width=BUDGET["width"],
                                    seed=seed, **options)
    model.compile()
    start = time.process_time()
    model.fit(dataset.repeat(), steps_per_epoch=steps, epochs=1, verbose=0,
              callbacks=list(callbacks))
    return model, time.process_time() - start


def ema_options(variant, options):
    """`options` (ema_start, ema_decay) for a variant that keeps an EMA generator by default; none
    for the others, which an `ema_decay` would give one."""
    has_ema = accepted_parameters(tfgan_suite.get_variant(variant)).get("ema_decay") is not None
    return options if has_ema else {}


def figures(features, logits, real, labels=None):
    kid, _ = functions.kernel_inception_distance(real, features)
    precision, recall = functions.precision_recall(real, features)
    found = {"fid": functions.frechet_distance(real, features), "kid": kid,
             "inception_score": functions.inception_score(logits)[0],
             "precision": precision, "recall": recall}
    if labels is not None:
        found["class_accuracy"] = float(np.mean(logits.argmax(-1) == labels))
    return {name: round(float(value), 4) for name, value in found.items()}


def measure(sample, real, conditional):
    """Figures of `sample(n, labels)` (images in [-1, 1])."""
    labels = np.arange(EVAL) % 10 if conditional else None
    features, logits = extractors.get_extractor(CLASSIFIER).extract(sample(EVAL, labels))
    return figures(features, logits, real, labels)


def raw_generator_sample(model):
    """Samples of the trained generator itself (not its EMA copy), same draw as `model.sample`."""
    def sample(n, labels):
        latent = model.prior_latent(n, 1)
        inputs = model.generator_inputs(latent, None if labels is None else tf.constant(labels))
        return model.run(model.generator, inputs, training=False).numpy()
    return sample


def markdown(results):
    rows = ["| variant | FID | KID | IS | precision | recall | class acc. | CPU s |",
            "|---|---|---|---|---|---|---|---|"]
    for name, row in results["variants"].items():
        rows.append(f"| {name} | {row['fid']:.1f} | {row['kid']:.3f} | {row['inception_score']:.2f}"
                    f" | {row['precision']:.3f} | {row['recall']:.3f} | "
                    f"{row.get('class_accuracy', '-')} | {row['train_cpu_seconds']:.0f} |")
    if "biggan_truncation" in results:
        rows += ["", "| biggan truncation | FID | precision | recall | class acc. |",
                 "|---|---|---|---|---|"]
        for threshold, row in results["biggan_truncation"].items():
            rows.append(f"| {threshold} | {row['fid']:.1f} | {row['precision']:.3f} | "
                        f"{row['recall']:.3f} | {row['class_accuracy']:.3f} |")
    if "stylegan_psi" in results:
        rows += ["", "| stylegan psi | FID | precision | recall |", "|---|---|---|---|"]
        for psi, row in results["stylegan_psi"].items():
            rows.append(f"| {psi} | {row['fid']:.1f} | {row['precision']:.3f} | "
                        f"{row['recall']:.3f} |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=BUDGET["steps"])
    parser.add_argument("--only", default=",".join(VARIANTS))
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--datasets", default=CHECKOUT_DATASETS,
                        help="the folder holding fashion_mnist/ (the original archives)")
    parser.add_argument("--ema-start", type=int, default=None,
                        help="step the EMA generator starts from (variants with EMA; default: "
                             "each variant's own)")
    parser.add_argument("--ema-decay", type=float, default=None,
                        help="decay of the EMA generator (variants with EMA; default: each "
                             "variant's own)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the data order, the networks' initialisation and the noise")
    args = parser.parse_args(argv)
    options = {name: value for name, value in (("ema_start", args.ema_start),
                                               ("ema_decay", args.ema_decay)) if value is not None}
    data_dir = tempfile.mkdtemp(prefix="tfds_fashion_")
    test, _ = fashion("test", False, 500, data_dir, args.datasets)
    real_images = np.concatenate(list(test.take(EVAL // 500).as_numpy_iterator()))
    real = extractors.get_extractor(CLASSIFIER).extract(real_images)[0]
    results = {"budget": {**BUDGET, "steps": args.steps, "data": DATA, "classifier": CLASSIFIER,
                          "eval_samples": EVAL, "seed": args.seed, **options},
               "variants": {}}
    for variant in args.only.split(","):
        model, cpu_seconds = train(variant, args.steps, data_dir, args.datasets, args.seed,
                                   **ema_options(variant, options))
        conditional = model.num_classes is not None
        row = {**measure(lambda n, labels: model.sample(n, labels=labels, seed=1), real,
                         conditional),
               "train_cpu_seconds": round(cpu_seconds, 1),
               "images_seen": args.steps * BUDGET["batch_size"]}
        if model.ema:
            results[f"{variant}_raw_generator"] = measure(raw_generator_sample(model), real,
                                                          conditional)
            print(json.dumps({f"{variant}_raw_generator": results[f"{variant}_raw_generator"]}),
                  flush=True)
        if variant == "ssgan":
            row["rotation_accuracy_real"] = round(
                rotation_accuracy(model.discriminator, real_images[:1000]), 4)
        results["variants"][variant] = row
        print(json.dumps({variant: row}), flush=True)
        if model.takes_truncation:
            results["biggan_truncation"] = {}
            for threshold in TRUNCATIONS:
                results["biggan_truncation"][str(threshold)] = measure(
                    lambda n, labels: model.sample(n, labels=labels, seed=1, truncation=threshold),
                    real, conditional)
                print(json.dumps({f"truncation {threshold}":
                                  results["biggan_truncation"][str(threshold)]}), flush=True)
        if variant == "stylegan":
            results["stylegan_psi"] = {}
            for psi in PSIS:
                results["stylegan_psi"][str(psi)] = measure(
                    lambda n, labels: model.sample(n, seed=1, truncation_psi=psi), real, False)
                print(json.dumps({f"psi {psi}": results["stylegan_psi"][str(psi)]}), flush=True)
    results["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "python": platform.python_version(), "tensorflow": tf.__version__}
    print(json.dumps(results, indent=2))
    if args.markdown:
        print(markdown(results))


if __name__ == "__main__":
    main()
