"""Controllable generation on the embedded MNIST, judged by the shipped MNIST classifier (slow).

Each test trains one variant at the budget of `benchmarks/conditional.py` (1500 steps of 64,
about 1.5-3 minutes on 2 shared CPU cores; InfoGAN: 500 steps of the paper's networks, about 4)
and asserts a bar it clears with a margin; the benchmark prints the figures themselves (see its
docstring for what each one means).
"""

import sys
from pathlib import Path

import pytest

import tfgan_suite
from tfgan_suite.networks.infogan import InfoGANGenerator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks import conditional as bench  # noqa: E402

# No module fixture, so no xdist group: the four runs (1.5-3.5 min each) spread over the workers.
pytestmark = pytest.mark.slow

# Measured at this budget (benchmarks/conditional.py): cgan 0.95 class-accuracy; acgan 0.905,
# 0.927 and 0.864 with seeds 0, 1, 2 (seed 0 is tested); icgan E_y 0.99, edits 0.97,
# reconstruction MSE 0.23 (0.42 between two real images of a class).
CLASS_ACCURACY_BARS = {"cgan": 0.90, "acgan": 0.85}
# InfoGAN trains its defaults, the paper's MNIST networks (app. C.1, width 64), for
# INFOGAN_STEPS steps of 64:
# 2.27 / 2.27 bits and 0.72 / 0.69 matched accuracy with seeds 0 / 1 run alone, but 1.93 bits and
# 0.574 for seed 0 after this module's other tests in the same process (oneDNN's float sums are
# not bitwise repeatable, and a GAN amplifies the difference); chance: 0 bits, 0.10; the paper
# reports ~0.95; longer runs: README, Benchmarks. The untrained generator fails the bar.
INFOGAN_STEPS = 500
INFOGAN_MI_BAR, INFOGAN_MATCHED_BAR = 1.5, 0.45
ICGAN_ENCODER_BAR, ICGAN_EDIT_BAR = 0.95, 0.85


@pytest.mark.parametrize("variant", [pytest.param(name, marks=pytest.mark.quality(variant=name))
                                     for name in sorted(CLASS_ACCURACY_BARS)])
def test_classifier_recognises_the_requested_class(variant):
    model, _ = bench.train(variant)
    figures = bench.class_accuracy_and_fid(model, bench.real_features())
    assert figures["class_accuracy"] >= CLASS_ACCURACY_BARS[variant], figures


@pytest.mark.quality(variant="infogan")
def test_infogan_categorical_code_carries_the_digit():
    # No `networks`: the defaults are the paper's (width 64 is infogan's default too; the
    # benchmark's budget would set 16, its width for the other variants).
    untrained = tfgan_suite.build_model("infogan", image_shape=(28, 28, 1),
                                        latent_dim=bench.INFOGAN_LATENT, width=64, seed=0)
    model, _ = bench.train("infogan", steps=INFOGAN_STEPS, latent_dim=bench.INFOGAN_LATENT,
                           width=64)
    assert isinstance(model.generator, InfoGANGenerator)
    for figures, passes in ((bench.infogan_figures(model), True),
                            (bench.infogan_figures(untrained), False)):
        assert (figures["code_digit_mutual_information_bits"] >= INFOGAN_MI_BAR
                and figures["matched_accuracy"] >= INFOGAN_MATCHED_BAR) == passes, figures


@pytest.mark.quality(variant="icgan")
def test_icgan_reconstructs_and_edits():
    model, _ = bench.train("icgan")
    figures = bench.icgan_figures(model)
    assert figures["y_encoder_accuracy"] >= ICGAN_ENCODER_BAR, figures
    assert figures["edit_class_accuracy"] >= ICGAN_EDIT_BAR, figures
    # Closer to its own image than another real image of the same class is.
    assert figures["reconstruction_mse"] < figures["same_class_other_image_mse"], figures
