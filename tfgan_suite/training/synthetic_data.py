"""GAN samples as extra training data (the `tfgan-suite augment` command).

A classifier (the shipped classifiers' architecture, `networks.classifier.build_classifier`) is
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

from pathlib import Path

import numpy as np

CONDITIONAL_VARIANTS = ("cgan", "acgan")
EMBEDDED_TRAIN = 8000  # mnist_embedded: the first 8,000 images train, the last 2,000 test


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

    import tfgan_suite.models  # noqa: F401  (registers the variants for loading)

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

    from tfgan_suite.networks.classifier import build_classifier

    keras.utils.set_random_seed(seed)
    classifier = build_classifier(num_classes)
    classifier.compile(keras.optimizers.Adam(1e-3),
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                       metrics=["accuracy"])
    batches = (tf.data.Dataset.from_tensor_slices((scaled(images), labels))
               .shuffle(len(images), seed=seed).repeat().batch(batch_size))
    classifier.fit(batches, steps_per_epoch=steps, verbose=0)
    return float(classifier.evaluate(scaled(test[0]), test[1], batch_size=1000, verbose=0)[1])
