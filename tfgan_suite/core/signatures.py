"""Serving signatures as a model declares them; `export/` writes whatever a model declares.

A `Signature` is named TensorSpecs in, a TensorFlow function of them, named outputs out, and a batch
cap. The exporter enforces the cap in the graph on every input with a batch dimension (so TF Serving
rejects an oversized request too), casts floating outputs to float32, and lists the caps in the
export's facts. The helpers below are the checks the templates' signatures share.
"""

from dataclasses import dataclass
from typing import Callable

import tensorflow as tf


@dataclass(frozen=True)
class Signature:
    """`function(*tensors)` -> {output name: tensor}, `tensors` matching `inputs` (named specs).

    `batch_cap`: the most examples one call may ask for; `warmup`: whether TF Serving's warmup file
    should exercise it (not the PNG path, which is for REST clients).
    """
    inputs: tuple
    function: Callable
    outputs: tuple
    batch_cap: int
    warmup: bool = True


def after_checks(value, *assertions):
    """`value`, usable only once the assertions passed: in a graph, ops without a data dependency
    on an assert may run first and fail with a less helpful message."""
    with tf.control_dependencies([a for a in assertions if a is not None]):
        return tf.identity(value)


def checked_labels(labels, num_classes):
    """A clear INVALID_ARGUMENT instead of an embedding lookup error deep in the graph."""
    return after_checks(
        labels,
        tf.debugging.assert_non_negative(labels, message="labels must be >= 0"),
        tf.debugging.assert_less(labels, num_classes,
                                 message=f"labels must be < num_classes={num_classes}"),
    )


def checked_count(num_samples, seed, cap):
    """`num_samples` in [1, cap] and `seed` >= 0, or INVALID_ARGUMENT saying which is wrong."""
    num_samples = after_checks(
        num_samples,
        tf.debugging.assert_positive(num_samples, message="num_samples must be >= 1"),
        tf.debugging.assert_less_equal(num_samples, cap, message=f"num_samples must be <= {cap}"),
    )
    seed = after_checks(seed, tf.debugging.assert_non_negative(seed, message="seed must be >= 0"))
    return num_samples, seed


def checked_truncation(truncation):
    """A truncation threshold >= 0 (0: no truncation), or INVALID_ARGUMENT."""
    return after_checks(truncation, tf.debugging.assert_non_negative(
        truncation, message="truncation must be >= 0 (0: no truncation)"))


def sample_labels(labels, num_samples, num_classes):
    """The labels of a `sample` call: empty means the default of `model.sample`,
    range(n) % num_classes; otherwise one per sample, each in [0, num_classes)."""
    labels = tf.cond(tf.size(labels) == 0, lambda: tf.range(num_samples) % num_classes,
                     lambda: labels)
    labels = after_checks(labels, tf.debugging.assert_equal(
        tf.size(labels), num_samples, message="labels must be empty or hold num_samples values"))
    return checked_labels(labels, num_classes)


def png_images(images):
    """Images in [-1, 1] -> PNG bytes, one per image (REST base64-encodes `*_bytes` outputs)."""
    pixels = tf.cast(tf.round((tf.clip_by_value(images, -1.0, 1.0) + 1.0) * 127.5), tf.uint8)
    return tf.map_fn(tf.io.encode_png, pixels, fn_output_signature=tf.string)


def image_signature(shape, function, output, max_batch):
    """A signature taking `images` [None, *shape] float32, returning {output: function(images)}
    (SRGAN's `upscale`, the anomaly detectors' `score`)."""
    spec = tf.TensorSpec([None, *shape], tf.float32, name="images")
    return Signature((spec,), lambda images: {output: function(images)}, (output,), max_batch)


def scalar(name):
    return tf.TensorSpec([], tf.int32, name=name)
