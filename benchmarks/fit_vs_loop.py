"""Throughput of the suite's `model.fit` against a hand-written `tf.function` training loop.

Both train the same DCGAN networks (fresh copies from one config) with the same losses, optimizers
and batch on the embedded MNIST set, in one process, one after the other; each is warmed up first
(tracing excluded). Prints JSON: images/s of each and their ratio (goal: fit / loop >= 0.95), per
second of wall time and per second of the process's CPU time (which other processes on a busy
machine slow much less than the wall clock).
With `--precision bf16` (or fp16) the same is measured under that Keras mixed-precision policy
and in float32, and the mixed/float32 throughput ratio of `fit` is printed beside them
(the goal: bf16 >= 1.5x at width 64, batch 128 on a CPU with AVX512-BF16).

    python benchmarks/fit_vs_loop.py [--steps 150] [--batch-size 64] [--width 32] [--precision bf16]
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
POLICIES = {"fp32": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}


def make_model(args, precision):
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model("dcgan", image_shape=(28, 28, 1), latent_dim=args.latent_dim,
                                    width=args.width, dtype_policy=POLICIES[precision])
    model.compile()
    return model


def clocks():
    return time.perf_counter(), time.process_time()


def since(start):
    """(wall seconds, CPU seconds) since `start = clocks()`."""
    return tuple(now - then for now, then in zip(clocks(), start))


def time_fit(model, dataset, steps):
    model.fit(dataset, steps_per_epoch=WARMUP_STEPS, epochs=1, verbose=0)
    start = clocks()
    model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)
    return since(start)


def time_loop(model, dataset, steps):
    """The textbook loop: one D step, one G step, non-saturating losses, plain means (in
    float32; the loss scaled for a loss-scale optimizer, as mixed float16 needs)."""
    generator = lambda x, training: tf.cast(model.generator(x, training=training), tf.float32)
    discriminator = lambda x, training: tf.cast(model.discriminator(x, training=training),
                                                tf.float32)
    d_optimizer, g_optimizer = model.d_optimizer, model.g_optimizer
    scale = lambda optimizer, loss: (optimizer.scale_loss(loss) if isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer) else loss)

    @tf.function
    def train_step(images):
        batch = tf.shape(images)[0]
        z = tf.random.normal([batch, model.latent_dim])
        with tf.GradientTape() as tape:
            fake = generator(z, training=True)
            d_loss = tf.reduce_mean(losses.minimax_discriminator_loss(
                discriminator(images, training=True), discriminator(fake, training=True)))
        grads = tape.gradient(scale(d_optimizer, d_loss), model.discriminator.trainable_variables)
        d_optimizer.apply_gradients(zip(grads, model.discriminator.trainable_variables))
        z = tf.random.normal([batch, model.latent_dim])
        with tf.GradientTape() as tape:
            g_loss = tf.reduce_mean(losses.non_saturating_generator_loss(
                discriminator(generator(z, training=True), training=True)))
        grads = tape.gradient(scale(g_optimizer, g_loss), model.generator.trainable_variables)
        g_optimizer.apply_gradients(zip(grads, model.generator.trainable_variables))
        return d_loss, g_loss

    for images in dataset.take(WARMUP_STEPS):
        train_step(images)
    # Timed like an epoch of `fit`: the loop makes its own iterator over the data, as fit does.
    start = clocks()
    for images in dataset.take(steps):
        result = train_step(images)
    float(result[0])  # wait for the last step
    return since(start)


def measure(args, dataset, precision):
    """{"fit", "loop"} -> (images per wall second, images per CPU second), each the best of
    `repeats` alternating timed runs."""
    models = {"fit": make_model(args, precision), "loop": make_model(args, precision)}
    timers = {"fit": time_fit, "loop": time_loop}
    seconds = {way: [] for way in models}
    for _ in range(args.repeats):  # alternate, so drifting machine load hits both alike
        for way, model in models.items():
            seconds[way].append(timers[way](model, dataset, args.steps))
    images = args.steps * args.batch_size
    return {way: tuple(images / min(clock) for clock in zip(*runs))
            for way, runs in seconds.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="alternating timed runs of each")
    parser.add_argument("--precision", choices=sorted(POLICIES), default="fp32",
                        help="also measure this mixed precision against fp32")
    args = parser.parse_args()
    dataset, _ = load_dataset("mnist_embedded", args.batch_size)
    dataset = dataset.repeat()
    rates = {precision: measure(args, dataset, precision)
             for precision in dict.fromkeys(["fp32", args.precision])}
    figures = {}
    for precision, rate in rates.items():
        figures[precision] = {}
        for index, clock in enumerate(("s", "cpu_s")):
            fit, loop = rate["fit"][index], rate["loop"][index]
            figures[precision].update({f"fit_images_per_{clock}": round(fit, 1),
                                       f"loop_images_per_{clock}": round(loop, 1),
                                       f"ratio_fit_over_loop_per_{clock}": round(fit / loop, 3)})
            if precision != "fp32":
                figures[f"ratio_fit_{precision}_over_fp32_per_{clock}"] = round(
                    fit / rates["fp32"]["fit"][index], 3)
    print(json.dumps({
        "benchmark": "fit_vs_loop", "variant": "dcgan", "image_shape": [28, 28, 1],
        "batch_size": args.batch_size, "width": args.width, "steps": args.steps,
        "repeats": args.repeats, **figures,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "tensorflow": tf.__version__,
                    "keras": keras.__version__},
    }, indent=2))


if __name__ == "__main__":
    main()
