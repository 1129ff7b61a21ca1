"""What a training run logs, per epoch: plain lines on stdout when it is not a terminal, history.csv
and TensorBoard's scalars, each with only the metrics that ran (`metrics_that_ran`)."""

import csv
import os
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfgan_suite.metrics.callback import WritesSummaries


def metrics_that_ran(model, logs):
    """`logs` without the model's metrics that no step of this epoch updated so far. Keras resets
    every metric at an epoch's start, and a mean that was never updated reads 0.0: the loss of a
    player that does not train in this epoch (SRGAN's discriminator during its MSE pre-training),
    not a measured zero."""
    idle = {metric.name for metric in model.metrics
            if isinstance(metric, keras.metrics.Mean)
            and float(keras.ops.convert_to_numpy(metric.count)) == 0}
    return {name: value for name, value in (logs or {}).items() if name not in idle}


def as_float(value):
    """A logged value (a tensor, an array of shape [1] under MultiWorkerMirroredStrategy) as a
    float."""
    return float(np.asarray(value).reshape(-1)[0])


def format_metrics(logs):
    """"d_loss 0.6931, g_loss 0.7012"."""
    return ", ".join(f"{name} {as_float(value):.4g}" for name, value in logs.items())


class PlainLog(keras.callbacks.Callback):
    """One line per epoch (and with `every_steps`, one every that many steps) on stdout, for
    output that is not a terminal (a file, a pipe, CI): the metrics that ran and the time per
    step, e.g. `epoch 2/5: d_loss 0.6931, g_loss 0.7012 (12.3 ms/step)`. Keras's progress bar
    rewrites its line with backspaces and carriage returns, about 230 bytes a step in a file.
    The time per step runs from the epoch's start to its last step's end, leaving out what the
    callbacks do after it (pictures, checkpoints, evaluation)."""

    def __init__(self, every_steps=None, stream=None):
        super().__init__()
        self.every_steps = every_steps
        self.stream = stream  # None: sys.stdout as it is when a line is printed

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._steps_done = self._steps_at_last_line = 0
        self._epoch_start = self._last_line = self._last_step_end = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._steps_done = batch + 1
        self._last_step_end = time.perf_counter()
        if self.every_steps and self._steps_done % self.every_steps == 0:
            # The time per step since the previous line.
            self._line(f" step {self._steps_done}/{self.params.get('steps') or '?'}", logs,
                       self._last_line, self._steps_done - self._steps_at_last_line)
            self._last_line, self._steps_at_last_line = self._last_step_end, self._steps_done

    def on_epoch_end(self, epoch, logs=None):
        self._line("", logs, self._epoch_start, self._steps_done)  # the epoch's mean

    def _line(self, step, logs, since, steps):
        milliseconds = (self._last_step_end - since) / max(steps, 1) * 1000
        print(f"epoch {self._epoch + 1}/{self.params.get('epochs')}{step}: "
              f"{format_metrics(metrics_that_ran(self.model, logs))} ({milliseconds:.1f} ms/step)",
              file=self.stream, flush=True)


class HistoryFile(keras.callbacks.Callback):
    """history.csv: a row per epoch, "epoch" (from 0) then the metrics in name order, with the
    cell empty where a metric did not run that epoch (`metrics_that_ran`; an evaluation every N
    epochs). A metric first logged late (`--eval-every 2`'s FID at epoch 2) adds its column then;
    keras's CSVLogger fixes its columns at the first epoch and drops later ones. The file is
    rewritten whole and renamed into place, so a kill leaves the previous file or the new one."""

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)

    def read(self):
        if not self.path.is_file():
            return []
        with open(self.path, newline="") as f:
            return list(csv.DictReader(f))

    def on_epoch_end(self, epoch, logs=None):
        rows = [row for row in self.read() if int(row["epoch"]) != epoch]
        rows.append({"epoch": epoch, **{name: as_float(value) for name, value
                                        in metrics_that_ran(self.model, logs).items()}})
        columns = sorted({name for row in rows for name in row} - {"epoch"})
        partial = self.path.with_name(f".{self.path.name}.partial")
        with open(partial, "w", newline="") as f:
            writer = csv.DictWriter(f, ["epoch", *columns], restval="")
            writer.writeheader()
            writer.writerows(rows)
        os.replace(partial, self.path)


class TensorBoardScalars(WritesSummaries):
    """After every epoch, the metrics that ran and each player's learning rate as it is (a
    schedule's value at this step) as TensorBoard scalars at step epoch + 1, the step of the run's
    pictures and evaluations (`WritesSummaries`): one run, one step axis. Keras's TensorBoard
    callback writes its scalars to another folder at step `epoch`, and logs `model.optimizer`'s
    rate, here the step clock's 0.0 (`AdversarialModel.compile`). Placed before the evaluation
    callback, it leaves the evaluation's figures to that callback ("evaluation/...")."""

    def on_epoch_end(self, epoch, logs=None):
        writer = self.summary_writer()
        with writer.as_default(step=epoch + 1):
            for name, value in metrics_that_ran(self.model, logs).items():
                tf.summary.scalar(name, as_float(value))
            for player, optimizer in getattr(self.model, "optimizers", {}).items():
                rate = keras.ops.convert_to_numpy(optimizer.learning_rate)
                tf.summary.scalar(f"learning_rate/{player}", float(rate))
        writer.flush()
