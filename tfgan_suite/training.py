"""Training runs: the callbacks every run gets, and `train` used by the CLI and the demo.

A run directory holds `backup/` (BackupAndRestore, so a killed run resumes), `logs/` (TensorBoard),
`history.csv`, `samples/epoch_NNN.png` and, at the end, `model.keras`.
"""

import math
from pathlib import Path

import keras
import numpy as np

from tfgan_suite.data import load_dataset
from tfgan_suite.distribute import make_strategy
from tfgan_suite.images import save_samples
from tfgan_suite.models import build_model, get_variant


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite."""


class StopOnNaN(keras.callbacks.Callback):
    """Stops a run whose losses are no longer finite, before anything saves the broken weights.

    Raising (rather than `stop_training`) skips the epoch-end backup, so the last good checkpoint
    stays in place for `--resume`.
    """

    def __init__(self, backup_dir=None):
        super().__init__()
        self.backup_dir = backup_dir
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = {k: v for k, v in (logs or {}).items() if not np.all(np.isfinite(np.asarray(v)))}
        if bad:
            kept = (f" The last good checkpoint is kept in {self.backup_dir}: lower the learning "
                    "rate and resume with --resume." if self.backup_dir else "")
            raise TrainingDiverged(
                f"Training diverged at epoch {self.epoch + 1}, step {batch + 1}: "
                f"{', '.join(sorted(bad))} became {list(bad.values())[0]}.{kept}")


class SampleGrid(keras.callbacks.Callback):
    """Writes `samples/epoch_NNN.png` after every epoch, always from the same latent seed."""

    def __init__(self, directory, num_samples=64, seed=0):
        super().__init__()
        self.directory = Path(directory)
        self.num_samples = num_samples
        self.seed = seed

    def on_epoch_end(self, epoch, logs=None):
        self.directory.mkdir(parents=True, exist_ok=True)
        save_samples(self.directory / f"epoch_{epoch + 1:03d}.png",
                     self.model.sample(self.num_samples, seed=self.seed))


def train(variant, data="mnist_embedded", epochs=5, batch_size=64, strategy="default", out="runs/run",
          resume=False, latent_dim=None, width=None, conditional=False, steps_per_epoch=None,
          seed=0, manual_dir=None, data_dir=None, verbose="auto", extra_callbacks=()):
    """Trains `variant` on `data` with `fit` and returns the model; see the module docstring for `out`."""
    out = Path(out)
    backup_dir = out / "backup"
    if backup_dir.exists() and not resume:
        raise FileExistsError(
            f"{out} holds an interrupted run ({backup_dir}). Pass --resume to continue it, or choose "
            "another --out.")
    conditional = conditional or get_variant(variant).requires_labels
    strategy = make_strategy(strategy)
    dataset, info = load_dataset(data, batch_size, with_labels=conditional,
                                 num_replicas=strategy.num_replicas_in_sync, seed=seed,
                                 manual_dir=manual_dir, data_dir=data_dir)
    options = {k: v for k, v in (("latent_dim", latent_dim), ("width", width)) if v is not None}
    keras.utils.set_random_seed(seed)
    with strategy.scope():
        model = build_model(variant, image_shape=info.image_shape, seed=seed,
                            num_classes=info.num_classes if conditional else None, **options)
        model.compile()
    callbacks = [
        StopOnNaN(backup_dir),
        keras.callbacks.BackupAndRestore(str(backup_dir)),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
        keras.callbacks.TensorBoard(str(out / "logs")),
        SampleGrid(out / "samples"),
        *extra_callbacks,
    ]
    out.mkdir(parents=True, exist_ok=True)
    history = model.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch,
                        callbacks=callbacks, verbose=verbose)
    model.training_info = {
        "dataset": info.name, "image_shape": list(info.image_shape), "epochs": epochs,
        "batch_size": batch_size, "steps": int(model.g_optimizer.iterations.numpy()),
        "final_metrics": {k: float(v[-1]) for k, v in history.history.items()
                          if v and math.isfinite(float(v[-1]))},
    }
    model.save(out / "model.keras")
    return model
