"""GAN samples as extra training data: `tfgan-suite augment`.

A classifier (the shipped classifiers' architecture, `metrics.extractors.build_classifier`) is
trained on N labelled images, class-balanced, once on those alone and once with a
class-conditional generator's samples added (`--ratio` generated images per real one, the same
number per class), for the same number of steps; both are scored on the whole test split. The
generator is a trained cgan/acgan `.keras` file (`--generator`), or a cgan/acgan trained here on
the same N images (`--variant`, `--gan-steps`). `--save-npz` writes the mixed set (uint8 images,
labels), which `tfgan-suite train --data FILE.npz` and `load_dataset` read.

Data: a TFDS dataset with train and test splits (mnist, fashion_mnist; offline with
`--manual-dir`), or `mnist_embedded` (the 10,000 embedded digits: the first 8,000 are the train
split, the last 2,000 the test split).
"""

import json
from pathlib import Path

import numpy as np

CONDITIONAL_VARIANTS = ("cgan", "acgan")
EMBEDDED_TRAIN = 8000  # mnist_embedded: the first 8,000 images train, the last 2,000 test


def register(subparsers):
    augment = subparsers.add_parser(
        "augment", help="train a classifier on N labelled images with and without a conditional "
                        "GAN's samples; accuracy on the test split")
    augment.add_argument("--data", default="mnist_embedded",
                         help="mnist_embedded, or a TFDS name with a test split (mnist, fashion_mnist)")
    augment.add_argument("--manual-dir", help="folder with the TFDS dataset's original archives")
    augment.add_argument("--data-dir", help="TFDS data_dir")
    augment.add_argument("--labelled", type=int, default=100,
                         help="labelled training images, the same number of each class")
    augment.add_argument("--generator", help="a trained cgan/acgan .keras file (default: train one "
                                             "on the labelled images)")
    augment.add_argument("--variant", choices=CONDITIONAL_VARIANTS, default="cgan",
                         help="the generator trained when no --generator is given")
    augment.add_argument("--gan-steps", type=int, default=2000)
    augment.add_argument("--width", type=int, default=32, help="the trained GAN's width")
    augment.add_argument("--ratio", type=float, default=1.0,
                         help="generated images per labelled image")
    augment.add_argument("--classifier-steps", type=int, default=1000)
    augment.add_argument("--batch-size", type=int, default=64)
    augment.add_argument("--seed", type=int, default=0, help="the labelled images and all training")
    augment.add_argument("--save-npz", help="write the mixed (labelled + generated) set here")
    augment.add_argument("--out", help="write the results as JSON here")
    augment.set_defaults(func=run_augment)


def train_and_test_arrays(data, manual_dir=None, data_dir=None):
    """((train images, labels), (test images, labels), num_classes), images uint8 [N, H, W, C]."""
    from tfgan_suite.data import load_arrays, tfds_arrays

    if data == "mnist_embedded":
        images, labels, num_classes, _ = load_arrays(data)
        return ((images[:EMBEDDED_TRAIN], labels[:EMBEDDED_TRAIN]),
                (images[EMBEDDED_TRAIN:], labels[EMBEDDED_TRAIN:]), num_classes)
    if load_arrays(data) is not None:
        raise ValueError(f"--data {data!r} has no test split: use mnist_embedded or a TFDS dataset "
                         "with train and test splits (mnist, fashion_mnist).")
    splits = []
    for split in ("train", "test"):
        images, labels, info = tfds_arrays(data, split, manual_dir, data_dir)
        splits.append((images, labels.astype(np.int32)))
    return splits[0], splits[1], info.num_classes


def balanced_subset(labels, per_class, seed):
    """Indices of `per_class` random examples of each class."""
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < per_class:
            raise ValueError(f"Class {label} has {len(members)} training images, fewer than the "
                             f"{per_class} per class asked for: lower --labelled.")
        chosen.append(rng.choice(members, per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def scaled(images):
    return images.astype(np.float32) / 127.5 - 1.0


def load_generator(path, image_shape, num_classes):
    """A trained conditional model from a .keras file, checked against the data."""
    import keras

    import tfgan_suite  # noqa: F401  (registers the variants for loading)

    if not Path(path).is_file():
        raise ValueError(f"No such model file: {path} (a cgan/acgan run's model.keras).")
    model = keras.models.load_model(path)
    if getattr(model, "variant", None) not in CONDITIONAL_VARIANTS:
        raise ValueError(f"{path} holds a {getattr(model, 'variant', type(model).__name__)} model; "
                         f"augment needs a class-conditional one ({', '.join(CONDITIONAL_VARIANTS)}).")
    if model.num_classes != num_classes or tuple(model.image_shape) != tuple(image_shape):
        raise ValueError(f"{path} generates {model.num_classes} classes of {model.image_shape} "
                         f"images; the data has {num_classes} classes of {tuple(image_shape)}.")
    return model


def train_generator(variant, images, labels, num_classes, steps, width, batch_size, seed):
    import keras
    import tensorflow as tf

    import tfgan_suite

    keras.utils.set_random_seed(seed)
    model = tfgan_suite.build_model(variant, image_shape=images.shape[1:], num_classes=num_classes,
                                    width=width, seed=seed)
    model.compile()
    batches = (tf.data.Dataset.from_tensor_slices((scaled(images), labels))
               .shuffle(len(images), seed=seed).repeat().batch(batch_size, drop_remainder=True))
    model.fit(batches, steps_per_epoch=steps, verbose=0)
    return model


def generated_examples(model, count, num_classes, seed):
    """`count` samples (rounded up to a multiple of the classes), the same number per class, as
    uint8 images like the data's."""
    labels = np.tile(np.arange(num_classes, dtype=np.int32), -(-count // num_classes))
    images = model.sample(len(labels), labels=labels, seed=seed)
    return np.round((np.clip(images, -1, 1) + 1) * 127.5).astype(np.uint8), labels


def test_accuracy(images, labels, test, num_classes, steps, batch_size, seed):
    """Accuracy on `test` of the classifier trained `steps` steps on (images, labels)."""
    import keras
    import tensorflow as tf

    from tfgan_suite.metrics.extractors import build_classifier

    keras.utils.set_random_seed(seed)
    classifier = build_classifier(num_classes)
    classifier.compile(keras.optimizers.Adam(1e-3),
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                       metrics=["accuracy"])
    batches = (tf.data.Dataset.from_tensor_slices((scaled(images), labels))
               .shuffle(len(images), seed=seed).repeat().batch(batch_size))
    classifier.fit(batches, steps_per_epoch=steps, verbose=0)
    return float(classifier.evaluate(scaled(test[0]), test[1], batch_size=1000, verbose=0)[1])


def run_augment(args):
    (train_images, train_labels), test, num_classes = train_and_test_arrays(
        args.data, args.manual_dir, args.data_dir)
    if args.labelled % num_classes:
        raise ValueError(f"--labelled must be a multiple of the {num_classes} classes (the same "
                         f"number of each); got {args.labelled}.")
    chosen = balanced_subset(train_labels, args.labelled // num_classes, args.seed)
    images, labels = train_images[chosen], train_labels[chosen]
    if args.generator:
        model = load_generator(args.generator, train_images.shape[1:], num_classes)
    else:
        model = train_generator(args.variant, images, labels, num_classes, args.gan_steps,
                                args.width, args.batch_size, args.seed)
    fake_images, fake_labels = generated_examples(model, round(args.ratio * len(images)),
                                                  num_classes, args.seed)
    mixed = (np.concatenate([images, fake_images]), np.concatenate([labels, fake_labels]))
    if args.save_npz:
        np.savez_compressed(args.save_npz, images=mixed[0], labels=mixed[1])
    train = lambda x, y: test_accuracy(x, y, test, num_classes, args.classifier_steps,
                                       args.batch_size, args.seed)
    results = {"data": args.data, "labelled": len(images), "generated": len(fake_images),
               "generator": args.generator or f"{args.variant}, {args.gan_steps} steps",
               "classifier_steps": args.classifier_steps, "seed": args.seed,
               "test_images": len(test[1]),
               "accuracy_labelled_only": train(images, labels),
               "accuracy_with_generated": train(*mixed)}
    print(f"test accuracy ({results['test_images']} images): {results['accuracy_labelled_only']:.4f} "
          f"on {len(images)} labelled images, {results['accuracy_with_generated']:.4f} with "
          f"{len(fake_images)} generated ones added")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    return 0
