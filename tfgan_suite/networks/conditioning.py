"""How networks take a class condition: the labels arrive as a second input and are one-hot encoded."""

import keras
from keras import ops


def split_labels(inputs, num_classes):
    """Returns (x, int32 labels or None) from `x` or `[x, labels]`, checking it matches
    `num_classes` (None: the network is unconditional)."""
    if num_classes is None:
        if isinstance(inputs, (list, tuple)):
            raise ValueError(
                "This network is unconditional (num_classes=None) but got [x, labels]; "
                "pass only x, or build the network with num_classes."
            )
        return inputs, None
    if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
        raise ValueError(
            f"This network is conditional on {num_classes} classes: call it on [x, labels] "
            "with integer labels of shape [batch]."
        )
    x, labels = inputs
    return x, ops.cast(labels, "int32")


def split_inputs(inputs, num_classes):
    """Returns (x, one-hot labels or None) from `x` or `[x, labels]`, checking it matches `num_classes`."""
    x, labels = split_labels(inputs, num_classes)
    return x, None if labels is None else ops.one_hot(labels, num_classes)


def normal_init():
    """DCGAN's initialisation (Radford et al. 2015, sec. 4), also pix2pix's and CycleGAN's:
    N(0, 0.02). A new initializer per layer: one shared instance holds one seed, drawn when it
    is created, so every kernel of a shape would start identical and that seed would depend on
    the process's Python RNG at import time, not on `keras.utils.set_random_seed`."""
    return keras.initializers.RandomNormal(stddev=0.02)
