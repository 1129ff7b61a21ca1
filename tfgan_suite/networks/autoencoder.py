"""Autoencoder discriminators, whose energy is the reconstruction error: EBGAN (Zhao et al. 2017,
sec. 2.3) and BEGAN (Berthelot et al. 2017, sec. 3.3); and BEGAN's generator, which "uses the same
architecture (though not the same weights) as the discriminator decoder" (sec. 3.5). Last, the
batch-normalized BEGAN networks of PyTorch-GAN (eriklindernoren/PyTorch-GAN,
implementations/began/began.py), which learn every MNIST digit where the paper's collapse.

Images: stride-2 convolutions down to a `code_dim` code, the mirror image up (as BEGAN's encoder /
decoder, with ELU activations and no batch normalization, so every example's energy depends on that
example alone). 2-D points and flat vectors: one ELU hidden layer each side.
"""

import math

import keras
from keras import layers

from tfgan_suite.networks.conditioning import normal_init
from tfgan_suite.networks.dcgan import KERNEL_SIZE, square_size, upsampling_plan


def _stride_2_conv(filters, transpose=False, activation="elu"):
    conv_class = layers.Conv2DTranspose if transpose else layers.Conv2D
    return conv_class(filters, KERNEL_SIZE, strides=2, padding="same", activation=activation)


def _filters_per_scale(image_shape, width):
    steps, size = upsampling_plan(square_size(image_shape, "The autoencoder networks"))
    return [width * 2 ** step for step in range(steps)], size


def convolutional_decoder(image_shape, width, output_activation=None):
    """code -> ELU dense to s x s x (width * 2^(steps-1)) -> stride-2 ELU transposed convs halving
    the filters -> an image of `image_shape`, `output_activation` at the end."""
    filters, size = _filters_per_scale(image_shape, width)
    return ([layers.Dense(size * size * filters[-1], activation="elu"),
             layers.Reshape((size, size, filters[-1]))]
            + [_stride_2_conv(n, transpose=True) for n in reversed(filters[:-1])]
            + [_stride_2_conv(image_shape[-1], transpose=True, activation=output_activation)])


def _apply(stack, x):
    for layer in stack:
        x = layer(x)
    return x


@keras.saving.register_keras_serializable(package="tfgan_suite")
class AutoencoderDiscriminator(keras.Model):
    """x -> Enc(x), a `code_dim` code -> Dec(Enc(x)), a reconstruction of x's shape (linear output)."""

    def __init__(self, input_shape, code_dim=64, width=64, **kwargs):
        super().__init__(**kwargs)
        self.sample_shape = tuple(input_shape)
        self.code_dim = code_dim
        self.width = width
        if len(self.sample_shape) == 3:
            filters, _ = _filters_per_scale(self.sample_shape, width)
            self.encoder_layers = ([_stride_2_conv(n) for n in filters]
                                   + [layers.Flatten(), layers.Dense(code_dim)])
            self.decoder_layers = convolutional_decoder(self.sample_shape, width)
        else:
            size = math.prod(self.sample_shape)
            self.encoder_layers = [layers.Flatten(), layers.Dense(width, activation="elu"),
                                   layers.Dense(code_dim)]
            self.decoder_layers = [layers.Dense(width, activation="elu"), layers.Dense(size),
                                   layers.Reshape(self.sample_shape)]

    def encode(self, x):
        return _apply(self.encoder_layers, x)

    def decode(self, code):
        return _apply(self.decoder_layers, code)

    def call(self, x):
        return self.decode(self.encode(x))

    def get_config(self):
        return {**super().get_config(), "input_shape": list(self.sample_shape),
                "code_dim": self.code_dim, "width": self.width}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class DecoderGenerator(keras.Model):
    """z -> the autoencoder's convolutional decoder (its own weights) -> a tanh image of
    `image_shape`. The tanh, which BEGAN's generator does not have, keeps every generator's images
    in [-1, 1], the range the export path serves."""

    def __init__(self, latent_dim, image_shape, width=64, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        self.width = width
        self.decoder_layers = convolutional_decoder(self.image_shape, width, output_activation="tanh")

    def call(self, z):
        return _apply(self.decoder_layers, z)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "image_shape": list(self.image_shape), "width": self.width}


def _synchronized_batch_norm():
    """Batch norm over the global batch (synchronized: 1 or N replicas train alike), PyTorch's
    eps 1e-5 and momentum 0.1 (Keras 0.9). PyTorch-GAN writes `BatchNorm2d(128, 0.8)` and
    `BatchNorm1d(32, 0.8)`, whose second positional argument is eps, not momentum: with eps 0.8
    the small activations of N(0, 0.02) convolutions are not normalized, and at width 16 the
    generator stayed a grey blur for 3000 steps; with eps 1e-5 it learns the digits
    (benchmarks/RESULTS.md, "BEGAN on MNIST")."""
    return layers.BatchNormalization(synchronized=True, momentum=0.9, epsilon=1e-5)


def _conv3x3(filters, strides=1):
    return layers.Conv2D(filters, 3, strides=strides, padding="same",
                         kernel_initializer=normal_init())


def _halvable_size(image_shape, times, network):
    """The side of `image_shape`'s square images halved `times` times, or one clear error."""
    size = square_size(image_shape, network)
    if size % 2 ** times:
        raise ValueError(f"{network}: the image size must divide by {2 ** times}; got {size}.")
    return size // 2 ** times


@keras.saving.register_keras_serializable(package="tfgan_suite")
class BatchNormAutoencoderDiscriminator(keras.Model):
    """PyTorch-GAN's BEGAN discriminator: x -> a stride-2 3x3 conv of `width` filters, ReLU ->
    a fully connected `code_dim` code, batch norm, ReLU -> fully connected back to the conv's
    map, batch norm, ReLU -> 2x nearest upsampling, a 3x3 conv to x's channels (linear). The
    code layers' batch norm couples the examples of a batch, unlike AutoencoderDiscriminator."""

    def __init__(self, input_shape, code_dim=32, width=64, **kwargs):
        super().__init__(**kwargs)
        self.sample_shape = tuple(input_shape)
        self.code_dim = code_dim
        self.width = width
        size = _halvable_size(self.sample_shape, 1, "PyTorch-GAN's BEGAN autoencoder")
        self.stack = [_conv3x3(width, strides=2), layers.ReLU(), layers.Flatten(),
                      layers.Dense(code_dim), _synchronized_batch_norm(),
                      layers.ReLU(), layers.Dense(size * size * width), _synchronized_batch_norm(),
                      layers.ReLU(), layers.Reshape((size, size, width)), layers.UpSampling2D(),
                      _conv3x3(self.sample_shape[-1])]

    def call(self, x):
        return _apply(self.stack, x)

    def get_config(self):
        return {**super().get_config(), "input_shape": list(self.sample_shape),
                "code_dim": self.code_dim, "width": self.width}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class BatchNormUpsamplingGenerator(keras.Model):
    """PyTorch-GAN's BEGAN generator: z -> fully connected to (H/4) x (H/4) x 2`width`, batch
    norm -> twice: 2x nearest upsampling, a 3x3 conv (2`width`, then `width` filters), batch norm,
    LeakyReLU(0.2) -> a 3x3 conv to the image's channels, tanh."""

    def __init__(self, latent_dim, image_shape, width=64, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        self.width = width
        size = _halvable_size(self.image_shape, 2, "PyTorch-GAN's BEGAN generator")
        self.stack = [layers.Dense(size * size * 2 * width), layers.Reshape((size, size, 2 * width)),
                      _synchronized_batch_norm()]
        for filters in (2 * width, width):
            self.stack += [layers.UpSampling2D(), _conv3x3(filters),
                           _synchronized_batch_norm(), layers.LeakyReLU(0.2)]
        self.stack += [_conv3x3(self.image_shape[-1]), layers.Activation("tanh")]

    def call(self, z):
        return _apply(self.stack, z)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "image_shape": list(self.image_shape), "width": self.width}
