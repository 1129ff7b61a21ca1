"""Controllable generation on MNIST: does the shipped MNIST classifier see the requested class?

    python benchmarks/conditional.py [--steps 1500] [--only cgan,acgan,...] [--no-ablation]
        [--width 16] [--infogan-networks dcgan|paper] [--seed 0]

Every variant trains on `mnist_embedded` (MNIST's 10k test images and labels, shipped with the
package) for the BUDGET below on the CPU, then is measured with the shipped `mnist-classifier`
(trained on MNIST's 60k training images, 99.3% on the test split the GANs train on):

- cgan, acgan: class-accuracy, the fraction of samples drawn for label y that the classifier
  calls y (1000 samples, 100 per class), and FID[mnist-classifier] against the 10k real images;
- infogan (no labels): the mutual information between the categorical code and the classifier's
  digit (bits; log2(10) = 3.32 is perfect, 0 is chance), and the accuracy under the best
  one-to-one code-to-digit matching (Hungarian; chance 10%);
- icgan: pixel MSE of reconstructions G(E_z(x), E_y(x)) of real images (next to the MSE between
  two real images of the same class, for scale), E_y's accuracy, and the class-accuracy after
  `edit` to a different, random label;
- ablation: cgan with and without the condition loss and the mismatch loss, with concatenation
  and with projection conditioning, class-accuracy and FID side by side.

Prints one JSON object. Runtime: about 2-4 minutes per model on 2 shared CPU cores.
"""

import argparse
import json
import os
import platform
import time

import keras
import numpy as np
import tensorflow as tf
from scipy.optimize import linear_sum_assignment

import tfgan_suite
from tfgan_suite.data import load_arrays, load_dataset
from tfgan_suite.metrics import extractors, functions

DATA = "mnist_embedded"
CLASSIFIER = "mnist-classifier"
NUM_CLASSES = 10
# The budget every variant gets: global batch, generator steps, network size.
BUDGET = dict(batch_size=64, steps=1500, width=16, latent_dim=32)
INFOGAN_LATENT = 32 + 10 + 2  # noise + Cat(10) + 2 continuous codes
EVAL_SAMPLES = 1000


def train(variant, steps=BUDGET["steps"], batch_size=BUDGET["batch_size"], seed=0, **options):
    """`variant` trained on the embedded MNIST for `steps` generator steps; returns (model, seconds)."""
    keras.utils.set_random_seed(seed)  # first: the data's shuffle order depends on the global seed
    dataset, info = load_dataset(DATA, batch_size, with_labels=True, seed=seed)
    options = {"width": BUDGET["width"], "latent_dim": BUDGET["latent_dim"], **options}
    num_classes = info.num_classes if tfgan_suite.get_variant(variant).requires_labels else None
    model = tfgan_suite.build_model(variant, image_shape=info.image_shape, num_classes=num_classes,
                                    seed=seed, **options)
    model.compile()
    start = time.perf_counter()
    model.fit(dataset.repeat(), steps_per_epoch=steps, epochs=1, verbose=0)
    return model, time.perf_counter() - start


def classify(images):
    """The shipped classifier's (features, predicted digits) for images in [-1, 1]."""
    features, logits = extractors.get_extractor(CLASSIFIER).extract(images)
    return features, logits.argmax(-1)


def real_features():
    images, _, _, _ = load_arrays(DATA)
    return classify(images.astype(np.float32) / 127.5 - 1)[0]


def class_accuracy_and_fid(model, reference, n=EVAL_SAMPLES, seed=1):
    labels = np.arange(n) % NUM_CLASSES
    features, predicted = classify(model.sample(n, labels=labels, seed=seed))
    return {"class_accuracy": float(np.mean(predicted == labels)),
            "fid": functions.frechet_distance(reference, features)}


def code_digit_agreement(codes, digits, k=NUM_CLASSES):
    """(mutual information in bits, best-matching accuracy) between two labelings of the samples."""
    joint = np.zeros((k, k))
    np.add.at(joint, (codes, digits), 1)
    joint /= joint.sum()
    independent = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)
    nonzero = joint > 0
    mutual_information = float(np.sum(joint[nonzero] * np.log2(joint[nonzero] / independent[nonzero])))
    rows, cols = linear_sum_assignment(-joint)
    return mutual_information, float(joint[rows, cols].sum())


def infogan_figures(model, n=EVAL_SAMPLES, seed=1):
    codes = np.arange(n) % model.categorical_dim
    _, digits = classify(model.sample(n, seed=seed, categories=codes))
    mutual_information, matched = code_digit_agreement(codes, digits)
    return {"code_digit_mutual_information_bits": mutual_information,
            "max_mutual_information_bits": float(np.log2(NUM_CLASSES)),
            "matched_accuracy": matched, "chance_accuracy": 1 / NUM_CLASSES}


def icgan_figures(model, n=EVAL_SAMPLES, seed=1):
    images, labels, _, _ = load_arrays(DATA)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(images), n, replace=False)
    images, labels = images[chosen].astype(np.float32) / 127.5 - 1, labels[chosen]
    _, encoded_labels = model.encode(images)
    new_labels = (labels + rng.integers(1, NUM_CLASSES, n)) % NUM_CLASSES
    _, edited_digits = classify(model.edit(images, new_labels))
    # Baseline for the reconstruction error: each image against another real image of its class.
    same_class = np.array([rng.choice(np.flatnonzero((labels == label) & (np.arange(n) != i)))
                           for i, label in enumerate(labels)])
    return {"reconstruction_mse": float(np.mean((model.reconstruct(images) - images) ** 2)),
            "same_class_other_image_mse": float(np.mean((images[same_class] - images) ** 2)),
            "y_encoder_accuracy": float(np.mean(encoded_labels == labels)),
            "edit_class_accuracy": float(np.mean(edited_digits == new_labels))}


ABLATION = {
    "condition+mismatch": dict(condition_weight=1.0, mismatch_weight=1.0),
    "mismatch only": dict(condition_weight=0.0, mismatch_weight=1.0),
    "condition only": dict(condition_weight=1.0, mismatch_weight=0.0),
    "neither": dict(condition_weight=0.0, mismatch_weight=0.0),
    "projection, condition+mismatch": dict(conditioning="projection"),
    "projection, condition only": dict(conditioning="projection", mismatch_weight=0.0),
    "projection, mismatch only": dict(conditioning="projection", condition_weight=0.0),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=BUDGET["steps"])
    parser.add_argument("--only", default="cgan,acgan,infogan,icgan")
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument("--width", type=int, default=BUDGET["width"],
                        help="first-layer filters of every network (InfoGAN's paper: 64)")
    parser.add_argument("--infogan-networks", choices=("dcgan", "paper"), default="dcgan",
                        help="InfoGAN's networks: DCGAN's, or the paper's MNIST networks "
                             "(app. C.1)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the data order, the networks' initialisation and the noise")
    args = parser.parse_args(argv)
    reference = real_features()
    results = {"budget": {**BUDGET, "steps": args.steps, "width": args.width, "data": DATA,
                          "classifier": CLASSIFIER, "infogan_networks": args.infogan_networks,
                          "seed": args.seed},
               "variants": {}}
    for variant in args.only.split(","):
        options = ({"latent_dim": INFOGAN_LATENT, "networks": args.infogan_networks}
                   if variant == "infogan" else {})
        model, seconds = train(variant, steps=args.steps, width=args.width, seed=args.seed,
                               **options)
        figures = {"train_seconds": round(seconds, 1)}
        if variant == "infogan":
            figures.update(infogan_figures(model))
        else:
            figures.update(class_accuracy_and_fid(model, reference))
        if variant == "icgan":
            figures.update(icgan_figures(model))
        results["variants"][variant] = figures
        print(json.dumps({variant: figures}), flush=True)
    if not args.no_ablation:
        results["ablation_cgan"] = {}
        for name, options in ABLATION.items():
            model, seconds = train("cgan", steps=args.steps, width=args.width, seed=args.seed,
                                   **options)
            results["ablation_cgan"][name] = {**class_accuracy_and_fid(model, reference),
                                              "train_seconds": round(seconds, 1)}
            print(json.dumps({name: results["ablation_cgan"][name]}), flush=True)
    results["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "python": platform.python_version(), "tensorflow": tf.__version__}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
