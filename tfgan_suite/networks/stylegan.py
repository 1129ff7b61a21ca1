"""StyleGAN2's generator and discriminator (Karras et al. 2020, arXiv:1912.04958), at any square
size whose side is a multiple of 4 (narrow by default: width 64 at every resolution).

Equalised learning rate everywhere (Karras et al. 2018, ProGAN sec. 4.1): weights are drawn from
N(0, 1 / lr_multiplier) and scaled at run time by lr_multiplier / sqrt(fan_in), so Adam's steps are
the same size for every layer; the mapping network's lr_multiplier is 0.01 (StyleGAN sec. 2 /
app. C).

Generator: z -> pixel norm -> mapping MLP (`mapping_layers` of `w_dim` units, 8 in the paper, 2 in
its CIFAR-10 configuration) -> w. Synthesis from a learned constant at the smallest size the side
halves to (`octaves`: 7 x 7 for 28 px, 4 x 4 for 32, 64 or 128 px) through one modulated 3x3 conv,
then per doubling (one block per octave) a bilinear upsample and two modulated convs; each conv is modulated by an affine map of its own w (fig. 2:
styles scale the input channels, demodulation rescales each output map to unit variance), adds
per-pixel noise scaled by a learned strength (initially 0), a bias and LeakyReLU(0.2) * sqrt(2).
Skip-architecture output (fig. 7a): a 1x1 modulated, not demodulated toRGB at every resolution,
summed upsampled. The generator takes one w per layer, `num_ws` = convs + 1 (each toRGB shares the
w of the conv after it, as in the official code), so styles can be mixed at any crossover.
Noise: given per call (training: fresh draws), or the generator's constant noise images (the
official generate.py's noise_mode="const"), which make a sample a function of its z alone.
The generator keeps the running average of w (`w_average`) for the truncation trick; the model
updates it.

Discriminator (the residual D, fig. 7c): fromRGB 1x1, per halving (as many as G's doublings) two
3x3 convs and a 2x2 average down with a 1x1 down-sampled skip, summed and scaled by 1/sqrt(2),
then minibatch standard deviation (groups of 4 consecutive examples, one feature map; ProGAN
sec. 3), a 3x3 conv, a dense layer and the logit.
"""

import math

import keras
from keras import layers, ops

from tfgan_suite.networks.dcgan import square_size, upsampling_plan

GAIN = math.sqrt(2.0)  # LeakyReLU gain that keeps unit variance
# Files saved before the networks took one block per octave had two doublings at every size.
DOUBLINGS_BEFORE_OCTAVES = 2


def octaves(image_shape):
    """How many doublings the synthesis network takes from its constant to `image_shape`: one
    block per octave from the smallest size the side halves to (StyleGAN fig. 1: 4x4 to
    1024x1024; 4x4 to 32x32 for CIFAR-10, 7x7 to 28x28 here); the discriminator mirrors it."""
    height = square_size(image_shape, "The StyleGAN networks")
    if len(image_shape) != 3 or height % 4:
        raise ValueError(f"The StyleGAN networks make images (H, H, C) with H a multiple of 4 "
                         f"(e.g. 28 or 32); got {tuple(image_shape)}.")
    return upsampling_plan(height)[0]
MINIBATCH_GROUP = 4


def leaky_relu(x):
    return ops.leaky_relu(x, 0.2) * GAIN


def pixel_norm(x):
    return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + 1e-8)


def upsample(images):
    return ops.image.resize(images, (2 * images.shape[1], 2 * images.shape[2]),
                            interpolation="bilinear")


def downsample(images):
    return ops.average_pool(images, pool_size=2, strides=2, padding="valid")


@keras.saving.register_keras_serializable(package="tfgan_suite")
class EqualizedDense(layers.Layer):
    """Dense with an equalised learning rate; `bias_init` 1 for the style affines (fig. 2's
    modulation starts as the identity)."""

    def __init__(self, units, lr_multiplier=1.0, bias_init=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.lr_multiplier = float(lr_multiplier)
        self.bias_init = float(bias_init)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.gain = self.lr_multiplier / math.sqrt(fan_in)
        self.kernel = self.add_weight(
            name="kernel", shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier))
        self.bias = self.add_weight(
            name="bias", shape=(self.units,),
            initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier))

    def call(self, x):
        kernel = ops.cast(self.kernel * self.gain, self.compute_dtype)
        return ops.matmul(x, kernel) + ops.cast(self.bias * self.lr_multiplier, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "lr_multiplier": self.lr_multiplier,
                "bias_init": self.bias_init}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class EqualizedConv2D(layers.Layer):
    """Conv2D (stride 1, "same") with an equalised learning rate."""

    def __init__(self, filters, kernel_size=3, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.use_bias = bool(use_bias)

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.gain = 1.0 / math.sqrt(channels * self.kernel_size ** 2)
        self.kernel = self.add_weight(
            name="kernel", shape=(self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
                     if self.use_bias else None)

    def call(self, x):
        y = ops.conv(x, ops.cast(self.kernel * self.gain, self.compute_dtype), padding="same")
        return y if self.bias is None else y + ops.cast(self.bias, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class ModulatedConv2D(layers.Layer):
    """[x, w] -> conv of x with weights scaled per input channel by the style A(w) (eq. 1) and,
    with `demodulate`, per output map by 1 / sqrt(sum of the scaled weights^2 + 1e-8) (eq. 3).
    Computed as scale-inputs, conv, scale-outputs (the official code's non-fused path)."""

    def __init__(self, filters, kernel_size=3, demodulate=True, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.demodulate = bool(demodulate)

    def build(self, input_shape):
        x_shape, w_shape = input_shape
        channels = int(x_shape[-1])
        self.affine = EqualizedDense(channels, bias_init=1.0, name="affine")
        self.affine.build(w_shape)
        self.gain = 1.0 / math.sqrt(channels * self.kernel_size ** 2)
        self.kernel = self.add_weight(
            name="kernel", shape=(self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0))

    def call(self, inputs):
        x, w = inputs
        styles = self.affine(w)                                       # [N, in]
        kernel = ops.cast(self.kernel * self.gain, self.compute_dtype)
        y = ops.conv(x * styles[:, None, None, :], kernel, padding="same")
        if self.demodulate:
            energy = ops.matmul(ops.square(styles), ops.sum(ops.square(kernel), axis=(0, 1)))
            y = y * ops.rsqrt(energy + 1e-8)[:, None, None, :]      # [N, out]
        return y

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "demodulate": self.demodulate}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class StyleLayer(layers.Layer):
    """[x, w, noise or None] -> LeakyReLU(modulated conv(x) + strength * noise + bias), after a 2x
    upsample with `upsample`; None noise takes the layer's constant noise image."""

    def __init__(self, filters, size, upsample=False, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.size = int(size)
        self.upsample = bool(upsample)
        self.conv = ModulatedConv2D(self.filters, 3, name="conv")

    def build(self, input_shape):
        x_shape, w_shape = input_shape[:2]
        size = self.size
        self.conv.build(((None, size, size, x_shape[-1]), w_shape))
        self.noise_strength = self.add_weight(name="noise_strength", shape=(),
                                              initializer="zeros")
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
        self.constant_noise = self.add_weight(name="constant_noise", shape=(size, size, 1),
                                              initializer=keras.initializers.RandomNormal(),
                                              trainable=False)

    def call(self, inputs):
        x, w, noise = inputs
        if self.upsample:
            x = upsample(x)
        y = self.conv([x, w])
        noise = self.constant_noise[None] if noise is None else noise
        y = y + ops.cast(self.noise_strength * noise, y.dtype)
        return leaky_relu(y + ops.cast(self.bias, y.dtype))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "size": self.size,
                "upsample": self.upsample}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class StyleGenerator(keras.Model):
    """z -> image (styles of one w per layer, constant noise); see the module doc for the parts
    (`mapping`, `synthesis`, `truncate`, `mix`)."""

    def __init__(self, latent_dim, image_shape, width=64, w_dim=None, mapping_layers=2,
                 mapping_lr_multiplier=0.01, doublings=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.image_shape = tuple(image_shape)
        self.width = int(width)
        self.w_dim = int(w_dim or latent_dim)
        self.mapping_layers = int(mapping_layers)
        self.mapping_lr_multiplier = float(mapping_lr_multiplier)
        self.doublings = octaves(self.image_shape) if doublings is None else int(doublings)
        self.start_size = self.image_shape[0] // 2 ** self.doublings
        self.mapping_network = [EqualizedDense(self.w_dim, self.mapping_lr_multiplier,
                                               name=f"mapping_{i}")
                                for i in range(self.mapping_layers)]
        self.constant = self.add_weight(name="constant",
                                        shape=(self.start_size, self.start_size, self.width),
                                        initializer=keras.initializers.RandomNormal())
        sizes = [self.start_size] + [self.start_size * 2 ** (octave + 1)
                                     for octave in range(self.doublings) for _ in range(2)]
        # The first conv of each doubling upsamples.
        self.style_layers = [StyleLayer(self.width, size, upsample=i % 2 == 1, name=f"style_{i}")
                             for i, size in enumerate(sizes)]
        self.noise_shapes = [(size, size, 1) for size in sizes]
        # toRGB after the last conv of each resolution.
        self.rgb_after = tuple(range(0, len(sizes), 2))
        self.to_rgb = [ModulatedConv2D(self.image_shape[-1], 1, demodulate=False,
                                       name=f"to_rgb_{i}") for i in self.rgb_after]
        self.rgb_bias = self.add_weight(name="rgb_bias", shape=(self.image_shape[-1],),
                                        initializer="zeros")
        self.num_ws = len(self.style_layers) + 1
        # Not trained: the model moves it towards each batch's mean w.
        self.w_average = self.add_weight(name="w_average", shape=(self.w_dim,),
                                         initializer="zeros", trainable=False,
                                         aggregation="only_first_replica")

    def mapping(self, z):
        w = pixel_norm(z)
        for layer in self.mapping_network:
            w = leaky_relu(layer(w))
        return w

    def truncate(self, w, psi):
        """The truncation trick in W (StyleGAN app. B): w_avg + psi (w - w_avg)."""
        average = ops.cast(self.w_average, w.dtype)
        return average + ops.cast(psi, w.dtype) * (w - average)

    def broadcast(self, w):
        """One w for every layer: [N, num_ws, w_dim]."""
        return ops.repeat(w[:, None, :], self.num_ws, axis=1)

    def mix(self, ws, other_ws, crossover):
        """Style mixing (sec. 3.1): layers before `crossover` (a scalar or one per example) keep
        `ws`, the rest take `other_ws`."""
        crossover = ops.reshape(ops.cast(crossover, "int32"), (-1, 1))
        keep = ops.arange(self.num_ws, dtype="int32")[None, :] < crossover
        return ops.where(keep[:, :, None], ws, other_ws)

    def synthesis(self, ws, noises=None):
        """[N, num_ws, w_dim] -> images; `noises` one [N, H, W, 1] per layer, or None for the
        constant noise."""
        noises = noises or [None] * len(self.style_layers)
        x = ops.repeat(ops.cast(self.constant, self.compute_dtype)[None], ops.shape(ws)[0], axis=0)
        ws = ops.cast(ws, self.compute_dtype)
        rgb = None
        for i, (layer, noise) in enumerate(zip(self.style_layers, noises)):
            x = layer([x, ws[:, i], noise])
            if i in self.rgb_after:
                layer_rgb = self.to_rgb[self.rgb_after.index(i)]([x, ws[:, i + 1]])
                rgb = layer_rgb if rgb is None else upsample(rgb) + layer_rgb
        return rgb + ops.cast(self.rgb_bias, rgb.dtype)

    def images(self, ws):
        """Served images: the synthesis clipped to the data's range [-1, 1] (its output is
        linear; the official code clamps when it writes images)."""
        return ops.clip(self.synthesis(ws), -1.0, 1.0)

    def call(self, z, training=False):
        return self.images(self.broadcast(self.mapping(z)))

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "image_shape": list(self.image_shape), "width": self.width, "w_dim": self.w_dim,
                "mapping_layers": self.mapping_layers,
                "mapping_lr_multiplier": self.mapping_lr_multiplier, "doublings": self.doublings}

    @classmethod
    def from_config(cls, config):
        return super().from_config({"doublings": DOUBLINGS_BEFORE_OCTAVES, **config})


def minibatch_stddev(x):
    """Appends the mean standard deviation over groups of up to 4 consecutive examples as one
    feature map (ProGAN sec. 3). Groups of consecutive examples keep each replica's share of a
    global batch in the same groups, so 1 and N replicas agree."""
    batch = ops.shape(x)[0]
    group = ops.where(batch % MINIBATCH_GROUP == 0, MINIBATCH_GROUP, batch)
    height, width, channels = x.shape[1], x.shape[2], x.shape[3]
    grouped = ops.reshape(x, (-1, group, height, width, channels))
    std = ops.sqrt(ops.var(grouped, axis=1) + 1e-8)                  # [groups, H, W, C]
    feature = ops.mean(std, axis=(1, 2, 3))                          # [groups]
    feature = ops.repeat(feature, group, axis=0)[:, None, None, None]
    return ops.concatenate([x, ops.ones_like(x[..., :1]) * feature], axis=-1)


@keras.saving.register_keras_serializable(package="tfgan_suite")
class StyleDiscriminator(keras.Model):
    """image -> logit [N, 1]."""

    def __init__(self, image_shape, width=64, doublings=None, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(image_shape)
        self.width = int(width)
        self.doublings = octaves(self.image_shape) if doublings is None else int(doublings)
        self.from_rgb = EqualizedConv2D(self.width, 1, name="from_rgb")
        self.blocks = [(EqualizedConv2D(self.width, 3, name=f"block_{i}_conv0"),
                        EqualizedConv2D(self.width, 3, name=f"block_{i}_conv1"),
                        EqualizedConv2D(self.width, 1, use_bias=False, name=f"block_{i}_skip"))
                       for i in range(self.doublings)]
        self.epilogue_conv = EqualizedConv2D(self.width, 3, name="epilogue_conv")
        self.epilogue_dense = EqualizedDense(self.width, name="epilogue_dense")
        self.logit = EqualizedDense(1, name="logit")

    def call(self, images, training=False):
        x = leaky_relu(self.from_rgb(images))
        for conv0, conv1, skip in self.blocks:
            y = downsample(leaky_relu(conv1(leaky_relu(conv0(x)))))
            x = (y + skip(downsample(x))) / GAIN
        x = leaky_relu(self.epilogue_conv(minibatch_stddev(x)))
        x = leaky_relu(self.epilogue_dense(ops.reshape(x, (-1, x.shape[1] * x.shape[2]
                                                           * x.shape[3]))))
        return self.logit(x)

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "width": self.width, "doublings": self.doublings}

    @classmethod
    def from_config(cls, config):
        return super().from_config({"doublings": DOUBLINGS_BEFORE_OCTAVES, **config})
