"""Throughput of the suite's `model.fit` against a hand-written `tf.function` training loop.

Both train the same DCGAN networks (fresh copies from one config) with the same losses, optimizers
and batch on the embedded MNIST set, in one process, one after the other; each is warmed up first
(tracing excluded). Prints JSON: images/s of each and their ratio (goal: fit / loop >= 0.95).

    python benchmarks/fit_vs_loop.py [--steps 150] [--batch-size 64] [--width 32]
"""

import argparse
import json
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import tfgan_suite  # noqa: E402
from tfgan_suite import losses  # noqa: E402
from tfgan_suite.data import load_dataset  # noqa: E402

WARMUP_STEPS = 10


def make_model(args):
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model("dcgan", image_shape=(28, 28, 1), latent_dim=args.latent_dim,
                                    width=args.width)
    model.compile()
    return model


def time_fit(model, dataset, steps):
    model.fit(dataset, steps_per_epoch=WARMUP_STEPS, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)
    return time.perf_counter() - start


def time_loop(model, dataset, steps):
    """The textbook loop: one D step, one G step, non-saturating losses, plain means."""
    generator, discriminator = model.generator, model.discriminator
    d_optimizer, g_optimizer = model.d_optimizer, model.g_optimizer

    @tf.function
    def train_step(images):
        batch = tf.shape(images)[0]
        z = tf.random.normal([batch, model.latent_dim])
        with tf.GradientTape() as tape:
            fake = generator(z, training=True)
            d_loss = tf.reduce_mean(losses.minimax_discriminator_loss(
                discriminator(images, training=True), discriminator(fake, training=True)))
        grads = tape.gradient(d_loss, discriminator.trainable_variables)
        d_optimizer.apply_gradients(zip(grads, discriminator.trainable_variables))
        z = tf.random.normal([batch, model.latent_dim])
        with tf.GradientTape() as tape:
            g_loss = tf.reduce_mean(losses.non_saturating_generator_loss(
                discriminator(generator(z, training=True), training=True)))
        grads = tape.gradient(g_loss, generator.trainable_variables)
        g_optimizer.apply_gradients(zip(grads, generator.trainable_variables))
        return d_loss, g_loss

    for images in dataset.take(WARMUP_STEPS):
        train_step(images)
    # Timed like an epoch of `fit`: the loop makes its own iterator over the data, as fit does.
    start = time.perf_counter()
    for images in dataset.take(steps):
        result = train_step(images)
    float(result[0])  # wait for the last step
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="alternating timed runs of each")
    args = parser.parse_args()
    dataset, _ = load_dataset("mnist_embedded", args.batch_size)
    dataset = dataset.repeat()
    fit_model, loop_model = make_model(args), make_model(args)
    fit_seconds, loop_seconds = [], []
    for _ in range(args.repeats):  # alternate, so drifting machine load hits both alike
        fit_seconds.append(time_fit(fit_model, dataset, args.steps))
        loop_seconds.append(time_loop(loop_model, dataset, args.steps))
    images = args.steps * args.batch_size
    fit_rate, loop_rate = images / min(fit_seconds), images / min(loop_seconds)
    print(json.dumps({
        "benchmark": "fit_vs_loop", "variant": "dcgan", "image_shape": [28, 28, 1],
        "batch_size": args.batch_size, "width": args.width, "steps": args.steps,
        "repeats": args.repeats,
        "fit_images_per_s": round(fit_rate, 1), "loop_images_per_s": round(loop_rate, 1),
        "ratio_fit_over_loop": round(fit_rate / loop_rate, 3),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "tensorflow": tf.__version__,
                    "keras": keras.__version__},
    }, indent=2))


if __name__ == "__main__":
    main()
