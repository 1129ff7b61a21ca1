"""The shipped LeNet-style classifiers (MNIST, Fashion-MNIST): their network, their weights in
`weights/`, and their convolutional features as a frozen content network. The metrics use them
as offline feature extractors (FID/KID/precision-recall, class accuracy); SRGAN as its content
loss's feature map. Trained by `python -m tfgan_suite.metrics.train_classifiers`."""

import json
from pathlib import Path

import keras

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
CLASSIFIER_DATASETS = ("mnist", "fashion_mnist")
CLASSIFIER_IMAGE_SHAPE = (28, 28, 1)


def classifier_name(dataset):
    return f"{dataset}-classifier"


def build_classifier(num_classes=10):
    """LeNet-style classifier for 28x28x1 images in [-1, 1]; layer "features" (128-d) feeds FID/KID/PR.

    Three 3x3 conv/max-pool stages down to 3x3x64, then a 128-unit fc layer and the logits:
    131k parameters, a 0.56 MB weights file, small enough to ship.
    """
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(CLASSIFIER_IMAGE_SHAPE),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(128, activation="relu", name="features"),
            layers.Dropout(0.3),
            layers.Dense(num_classes, name="logits"),
        ],
        name="classifier",
    )


def classifier_weights_path(dataset):
    return WEIGHTS_DIR / f"{classifier_name(dataset)}.weights.h5"


def classifier_info_path(dataset):
    return WEIGHTS_DIR / f"{classifier_name(dataset)}.json"


def load_classifier(dataset):
    """The shipped classifier for `dataset` as a keras model (weights from networks/weights/)."""
    path = classifier_weights_path(dataset)
    if not path.exists():
        raise FileNotFoundError(
            f"no shipped weights for {classifier_name(dataset)!r} at {path}; "
            "train them with `python -m tfgan_suite.metrics.train_classifiers`"
        )
    info = json.loads(classifier_info_path(dataset).read_text())
    classifier = build_classifier(info["num_classes"])
    classifier.load_weights(path)
    return classifier


def classifier_conv_features(dataset):
    """The shipped classifier's convolutional features, images in [-1, 1] -> [N, 7, 7, 64] (its
    last conv layer, after ReLU): a frozen network for content losses (SRGAN's phi, in place of
    VGG19's conv5_4, whose ImageNet weights cannot be fetched offline)."""
    classifier = load_classifier(dataset)
    last_conv = [layer for layer in classifier.layers if isinstance(layer, keras.layers.Conv2D)][-1]
    network = keras.Model(classifier.inputs, last_conv.output, name=f"{dataset}_conv_features")
    network.trainable = False
    return network
