"""One registry: variant name -> model class. Registering also makes the class Keras-serializable."""

import keras

from tfgan_suite.core.adversarial import dtype_policy_scope

VARIANTS = {}


def register_variant(name):
    def decorate(cls):
        cls.variant = name
        VARIANTS[name] = keras.saving.register_keras_serializable(package="tfgan_suite")(cls)
        return cls
    return decorate


def get_variant(name):
    try:
        return VARIANTS[name]
    except KeyError:
        raise ValueError(
            f"Unknown GAN variant {name!r}. Available: {', '.join(sorted(VARIANTS))} "
            "(`tfgan-suite list` shows them with their papers).") from None


def build_model(name, dtype_policy=None, **kwargs):
    """A ready-to-compile model of variant `name` with its paper's networks for the data's shape,
    e.g. build_model("dcgan", image_shape=(28, 28, 1), latent_dim=100). `dtype_policy`
    ("mixed_bfloat16", "mixed_float16", "float32" or None) is the networks' Keras dtype policy."""
    variant = get_variant(name)
    with dtype_policy_scope(dtype_policy):
        return variant.create(dtype_policy=dtype_policy, **kwargs)
