"""Keras callbacks for `fit`: evaluate the generator (`EvaluationCallback`), the image-to-image
translator (`TranslationEvaluationCallback`) or the super-resolution model
(`SuperResolutionEvaluationCallback`) every N epochs."""

import keras
import numpy as np
import tensorflow as tf

from tfgan_suite.metrics.evaluate import (METRICS, batched, compute_metrics, evaluate_images,
                                         mean_psnr, parse_metrics, sample_batches)
from tfgan_suite.metrics.extractors import get_extractor
from tfgan_suite.metrics.reference import reference_features


def _kind(model):
    return getattr(model, "variant", None) or type(model).__name__


class WritesSummaries(keras.callbacks.Callback):
    """A callback writing TensorBoard summaries to `log_dir`: a folder (a writer of its own, made
    at the first summary and closed when training ends), a `tf.summary` writer that its owner
    shares among callbacks and closes, or None (no summaries). A training run shares one: each
    writer is an event file, and TensorBoard follows only the newest event file of a growing run
    (tensorboard --reload_multifile), so a second writer's summaries would not show live."""

    def __init__(self, log_dir=None):
        super().__init__()
        self.log_dir = log_dir
        self._own_writer = None

    def summary_writer(self):
        if self.log_dir is None or isinstance(self.log_dir, tf.summary.SummaryWriter):
            return self.log_dir
        if self._own_writer is None:
            self._own_writer = tf.summary.create_file_writer(str(self.log_dir))
        return self._own_writer

    def on_train_end(self, logs=None):
        if self._own_writer is not None:
            self._own_writer.close()
            self._own_writer = None


class EvaluationCallback(WritesSummaries):
    """Every `every_n_epochs` epochs: draw `num_samples` images with `model.sample(n, seed=...)`,
    compute the chosen metrics against real data, and add them to the epoch's `logs` (so History
    records them) and, with `log_dir` (a folder or a shared writer, `WritesSummaries`), to
    TensorBoard under "evaluation/<metric>[<extractor>]" at step epoch + 1 (the epochs trained).

    Args:
      reference: the real data: "mnist_embedded" (default), a TFDS name, a .npz / image folder,
        or an array of real images in [-1, 1]. Its features are extracted once, at the start of training (and
        cached on disk as .npz for datasets, see `reference.reference_features`).
      split, num_reference, data_dir, manual_dir, cache_dir: how to load a dataset `reference`.
      extractor: a name from `extractors.available_extractors()`.
      metrics: a subset of ("fid", "kid", "is", "pr").
      num_samples: generated images per evaluation, drawn in batches of `batch_size` with the
        fixed seeds seed, seed + 1, ... so successive evaluations see the same latents.
      class_accuracy: for a conditional model and an extractor that classifies the data's own
        classes (a shipped classifier on its dataset), also "class_accuracy[<extractor>]": the
        share of samples of each label (0, 1, ... in turn) that the extractor puts in that class.
    """

    def __init__(self, reference="mnist_embedded", extractor="mnist-classifier", metrics=METRICS,
                 every_n_epochs=1, num_samples=1000, seed=0, batch_size=500, log_dir=None, split="test",
                 num_reference=10000, data_dir=None, manual_dir=None, cache_dir=None,
                 class_accuracy=False):
        super().__init__(log_dir)
        if every_n_epochs < 1:
            raise ValueError(f"every_n_epochs must be >= 1; got {every_n_epochs}")
        self.metrics = parse_metrics(metrics)
        self.extractor_name = extractor
        self.reference = reference
        self.every_n_epochs = every_n_epochs
        self.num_samples = num_samples
        self.seed = seed
        self.batch_size = batch_size
        self.class_accuracy = class_accuracy
        self._reference_options = dict(split=split, num=num_reference, data_dir=data_dir,
                                       manual_dir=manual_dir, cache_dir=cache_dir)
        self._real_features = None

    def on_train_begin(self, logs=None):
        self.prepare()

    def prepare(self):
        """Checks the model and extracts the real data's features, once."""
        if not hasattr(self.model, "sample"):
            raise ValueError(f"EvaluationCallback evaluates generators that sample; this "
                             f"{_kind(self.model)} model does not (a translator takes "
                             "TranslationEvaluationCallback)")
        extractor = get_extractor(self.extractor_name)
        model_shape = tuple(getattr(self.model, "image_shape", None) or ())
        if extractor.image_shape and model_shape and model_shape != tuple(extractor.image_shape):
            # Fail before the first epoch rather than after it.
            raise ValueError(f"extractor {extractor.name!r} takes images of shape {tuple(extractor.image_shape)}, "
                             f"but this model makes {model_shape}; pick another extractor")
        classes = getattr(self.model, "num_classes", None)
        if self.class_accuracy and classes != extractor.num_classes:
            raise ValueError(f"class_accuracy needs a conditional model of the extractor's "
                             f"{extractor.num_classes} classes; this {_kind(self.model)} model has "
                             f"{classes or 'none'}")
        if self._real_features is None:
            if isinstance(self.reference, np.ndarray):
                self._real_features, _ = extractor.extract(self.reference, batch_size=self.batch_size)
            else:
                self._real_features, _ = reference_features(
                    self.reference, extractor=extractor, batch_size=self.batch_size, **self._reference_options
                )

    def evaluate(self):
        """{metric name: value} of the model now."""
        if not self.class_accuracy:
            images = sample_batches(lambda n, seed: self.model.sample(n, seed=seed),
                                    self.num_samples, self.batch_size, self.seed)
            return evaluate_images(images, self._real_features, self.extractor_name,
                                   self.metrics, self.batch_size)
        labels = []

        def sample(n, seed):
            labels.append(np.arange(n) % self.model.num_classes)
            return self.model.sample(n, labels=labels[-1], seed=seed)

        extractor = get_extractor(self.extractor_name)
        features, logits = extractor.extract(
            sample_batches(sample, self.num_samples, self.batch_size, self.seed))
        results = compute_metrics(self._real_features, features, logits, extractor.name,
                                  self.metrics)
        results[f"class_accuracy[{extractor.name}]"] = float(
            np.mean(np.argmax(logits, axis=-1) == np.concatenate(labels)))
        return results

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        results = self.evaluate()
        if logs is not None:
            logs.update(results)  # the same dict reaches History, which keras calls after us
        writer = self.summary_writer()
        if writer is not None:
            with writer.as_default(step=epoch + 1):
                for name, value in results.items():
                    tf.summary.scalar(f"evaluation/{name}", value)
            writer.flush()


class TranslationEvaluationCallback(EvaluationCallback):
    """`EvaluationCallback` for image-to-image models: every `every_n_epochs` epochs, the
    translation metrics of `translation.TranslationEvaluator` on `num_images` fixed images per
    domain of the two-domain `reference` (per direction "<metric>[<extractor>]_a2b" in the target
    domain, "cycle_l1_a2b", and on the embedded pair's test split "error_vs_truth_a2b" and
    "class_accuracy_a2b"; the same for "b2a"), into `logs` / History and TensorBoard.
    """

    def __init__(self, reference="mnist_style_pair", extractor="mnist-classifier", metrics=("fid",),
                 every_n_epochs=1, num_images=1000, batch_size=500, log_dir=None, split="test",
                 data_dir=None, manual_dir=None):
        super().__init__(reference, extractor, metrics, every_n_epochs, batch_size=batch_size,
                         log_dir=log_dir, split=split, data_dir=data_dir, manual_dir=manual_dir)
        self.num_images = num_images
        self._evaluator = None

    def prepare(self):
        """`reference`: a two-domain source (`two_domains.domain_arrays`), or (images A, images B)
        arrays in [-1, 1]."""
        if not hasattr(self.model, "translate"):
            raise ValueError(f"TranslationEvaluationCallback evaluates image-to-image models; "
                             f"this {_kind(self.model)} model does not translate (a generator "
                             "takes EvaluationCallback)")
        if self._evaluator is None:
            from tfgan_suite.metrics.translation import TranslationEvaluator

            options = self._reference_options
            if isinstance(self.reference, tuple):
                self._evaluator = TranslationEvaluator(
                    *(images[:self.num_images] for images in self.reference),
                    self.extractor_name, self.metrics, batch_size=self.batch_size)
            else:
                self._evaluator = TranslationEvaluator.from_source(
                    self.reference, options["split"], self.num_images, self.extractor_name,
                    self.metrics, self.batch_size, options["manual_dir"], options["data_dir"])

    def evaluate(self):
        return self._evaluator(self.model)


class SuperResolutionEvaluationCallback(EvaluationCallback):
    """`EvaluationCallback` for super-resolution models (SRGAN): every `every_n_epochs` epochs,
    the model upscales its own bicubic downsampling of the `reference` images (an array in
    [-1, 1]); logs the PSNR of the result against them ("psnr", dB, `tf.image.psnr` over the
    range of 2) and its FID against them ("FID[<extractor>]"), into `logs` / History and
    TensorBoard. The metric of Ledig et al. 2017 (sec. 3.3: PSNR, and a perceptual measure, as
    SRGAN trades PSNR for realism)."""

    def __init__(self, reference, extractor="mnist-classifier", every_n_epochs=1, batch_size=500,
                 log_dir=None):
        super().__init__(np.asarray(reference, np.float32), extractor, ("fid",), every_n_epochs,
                         batch_size=batch_size, log_dir=log_dir)
        self._low_res = None

    def prepare(self):
        if not hasattr(self.model, "upscale"):
            raise ValueError(f"SuperResolutionEvaluationCallback evaluates super-resolution "
                             f"models; this {_kind(self.model)} model does not upscale")
        if self._real_features is None:
            self._real_features, _ = get_extractor(self.extractor_name).extract(
                self.reference, batch_size=self.batch_size)
            self._low_res = batched(lambda x: np.asarray(self.model.downsample(x)),
                                    self.reference, self.batch_size)

    def evaluate(self):
        upscaled = batched(self.model.upscale, self._low_res, self.batch_size)
        results = evaluate_images(upscaled, self._real_features, self.extractor_name,
                                  self.metrics, self.batch_size)
        results["psnr"] = mean_psnr(upscaled, self.reference)
        return results
