"""Test set-up: two logical CPU devices, so MirroredStrategy has 2 replicas on a CPU-only machine.

This must run before TensorFlow initialises its devices, hence at conftest import.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402

from tfgan_suite.distribute import split_cpu  # noqa: E402

TWO_CPUS = split_cpu(2)


@pytest.fixture
def two_replicas():
    from tfgan_suite.distribute import make_strategy

    return make_strategy("mirrored", TWO_CPUS)


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    keras.utils.clear_session()
    yield
