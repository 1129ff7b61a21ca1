"""SRGAN's quality bar on the embedded MNIST (issue 29): 4x super-resolution of 1000 held-out
digits, PSNR above bicubic upscaling's by a margin, and FID[mnist-classifier] against the
originals well below SRResNet's, the same generator after its MSE pre-training alone (the
paper's SRResNet-MSE baseline, Ledig et al. 2017, table 2: SRGAN trades a little PSNR for
perceptual quality). The generator is snapshotted at the phase switch, so one run gives both.

Upscalers broken on purpose fail the bar: the untrained generator, bicubic itself, nearest-
neighbour upscaling, and the trained SRGAN collapsed to one image.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from tfgan_suite.data import load_arrays
from tfgan_suite.metrics import extractors, functions
from tfgan_suite.metrics.evaluate import mean_psnr
from tfgan_suite.models.srgan import bicubic_resize

# Width 16, 2 residual blocks, batches of 32: PRETRAIN_STEPS of MSE, then GAN_STEPS.
PRETRAIN_STEPS, GAN_STEPS, BATCH = 300, 300, 32
HELD_OUT = 1000  # the last images of the embedded MNIST; training takes the others
# Bars set from seeds 0 and 1 with a margin (the figures are in the commit that set them).
PSNR_MARGIN_DB = 0.2  # over bicubic
FID_FACTOR = 3.0  # below SRResNet's


class SnapshotAtPhaseSwitch(keras.callbacks.Callback):
    """Keeps the generator's weights after the last MSE pre-training step: SRResNet-MSE."""

    def __init__(self, pretrain_steps):
        super().__init__()
        self.pretrain_steps, self.weights = pretrain_steps, None

    def on_train_batch_end(self, batch, logs=None):
        if batch + 1 == self.pretrain_steps:
            self.weights = self.model.generator.get_weights()


def passes(figures, baselines):
    """The bar: PSNR above bicubic's by PSNR_MARGIN_DB, FID below SRResNet's by FID_FACTOR."""
    psnr_db, fid = figures
    return (psnr_db > baselines["bicubic"][0] + PSNR_MARGIN_DB
            and fid * FID_FACTOR < baselines["srresnet"][1])


@pytest.mark.slow  # ~80 CPU-s: 600 steps, then 7 sets of 1000 images scored
@pytest.mark.quality(variant="srgan")
def test_srgan_beats_bicubic_psnr_and_srresnet_fid():
    images = load_arrays("mnist_embedded")[0].astype(np.float32) / 127.5 - 1.0
    training, originals = images[:-HELD_OUT], images[-HELD_OUT:]
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model("srgan", image_shape=(28, 28, 1), width=16, residual_blocks=2,
                                    pretrain_steps=PRETRAIN_STEPS)
    model.compile()
    low_res = model.downsample(originals).numpy()
    untrained = model.upscale(low_res)
    batches = (tf.data.Dataset.from_tensor_slices(training).shuffle(len(training), seed=0)
               .repeat().batch(BATCH, drop_remainder=True))
    snapshot = SnapshotAtPhaseSwitch(PRETRAIN_STEPS)
    model.fit(batches, epochs=1, steps_per_epoch=PRETRAIN_STEPS + GAN_STEPS, verbose=0,
              callbacks=[snapshot])
    srgan = model.upscale(low_res)
    model.generator.set_weights(snapshot.weights)
    upscaled = {
        "srgan": srgan,
        "srresnet": model.upscale(low_res),
        # Bicubic resizing overshoots [-1, 1] (the low-resolution inputs too, which nearest-
        # neighbour copies): clipped to the range the extractor takes, which only brings them
        # closer to the originals.
        "bicubic": np.clip(bicubic_resize(low_res, (28, 28)).numpy(), -1.0, 1.0),
        "nearest": np.clip(tf.image.resize(low_res, (28, 28), method="nearest").numpy(), -1.0, 1.0),
        "untrained": untrained,
        "one image": np.repeat(srgan[:1], HELD_OUT, axis=0),
    }
    extractor = extractors.get_extractor("mnist-classifier")
    reference = extractor.extract(originals)[0]
    figures = {name: (mean_psnr(upscaled_images, originals),
                      functions.frechet_distance(reference, extractor.extract(upscaled_images)[0]))
               for name, upscaled_images in upscaled.items()}
    print({name: (round(db, 2), round(fid, 1)) for name, (db, fid) in figures.items()})
    assert passes(figures["srgan"], figures), figures
    for broken in ("bicubic", "nearest", "untrained", "one image"):
        assert not passes(figures[broken], figures), (broken, figures)
