"""An EMA generator against its raw generator, at several decays, in one training run.

    python -m benchmarks.ema_decays [--variant biggan] [--steps 1200] [--checkpoints 400,800,1200]
                                    [--ema-start 200] [--decays 0.99,0.995,0.998] [--seed 0]

A variant that keeps an EMA of its generator (biggan, stylegan) trains on the architecture
benchmark's budget (`benchmarks.architectures`: Fashion-MNIST, width 32, 64-d latent, batches of
64) with its own EMA from `--ema-start`. Beside it, a callback keeps copies of G at the other
`--decays`, updated after every batch as the model updates its own (a copy of G before
`--ema-start`; moving statistics copied). At each checkpoint the raw G, the model's EMA and each
copy are measured on the same latents (and labels) with the shipped fashion_mnist-classifier:
FID, KID, IS, precision, recall (class accuracy for a conditional variant). Each is sampled by
`model.sample` with its weights loaded into the model's EMA network, so every generator is
sampled as the served one is. Prints JSON, one line per checkpoint; the training CPU seconds
leave out the measuring.
"""

import argparse
import json
import tempfile
import time

import keras
import numpy as np

import tfgan_suite
from benchmarks.architectures import BUDGET, CLASSIFIER, EVAL, fashion, measure, train
from tfgan_suite.data import CHECKOUT_DATASETS
from tfgan_suite.metrics import extractors
from tfgan_suite.core.options import accepted_parameters


class ExtraAverages(keras.callbacks.Callback):
    """Copies of G's weights averaged at `decays` (as `update_ema`), measured at `checkpoints`."""

    def __init__(self, decays, start, checkpoints, real):
        super().__init__()
        self.decays, self.start, self.checkpoints, self.real = decays, start, checkpoints, real
        self.averages = None
        self.measure_cpu = 0.0

    def on_train_begin(self, logs=None):
        self.begin = time.process_time()

    def on_train_batch_end(self, batch, logs=None):
        generator = self.model.generator
        if self.averages is None:
            self.averages = {decay: generator.get_weights() for decay in self.decays}
        step = int(self.model.steps_taken.numpy()) - 1  # the step just taken, as update_ema sees it
        current = generator.get_weights()
        for decay, averaged in self.averages.items():
            rate = decay if step >= self.start else 0.0
            self.averages[decay] = [
                rate * average + (1.0 - rate) * weight if variable.trainable else weight
                for average, weight, variable in zip(averaged, current, generator.weights)]
        if step + 1 in self.checkpoints:
            begin = time.process_time()
            print(json.dumps(self.row(step + 1)), flush=True)
            self.measure_cpu += time.process_time() - begin

    def row(self, steps):
        model = self.model
        served = model.ema["generator"]
        own = served.get_weights()
        conditional = model.num_classes is not None

        def measured(weights):
            served.set_weights(weights)
            return measure(lambda n, labels: model.sample(n, labels=labels, seed=1), self.real,
                           conditional)

        row = {"steps": steps,
               "train_cpu_seconds": round(time.process_time() - self.begin - self.measure_cpu, 1),
               "raw": measured(model.generator.get_weights()),
               **{f"ema_{decay}": measured(weights) for decay, weights in self.averages.items()},
               f"ema_{model.ema_decay}_model": measured(own)}
        served.set_weights(own)
        return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="biggan", help="a variant with an EMA generator")
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--checkpoints", default="400,800,1200")
    parser.add_argument("--ema-start", type=int, default=200)
    parser.add_argument("--decays", default="0.99,0.995,0.998",
                        help="decays of the extra averages (the model's own is measured too)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--datasets", default=CHECKOUT_DATASETS,
                        help="the folder holding fashion_mnist/ (the original archives)")
    args = parser.parse_args(argv)
    if accepted_parameters(tfgan_suite.get_variant(args.variant)).get("ema_decay") is None:
        parser.error(f"{args.variant} keeps no EMA generator by default; pick biggan or "
                     f"stylegan.")
    checkpoints = {int(step) for step in args.checkpoints.split(",")}
    if max(checkpoints) > args.steps:
        parser.error(f"--checkpoints go up to {max(checkpoints)}, past --steps {args.steps}.")
    data_dir = tempfile.mkdtemp(prefix="tfds_fashion_")
    test, _ = fashion("test", False, 500, data_dir, args.datasets)
    real = extractors.get_extractor(CLASSIFIER).extract(
        np.concatenate(list(test.take(EVAL // 500).as_numpy_iterator())))[0]
    averages = ExtraAverages([float(d) for d in args.decays.split(",")], args.ema_start,
                             checkpoints, real)
    print(json.dumps({"budget": {**BUDGET, **vars(args)}}), flush=True)
    _, cpu_seconds = train(args.variant, args.steps, data_dir, args.datasets, args.seed,
                           callbacks=[averages], ema_start=args.ema_start)
    print(json.dumps({"train_cpu_seconds": round(cpu_seconds - averages.measure_cpu, 1),
                      "measure_cpu_seconds": round(averages.measure_cpu, 1)}), flush=True)


if __name__ == "__main__":
    main()
