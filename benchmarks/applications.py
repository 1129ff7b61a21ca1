"""Applications against their baselines, at a few CPU minutes each (JSON on stdout or --out).

- `srgan`: 4x super-resolution (7x7 -> 28x28) of the embedded MNIST digits (trained on the
  first 8,000, scored on the last 2,000; `--sr-data fashion_mnist`: Fashion-MNIST's train and
  test splits): bicubic upscaling, SRResNet (the MSE pre-training alone) and SRGAN (then the GAN
  phase with the content loss on the data's shipped classifier's features). PSNR and SSIM
  (`tf.image.psnr/ssim` on [0, 1] images), that classifier's accuracy on each one's outputs, and
  the FID of its features against the real high-resolution images.
- `ganomaly`: MNIST leave-one-digit-out (GANomaly's protocol, Akcay et al. 2018 sec. 4.1): the
  held-out digit is the anomaly, the model trains on the other nine (of the first 8,000 images)
  and is scored on the last 2,000: AUROC of GANomaly's score beside a plain autoencoder (the same
  encoder and decoder trained on the L1 reconstruction alone, scored by its reconstruction error)
  and AnoGAN: a DCGAN of the same width trained for the same steps, then f-AnoGAN's encoder for
  half as many (Schlegl et al. 2019, izi_f score), and the 2017 latent search (Schlegl et al.
  2017, `--search-iterations` Adam steps on z, lambda 0.1; the paper: 500).
  `--protocol one-class`: the one-class protocol of Ruff et al. 2018 (Deep SVDD, Table 1) instead,
  trained on the digit alone, every other digit anomalous.
- `augment`: DCGAN on 1% of the embedded MNIST (100 images) without augmentation, with DiffAugment
  and with ADA (ada_kimg scaled to the budget), FID[mnist-classifier] of 2,000 samples against the
  2,000 held-out digits at the same step budget; ADA's p per epoch. `--augment-data fashion_mnist
  --augment-fractions 0.1 0.01 --augment-variants dcgan sngan`: the same on fractions of
  Fashion-MNIST's training split, FID[fashion_mnist-classifier] against its 10,000 test images.
  `--augment-seeds 0 1 2`: each cell once per seed (model, data order and samples), with the
  mean and standard deviation of its FID.

    PYTHONPATH=. python -m benchmarks.applications --sections srgan ganomaly augment
"""

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

import tfgan_suite
from benchmarks.report import write_json
from tfgan_suite.data import CHECKOUT_DATASETS, scale_images
from tfgan_suite.metrics.extractors import get_extractor
from tfgan_suite.metrics.functions import auroc, frechet_distance
from tfgan_suite.models.srgan import bicubic_resize
from tfgan_suite.networks import DCGANGenerator, ImageEncoder
from tfgan_suite.training.synthetic_data import train_and_test_arrays


def batches(images, batch_size, seed=0):
    return (tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=seed).repeat()
            .batch(batch_size, drop_remainder=True))


def image_scores(outputs, truth, labels, extractor):
    """PSNR, SSIM, classifier accuracy and FID of `outputs` against the true images."""
    as_unit = lambda x: (tf.clip_by_value(tf.constant(x), -1.0, 1.0) + 1.0) / 2.0
    features, logits = extractor.extract(np.clip(outputs, -1, 1))
    real_features, _ = extractor.extract(truth)
    return {"psnr": float(tf.reduce_mean(tf.image.psnr(as_unit(outputs), as_unit(truth), 1.0))),
            "ssim": float(tf.reduce_mean(tf.image.ssim(as_unit(outputs), as_unit(truth), 1.0))),
            "classifier_accuracy": float(np.mean(logits.argmax(axis=1) == labels)),
            "fid": float(frechet_distance(features, real_features))}


def image_splits(data, args):
    """((train images, labels), (test images, labels), the name of the data's shipped
    classifier), images in [-1, 1]: the embedded MNIST split as above, or Fashion-MNIST's train
    and test splits (TFDS, prepared offline from the original archives in
    `--datasets`/fashion_mnist)."""
    train, test, _ = train_and_test_arrays(data, Path(args.datasets) / data, args.data_dir)
    scaled = [(scale_images(images).numpy(), labels) for images, labels in (train, test)]
    return (*scaled, "mnist" if data == "mnist_embedded" else data)


def srgan_section(args):
    (train, _), (test, test_labels), classifier = image_splits(args.sr_data, args)
    extractor = get_extractor(f"{classifier}-classifier")
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model("srgan", image_shape=(28, 28, 1), width=args.sr_width,
                                    residual_blocks=args.sr_blocks,
                                    pretrain_steps=args.sr_pretrain_steps,
                                    content_features=classifier)
    model.compile()
    low_res = model.downsample(test).numpy()
    results = {"bicubic": image_scores(bicubic_resize(low_res, (28, 28)).numpy(), test,
                                       test_labels, extractor)}
    start = time.perf_counter()
    model.fit(batches(train, args.batch_size), steps_per_epoch=args.sr_pretrain_steps, verbose=0)
    results["srresnet_mse"] = image_scores(model.upscale(low_res), test, test_labels, extractor)
    results["srresnet_mse"]["train_seconds"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    model.fit(batches(train, args.batch_size, seed=1), steps_per_epoch=args.sr_gan_steps,
              verbose=0)
    results["srgan"] = image_scores(model.upscale(low_res), test, test_labels, extractor)
    results["srgan"]["train_seconds"] = round(time.perf_counter() - start, 1)
    results["real_high_res"] = {"classifier_accuracy": float(np.mean(
        extractor.extract(test)[1].argmax(axis=1) == test_labels))}
    results["settings"] = {"data": args.sr_data, "test_images": len(test),
                           "width": args.sr_width, "residual_blocks": args.sr_blocks,
                           "pretrain_steps": args.sr_pretrain_steps,
                           "gan_steps": args.sr_gan_steps, "batch_size": args.batch_size,
                           "content_features": f"{classifier} classifier conv3 (VGG19 not "
                                               "available)",
                           "fid_features": f"{classifier}-classifier"}
    return results


def autoencoder_scores(train, test, args):
    """The baseline: G_E and G_D of GANomaly's shapes trained on the L1 reconstruction alone;
    scores = mean |x - x_hat|."""
    keras.utils.set_random_seed(0)
    autoencoder = keras.Sequential([
        keras.Input((28, 28, 1)),
        ImageEncoder((28, 28, 1), args.latent_dim, filters=args.ad_width),
        DCGANGenerator(args.latent_dim, (28, 28, 1), filters=args.ad_width)])
    autoencoder.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), loss="mae")
    autoencoder.fit(batches(train, args.batch_size).map(lambda x: (x, x)),
                    steps_per_epoch=args.ad_steps, verbose=0)
    reconstruction = autoencoder.predict(test, batch_size=500, verbose=0)
    return np.abs(reconstruction - test).mean(axis=(1, 2, 3))


def anogan_scores(normal, test, args):
    """(f-AnoGAN's izi_f scores, AnoGAN's latent-search scores) of `test`: a DCGAN trained for
    `ad_steps` steps on the normal images, then f-AnoGAN's encoder for `ad_steps // 2` more."""
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model("anogan", image_shape=(28, 28, 1), width=args.ad_width,
                                    latent_dim=args.latent_dim, encoder_start=args.ad_steps)
    model.compile()
    model.fit(batches(normal, args.batch_size), steps_per_epoch=args.ad_steps + args.ad_steps // 2,
              verbose=0)
    return model.score(test), model.search_scores(test, iterations=args.search_iterations)


def ganomaly_section(args):
    (train, train_labels), (test, test_labels), _ = image_splits("mnist_embedded", args)
    results = {}
    one_class = args.protocol == "one-class"
    for digit in args.anomaly_digits:
        # One-class (Ruff et al. 2018): the digit is the normal class, every other one anomalous.
        normal = train[(train_labels == digit) if one_class else (train_labels != digit)]
        anomalous = (test_labels != digit) if one_class else (test_labels == digit)
        keras.utils.set_random_seed(0)
        model = tfgan_suite.build_model("ganomaly", image_shape=(28, 28, 1), width=args.ad_width,
                                        latent_dim=args.latent_dim)
        model.compile()
        start = time.perf_counter()
        model.fit(batches(normal, args.batch_size), steps_per_epoch=args.ad_steps, verbose=0)
        seconds = time.perf_counter() - start
        scores = model.score(test)
        baseline = autoencoder_scores(normal, test, args)
        start = time.perf_counter()
        izi_f, search = anogan_scores(normal, test, args)
        results[str(digit)] = {
            "ganomaly_auroc": auroc(scores[~anomalous], scores[anomalous]),
            "autoencoder_auroc": auroc(baseline[~anomalous], baseline[anomalous]),
            "f_anogan_auroc": auroc(izi_f[~anomalous], izi_f[anomalous]),
            "anogan_search_auroc": auroc(search[~anomalous], search[anomalous]),
            "ganomaly_train_seconds": round(seconds, 1),
            "anogan_train_and_search_seconds": round(time.perf_counter() - start, 1)}
        print(f"anomaly digit {digit}: {results[str(digit)]}", file=sys.stderr)
    for key in ("ganomaly_auroc", "autoencoder_auroc", "f_anogan_auroc", "anogan_search_auroc"):
        results[f"mean_{key}"] = float(np.mean([r[key] for r in results.values()
                                                if isinstance(r, dict)]))
    results["settings"] = {"width": args.ad_width, "latent_dim": args.latent_dim,
                           "steps": args.ad_steps, "batch_size": args.batch_size,
                           "anogan": f"{args.ad_steps} DCGAN steps, {args.ad_steps // 2} encoder "
                                     f"steps, {args.search_iterations} search steps",
                           "protocol": f"{args.protocol} (digit = the "
                                       f"{'normal' if one_class else 'anomaly'} class), test = "
                                       "last 2000 embedded images"}
    return results


def augment_section(args):
    """Each variant on the first images of the training split (a fraction of it, by default
    `--few-images` images), without augmentation, with DiffAugment and with ADA, once per seed."""
    (train, _), (test, _), classifier = image_splits(args.augment_data, args)
    extractor = get_extractor(f"{classifier}-classifier")
    real_features, _ = extractor.extract(test)
    sizes = ([round(fraction * len(train)) for fraction in args.augment_fractions]
             if args.augment_fractions else [args.few_images])
    runs, cells = [], []
    epochs = 10
    for variant in args.augment_variants:
        for size in sizes:
            few = train[:size]
            for augment in (None, "diffaugment", "ada"):
                fids = []
                for seed in args.augment_seeds:
                    keras.utils.set_random_seed(seed)
                    # ADA's p may then cross [0, 1] in a third of the run (the paper: 500k images).
                    options = dict(augment=augment, seed=seed,
                                   ada_kimg=args.augment_steps * args.batch_size / 3000.0)
                    model = tfgan_suite.build_model(variant, image_shape=train.shape[1:],
                                                    width=args.gan_width, latent_dim=64, **options)
                    model.compile()
                    start = time.perf_counter()
                    history = model.fit(batches(few, args.batch_size, seed), epochs=epochs,
                                        steps_per_epoch=args.augment_steps // epochs,
                                        verbose=0).history
                    samples = np.concatenate([model.sample(500, seed=4 * seed + s)
                                              for s in range(4)])
                    features, _ = extractor.extract(samples)
                    run = {"variant": variant, "training_images": size,
                           "fraction": round(size / len(train), 4), "augment": str(augment),
                           "seed": seed, "fid": float(frechet_distance(features, real_features)),
                           "train_seconds": round(time.perf_counter() - start, 1)}
                    if augment == "ada":
                        run["p_per_epoch"] = [round(p, 3) for p in history["augment_p"]]
                    print(f"augment: {run}", file=sys.stderr)
                    runs.append(run)
                    fids.append(run["fid"])
                cells.append({"variant": variant, "training_images": size, "augment": str(augment),
                              "seeds": args.augment_seeds, "fid_mean": float(np.mean(fids)),
                              "fid_std": float(np.std(fids))})
    return {"runs": runs, "cells": cells,
            "settings": {"data": args.augment_data, "training_images": sizes,
                         "test_images": len(test), "samples": 2000,
                         "classifier": f"{classifier}-classifier", "steps": args.augment_steps,
                         "width": args.gan_width, "batch_size": args.batch_size}}


DATA = ("mnist_embedded", "fashion_mnist")
SECTIONS = {"srgan": srgan_section, "ganomaly": ganomaly_section, "augment": augment_section}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--sr-data", choices=DATA, default="mnist_embedded",
                        help="the super-resolution images (content features and FID: its "
                             "shipped classifier)")
    parser.add_argument("--sr-width", type=int, default=32)
    parser.add_argument("--sr-blocks", type=int, default=4)
    parser.add_argument("--sr-pretrain-steps", type=int, default=400)
    parser.add_argument("--sr-gan-steps", type=int, default=400)
    parser.add_argument("--anomaly-digits", type=int, nargs="+", default=[0, 1, 9])
    parser.add_argument("--protocol", choices=("leave-one-out", "one-class"),
                        default="leave-one-out",
                        help="GANomaly's (train on nine digits) or Deep SVDD's (train on one)")
    parser.add_argument("--ad-width", type=int, default=16)
    parser.add_argument("--latent-dim", type=int, default=100)
    parser.add_argument("--ad-steps", type=int, default=400)
    parser.add_argument("--search-iterations", type=int, default=100,
                        help="AnoGAN's latent-search steps per test image (the paper: 500)")
    parser.add_argument("--augment-data", choices=DATA, default="mnist_embedded")
    parser.add_argument("--augment-fractions", type=float, nargs="+",
                        help="fractions of the training split (default: --few-images images)")
    parser.add_argument("--few-images", type=int, default=100)
    parser.add_argument("--augment-variants", nargs="+", default=["dcgan"],
                        help="latent variants with an image discriminator (e.g. dcgan sngan)")
    parser.add_argument("--datasets", default=str(CHECKOUT_DATASETS),
                        help="the folder holding fashion_mnist/ (the original archives)")
    parser.add_argument("--data-dir", help="TFDS data folder (default: a new temporary one)")
    parser.add_argument("--augment-steps", type=int, default=600)
    parser.add_argument("--augment-seeds", type=int, nargs="+", default=[0],
                        help="one run per seed of each cell (model, data order, samples)")
    parser.add_argument("--gan-width", type=int, default=16)
    parser.add_argument("--out", help="JSON file (default: stdout)")
    args = parser.parse_args(argv)
    if args.data_dir is None and "fashion_mnist" in (args.sr_data, args.augment_data):
        args.data_dir = tempfile.mkdtemp(prefix="tfds_fashion_")  # prepared once, for both
    results = {"machine": {"platform": platform.platform(), "processor": platform.processor(),
                           "tensorflow": tf.__version__}, "settings": vars(args)}
    for name in args.sections:
        start = time.perf_counter()
        results[name] = SECTIONS[name](args)
        results[name]["section_seconds"] = round(time.perf_counter() - start, 1)
        print(f"{name}: {json.dumps(results[name])}", file=sys.stderr)
    write_json(results, args.out)


if __name__ == "__main__":
    main()
