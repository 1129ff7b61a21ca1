"""How fast BigGAN learns its classes: the class accuracy of its samples and its discriminator's
class margin along a run, at a learning-rate scale, on MNIST or Fashion-MNIST.

    python -m benchmarks.biggan_classes [--dataset fashion_mnist] [--learning-rate-scale 5]
        [--steps 1000] [--every 200] [--seed 0] [--width 16] [--embedding-dim 32] [--out FILE]

`biggan` (latent 32, class embedding 32, width 16, batches of 64, its optimizers: Adam(2e-4, 0, 0.999)
for G and D, 2 D steps, times `--learning-rate-scale`) trains on the dataset's training images
with their labels; at batch 0 and every `--every` batches it reports:

- `class_accuracy`: the fraction of 1000 samples (100 per asked class) that the shipped
  classifier of the dataset (`mnist-classifier` / `fashion_mnist-classifier`) calls the asked
  class; chance is 0.1;
- `fid`: FID[that classifier] of those samples against 5000 real training images;
- `d_class_margin`: the discriminator's mean D(x, y) - D(x, y + 1 mod 10) over 500 real images,
  how much its projection term uses the class;
- `cpu_seconds` of the process (training and the reports).

The figures of the quality test (`tests/test_biggan_quality.py`) come from these runs. The final
JSON (every row, the settings, the commit, the CPU flags) goes to `--out` or stdout; progress
rows go to stderr (TFDS prints on stdout when it first prepares Fashion-MNIST).
"""

import argparse
import json
import sys
import tempfile
import time

import keras
import numpy as np

import tfgan_suite
from benchmarks.report import commit, cpu_flags, write_json
from tfgan_suite.data import CHECKOUT_DATASETS, load_arrays, load_dataset
from tfgan_suite.metrics import extractors, functions
from tfgan_suite.training.run import scale_learning_rates

CLASSES = 10
SAMPLES = 1000
BATCH = 64


def real_data(dataset, data_dir):
    """(batches of (images, labels), the first 5000 training images and labels)."""
    if dataset == "mnist_embedded":
        images, labels = load_arrays(dataset)[:2]
        return (load_dataset(dataset, BATCH, with_labels=True)[0],
                (images[:5000].astype(np.float32) / 127.5 - 1, labels[:5000]))
    tfds = dict(manual_dir=CHECKOUT_DATASETS / dataset, data_dir=data_dir)
    first, _ = load_dataset(dataset, 5000, with_labels=True, shuffle=False, **tfds)
    images, labels = next(iter(first))
    return (load_dataset(dataset, BATCH, with_labels=True, **tfds)[0],
            (images.numpy(), labels.numpy()))


class ClassCurve(keras.callbacks.Callback):
    def __init__(self, every, extractor, real):
        super().__init__()
        self.every, self.extractor = every, extractor
        self.real_images, self.real_labels = real
        self.reference = extractor.extract(self.real_images)[0]
        self.rows = []

    def report(self, batches):
        asked = np.arange(SAMPLES) % CLASSES
        features, logits = self.extractor.extract(self.model.sample(SAMPLES, labels=asked, seed=1))
        images, labels = self.real_images[:500], self.real_labels[:500]
        right = self.model.discriminator([images, labels])
        wrong = self.model.discriminator([images, (labels + 1) % CLASSES])
        row = {"batches": batches, "cpu_seconds": round(time.process_time(), 1),
               "class_accuracy": float(np.mean(logits.argmax(-1) == asked)),
               "fid": round(functions.frechet_distance(self.reference, features), 1),
               "d_class_margin": round(float(np.mean(right - wrong)), 3)}
        self.rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    def on_train_begin(self, logs=None):
        self.report(0)

    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % self.every == 0:
            self.report(batch + 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("fashion_mnist", "mnist_embedded"),
                        default="fashion_mnist")
    parser.add_argument("--learning-rate-scale", type=float, default=5.0)
    parser.add_argument("--steps", type=int, default=1000, help="batches")
    parser.add_argument("--every", type=int, default=200, help="batches between reports")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--out", help="write the JSON here instead of stdout")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    with tempfile.TemporaryDirectory() as data_dir:
        data, real = real_data(args.dataset, data_dir)
        model = tfgan_suite.build_model("biggan", image_shape=real[0].shape[1:],
                                        num_classes=CLASSES, latent_dim=32, width=args.width,
                                        embedding_dim=args.embedding_dim, seed=args.seed)
        model.compile()
        scale_learning_rates(model, args.learning_rate_scale)
        classifier = "mnist-classifier" if args.dataset == "mnist_embedded" else \
            f"{args.dataset}-classifier"
        curve = ClassCurve(args.every, extractors.get_extractor(classifier), real)
        model.fit(data.repeat(), steps_per_epoch=args.steps, epochs=1, verbose=0,
                  callbacks=[curve])
    write_json({"settings": vars(args), "rows": curve.rows, "commit": commit(),
                "cpu_flags": cpu_flags()}, args.out)


if __name__ == "__main__":
    main()
