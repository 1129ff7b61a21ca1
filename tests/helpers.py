"""Small builders shared by the tests: tiny networks, a few steps; the real datasets' folder."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from tfgan_suite.data import CHECKOUT_DATASETS

TINY = {
    "gan": dict(image_shape=(2,), latent_dim=4, width=16),
    "dcgan": dict(image_shape=(28, 28, 1), latent_dim=8, width=4),
}


def tiny_model(variant, strategy=None, weights=None, optimizer=None, eager=False, **kwargs):
    """A compiled tiny `variant` built in `strategy`'s scope, optionally starting from `weights`.
    `eager`: `fit` runs the step without tracing it, 3-5x faster for a test's few steps (a
    test of a variant's own logic; tests/test_contract.py trains every variant traced)."""
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = tfgan_suite.build_model(variant, **{**TINY[variant], **kwargs})
        if weights is not None:
            model.set_weights(weights)
        optimizers = {} if optimizer is None else dict(d_optimizer=optimizer(),
                                                       g_optimizer=optimizer())
        model.compile(run_eagerly=eager, **optimizers)
    return model


def tiny_images(variant, n=64, seed=0):
    rng = np.random.default_rng(seed)
    shape = TINY[variant]["image_shape"]
    return rng.uniform(-1, 1, (n,) + shape).astype(np.float32)


def shared_dataset(name):
    """CHECKOUT_DATASETS / name, or a skip whose reason names the folder the test needs."""
    path = CHECKOUT_DATASETS / name
    if not path.is_dir():
        pytest.skip(f"needs {path}: the original {name} archives are absent")
    return path


def skip_for_want_of_present_data(report, shared_datasets=CHECKOUT_DATASETS):
    """Why `report` must fail instead of skipping: it skipped for want of the shared datasets
    while `shared_datasets` is there (a wrong path or a missing archive, which a skip would hide
    from CI); None for any other report."""
    if not (report.skipped and shared_datasets.is_dir()):
        return None
    reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if "shared/datasets" not in reason:
        return None
    return (f"{report.nodeid} skipped ({reason}) although {shared_datasets} is present: "
            "add the archive it names there, or fix the path the test looks for")


# The one skip the suite expects: the real-TF-Serving half of test_client.py, where the C++
# binary is absent (no registry these machines reach ships it). Any other skip hides a check.
EXPECTED_SKIP = "tensorflow_model_server is not on PATH"
MAX_SKIPS = 12  # the real-TF-Serving tests of test_client.py


def unexpected_skip(report):
    """Why `report` must fail instead of skipping: it skipped for a reason other than the absent
    TF Serving binary or the absent shared datasets; None for any other report."""
    if not report.skipped or hasattr(report, "wasxfail"):  # an xfail is reported as a skip
        return None
    reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if EXPECTED_SKIP in reason or "shared/datasets" in reason:
        return None
    return (f"{report.nodeid} skipped ({reason}): a skip hides a check; make the test run here "
            "or fail, or add its reason to tests/helpers.py with why it cannot run")


class MnistBar:
    """The unconditional image models' MNIST bar (issue 29): FID[mnist-classifier] of 1000
    samples against the first 5000 embedded MNIST images below the untrained generator's by
    `fid_factor`, or at most `fid_at_most`, and, with `min_digits`, that many digits each at
    least `digit_share` of the samples (the shipped classifier's reading). `check` also shows
    the bar failing generators broken on purpose: the untrained one, and the trained one
    collapsed to one image or to its commonest digit's samples."""

    def __init__(self, fid_factor=None, min_digits=None, fid_at_most=None, digit_share=0.02):
        from tfgan_suite.data import load_arrays
        from tfgan_suite.metrics import extractors

        if (fid_factor is None) == (fid_at_most is None):
            raise ValueError("MnistBar needs one FID bar: fid_factor or fid_at_most.")
        self.fid_factor, self.fid_at_most = fid_factor, fid_at_most
        self.min_digits, self.digit_share = min_digits, digit_share
        self.extractor = extractors.get_extractor("mnist-classifier")
        real = load_arrays("mnist_embedded")[0][:5000].astype(np.float32) / 127.5 - 1
        self.reference = self.extractor.extract(real)[0]

    def score(self, images):
        """(FID against the reference, how many digits make `digit_share` of `images`, the
        classifier's digit for each image)."""
        from tfgan_suite.metrics import functions

        features, logits = self.extractor.extract(images)
        digits = logits.argmax(-1)
        shares = np.bincount(digits, minlength=10) / len(images)
        return (functions.frechet_distance(self.reference, features),
                int(np.sum(shares >= self.digit_share)), digits)

    def passes(self, scored, untrained_fid):
        fid, digits, _ = scored
        bar = untrained_fid / self.fid_factor if self.fid_at_most is None else self.fid_at_most
        return fid <= bar and (
            self.min_digits is None or digits >= self.min_digits)

    def check(self, untrained_samples, trained_samples):
        """Score both sample sets (1000 each), print the figures, assert the trained samples
        pass and the broken generators fail."""
        untrained, trained = self.score(untrained_samples), self.score(trained_samples)
        commonest = trained_samples[trained[2] == np.bincount(trained[2]).argmax()]
        broken = {"untrained": untrained,
                  "one image": self.score(np.repeat(trained_samples[:1], 1000, axis=0)),
                  "commonest digit": self.score(np.resize(commonest, trained_samples.shape))}
        print({name: (round(fid, 1), digits) for name, (fid, digits, _) in
               {"trained": trained, **broken}.items()})
        assert self.passes(trained, untrained[0]), (trained[:2], untrained[:2])
        for name, scored in broken.items():
            assert not self.passes(scored, untrained[0]), (name, scored[:2], untrained[:2])
