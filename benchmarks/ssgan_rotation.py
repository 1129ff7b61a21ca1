"""SSGAN's discriminator against the same network trained on rotations alone, on one data stream.

    python -m benchmarks.ssgan_rotation [--steps 800] [--every 50] [--n-critic 2] [--seed 0]

The reference for the rotation accuracy SSGAN's D reaches (Chen et al. 2019 report > 0.9 on real
images): how fast the same network learns the rotation task with no game at all. Both train on
the embedded MNIST as `tests/test_architectures_mnist.py` does (the last 1000 images held out,
batches of 64 of the other 9000 in the same shuffled order, width 16, latent 32, D's
Adam(`--lr`, 0.5, 0.999), `--n-critic` D steps per batch): `ssgan` with its paper's rotation
weights, and a fresh copy of its D on the rotation loss of all four turns of the real images
alone, as many updates a batch as the GAN's D takes. Every `--every` batches: each one's
rotation accuracy on the held-out digits (each turned once, the four turns equally often), the
GAN's logged `rotation_accuracy` (the mean over those batches), and CPU seconds; at the end the
first checkpoint at which each passed 0.9. JSON lines on stdout.
"""

import argparse
import json
import time

import keras
import numpy as np
import tensorflow as tf

import tfgan_suite
from tfgan_suite.data import load_arrays
from tfgan_suite.models.ssgan import quarter_turns, rotation_accuracy, rotation_cross_entropy

HELD_OUT = 1000
BATCH = 64
PAPER_ACCURACY = 0.9


def batches(images, seed):
    return (tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=seed).repeat()
            .batch(BATCH, drop_remainder=True))


class RotationOnly(keras.callbacks.Callback):
    """Trains `discriminator` on rotations alone, `updates` steps on each batch the GAN sees,
    and reports both networks every `every` batches."""

    def __init__(self, discriminator, optimizer, data, updates, every, held_out):
        super().__init__()
        self.discriminator, self.optimizer, self.data = discriminator, optimizer, data
        self.updates, self.every, self.held_out = updates, every, held_out
        self.cpu = {"ssgan": 0.0, "rotation_only": 0.0}
        self.first_above = {"ssgan": None, "rotation_only": None}

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
        images = next(self.data)
        for _ in range(self.updates):
            self.step(images)
        self.cpu["rotation_only"] += time.process_time() - started

    def on_epoch_end(self, epoch, logs=None):
        row = {"batches": (epoch + 1) * self.every,
               "ssgan_held_out": round(rotation_accuracy(self.model.discriminator,
                                                         self.held_out), 4),
               "ssgan_logged": round(float(logs["rotation_accuracy"]), 4),
               "rotation_only_held_out": round(rotation_accuracy(self.discriminator,
                                                                 self.held_out), 4),
               **{f"{name}_cpu_seconds": round(cpu, 1) for name, cpu in self.cpu.items()}}
        for name in self.first_above:
            if self.first_above[name] is None and row[f"{name}_held_out"] > PAPER_ACCURACY:
                self.first_above[name] = row["batches"]
        print(json.dumps(row), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=800, help="batches")
    parser.add_argument("--every", type=int, default=50, help="batches between reports")
    parser.add_argument("--n-critic", type=int, default=2, help="D steps per batch")
    parser.add_argument("--lr", type=float, default=1e-3, help="D's learning rate")
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.steps % args.every:
        parser.error(f"--steps ({args.steps}) must be a multiple of --every ({args.every}).")
    images = load_arrays("mnist_embedded")[0].astype(np.float32) / 127.5 - 1
    train, held_out = images[:-HELD_OUT], images[-HELD_OUT:]
    keras.utils.set_random_seed(args.seed)
    model = tfgan_suite.build_model("ssgan", image_shape=train.shape[1:], latent_dim=32,
                                    width=args.width, seed=args.seed, n_critic=args.n_critic)
    reference = type(model.discriminator).from_config(model.discriminator.get_config())
    reference(held_out[:1])
    model.compile(optimizers={"discriminator": keras.optimizers.Adam(args.lr, 0.5, 0.999)})
    rotation_only = RotationOnly(reference, keras.optimizers.Adam(args.lr, 0.5, 0.999),
                                 iter(batches(train, args.seed)), args.n_critic, args.every,
                                 held_out)
    print(json.dumps({"config": {**vars(args), "batch_size": BATCH, "held_out": HELD_OUT}}),
          flush=True)
    model.fit(batches(train, args.seed), steps_per_epoch=args.every,
              epochs=args.steps // args.every, verbose=0, callbacks=[rotation_only])
    print(json.dumps({f"{name}_first_above_{PAPER_ACCURACY}": batches_seen
                      for name, batches_seen in rotation_only.first_above.items()}), flush=True)


if __name__ == "__main__":
    main()
