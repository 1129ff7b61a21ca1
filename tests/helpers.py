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
