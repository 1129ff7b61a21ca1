"""Fully connected networks for 2-D toy distributions and flattened images."""

import math

import keras
from keras import layers, ops

from tfgan_suite.networks.conditioning import split_inputs


@keras.saving.register_keras_serializable(package="tfgan_suite")
class MLPGenerator(keras.Model):
    """z (+ one-hot label) -> `hidden` ReLU layers -> `output_shape` values.

    `output_activation="tanh"` for images in [-1, 1]; None for unbounded toy data (e.g. the ring).
    """

    def __init__(self, latent_dim, output_shape, hidden=(128, 128), num_classes=None,
                 output_activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.sample_shape = tuple(output_shape)
        self.hidden = tuple(hidden)
        self.num_classes = num_classes
        self.output_activation = output_activation
        self.hidden_layers = [layers.Dense(units, activation="relu") for units in self.hidden]
        self.out = layers.Dense(math.prod(self.sample_shape), activation=output_activation)

    def call(self, inputs):
        z, onehot = split_inputs(inputs, self.num_classes)
        h = z if onehot is None else ops.concatenate([z, onehot], axis=-1)
        for layer in self.hidden_layers:
            h = layer(h)
        return ops.reshape(self.out(h), (-1,) + self.sample_shape)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "output_shape": list(self.sample_shape), "hidden": list(self.hidden),
                "num_classes": self.num_classes, "output_activation": self.output_activation}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class MLPDiscriminator(keras.Model):
    """x (+ one-hot label) -> `hidden` LeakyReLU(0.2) layers -> one real/fake logit."""

    def __init__(self, input_shape, hidden=(128, 128), num_classes=None, **kwargs):
        super().__init__(**kwargs)
        self.sample_shape = tuple(input_shape)
        self.hidden = tuple(hidden)
        self.num_classes = num_classes
        self.hidden_layers = [layers.Dense(units) for units in self.hidden]
        self.logit = layers.Dense(1)

    def call(self, inputs):
        x, onehot = split_inputs(inputs, self.num_classes)
        h = ops.reshape(x, (-1, math.prod(self.sample_shape)))
        if onehot is not None:
            h = ops.concatenate([h, onehot], axis=-1)
        for layer in self.hidden_layers:
            h = ops.leaky_relu(layer(h), 0.2)
        return self.logit(h)

    def get_config(self):
        return {**super().get_config(), "input_shape": list(self.sample_shape),
                "hidden": list(self.hidden), "num_classes": self.num_classes}
