"""Train the shipped domain classifiers used as offline feature extractors.

    python -m tfgan_suite.metrics.train_classifiers [--datasets mnist fashion_mnist] [--epochs N]

Each dataset is prepared with TFDS from its original archives in `<manual-root>/<dataset>/`
(default: the checkout's ../shared/datasets, see its README), so no network is used. Writes
`networks/weights/<dataset>-classifier.weights.h5` and, beside it, a JSON with the test accuracy.
"""

import argparse
import json
import tempfile
from pathlib import Path

import keras
import tensorflow as tf

from tfgan_suite.networks import classifier as lenet
from tfgan_suite.data import CHECKOUT_DATASETS, load_dataset

# Fashion-MNIST needs more epochs than MNIST to pass 91% test accuracy with this small network.
DEFAULT_EPOCHS = {"mnist": 4, "fashion_mnist": 12}


def train_classifier(dataset, manual_dir, data_dir, epochs, batch_size=128, seed=0):
    """Train `lenet.build_classifier` on `dataset`'s train split; return it and its test accuracy."""
    keras.utils.set_random_seed(seed)
    train, info = load_dataset(dataset, batch_size, split="train", with_labels=True, seed=seed,
                               manual_dir=manual_dir, data_dir=data_dir)
    # The test split has 10000 images: batches of 1000 drop none of them.
    test, _ = load_dataset(dataset, 1000, split="test", with_labels=True, shuffle=False,
                           manual_dir=manual_dir, data_dir=data_dir)
    classifier = lenet.build_classifier(info.num_classes)
    classifier.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(2e-3, epochs * (info.num_examples // batch_size))),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    classifier.fit(train, epochs=epochs, verbose=2)
    _, test_accuracy = classifier.evaluate(test, verbose=0)
    return classifier, float(test_accuracy), info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(lenet.CLASSIFIER_DATASETS),
                        choices=lenet.CLASSIFIER_DATASETS)
    parser.add_argument("--manual-root", type=Path, default=CHECKOUT_DATASETS,
                        help="folder holding <dataset>/ with the original archives")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="root of the TFDS data_dirs, one per dataset (default: a temporary one)")
    parser.add_argument("--epochs", type=int, default=None, help="override the per-dataset default")
    parser.add_argument("--output-dir", type=Path, default=lenet.WEIGHTS_DIR)
    args = parser.parse_args(argv)

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="tfds_"))
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets:
        epochs = args.epochs or DEFAULT_EPOCHS[dataset]
        classifier, accuracy, info = train_classifier(dataset, args.manual_root / dataset, data_dir, epochs)
        name = lenet.classifier_name(dataset)
        weights = args.output_dir / f"{name}.weights.h5"
        # save_weights on the compiled model would also store the optimizer's slots (3x the size).
        shipped = lenet.build_classifier(info.num_classes)
        shipped.set_weights(classifier.get_weights())
        shipped.save_weights(weights)
        info = {
            "extractor": name,
            "dataset": dataset,
            "num_classes": info.num_classes,
            "test_accuracy": round(accuracy, 4),
            "test_split": "test",
            "train_examples": info.num_examples,
            "epochs": epochs,
            "parameters": classifier.count_params(),
            "weights_bytes": weights.stat().st_size,
            "feature_layer": "features",
            "feature_dim": classifier.get_layer("features").units,
            "input": "[N, 28, 28, 1] float32 in [-1, 1]",
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        }
        (args.output_dir / f"{name}.json").write_text(json.dumps(info, indent=2) + "\n")
        print(json.dumps(info))


if __name__ == "__main__":
    main()
