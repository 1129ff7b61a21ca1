"""The one place that imports TF-GAN (``tensorflow-gan`` 2.1.0) on TensorFlow >= 2.16.

TF-GAN's last release imports ``tensorflow_gan.python.estimator``, whose hooks subclass
``tf.estimator.SessionRunHook``; ``tf.estimator`` is gone from TF 2.16 on, so a plain
``import tensorflow_gan`` fails. Its losses and eval math do not use the estimator code, so we
(1) register an empty module for the estimator sub-package and (2) give ``tf.estimator`` a stand-in
namespace holding the hook base classes, then import. Everything else imports ``tfgan`` from here.
"""

import sys
import types

import tensorflow as tf


def _import_tfgan():
    sys.modules.setdefault(
        "tensorflow_gan.python.estimator", types.ModuleType("tensorflow_gan.python.estimator")
    )
    if not hasattr(tf, "estimator"):
        # Only class definitions in the hooks module touch it: `class RunTrainOpsHook(SessionRunHook)`.
        tf.estimator = types.SimpleNamespace(SessionRunHook=object)
    import tensorflow_gan

    return tensorflow_gan


tfgan = _import_tfgan()
