"""Image-to-image networks: CycleGAN's ResNet generator, pix2pix's U-Net generator (DiscoGAN's
encoder-decoder is the U-Net without skips) and the PatchGAN discriminator, each scaled to the
image size. Instance normalization throughout (per example: training on 1 or N replicas gives the
same result; pix2pix's batch norm at batch size 1 is instance norm, Isola et al. 2017 sec. 3.3).
"""

import keras
from keras import layers, ops

from tfgan_suite.networks.conditioning import normal_init
from tfgan_suite.networks.dcgan import square_size, upsampling_plan


def instance_norm():
    return layers.GroupNormalization(groups=-1, epsilon=1e-5)


@keras.saving.register_keras_serializable(package="tfgan_suite")
class ReflectionPadding2D(layers.Layer):
    """Pads height and width by `padding` pixels mirrored from the border (CycleGAN's generator
    pads this way to reduce artifacts at the border, Zhu et al. 2017 sec. 4 and appendix 7.2)."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, inputs):
        p = self.padding
        return ops.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        grow = lambda size: None if size is None else size + 2 * self.padding
        return (n, grow(h), grow(w), c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def _reflect_conv(filters, kernel_size):
    return [ReflectionPadding2D(kernel_size // 2),
            layers.Conv2D(filters, kernel_size, padding="valid", kernel_initializer=normal_init())]


def default_residual_blocks(image_size):
    """CycleGAN's 6 blocks for 128x128 and 9 for 256x256 (appendix 7.2); 3 below 128 (our scaling,
    for 28-64 px images, whose 7x7-16x16 bottleneck needs no more)."""
    return 9 if image_size >= 256 else 6 if image_size >= 128 else 3


@keras.saving.register_keras_serializable(package="tfgan_suite")
class ResNetTranslator(keras.Model):
    """CycleGAN's generator (Zhu et al. 2017, appendix 7.2; Johnson et al. 2016): c7s1-f, d2f,
    d4f, `residual_blocks` x R4f, u2f, uf, c7s1-C with tanh; instance norm, ReLU, reflect padding.
    `image_shape` is the input domain's, `channels_out` the output domain's channels."""

    def __init__(self, image_shape, channels_out, filters=64, residual_blocks=None, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.channels_out = int(channels_out)
        self.filters = int(filters)
        size = square_size(self.image_shape, "CycleGAN's ResNet generator")
        if size % 4:
            raise ValueError(f"The ResNet generator downsamples twice: the image size must be a "
                             f"multiple of 4 (e.g. 28, 32, 128); got {size}.")
        self.residual_blocks = (default_residual_blocks(size) if residual_blocks is None
                                else int(residual_blocks))
        f = self.filters
        self.encoder = keras.Sequential(
            [*_reflect_conv(f, 7), instance_norm(), layers.ReLU()]
            + [layer for width in (2 * f, 4 * f) for layer in (
                layers.Conv2D(width, 3, strides=2, padding="same",
                              kernel_initializer=normal_init()),
                instance_norm(), layers.ReLU())], name="encoder")
        self.blocks = [keras.Sequential([*_reflect_conv(4 * f, 3), instance_norm(), layers.ReLU(),
                                         *_reflect_conv(4 * f, 3), instance_norm()],
                                        name=f"residual_{i}")
                       for i in range(self.residual_blocks)]
        self.decoder = keras.Sequential(
            [layer for width in (2 * f, f) for layer in (
                layers.Conv2DTranspose(width, 3, strides=2, padding="same",
                                       kernel_initializer=normal_init()),
                instance_norm(), layers.ReLU())]
            + [*_reflect_conv(self.channels_out, 7), layers.Activation("tanh", dtype="float32")],
            name="decoder")

    def call(self, images, training=False):
        x = self.encoder(images, training=training)
        for block in self.blocks:
            x = x + block(x, training=training)
        return self.decoder(x, training=training)

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "channels_out": self.channels_out, "filters": self.filters,
                "residual_blocks": self.residual_blocks}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class UNetGenerator(keras.Model):
    """pix2pix's U-Net (Isola et al. 2017, appendix 6.1.1): encoder C64-C128-C256-C512... (4x4
    stride-2 convolutions, LeakyReLU 0.2, no norm on the first), decoder of 4x4 stride-2 transposed
    convolutions (ReLU) each concatenated with the mirrored encoder layer, tanh output. The depth
    halves the image while it is even and above 4 (28 -> 14 -> 7: 2 levels; 256: 6), widths
    double up to 8 `filters`. `skips=False` is the plain encoder-decoder (DiscoGAN's generator,
    Kim et al. 2017 sec. 4). pix2pix's decoder dropout is left out: its randomness would differ
    between replicas, and the paper saw it add little stochasticity (sec. 2.2)."""

    def __init__(self, image_shape, channels_out, filters=64, skips=True, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.channels_out = int(channels_out)
        self.filters = int(filters)
        self.skips = bool(skips)
        depth, _ = upsampling_plan(square_size(self.image_shape, "The U-Net generator"))
        widths = [self.filters * min(2 ** i, 8) for i in range(depth)]
        self.down = [keras.Sequential(
            [layers.Conv2D(width, 4, strides=2, padding="same", kernel_initializer=normal_init()),
             *([instance_norm()] if i else []), layers.LeakyReLU(0.2)], name=f"down_{i}")
            for i, width in enumerate(widths)]
        self.up = [keras.Sequential(
            [layers.Conv2DTranspose(width, 4, strides=2, padding="same",
                                    kernel_initializer=normal_init()),
             instance_norm(), layers.ReLU()], name=f"up_{i}")
            for i, width in enumerate(reversed(widths[:-1]))]
        self.output_layer = keras.Sequential(
            [layers.Conv2DTranspose(self.channels_out, 4, strides=2, padding="same",
                                    kernel_initializer=normal_init()),
             layers.Activation("tanh", dtype="float32")], name="output")

    def call(self, images, training=False):
        x, skipped = images, []
        for layer in self.down:
            x = layer(x, training=training)
            skipped.append(x)
        for layer, skip in zip(self.up, reversed(skipped[:-1])):
            x = layer(x, training=training)
            if self.skips:
                x = ops.concatenate([x, skip], axis=-1)
        return self.output_layer(x, training=training)

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "channels_out": self.channels_out, "filters": self.filters, "skips": self.skips}


def patch_receptive_field(downsamples):
    """The receptive field, in pixels, of one output of a `PatchDiscriminator` (4x4 kernels):
    3 downsamples -> 70 (pix2pix's and CycleGAN's 70x70 PatchGAN), 1 -> 16, 2 -> 34."""
    field = 4 + 3  # the two stride-1 layers at the end
    for _ in range(downsamples):
        field = (field - 1) * 2 + 4
    return field


def default_downsamples(image_size):
    """70x70 patches on 128-256 px images (3 downsamples); 16x16 below 64 px (1), about the same
    fraction of a 28-32 px digit as a 70 px patch is of a 256 px photo (a quarter to a half)."""
    return 3 if image_size >= 128 else 2 if image_size >= 64 else 1


@keras.saving.register_keras_serializable(package="tfgan_suite")
class PatchDiscriminator(keras.Model):
    """The PatchGAN (Isola et al. 2017 appendix 6.1.2; Zhu et al. 2017 appendix 7.2): C64 (no
    norm), then `downsamples` - 1 more stride-2 and one stride-1 4x4 convolution doubling the
    width, instance norm, LeakyReLU 0.2, and a 4x4 convolution to one linear score per patch
    ([N, h, w, 1]). `image_shape` includes the channels of a conditioning input (pix2pix)."""

    def __init__(self, image_shape, filters=64, downsamples=None, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.filters = int(filters)
        size = square_size(self.image_shape, "The PatchGAN discriminator")
        self.downsamples = default_downsamples(size) if downsamples is None else int(downsamples)
        if self.downsamples < 1:
            raise ValueError(f"downsamples must be >= 1; got {downsamples}.")
        blocks = [layers.Conv2D(self.filters, 4, strides=2, padding="same",
                                kernel_initializer=normal_init()),
                  layers.LeakyReLU(0.2)]
        for i in range(1, self.downsamples + 1):
            blocks += [layers.Conv2D(self.filters * min(2 ** i, 8), 4,
                                     strides=2 if i < self.downsamples else 1, padding="same",
                                     kernel_initializer=normal_init()),
                       instance_norm(), layers.LeakyReLU(0.2)]
        blocks.append(layers.Conv2D(1, 4, padding="same", kernel_initializer=normal_init(),
                                    dtype="float32"))
        self.body = keras.Sequential(blocks, name="patches")

    @property
    def receptive_field(self):
        return patch_receptive_field(self.downsamples)

    def call(self, images, training=False):
        return self.body(images, training=training)

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "filters": self.filters, "downsamples": self.downsamples}
