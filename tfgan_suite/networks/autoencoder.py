"""Autoencoder discriminators, whose energy is the reconstruction error: EBGAN (Zhao et al. 2017,
sec. 2.3) and BEGAN (Berthelot et al. 2017, sec. 3.3).

Images: stride-2 convolutions down to a `code_dim` code, the mirror image up (as BEGAN's encoder /
decoder, with ELU activations and no batch normalization, so every example's energy depends on that
example alone). 2-D points and flat vectors: one ELU hidden layer each side.
"""

import math

import keras
from keras import layers

from tfgan_suite.networks.dcgan import KERNEL_SIZE, upsampling_plan


@keras.saving.register_keras_serializable(package="tfgan_suite")
class AutoencoderDiscriminator(keras.Model):
    """x -> Enc(x), a `code_dim` code -> Dec(Enc(x)), a reconstruction of x's shape (linear output)."""

    def __init__(self, input_shape, code_dim=64, width=64, **kwargs):
        super().__init__(**kwargs)
        self.sample_shape = tuple(input_shape)
        self.code_dim = code_dim
        self.width = width
        if len(self.sample_shape) == 3:
            self.encoder_layers, self.decoder_layers = self._convolutional()
        else:
            size = math.prod(self.sample_shape)
            self.encoder_layers = [layers.Flatten(), layers.Dense(width, activation="elu"),
                                   layers.Dense(code_dim)]
            self.decoder_layers = [layers.Dense(width, activation="elu"), layers.Dense(size),
                                   layers.Reshape(self.sample_shape)]

    def _convolutional(self):
        height, _, channels = self.sample_shape
        steps, size = upsampling_plan(height)
        filters = [self.width * 2 ** step for step in range(steps)]

        def conv(n, transpose=False, activation="elu"):
            conv_class = layers.Conv2DTranspose if transpose else layers.Conv2D
            return conv_class(n, KERNEL_SIZE, strides=2, padding="same", activation=activation)

        encoder = [conv(n) for n in filters] + [layers.Flatten(), layers.Dense(self.code_dim)]
        decoder = ([layers.Dense(size * size * filters[-1], activation="elu"),
                    layers.Reshape((size, size, filters[-1]))]
                   + [conv(n, transpose=True) for n in reversed(filters[:-1])]
                   + [conv(channels, transpose=True, activation=None)])
        return encoder, decoder

    def encode(self, x):
        for layer in self.encoder_layers:
            x = layer(x)
        return x

    def decode(self, code):
        for layer in self.decoder_layers:
            code = layer(code)
        return code

    def call(self, x):
        return self.decode(self.encode(x))

    def get_config(self):
        return {**super().get_config(), "input_shape": list(self.sample_shape),
                "code_dim": self.code_dim, "width": self.width}
