"""The architecture family's quality bar: one short SSGAN run on MNIST, several checks.

- D's rotation accuracy on real images it never trained on (the last 1000 of the embedded
  10k, all four turns of each) rises above ROTATION_BAR; the untrained D is at chance (0.25);
- the generator is not collapsed: the classifier-FID of its samples falls below the untrained
  network's by FID_FACTOR, and at least MIN_DIGITS digits each make 2% of its samples.

MNIST rather than Fashion-MNIST: its rotations are unambiguous (handwriting is rarely symmetric;
trousers and bags are upside down), so the paper's > 0.9 (Chen et al. 2019) is within this D's
reach. Budget: STEPS batches of 64 of the other 9000 images, width 16, latent 32, the `ssgan`
defaults (rotation weights beta = 1, alpha = 0.2; G's Adam(2e-4, 0.5, 0.999)) but D's learning
rate 1e-3; 1000 samples scored with the shipped mnist-classifier against the 1000 held-out images.
`fit` runs in epochs of LOG_EVERY batches (one data stream: the repeated dataset's iterator
carries over), so the logged `rotation_accuracy`, each epoch's mean over its batches, shows the
late accuracy rather than the whole run's mean.
Measured (seed 0 / 1): rotation accuracy 0.92 / 0.85 on the held-out digits (untrained 0.25),
logged 0.90 / 0.80; seed 0's FID 119 against 451 untrained, 10 digits of 2%+ of the
samples (seed 1: FID 94, 10 digits at 900 batches); the test 540 CPU s. The paper's > 0.9
on both seeds with margin is past this test's budget: seed 1 is at 0.875 / 0.903 / 0.884 /
0.927 after 800 / 900 / 1100 / 1200 batches (~930 CPU s; README gives the curves), so the
bar is what both seeds reach at 700 batches.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from tfgan_suite.data import load_arrays
from tfgan_suite.metrics import extractors, functions
from tfgan_suite.models.ssgan import rotate

STEPS = 700
LOG_EVERY = 50
HELD_OUT = 1000
ROTATION_BAR = 0.8  # measured 0.92 / 0.85 (seeds 0 / 1); the paper's 0.9 takes longer (README)
LOGGED_BAR = 0.75  # the last epoch's logged mean, measured 0.90 / 0.80
FID_FACTOR = 2.0  # measured 119 against 451 untrained
MIN_DIGITS = 7  # measured 10; a generator collapsed on a few digits has fewer


@pytest.mark.slow
def test_ssgan_learns_rotations_of_unseen_digits_without_collapsing():
    images = load_arrays("mnist_embedded")[0].astype(np.float32) / 127.5 - 1
    train, held_out = images[:-HELD_OUT], images[-HELD_OUT:]
    extractor = extractors.get_extractor("mnist-classifier")
    reference = extractor.extract(held_out)[0]

    def scored(samples):
        """(FID against the held-out images, how many digits make 2% of the samples)."""
        features, logits = extractor.extract(samples)
        shares = np.bincount(logits.argmax(-1), minlength=10) / len(samples)
        return functions.frechet_distance(reference, features), int(np.sum(shares >= 0.02))

    keras.utils.set_random_seed(0)
    data = (tf.data.Dataset.from_tensor_slices(train).shuffle(len(train), seed=0).repeat()
            .batch(64, drop_remainder=True))
    model = tfgan_suite.build_model("ssgan", image_shape=(28, 28, 1), latent_dim=32, width=16,
                                    seed=0)
    rotations = np.arange(HELD_OUT, dtype=np.int32) % 4
    turned = rotate(held_out, rotations)

    def rotation_accuracy():
        logits = model.discriminator(turned)["rotation_logits"]
        return float(np.mean(np.argmax(logits, -1) == rotations))

    untrained_accuracy = rotation_accuracy()
    untrained_fid, _ = scored(model.sample(HELD_OUT, seed=1))
    model.compile(optimizers={"discriminator": keras.optimizers.Adam(1e-3, 0.5, 0.999)})
    logged = model.fit(data, steps_per_epoch=LOG_EVERY, epochs=STEPS // LOG_EVERY,
                       verbose=0).history["rotation_accuracy"][-1]
    accuracy = rotation_accuracy()
    fid, digits = scored(model.sample(HELD_OUT, seed=1))
    print(f"rotation accuracy on unseen digits {accuracy:.3f} (untrained "
          f"{untrained_accuracy:.3f}; logged, the last {LOG_EVERY} batches' mean "
          f"{logged:.3f}), FID {fid:.1f} (untrained "
          f"{untrained_fid:.1f}), {digits} digits of 2%+")
    assert untrained_accuracy < ROTATION_BAR < accuracy
    assert logged > LOGGED_BAR
    assert fid < untrained_fid / FID_FACTOR and digits >= MIN_DIGITS
