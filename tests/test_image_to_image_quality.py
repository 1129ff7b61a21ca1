"""The image-to-image variants' quality bar on the embedded MNIST style pair, `StylePairBar`: in
each direction the digit kept (the shipped MNIST classifier's accuracy on translations) AND the
style made (the error against the true translation well below that of the constant mean image).
Both are needed: the identity map keeps the B -> A digit, and the mean image is nearer the truth
than an untrained model, but neither passes both. Each test shows the untrained model, the
identity and the mean image failing.

CycleGAN trains by `tfgan_suite.training.train` as the CLI does (two epochs of 150 steps of 16,
width 16; the second a `--resume` of the first) and is also held to its cycle (L1 well below
the untrained model's), its history pool carried over by the resume and a (input, translation,
reconstruction) grid per epoch. Measured in two runs of this test: class accuracy 0.97-0.98
(A -> B -> inverse) and 0.98 (B -> A); error vs truth 0.088-0.091 / 0.107-0.122 (the bar, 0.75 x
the mean image's: 0.157 / 0.230; untrained 0.61 / 0.85); cycle L1 0.071-0.078 / 0.073-0.077,
the untrained model's 0.85 / 0.61.

pix2pix (on paired digits), DiscoGAN and DualGAN (unpaired) train the same way for one epoch.
"""

import functools

import keras
import numpy as np
import pytest

import tfgan_suite
from tfgan_suite.data import two_domains
from tfgan_suite.training import train
from tfgan_suite.metrics.translation import style_pair_scores

RUN = dict(data="mnist_style_pair", steps_per_epoch=150, batch_size=16, width=16, verbose=0)


class PoolAtStart(keras.callbacks.Callback):
    """Records the pools as `fit` starts (after the resume restored the model)."""

    def on_train_begin(self, logs=None):
        self.pools = {domain: (int(pool.count), pool.images.numpy().copy())
                      for domain, pool in self.model.pools.items()}


@pytest.mark.slow
@pytest.mark.quality(variant="cyclegan")
def test_cyclegan_translates_the_style_pair_keeping_the_digit(tmp_path):
    keras.utils.set_random_seed(1)
    untrained = tfgan_suite.build_model("cyclegan", image_shape=(28, 28, 1),
                                        image_shape_b=(28, 28, 3), width=16)
    first = train("cyclegan", epochs=1, out=tmp_path / "run", **RUN)
    pools_after_first = {domain: pool.images.numpy().copy() for domain, pool in first.pools.items()}
    at_resume = PoolAtStart()
    model = train("cyclegan", epochs=2, out=tmp_path / "run", resume=True,
                  extra_callbacks=[at_resume], **RUN)
    for domain, images in pools_after_first.items():
        assert at_resume.pools[domain][0] == 50
        np.testing.assert_array_equal(at_resume.pools[domain][1], images)
    assert int(model.steps_taken) == 300

    scores = StylePairBar().check(model, untrained)
    for direction in ("a2b", "b2a"):
        cycle = f"cycle_l1_{direction}"
        assert scores["trained"][cycle] * 4 < scores["untrained"][cycle], scores
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == [
        "epoch_001.png", "epoch_002.png"]


class MeanImageTranslator:
    """A translator broken on purpose: whatever its input, the mean training image of the target
    domain (a generator collapsed to one image, and the constant nearest the truth on average)."""

    def __init__(self):
        digits, styled, _ = two_domains.style_pair_arrays("train")
        self.images = {"a2b": styled.mean(axis=0) / 127.5 - 1.0,
                       "b2a": digits.mean(axis=0) / 127.5 - 1.0}

    def translate(self, images, direction="a2b"):
        return np.repeat(self.images[direction][None], len(images), axis=0).astype(np.float32)


@functools.cache
def fixed_translator_scores():
    """`style_pair_scores` of the identity map and of the mean image, once per process."""
    return {"identity": style_pair_scores(None),
            "mean image": style_pair_scores(MeanImageTranslator())}


class StylePairBar:
    """The image-to-image bar on the embedded style pair (issue 29), in both directions: the
    shipped MNIST classifier reads the translated digit (`class_accuracy` >= `min_accuracy`), and
    the translation is within `error_factor` x the mean image's error of the true one
    (`error_vs_truth`). `check` also asserts that the untrained model, the identity map and the
    mean image fail it."""

    def __init__(self, min_accuracy=0.9, error_factor=0.75):
        self.min_accuracy, self.error_factor = min_accuracy, error_factor

    def failures(self, scores):
        """What `scores` (`style_pair_scores`) miss of the bar: [] if they pass."""
        mean_image = fixed_translator_scores()["mean image"]
        missed = []
        for direction in ("a2b", "b2a"):
            accuracy, error = (scores[f"class_accuracy_{direction}"],
                               scores[f"error_vs_truth_{direction}"])
            bar = self.error_factor * mean_image[f"error_vs_truth_{direction}"]
            if accuracy < self.min_accuracy:
                missed.append(f"class_accuracy_{direction} {accuracy:.3f} < {self.min_accuracy}")
            if error >= bar:
                missed.append(f"error_vs_truth_{direction} {error:.3f} >= {bar:.3f}")
        return missed

    def check(self, trained, untrained):
        """Score the trained and untrained models, print the figures, assert the bar; returns
        {"trained", "untrained", "identity", "mean image": their scores}."""
        scores = {"trained": style_pair_scores(trained), "untrained": style_pair_scores(untrained),
                  **fixed_translator_scores()}
        print({name: {key: round(value, 3) for key, value in figures.items()}
               for name, figures in scores.items()})
        assert not self.failures(scores["trained"]), self.failures(scores["trained"])
        for name in ("untrained", "identity", "mean image"):
            assert self.failures(scores[name]), f"the {name} passes the bar: {scores[name]}"
        return scores


# One epoch of `steps` batches of 16 at width 16 per variant, with its `options` and the paper's
# learning rates times `learning_rate_scale`. DualGAN's defaults (Yi et al. 2017) do not learn the
# style here: width-16 critics with weights clipped to c = 0.01 score orders of magnitude below
# the reconstruction term at lambda = 100, so the generators follow the cycle alone. With c = 0.1
# the critics count, but at lambda = 100 the cycle still settles first, on a wrong pairing of the
# digits for one seed of two; lambda = 10 and 10x the paper's RMSProp rate (5e-5) learn it within
# the test's steps.
TRAINING = {"pix2pix": dict(steps=200), "discogan": dict(steps=700),
            "dualgan": dict(steps=300, options={"clip_value": 0.1, "reconstruction_weight": 10.0},
                            learning_rate_scale=10.0)}


@pytest.mark.slow
@pytest.mark.parametrize("variant", [pytest.param(name, marks=pytest.mark.quality(variant=name))
                                     for name in TRAINING])
def test_translator_keeps_the_digit_and_makes_the_style(variant, tmp_path):
    options = TRAINING[variant].get("options", {})
    keras.utils.set_random_seed(0)
    untrained = tfgan_suite.build_model(variant, image_shape=(28, 28, 1),
                                        image_shape_b=(28, 28, 3), width=16, **options)
    model = train(variant, epochs=1, out=tmp_path / "run", options=options,
                  learning_rate_scale=TRAINING[variant].get("learning_rate_scale", 1.0),
                  **{**RUN, "steps_per_epoch": TRAINING[variant]["steps"]})
    StylePairBar().check(model, untrained)
