"""Scoring and showing image-to-image translations, per direction ("a2b": A -> B, "b2a").

- `evaluate_translation` / `TranslationEvaluator` (any data): per direction, FID[extractor] and
  the other chosen metrics of the translations against the real images of the TARGET domain (A -> B
  translations against real B, B -> A against real A), and the cycle L1 error (`cycle_errors`);
  given the digits' labels of the embedded pair's test split, also `style_pair_scores`' truth rows;
- `cycle_errors`: the mean L1 between images and their round trip (a -> b -> a), any data;
- `style_pair_scores`: on the embedded `mnist_style_pair`, whose style map is known: the mean L1
  error against the true translation, and the shipped MNIST classifier's accuracy on translated
  digits (A -> B taken back to grey strokes by the known inverse, `two_domains.unstyle`): content
  kept, style changed. Reference rows: the identity (`IdentityTranslator`, an untranslated input
  scored as its own translation) and the truth itself (`KnownStyleMap`);
- `triples_picture` and `TranslationGrid`: (input, translation, reconstruction) rows per epoch, a
  PNG in the run directory and an image in TensorBoard.

An extractor of grey images (the shipped "mnist-classifier") sees a 3-channel domain converted to
grey by `tf.image.rgb_to_grayscale` (luma, ITU-R BT.601), real and translated images alike:
this works for any coloured domain, and it keeps what the style changes (a background, stroke
brightness), which FID in the target domain must see. The embedded pair's inverse (`unstyle`)
would not do: it maps a translation that left the digit grey onto real-looking digits, hiding a
missing style; it serves only the content check (class accuracy).
"""

import numpy as np
import tensorflow as tf

from tfgan_suite.data import two_domains
from tfgan_suite.data import scale_images
from tfgan_suite.metrics.evaluate import batched, compute_metrics, parse_metrics
from tfgan_suite.metrics.extractors import get_extractor

OTHER = {"a2b": "b2a", "b2a": "a2b"}  # the opposite direction


def translate_both(model, images_a, images_b, batch_size=500):
    """{"a2b": model's translations of `images_a`, "b2a": of `images_b`}, batch by batch."""
    return {direction: batched(lambda x: model.translate(x, direction), images, batch_size)
            for direction, images in (("a2b", images_a), ("b2a", images_b))}


def _cycle_errors(model, inputs, translated, batch_size=500):
    return {f"cycle_l1_{direction}": float(np.abs(
                batched(lambda x: model.translate(x, OTHER[direction]), there, batch_size)
                - inputs[direction]).mean())
            for direction, there in translated.items()}


def cycle_errors(model, images_a, images_b):
    """{"cycle_l1_a2b": mean |G_ba(G_ab(a)) - a|, "cycle_l1_b2a": ...} (images in [-1, 1])."""
    return _cycle_errors(model, {"a2b": images_a, "b2a": images_b},
                         translate_both(model, images_a, images_b))


def as_channels(images, channels):
    return np.repeat(images, channels, axis=-1) if images.shape[-1] != channels else images


class IdentityTranslator:
    """The reference that translates nothing: an input returned as its own translation, only its
    channels matched to the target domain's (grey broadcast to RGB, RGB averaged to grey)."""

    def __init__(self, channels_a=1, channels_b=3):
        self.channels = {"a2b": channels_b, "b2a": channels_a}

    def translate(self, images, direction="a2b"):
        images = np.asarray(images, np.float32)
        if images.shape[-1] == self.channels[direction]:
            return images
        if self.channels[direction] == 1:
            return images.mean(axis=-1, keepdims=True)
        return as_channels(images, self.channels[direction])


class KnownStyleMap:
    """The embedded pair's true translator: A -> B is `two_domains.style_digits`, B -> A its
    inverse `two_domains.unstyle` (images in [-1, 1])."""

    def translate(self, images, direction="a2b"):
        images = np.asarray(images, np.float32)
        if direction == "b2a":
            return two_domains.unstyle(images)
        digits = np.round((images + 1.0) * 127.5).astype(np.uint8)
        return two_domains.style_digits(digits).astype(np.float32) / 127.5 - 1.0


def _truth_scores(translated, a, b, labels):
    """Errors against the known style map and class accuracies, `b` being the true styles of the
    digits `a` of class `labels`."""
    # The shipped MNIST classifier, built once per process as the "mnist-classifier" extractor.
    classifier = get_extractor("mnist-classifier")
    classify = lambda images: classifier.extract(images)[1].argmax(axis=1)
    return {
        "error_vs_truth_a2b": float(np.abs(translated["a2b"] - b).mean()),
        "error_vs_truth_b2a": float(np.abs(translated["b2a"] - a).mean()),
        "class_accuracy_a2b": float(np.mean(classify(two_domains.unstyle(translated["a2b"]))
                                            == labels)),
        "class_accuracy_b2a": float(np.mean(classify(translated["b2a"]) == labels)),
    }


def style_pair_test_images(num_images=2000):
    """(A, B, labels): the first `num_images` digits of the embedded pair's test split in [-1, 1],
    B the true styles of A."""
    digits, styled, labels = (x[:num_images] for x in two_domains.style_pair_arrays("test"))
    return digits / 127.5 - 1.0, styled / 127.5 - 1.0, labels


def style_pair_scores(model=None, num_images=2000):
    """Scores of `model` on the embedded pair's test digits (None: `IdentityTranslator`):
    {"error_vs_truth_a2b", "error_vs_truth_b2a", "class_accuracy_a2b", "class_accuracy_b2a",
    "cycle_l1_a2b", "cycle_l1_b2a"}."""
    a, b, labels = style_pair_test_images(num_images)
    model = IdentityTranslator() if model is None else model
    translated = translate_both(model, a, b)
    return {**_truth_scores(translated, a, b, labels),
            **_cycle_errors(model, {"a2b": a, "b2a": b}, translated)}


class TranslationEvaluator:
    """Scores translators on fixed images of both domains; the real images' features are
    extracted once, so a callback can call it every epoch.

    `evaluator(model)` -> {"<metric>[<extractor>]_a2b": ..., "cycle_l1_a2b": ..., and the same
    for "b2a"}: the metrics (a subset of `metrics.evaluate.METRICS`) of the A -> B translations
    against the real B images, and of B -> A against real A. With `labels` (the digits of
    `images_a`, whose true styles are `images_b`: the embedded pair's test split,
    `style_pair_test_images`), also the error against the truth and the class accuracy per
    direction.
    """

    def __init__(self, images_a, images_b, extractor="mnist-classifier", metrics=("fid",),
                 labels=None, batch_size=500):
        self.images = {"a2b": np.asarray(images_a, np.float32),
                       "b2a": np.asarray(images_b, np.float32)}
        self.metrics = parse_metrics(metrics)
        self.extractor = get_extractor(extractor) if isinstance(extractor, str) else extractor
        self.labels = labels
        self.batch_size = batch_size
        # The target domain's real images: B for A -> B, A for B -> A.
        self.real_features = {direction: self._features(self.images[OTHER[direction]])[0]
                              for direction in self.images}

    @classmethod
    def from_source(cls, source, split="test", num_images=1000, extractor="mnist-classifier",
                    metrics=("fid",), batch_size=500, manual_dir=None, data_dir=None):
        """The evaluator of up to `num_images` images per domain of a two-domain source
        (`two_domains.domain_arrays`); on the embedded pair's test split, with the labels."""
        images_a, images_b, _ = two_domains.domain_arrays(source, split, manual_dir=manual_dir,
                                                          data_dir=data_dir)
        num = min(num_images, len(images_a), len(images_b))
        # The embedded pair's test split holds each digit in both styles: the truth is known.
        labels = (two_domains.style_pair_arrays("test")[2][:num]
                  if (str(source), split) == (two_domains.STYLE_PAIR, "test") else None)
        return cls(scale_images(images_a[:num]).numpy(), scale_images(images_b[:num]).numpy(),
                   extractor, metrics, labels, batch_size)

    @property
    def num_images(self):
        return len(self.images["a2b"])

    def _features(self, images):
        wanted = self.extractor.image_shape
        if wanted and wanted[-1] == 1 and images.shape[-1] == 3:
            images = tf.image.rgb_to_grayscale(images).numpy()  # luma, ITU-R BT.601
        return self.extractor.extract(images, batch_size=self.batch_size)

    def __call__(self, model):
        translated = translate_both(model, self.images["a2b"], self.images["b2a"],
                                    self.batch_size)
        scores = {}
        for direction, images in translated.items():
            features, logits = self._features(images)
            metrics = compute_metrics(self.real_features[direction], features, logits,
                                      self.extractor.name, self.metrics)
            scores.update({f"{name}_{direction}": value for name, value in metrics.items()})
        scores.update(_cycle_errors(model, self.images, translated, self.batch_size))
        if self.labels is not None:
            scores.update(_truth_scores(translated, self.images["a2b"], self.images["b2a"],
                                        self.labels))
        return scores


def evaluate_translation(model, images_a, images_b, extractor="mnist-classifier",
                         metrics=("fid",), labels=None, batch_size=500):
    """`TranslationEvaluator(images_a, images_b, ...)(model)`: per direction, the metrics in the
    target domain and the cycle L1 error (and the truth scores with `labels`)."""
    return TranslationEvaluator(images_a, images_b, extractor, metrics, labels, batch_size)(model)
