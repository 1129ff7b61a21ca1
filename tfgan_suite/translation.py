"""Scoring and showing image-to-image translations, per direction ("a2b": A -> B, "b2a").

- `cycle_errors`: the mean L1 between images and their round trip (a -> b -> a), any data;
- `style_pair_scores`: on the embedded `mnist_style_pair`, whose style map is known: the mean L1
  error against the true translation, and the shipped MNIST classifier's accuracy on translated
  digits (A -> B taken back to grey strokes by the known inverse, `two_domains.unstyle`): content
  kept, style changed. Reference rows: the identity (an untranslated input scored as its own
  translation, with grey A broadcast to 3 channels) and the truth itself;
- `triples_picture` and `TranslationGrid`: (input, translation, reconstruction) rows per epoch, a
  PNG in the run directory and an image in TensorBoard.
"""

import numpy as np

from serving.images import image_grid
from tfgan_suite import two_domains
from tfgan_suite.images import EpochPicture

OTHER = {"a2b": "b2a", "b2a": "a2b"}


def _batched(function, images, batch_size=500):
    return np.concatenate([function(images[i:i + batch_size])
                           for i in range(0, len(images), batch_size)])


def cycle_errors(model, images_a, images_b):
    """{"cycle_l1_a2b": mean |G_ba(G_ab(a)) - a|, "cycle_l1_b2a": ...} (images in [-1, 1])."""
    scores = {}
    for direction, images in (("a2b", images_a), ("b2a", images_b)):
        there = _batched(lambda x: model.translate(x, direction), images)
        back = _batched(lambda x: model.translate(x, OTHER[direction]), there)
        scores[f"cycle_l1_{direction}"] = float(np.abs(back - images).mean())
    return scores


def _as_channels(images, channels):
    return np.repeat(images, channels, axis=-1) if images.shape[-1] != channels else images


def style_pair_scores(model=None, num_images=2000):
    """Scores of `model` on the embedded pair's test digits (None: the identity reference):
    {"error_vs_truth_a2b", "error_vs_truth_b2a", "class_accuracy_a2b", "class_accuracy_b2a",
    "cycle_l1_a2b", "cycle_l1_b2a"} (cycle errors only for a model)."""
    from tfgan_suite.metrics.extractors import load_classifier

    digits, styled, labels = (x[:num_images] for x in two_domains.style_pair_arrays("test"))
    a, b = digits / 127.5 - 1.0, styled / 127.5 - 1.0
    if model is None:
        translated = {"a2b": _as_channels(a, 3), "b2a": b.mean(axis=-1, keepdims=True)}
    else:
        translated = {direction: _batched(lambda x: model.translate(x, direction), images)
                      for direction, images in (("a2b", a), ("b2a", b))}
    classifier = load_classifier("mnist")
    classify = lambda images: classifier.predict(images, batch_size=500, verbose=0).argmax(axis=1)
    scores = {
        "error_vs_truth_a2b": float(np.abs(translated["a2b"] - b).mean()),
        "error_vs_truth_b2a": float(np.abs(translated["b2a"] - a).mean()),
        "class_accuracy_a2b": float(np.mean(classify(two_domains.unstyle(translated["a2b"]))
                                            == labels)),
        "class_accuracy_b2a": float(np.mean(classify(translated["b2a"]) == labels)),
    }
    if model is not None:
        scores.update(cycle_errors(model, a, b))
    return scores


def triples_picture(model, images_a, images_b):
    """One uint8 picture: a row per image of (input, translation, reconstruction), the A -> B
    rows above the B -> A rows, grey images shown in 3 channels."""
    rows = []
    for direction, images in (("a2b", images_a), ("b2a", images_b)):
        there = model.translate(images, direction)
        back = model.translate(there, OTHER[direction])
        for triple in zip(images, there, back):
            rows.extend(_as_channels(image, 3) for image in triple)
    return image_grid(np.stack(rows), columns=3)


class TranslationGrid(EpochPicture):
    """After every epoch, `triples_picture` on fixed images of each domain (`EpochPicture`:
    `directory/epoch_NNN.png`, with `log_dir` the TensorBoard image "translations")."""

    tag = "translations"

    def __init__(self, directory, images_a, images_b, log_dir=None):
        super().__init__(directory, log_dir)
        self.images = (np.asarray(images_a, np.float32), np.asarray(images_b, np.float32))

    def picture(self):
        return triples_picture(self.model, *self.images)