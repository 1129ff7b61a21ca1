"""Quality bars of the variants with no MNIST test of their own (issue 29: the architecture
family's sngan and sagan, and lapgan): each trains on the embedded MNIST and must bring
FID[mnist-classifier] below its untrained generator's by a measured factor (tests/helpers.py
MnistBar, which also shows the bar failing the untrained generator and the trained one
collapsed to one image or to one digit).

Budget: width 16, latent 32, batches of 64, each variant's default optimizers; 1000 samples
scored against 5000 real images.
"""

import keras
import numpy as np
import pytest

import tfgan_suite
from helpers import MnistBar
from tfgan_suite.data import load_dataset


def untrained_and_trained_samples(variant, steps, seed=0):
    """1000 samples (seed 1) of `variant` before and after `steps` batches of MNIST."""
    keras.utils.set_random_seed(seed)
    data, info = load_dataset("mnist_embedded", 64, seed=seed)
    model = tfgan_suite.build_model(variant, image_shape=info.image_shape, latent_dim=32,
                                    width=16, seed=seed)
    model.compile()
    untrained = model.sample(1000, seed=1)
    model.fit(data.repeat(), steps_per_epoch=steps, epochs=1, verbose=0)
    return untrained, model.sample(1000, seed=1)


@pytest.mark.slow
@pytest.mark.quality(variant="sngan")
def test_sngan_lowers_the_classifier_fid():
    """300 batches halve the FID (untrained 410.4 / 393.1, trained 175.3 / 175.5 on seeds 0 / 1).
    Every digit at 2% is out of this budget (7-9 digits up to 600 batches, as the untrained
    generator's 7), so no coverage bar."""
    MnistBar(fid_factor=2.0).check(*untrained_and_trained_samples("sngan", 300))


@pytest.mark.slow
@pytest.mark.quality(variant="sagan")
def test_sagan_lowers_the_classifier_fid_and_covers_the_digits():
    """sagan is unconditional when built without `num_classes` (conditional BN and projection D
    only with it), so the MNIST bar: 400 batches bring the FID below the untrained generator's
    by 1.45 (untrained 344.6 / 296.7, trained 191.8 / 194.3 on seeds 0 / 1), and at least 5
    digits each make 2% of the samples (trained: 7 / 7), which a collapse fails."""
    MnistBar(fid_factor=1.45, min_digits=5).check(*untrained_and_trained_samples("sagan", 400))


@pytest.mark.slow
@pytest.mark.quality(variant="lapgan")
def test_lapgan_lowers_the_classifier_fid():
    """400 batches bring the FID below the untrained pyramid's by 1.4 (untrained 392.4 / 382.1,
    trained 244.8 / 255.3 on seeds 0 / 1); past them it levels off
    (230-255 up to 700 batches), and a G average (ema_decay 0.99) was no better. No coverage
    bar: 5-8 digits at 2% from batch to batch, and one untrained pyramid already makes 5."""
    MnistBar(fid_factor=1.4).check(*untrained_and_trained_samples("lapgan", 400))
