"""Training runs: the callbacks every run gets, and `train` used by the CLI and the demo.

A run directory holds `run.json` (the run's arguments, written first), `backup/` (checkpoints, so a
killed run resumes), `logs/` (TensorBoard), `history.csv`, `samples/epoch_NNN.png`, with
`eval_every` `best.keras` (the best FID's model so far) and, at the end, `model.keras`. No run is
lost: the last checkpoint stays until `model.keras` is in place, every file a kill could leave
half-written is written under another name and renamed (atomic on POSIX), a directory holding a
run is only reused with `resume` or `overwrite`, and a folder holding anything else is not used.
"""

import csv
import dataclasses
import json
import math
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfgan_suite.data import load_dataset
from tfgan_suite.distribute import make_strategy
from tfgan_suite.data.two_domains import STYLE_PAIR
from tfgan_suite.metrics import (EvaluationCallback, SuperResolutionEvaluationCallback,
                                 TranslationEvaluationCallback)
from tfgan_suite.metrics.extractors import data_classifier, extractor_for_data
from tfgan_suite.training.pictures import InputPicture, SampleGrid, TranslationGrid
from tfgan_suite.training.run_logs import (HistoryFile, PlainLog, TensorBoardScalars, as_float,
                                           metrics_that_ran)
from tfgan_suite.models import build_model, get_variant
from tfgan_suite.core.options import check_options

PRECISIONS = {"fp32": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}
RUN_FILE, MODEL_FILE, BEST_MODEL_FILE, BACKUP_DIR = "run.json", "model.keras", "best.keras", "backup"
RUN_OUTPUTS = (RUN_FILE, MODEL_FILE, BEST_MODEL_FILE, BACKUP_DIR, "history.csv", "logs", "samples")
DEFAULT_EPOCHS = 5  # a new run's; a resumed one continues to its own


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite."""


@dataclasses.dataclass
class RunArguments:
    """What defines a run: `resume` must continue it with the values in FLAGS unchanged; the epochs
    (more of them), the learning-rate scale (lower after a NaN) and the strategy (other hardware,
    same global batch) may change."""

    variant: str
    data: str
    batch_size: int
    steps_per_epoch: int | None
    seed: int
    conditional: bool
    options: dict
    precision: str
    epochs: int
    learning_rate_scale: float
    strategy: str

    FLAGS = {"variant": "the variant", "data": "--data", "batch_size": "--batch-size",
             "steps_per_epoch": "--steps-per-epoch", "seed": "--seed",
             "conditional": "--conditional", "options": "--set/--config/--latent-dim/--width",
             "precision": "--precision"}

    def differences(self, stored):
        return [f"{self.FLAGS[key]} is {getattr(self, key)!r}, the run has {stored.get(key)!r}"
                for key in self.FLAGS if getattr(self, key) != stored.get(key)]


def _atomic_write_text(path, text):
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def model_optimizers(model):
    """Every optimizer a model trains with, found among its attributes (plain or in a dict)."""
    found = {}
    for value in vars(model).values():
        for item in value.values() if isinstance(value, dict) else (value,):
            if isinstance(item, keras.optimizers.Optimizer):
                found[id(item)] = item
    return list(found.values())


def scale_learning_rates(model, factor):
    for optimizer in model_optimizers(model):
        # convert_to_numpy: under a strategy the rate is a MirroredVariable, which float() refuses.
        rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate)) * factor
        try:
            optimizer.learning_rate = rate
        except TypeError:  # Keras: a rate that follows a LearningRateSchedule cannot be set
            raise ValueError(
                f"--learning-rate-scale multiplies constant learning rates, and {model.variant}'s "
                f"follow a schedule set by its options (`tfgan-suite list --options "
                f"{model.variant}`); train without --learning-rate-scale.") from None


class RunCheckpoint(keras.callbacks.BackupAndRestore):
    """BackupAndRestore with `double_checkpoint`'s promise kept under a kill at any moment.

    Keras's own double checkpoint copies the last weights aside and then overwrites them in place,
    and writes the epoch number in a second file afterwards: a kill between the two resumes the
    weights of epoch k+1 as if they were epoch k's. Here each checkpoint is a directory
    (`epoch-NNNNNN/`: the weights with the optimizers' state, and the metadata) written under a
    temporary name and renamed into place, and the previous one is deleted only after that: a
    kill leaves the new checkpoint or the previous one, complete. The metadata also records the
    learning-rate scale the weights were trained with, so a resume can change it.
    """

    def __init__(self, directory, learning_rate_scale=1.0, initial_scale=1.0):
        super().__init__(str(directory), double_checkpoint=True, delete_checkpoint=False)
        self.directory = Path(directory)
        self.learning_rate_scale = learning_rate_scale
        self.initial_scale = initial_scale  # the rates' scale if no checkpoint is restored

    def checkpoints(self):
        """Complete checkpoints, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob("epoch-*") if p.is_dir())

    def latest_epoch(self):
        """The epoch the newest readable checkpoint ends (0 if there is none)."""
        for checkpoint in reversed(self.checkpoints()):
            try:
                return json.loads((checkpoint / "training_metadata.json").read_text())["epoch"]
            except (OSError, ValueError, KeyError):
                continue
        return 0

    def _use(self, checkpoint):
        self._weights_path = str(checkpoint / "latest.weights.h5")
        self._training_metadata_path = str(checkpoint / "training_metadata.json")

    def on_train_begin(self, logs=None):
        restored_scale = self.initial_scale
        for checkpoint in reversed(self.checkpoints()):
            self._use(checkpoint)
            try:
                self._load_model()
                metadata = json.loads(Path(self._training_metadata_path).read_text())
            except (OSError, ValueError, KeyError):
                continue  # unreadable (a damaged disk): the previous checkpoint then
            restored_scale = metadata.get("learning_rate_scale", 1.0)
            break
        if self.learning_rate_scale != restored_scale:
            scale_learning_rates(self.model, self.learning_rate_scale / restored_scale)

    def _save_model(self):
        checkpoint = self.directory / f"epoch-{self._current_epoch:06d}"
        partial = self.directory / f".partial-{checkpoint.name}"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        self._use(partial)
        self.model.save_weights(self._weights_path)
        (partial / "training_metadata.json").write_text(json.dumps({
            "epoch": self._current_epoch, "batch": self._last_batch_seen,
            "learning_rate_scale": self.learning_rate_scale}))
        shutil.rmtree(checkpoint, ignore_errors=True)
        os.replace(partial, checkpoint)
        for old in self.checkpoints()[:-2]:  # keep this one and the previous one
            shutil.rmtree(old)


class StopOnNaN(keras.callbacks.Callback):
    """Stops a run whose losses are no longer finite, before anything saves the broken weights.

    Raising (rather than `stop_training`) skips the epoch-end checkpoint, so the last good one stays
    in place for `--resume`. The message says whether there is one and what to run next.
    """

    def __init__(self, checkpoint, command="tfgan-suite train ..."):
        super().__init__()
        self.checkpoint = checkpoint
        self.command = command
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = {k: v for k, v in (logs or {}).items() if not np.all(np.isfinite(np.asarray(v)))}
        if not bad:
            return
        lower = self.checkpoint.learning_rate_scale / 2
        last_good = self.checkpoint.latest_epoch()
        if last_good:
            advice = (f"The last good checkpoint (end of epoch {last_good}) is kept in "
                      f"{self.checkpoint.directory}: continue from it with lower learning rates, "
                      f"`{self.command} --resume --learning-rate-scale {lower:g}`")
        else:
            advice = (f"No checkpoint was written before it (none is written before the end of "
                      f"epoch 1): start again with lower learning rates, "
                      f"`{self.command} --overwrite --learning-rate-scale {lower:g}`")
        raise TrainingDiverged(
            f"Training diverged at epoch {self.epoch + 1}, step {batch + 1}: "
            f"{', '.join(sorted(bad))} became {list(bad.values())[0]}. {advice}, or start again "
            f"with other variant options (--overwrite --set KEY=VALUE; `tfgan-suite list --options "
            f"VARIANT` lists them).")


def _translation_grid(data, domains, out, writer, manual_dir, data_dir, data_options,
                      num_images=8):
    """(input, translation, reconstruction) triples of the first images of each domain, per epoch,
    in `samples/` and TensorBoard."""
    examples, _ = load_dataset(data, num_images, domains=domains, shuffle=False,
                               manual_dir=manual_dir, data_dir=data_dir, **data_options)
    images_a, images_b = next(iter(examples))
    return TranslationGrid(out / "samples", images_a.numpy(), images_b.numpy(), writer)


def _input_picture(data, out, writer, manual_dir, data_dir, data_options, num_images=8):
    examples, _ = load_dataset(data, num_images, shuffle=False, manual_dir=manual_dir,
                               data_dir=data_dir, **data_options)
    return InputPicture(out / "samples", next(iter(examples)).numpy(), writer)


class KeepBest(keras.callbacks.Callback):
    """`best.keras` beside `model.keras`: the model of the evaluated epoch with the lowest
    `metric` (FID) so far, saved (under another name, then renamed) when an evaluation beats it.
    Its training_info records the figure; a resumed run reads it back, so it never replaces an
    earlier session's better model."""

    def __init__(self, out, metric, training_info):
        super().__init__()
        self.out = Path(out)
        self.metric = metric
        self.training_info = training_info  # (epochs, metrics) -> the info saved with the model

    def on_train_begin(self, logs=None):
        best = saved_training_info(self.out, BEST_MODEL_FILE).get("best", {})
        self.best = best.get("value", math.inf) if best.get("metric") == self.metric else math.inf

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.metric)
        if value is None or not float(value) < self.best:
            return
        self.best = float(value)
        metrics = {name: as_float(value)
                   for name, value in metrics_that_ran(self.model, logs).items()}
        self.model.training_info = {
            **self.training_info(epoch + 1, metrics),
            "best": {"metric": self.metric, "value": self.best, "epoch": epoch + 1}}
        partial = self.out / "best.partial.keras"  # Keras wants the .keras suffix
        self.model.save(partial)
        os.replace(partial, self.out / BEST_MODEL_FILE)


def saved_training_info(out, name=MODEL_FILE):
    """`training_info` of the run saved in `out/model.keras` (or `name`; {} if none), read from
    its config without TensorFlow."""
    try:
        with zipfile.ZipFile(Path(out) / name) as archive:
            return dict(json.loads(archive.read("config.json"))["config"]["training_info"])
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile):
        return {}


def finished_epochs(out):
    """Epochs of the run saved in `out/model.keras` (0 if none)."""
    return int(saved_training_info(out).get("epochs", 0))


def run_status(out):
    """"none", "finished" (model.keras and no newer checkpoint) or "interrupted"."""
    out = Path(out)
    if not any((out / name).exists() for name in (RUN_FILE, MODEL_FILE, BACKUP_DIR)):
        return "none"
    saved = finished_epochs(out)
    if saved and RunCheckpoint(out / BACKUP_DIR).latest_epoch() <= saved:
        return "finished"
    return "interrupted"


def _check_positive(**values):
    for name, value in values.items():
        if value is not None and not value > 0:
            flag = "--" + name.replace("_", "-")
            raise ValueError(f"{flag} must be positive; got {value}.")


def _epochs(n):
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def _check_writable(out):
    existing = next(p for p in (out, *out.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        what = "is not a directory" if not existing.is_dir() else "is not writable"
        raise PermissionError(f"Cannot write the run to --out {out}: {existing} {what}. Choose a "
                              "directory you can write to.")


def _foreign_files(out):
    """What `out` holds besides a run's own files (and the partial ones a kill may leave)."""
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir() if p.name not in RUN_OUTPUTS
                  and not p.name.endswith((".partial", ".partial.keras")))


def stored_epochs(out):
    """The --epochs the run in `out` was last started with (run.json), None if unknown."""
    try:
        return int(json.loads((Path(out) / RUN_FILE).read_text())["epochs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _check_run_directory(out, arguments, resume, overwrite):
    """Checks what `out` holds against `resume`/`overwrite` (nothing is written yet: a run that
    fails on its data leaves no trace); returns the epoch training starts from (0 for a new run)."""
    _check_writable(out)
    status = run_status(out)
    if resume and overwrite:
        raise ValueError("--resume continues the run in --out and --overwrite discards it: give one.")
    if status == "none" and not resume and _foreign_files(out):
        # --overwrite discards a run's files only: never a folder's unrelated content.
        found = _foreign_files(out)
        raise FileExistsError(
            f"--out {out} is a folder holding other files ({', '.join(found[:3])}"
            f"{', ...' if len(found) > 3 else ''}) and no run: choose a new or empty folder.")
    if status != "none" and not (resume or overwrite):
        if status == "finished":
            raise FileExistsError(
                f"{out} holds a finished run ({_epochs(finished_epochs(out))}, {out / MODEL_FILE}). "
                "Pass --overwrite to replace it, --resume with more --epochs to continue it, or "
                "choose another --out.")
        raise FileExistsError(
            f"{out} holds an interrupted run. Pass --resume to continue it, --overwrite to discard "
            "it, or choose another --out.")
    if not resume:
        return 0
    if status == "none":
        raise FileNotFoundError(f"There is no run to resume in {out}; drop --resume to start one.")
    try:
        stored = json.loads((out / RUN_FILE).read_text())
    except (OSError, ValueError):
        raise ValueError(f"{out / RUN_FILE} is missing or unreadable, so the run's arguments are "
                         "unknown: --overwrite starts a new run there.") from None
    differences = arguments.differences(stored)
    if differences:
        raise ValueError(f"--resume must continue the run in {out} as it was started: "
                         f"{'; '.join(differences)}. Give the run's values, or --overwrite.")
    start_epoch = max(finished_epochs(out), RunCheckpoint(out / BACKUP_DIR).latest_epoch())
    if start_epoch > arguments.epochs:
        raise ValueError(f"The run in {out} has {_epochs(start_epoch)} already, more than --epochs "
                         f"{arguments.epochs}: pass --epochs {start_epoch} or more.")
    return start_epoch


def _evaluation(model, data, info, every, num_images, manual_dir, data_dir, data_options, domains):
    """The evaluation callback of `--eval-every`, on `num_images` images of the training data
    (shuffled with seed 0, as the run's pictures load them) with the extractor that fits the data
    (`extractor_for_data`). A generator: FID and KID of as many samples (fixed seeds), and for a
    conditional model on a shipped classifier's own dataset its class accuracy. A translator: FID
    of each direction's translations against the other domain and the cycle error (on the
    embedded style pair's test split also the error against the true translation and the class
    accuracy). SRGAN: PSNR and FID of its upscaling of the images downsampled. Prepared here, so a
    missing extractor fails before the run starts. Returns (the callback, the name of the FID
    that `best.keras` minimises)."""
    if not any(hasattr(model, kind) for kind in ("sample", "translate", "upscale")) or len(
            info.image_shape) != 3:
        raise ValueError(f"--eval-every evaluates models that make images; a {model.variant} "
                         f"model {'makes points' if hasattr(model, 'sample') else 'scores them'}"
                         f": evaluate it with `tfgan-suite evaluate` or `score` instead.")
    examples, _ = load_dataset(data, min(num_images, info.num_examples), shuffle=True, seed=0,
                               manual_dir=manual_dir, data_dir=data_dir, domains=domains,
                               **data_options)
    examples = next(iter(examples))
    extractor = extractor_for_data(data, info.image_shape)
    if hasattr(model, "translate"):
        reference = (data if data == STYLE_PAIR
                     else tuple(images.numpy() for images in examples))
        evaluation = TranslationEvaluationCallback(
            reference, extractor, every_n_epochs=every, num_images=num_images,
            batch_size=min(num_images, 500))
        fid = f"FID[{extractor}]_a2b"
    elif hasattr(model, "upscale"):
        evaluation = SuperResolutionEvaluationCallback(
            examples.numpy(), extractor, every_n_epochs=every, batch_size=min(num_images, 500))
        fid = f"FID[{extractor}]"
    else:
        num_images = min(num_images, info.num_examples)
        conditional = getattr(model, "num_classes", None) is not None
        evaluation = EvaluationCallback(
            examples.numpy(), extractor=extractor, metrics=("fid", "kid"),
            every_n_epochs=every, num_samples=num_images, batch_size=min(num_images, 500),
            class_accuracy=conditional and data_classifier(data) == extractor)
        fid = f"FID[{extractor}]"
    evaluation.set_model(model)
    evaluation.prepare()
    return evaluation, fid


def _start_run(out, arguments, overwrite):
    """Discards the previous run with `overwrite`, then records this run's arguments."""
    if overwrite:
        for name in RUN_OUTPUTS:
            path = out / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write_text(out / RUN_FILE, json.dumps(dataclasses.asdict(arguments), indent=1))


def _worker_directory(out, resume):
    """The run directory of a multi-worker cluster's worker other than the chief: a temporary one,
    so that only the chief writes `out` while every worker runs the same saves (Keras's multi-worker
    guide), holding a copy of what a resume reads of the chief's run."""
    private = Path(tempfile.mkdtemp(prefix="tfgan-suite-worker-"))
    for name in (RUN_FILE, MODEL_FILE, BEST_MODEL_FILE, BACKUP_DIR, "history.csv") if resume else ():
        if (out / name).is_dir():
            shutil.copytree(out / name, private / name)
        elif (out / name).exists():
            shutil.copy2(out / name, private / name)
    return private


def _keep_history_before(path, epoch):
    """Drops the rows of epochs a resume trains again (logged after the last checkpoint)."""
    if not path.is_file():
        return
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    kept = rows[:1] + [row for row in rows[1:] if row and int(row[0]) < epoch]
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(kept)


def _last_logged(path):
    """{metric: value} of the last epoch in history.csv (resumed runs included), finite values only."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    metrics = {}
    for key, text in (rows[-1] if rows else {}).items():
        try:
            value = float(text)
        except (TypeError, ValueError):
            continue
        if key != "epoch" and math.isfinite(value):
            metrics[key] = value
    return metrics


def train(variant, data="mnist_embedded", epochs=None, batch_size=64, strategy="default", out="runs/run",
          resume=False, latent_dim=None, width=None, conditional=False, steps_per_epoch=None,
          seed=0, manual_dir=None, data_dir=None, verbose="auto", extra_callbacks=(), options=None,
          precision="fp32", learning_rate_scale=1.0, overwrite=False, command=None,
          data_options=None, log_every=None, eval_every=None, eval_samples=1000):
    """Trains `variant` on `data` with `fit` and returns the model; see the module docstring for `out`.

    `epochs` counts from the run's start (default: DEFAULT_EPOCHS, with `resume` the run's own);
    `options` are the variant's own (`tfgan-suite list --options VARIANT`); `precision` is "fp32",
    "bf16" or "fp16"; `learning_rate_scale` multiplies the paper's learning rates (and may change
    on `resume`); `command` is how the NaN message tells the user to rerun; `data_options` are
    `load_dataset`'s (split, image_size, resize, channels, flip, cache, image_key, label_key).
    `verbose` is "auto" (Keras's progress bar on a terminal, else "lines"), "lines" (`PlainLog`:
    a line per epoch, and one every `log_every` steps) or `fit`'s own 0, 1 or 2. `eval_every`
    evaluates every that many epochs (`_evaluation`) and keeps the best FID's model as
    best.keras (`KeepBest`).
    """
    out = Path(out)
    if epochs is None:
        epochs = (resume and stored_epochs(out)) or DEFAULT_EPOCHS
    _check_positive(epochs=epochs, batch_size=batch_size, steps_per_epoch=steps_per_epoch,
                    latent_dim=latent_dim, width=width, learning_rate_scale=learning_rate_scale,
                    log_every=log_every, eval_every=eval_every, eval_samples=eval_samples)
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else "lines"
    cls = get_variant(variant)
    options = dict(options or {})
    for name, value in (("latent_dim", latent_dim), ("width", width)):
        if value is not None:
            if options.get(name, value) != value:
                raise ValueError(f"--{name.replace('_', '-')} {value} and --set {name}="
                                 f"{options[name]} disagree: give one.")
            options[name] = value
    check_options(variant, cls, options)
    if precision not in PRECISIONS:
        raise ValueError(f"--precision must be one of {', '.join(PRECISIONS)}; got {precision!r}.")
    if precision != "fp32":
        # Passed only when mixed: a build without mixed precision still trains in float32.
        options["dtype_policy"] = PRECISIONS[precision]
    conditional = conditional or cls.requires_labels
    arguments = RunArguments(variant, str(data), batch_size, steps_per_epoch, seed, conditional,
                             {k: v for k, v in options.items() if k != "dtype_policy"}, precision,
                             epochs, learning_rate_scale, strategy)
    start_epoch = _check_run_directory(out, arguments, resume, overwrite)
    if resume and start_epoch == epochs and run_status(out) == "finished":
        # Nothing left to train (e.g. a job relaunched with --resume after a kill during the end).
        shutil.rmtree(out / BACKUP_DIR, ignore_errors=True)
        return keras.models.load_model(out / MODEL_FILE)
    strategy = make_strategy(strategy)
    chief = strategy.extended.should_checkpoint  # False on a multi-worker cluster's other workers
    if not chief:
        # Copied before the chief writes anything: it starts after the model is built, and
        # building it waits for every worker (the chief broadcasts the initial weights).
        out = _worker_directory(out, resume)
    # Before the data: the shuffle order depends on the global seed as well as its own.
    keras.utils.set_random_seed(seed)
    translates = cls.training_domains == 2
    domains = ("paired" if cls.paired else "unpaired") if translates else None
    takes_images = cls.input_kind == "image" and not translates  # SRGAN, GANomaly
    data_options = dict(data_options or {})
    # The pictures show the data as it is: neither flipped nor written to the training cache.
    picture_options = {k: v for k, v in data_options.items() if k not in ("flip", "cache")}
    dataset, info = load_dataset(data, batch_size, with_labels=conditional, strategy=strategy,
                                 seed=seed, manual_dir=manual_dir, data_dir=data_dir,
                                 domains=domains, **data_options)
    steps = steps_per_epoch or info.num_examples // batch_size
    # One endless stream of batches (reshuffled each pass, from the seed): a resumed run skips
    # what the run before it consumed and sees exactly the batches an uninterrupted run would.
    dataset = dataset.repeat().skip(start_epoch * steps)
    with strategy.scope():
        shapes = (dict(image_shape_b=info.image_shape_b) if translates else {} if takes_images
                  else dict(num_classes=info.num_classes if conditional else None))
        model = build_model(variant, image_shape=info.image_shape, seed=seed, **shapes, **options)
        model.compile()
    if learning_rate_scale != 1.0:
        scale_learning_rates(model, 1.0)  # changes nothing; fails on scheduled rates before the run
    checkpoint = RunCheckpoint(out / BACKUP_DIR, learning_rate_scale)
    if start_epoch and start_epoch == finished_epochs(out):  # continuing a finished run
        model.load_weights(out / MODEL_FILE)
        checkpoint.initial_scale = saved_training_info(out).get("learning_rate_scale", 1.0)

    def training_info(trained_epochs, final_metrics):
        """What a saved model records of its run (model.keras at the end, best.keras)."""
        return {
            "dataset": info.name, "image_shape": list(info.image_shape), "epochs": trained_epochs,
            "batch_size": batch_size, "steps": int(model.optimizer.iterations.numpy()),
            "learning_rate_scale": learning_rate_scale, "arguments": dataclasses.asdict(arguments),
            "final_metrics": final_metrics}

    # Before the run directory is written: a reference set or extractor that fails leaves no trace.
    evaluation, fid = (_evaluation(model, data, info, eval_every, eval_samples, manual_dir,
                                   data_dir, picture_options, domains)
                       if eval_every else (None, None))
    _start_run(out, arguments, overwrite)
    _keep_history_before(out / "history.csv", start_epoch)
    # One writer for the run's scalars, pictures and evaluations: one TensorBoard run, one file.
    writer = tf.summary.create_file_writer(str(out / "logs"))
    if evaluation is not None:
        evaluation.log_dir = writer
    callbacks = [
        StopOnNaN(checkpoint, command or f"tfgan-suite train {variant} --out {out}"),
        TensorBoardScalars(writer),
        _translation_grid(data, domains, out, writer, manual_dir, data_dir, picture_options)
        if translates else
        _input_picture(data, out, writer, manual_dir, data_dir, picture_options) if takes_images
        else SampleGrid(out / "samples", writer),
        # After the scalars (the evaluation writes its own), before the history and the line.
        *([evaluation, KeepBest(out, fid, training_info)] if evaluation else []),
        # The history row of an epoch is written before its checkpoint: a kill between the two
        # leaves a row that the resume drops (_keep_history_before) and logs again.
        HistoryFile(out / "history.csv"),
        *([PlainLog(log_every)] if verbose == "lines" else []),
        checkpoint,
        *model.training_callbacks(),  # the model's own schedule (BEGAN's stall halving)
        *extra_callbacks,
    ]
    # With a checkpoint at the last epoch (a kill while model.keras was written) `fit` only
    # restores it: no epoch is left to train.
    try:
        model.fit(dataset, epochs=epochs, initial_epoch=start_epoch, steps_per_epoch=steps,
                  callbacks=callbacks, verbose=0 if verbose == "lines" else verbose)
    finally:
        writer.close()
    model.training_info = training_info(epochs, _last_logged(out / "history.csv"))
    partial = out / "model.partial.keras"  # Keras wants the .keras suffix
    model.save(partial)
    os.replace(partial, out / MODEL_FILE)
    shutil.rmtree(out / BACKUP_DIR, ignore_errors=True)  # only now: model.keras is complete
    if not chief:
        shutil.rmtree(out)
    return model
