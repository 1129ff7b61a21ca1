"""CycleGAN's quality bar on the embedded MNIST style pair, trained by `tfgan_suite.training.train`
as the CLI does (two epochs of 150 steps of 16, width 16; the second a `--resume` of the first):
content kept (the shipped MNIST classifier's accuracy on translations), style changed (error
against the known style map, well below the untrained model's), cycle-consistent, history pool
carried over by the resume, and a (input, translation, reconstruction) grid per epoch.

Measured, this test: class accuracy 0.98 (A -> B -> inverse) and 0.98 (B -> A); error vs truth
0.088 / 0.107, the untrained model's 0.61 / 0.85 (7.0x, 7.9x); cycle L1 0.071 / 0.073, the
untrained model's 0.85 / 0.61. An untrained model scores about 0.1 accuracy and fails every bar.
"""

import keras
import numpy as np
import pytest

import tfgan_suite
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
    untrained = style_pair_scores(tfgan_suite.build_model(
        "cyclegan", image_shape=(28, 28, 1), image_shape_b=(28, 28, 3), width=16))
    first = train("cyclegan", epochs=1, out=tmp_path / "run", **RUN)
    pools_after_first = {domain: pool.images.numpy().copy() for domain, pool in first.pools.items()}
    at_resume = PoolAtStart()
    model = train("cyclegan", epochs=2, out=tmp_path / "run", resume=True,
                  extra_callbacks=[at_resume], **RUN)
    for domain, images in pools_after_first.items():
        assert at_resume.pools[domain][0] == 50
        np.testing.assert_array_equal(at_resume.pools[domain][1], images)
    assert int(model.steps_taken) == 300

    scores = style_pair_scores(model)
    print({"untrained": untrained, "trained": scores})
    for direction in ("a2b", "b2a"):
        assert scores[f"class_accuracy_{direction}"] >= 0.90
        assert scores[f"error_vs_truth_{direction}"] * 2.5 < untrained[f"error_vs_truth_{direction}"]
        assert scores[f"cycle_l1_{direction}"] * 4 < untrained[f"cycle_l1_{direction}"]
    assert untrained["class_accuracy_a2b"] < 0.5 and untrained["class_accuracy_b2a"] < 0.5
    assert sorted(p.name for p in (tmp_path / "run" / "samples").iterdir()) == [
        "epoch_001.png", "epoch_002.png"]
