"""SSGAN's rotation accuracy against the paper's > 0.9, the untrained model and the same D trained
on rotations alone, on one data stream.

    python -m benchmarks.ssgan_rotation [--steps 800] [--every 50] [--seed 0] [--no-rotation-only]

The paper-level claim (Chen et al. 2019: D predicts the rotation of > 0.9 of real images), which
the quality test (`tests/test_architectures_mnist.py`, 200 batches against a 0.6 bar) leaves
here for its cost. `ssgan`'s defaults (two D steps per batch, D's Adam(1e-3, 0.5, 0.999)) train
on the embedded MNIST as that test does: the last 1000 images held out, batches of 64 of the
other 9000 in one shuffled order, width 16, latent 32. Reported in the same run:

- at batch 0 the untrained model: its D's rotation accuracy on the held-out digits (each turned
  once, the four turns equally often; chance 0.25) and FID[mnist-classifier] of its 1000 samples
  against the held-out digits;
- every `--every` batches: the GAN's D on the held-out digits, its logged `rotation_accuracy`
  (the mean over those batches), and CPU seconds; with `--rotation-only` (the default) also a
  fresh copy of its D trained on the rotation loss of all four turns of the real images alone,
  as many updates a batch as the GAN's D takes (does the game help or hurt the rotation task?);
- at the end: the first checkpoint above 0.9 for each, the final FID and the digits that make
  2% of the samples (the shipped classifier's reading), the commit and the CPU flags.

JSON lines on stdout.
"""

import argparse
import json
import os
import platform
import time

import keras
import numpy as np
import tensorflow as tf

import tfgan_suite
from tfgan_suite.data import load_arrays
from tfgan_suite.metrics import extractors, functions
from tfgan_suite.models.ssgan import quarter_turns, rotation_accuracy, rotation_cross_entropy
from benchmarks.report import commit, cpu_flags

HELD_OUT = 1000
BATCH = 64
PAPER_ACCURACY = 0.9


def batches(images, seed):
    return (tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=seed).repeat()
            .batch(BATCH, drop_remainder=True))


class SampleScore:
    """FID[mnist-classifier] of 1000 samples against the held-out digits, and how many digits
    make 2% of them."""

    def __init__(self, held_out):
        self.extractor = extractors.get_extractor("mnist-classifier")
        self.reference = self.extractor.extract(held_out)[0]

    def __call__(self, model):
        features, logits = self.extractor.extract(model.sample(HELD_OUT, seed=1))
        shares = np.bincount(logits.argmax(-1), minlength=10) / HELD_OUT
        return {"fid": round(functions.frechet_distance(self.reference, features), 1),
                "digits_at_2_percent": int(np.sum(shares >= 0.02))}


class RotationCurves(keras.callbacks.Callback):
    """Every `every` batches, the GAN's D (and, given `discriminator`, the rotation-only D, trained
    `updates` steps on each batch the GAN sees) on the held-out digits."""

    def __init__(self, every, held_out, discriminator=None, optimizer=None, data=None, updates=0):
        super().__init__()
        self.every, self.held_out = every, held_out
        self.discriminator, self.optimizer, self.data = discriminator, optimizer, data
        self.updates = updates
        self.names = ("ssgan",) + (("rotation_only",) if discriminator is not None else ())
        self.cpu = dict.fromkeys(self.names, 0.0)
        self.first_above = dict.fromkeys(self.names)

    @tf.function
    def step(self, images):
        rotations = tf.repeat(tf.range(4), tf.shape(images)[0])
        with tf.GradientTape() as tape:
            logits = self.discriminator(tf.concat(quarter_turns(images), 0),
                                        training=True)["rotation_logits"]
            loss = tf.reduce_mean(rotation_cross_entropy(logits, rotations))
        variables = self.discriminator.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    def on_train_batch_begin(self, batch, logs=None):
        self.gan_started = time.process_time()

    def on_train_batch_end(self, batch, logs=None):
        started = time.process_time()
        self.cpu["ssgan"] += started - self.gan_started
        if self.discriminator is not None:
            images = next(self.data)
            for _ in range(self.updates):
                self.step(images)
            self.cpu["rotation_only"] += time.process_time() - started

    def on_epoch_end(self, epoch, logs=None):
        row = {"batches": (epoch + 1) * self.every,
               "ssgan_held_out": round(rotation_accuracy(self.model.discriminator,
                                                         self.held_out), 4),
               "ssgan_logged": round(float(logs["rotation_accuracy"]), 4)}
        if self.discriminator is not None:
            row["rotation_only_held_out"] = round(rotation_accuracy(self.discriminator,
                                                                    self.held_out), 4)
        row.update({f"{name}_cpu_seconds": round(cpu, 1) for name, cpu in self.cpu.items()})
        for name in self.names:
            if self.first_above[name] is None and row[f"{name}_held_out"] > PAPER_ACCURACY:
                self.first_above[name] = row["batches"]
        print(json.dumps(row), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=800, help="batches")
    parser.add_argument("--every", type=int, default=50, help="batches between reports")
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rotation-only", action=argparse.BooleanOptionalAction, default=True,
                        help="also train the same D on rotations alone, beside the GAN")
    args = parser.parse_args(argv)
    if args.steps % args.every:
        parser.error(f"--steps ({args.steps}) must be a multiple of --every ({args.every}).")
    images = load_arrays("mnist_embedded")[0].astype(np.float32) / 127.5 - 1
    train, held_out = images[:-HELD_OUT], images[-HELD_OUT:]
    keras.utils.set_random_seed(args.seed)
    model = tfgan_suite.build_model("ssgan", image_shape=train.shape[1:], latent_dim=32,
                                    width=args.width, seed=args.seed)
    model.compile()
    curves = RotationCurves(args.every, held_out)
    if args.rotation_only:
        reference = type(model.discriminator).from_config(model.discriminator.get_config())
        reference(held_out[:1])
        curves = RotationCurves(args.every, held_out, reference,
                                model.default_optimizers()["discriminator"],
                                iter(batches(train, args.seed)), model.n_critic)
    score = SampleScore(held_out)
    print(json.dumps({"config": {**vars(args), "batch_size": BATCH, "held_out": HELD_OUT,
                                 "n_critic": model.n_critic,
                                 "optimizers": {name: {key: opt.get_config()[key] for key in
                                                       ("learning_rate", "beta_1", "beta_2")}
                                                for name, opt in model.optimizers.items()}},
                      "commit": commit(), "cpu_flags": cpu_flags(), "cpus": os.cpu_count(),
                      "load_average": os.getloadavg(), "python": platform.python_version(),
                      "tensorflow": tf.__version__}, default=str), flush=True)
    print(json.dumps({"batches": 0, "ssgan_held_out": round(rotation_accuracy(
        model.discriminator, held_out), 4), **score(model)}), flush=True)
    model.fit(batches(train, args.seed), steps_per_epoch=args.every,
              epochs=args.steps // args.every, verbose=0, callbacks=[curves])
    print(json.dumps({"batches": args.steps, **score(model),
                      **{f"{name}_first_above_{PAPER_ACCURACY}": batches_seen
                         for name, batches_seen in curves.first_above.items()},
                      "load_average": os.getloadavg()}), flush=True)


if __name__ == "__main__":
    main()
