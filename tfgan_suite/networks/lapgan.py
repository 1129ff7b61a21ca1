"""The Laplacian pyramid networks of LAPGAN (Denton et al. 2015, arXiv:1506.05751), scaled to
28-32 px: a pyramid of `levels` images, each twice the size of the one before (7 -> 14 -> 28 for
28 px, 8 -> 16 -> 32 for 32 px).

Pyramid (sec. 2): d halves an image (2x2 average), u doubles it (bilinear); the Gaussian
pyramid is I_k = d(I_{k+1}) from the image down, and the band-pass residual of a finer level is
h_k = I_k - u(I_{k-1}). Sampling runs it upwards: I_0 = G_0(z_0), I_k = u(I_{k-1}) + G_k(z_k,
u(I_{k-1})).

Generator (sec. 4, CIFAR-10 models): the coarsest level a fully connected net (two ReLU layers of
`4 * width` units; the paper's 600), each finer level a conv net (two 5x5 ReLU convs of `width`
maps, the paper's 128, and a linear 5x5 conv to the residual) on [u(I_{k-1}), a noise plane] (the
noise enters as an extra colour plane). Its single latent input z holds the coarse code z_0
followed by the finer levels' noise planes, so one z fixes the whole pyramid.
Discriminator: one per level, the coarsest fully connected, the finer ones conv nets (two 5x5
stride-2 LeakyReLU convs) on [h_k, u(I_{k-1})]; called on the list of level inputs, it returns
one logit per level, [N, levels].
Class-conditional (CC-LAPGAN, sec. 4): the one-hot class enters every level, concatenated to the
fully connected nets' inputs and, through a linear layer reshaped to one plane, to the conv nets'.
"""

import keras
from keras import layers, ops


def downsample(images):
    """d: half the size, each pixel the mean of a 2x2 block."""
    return ops.average_pool(images, pool_size=2, strides=2, padding="valid")


def upsample(images):
    """u: twice the size, bilinear."""
    height, width = images.shape[1], images.shape[2]
    return ops.image.resize(images, (2 * height, 2 * width), interpolation="bilinear")


def gaussian_pyramid(images, levels):
    """[I_0 (coarsest), ..., I_{levels-1} = images]."""
    pyramid = [images]
    for _ in range(levels - 1):
        pyramid.insert(0, downsample(pyramid[0]))
    return pyramid


def level_sizes(image_shape, levels):
    """The (height, width) of each level, coarsest first, or a clear error."""
    height, width = image_shape[:2]
    factor = 2 ** (levels - 1)
    if len(image_shape) != 3 or height % factor or width % factor or levels < 2:
        raise ValueError(f"A Laplacian pyramid of {levels} levels (>= 2) halves images (H, W, C) "
                         f"{levels - 1} times: H and W must be multiples of {factor}; got "
                         f"{tuple(image_shape)}.")
    return [(height // 2 ** k, width // 2 ** k) for k in reversed(range(levels))]


class _PyramidNetwork(keras.Model):
    """What both pyramid networks share: the level sizes and the class conditioning."""

    def __init__(self, image_shape, levels=3, width=64, num_classes=None, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(image_shape)
        self.levels = int(levels)
        self.width = int(width)
        self.num_classes = num_classes
        self.sizes = level_sizes(self.image_shape, self.levels)
        self.channels = self.image_shape[-1]

    def split_inputs(self, inputs, what):
        if self.num_classes is None:
            return inputs, None
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"This network is conditional on {self.num_classes} classes: call it "
                             f"on [{what}, labels].")
        return inputs[0], ops.one_hot(ops.cast(inputs[1], "int32"), self.num_classes)

    def label_planes(self):
        """Per finer level, one-hot -> one H x W plane (CC-LAPGAN), or None."""
        if self.num_classes is None:
            return None
        return [layers.Dense(height * width) for height, width in self.sizes[1:]]

    def with_labels(self, features, one_hot, level):
        """`features` with the class appended: to a vector, or as a plane to a feature map."""
        if one_hot is None:
            return features
        if level == 0:
            return ops.concatenate([features, ops.cast(one_hot, features.dtype)], axis=-1)
        height, width = self.sizes[level]
        plane = ops.reshape(self.planes[level - 1](one_hot), (-1, height, width, 1))
        return ops.concatenate([features, ops.cast(plane, features.dtype)], axis=-1)

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "levels": self.levels, "width": self.width, "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class LaplacianPyramidGenerator(_PyramidNetwork):
    """z (+ labels) -> the finest level's image, clipped to [-1, 1]; `pyramid` gives every level."""

    def __init__(self, code_dim, image_shape, levels=3, width=64, num_classes=None, **kwargs):
        super().__init__(image_shape, levels, width, num_classes, **kwargs)
        self.code_dim = int(code_dim)
        self.latent_dim = self.code_dim + sum(h * w for h, w in self.sizes[1:])
        (height, width_), channels = self.sizes[0], self.channels
        self.coarse_generator = keras.Sequential([
            layers.Dense(4 * width, activation="relu"), layers.Dense(4 * width, activation="relu"),
            layers.Dense(height * width_ * channels, activation="tanh"),
            layers.Reshape((height, width_, channels))], name="level_0")
        self.residual_generators = [keras.Sequential([
            layers.Conv2D(width, 5, padding="same", activation="relu"),
            layers.Conv2D(width, 5, padding="same", activation="relu"),
            layers.Conv2D(channels, 5, padding="same")], name=f"level_{k}")
            for k in range(1, self.levels)]
        self.planes = self.label_planes()

    def split_latent(self, z):
        """(z_0, [noise plane of each finer level, N x H x W x 1])."""
        cuts = [self.code_dim]
        for height, width in self.sizes[1:-1]:
            cuts.append(cuts[-1] + height * width)
        pieces = ops.split(z, cuts, axis=-1)
        return pieces[0], [ops.reshape(piece, (-1, height, width, 1))
                           for piece, (height, width) in zip(pieces[1:], self.sizes[1:])]

    def coarse(self, code, one_hot, training=False):
        """I_0 = G_0(z_0)."""
        return self.coarse_generator(self.with_labels(code, one_hot, 0), training=training)

    def residual(self, level, coarser, noise, one_hot, training=False):
        """h_k = G_k(z_k, u(I_{k-1})) for `coarser` = u(I_{k-1})."""
        features = self.with_labels(ops.concatenate([coarser, ops.cast(noise, coarser.dtype)], -1),
                                    one_hot, level)
        return self.residual_generators[level - 1](features, training=training)

    def pyramid(self, inputs, training=False):
        """[I_0, ..., I_{levels-1}]: the sampling chain, each level on the one before."""
        z, one_hot = self.split_inputs(inputs, "z")
        code, noise = self.split_latent(z)
        images = [self.coarse(code, one_hot, training)]
        for level in range(1, self.levels):
            coarser = upsample(images[-1])
            images.append(coarser + self.residual(level, coarser, noise[level - 1], one_hot,
                                                  training))
        return images

    def conditional_levels(self, inputs, coarser_images, training=False):
        """The generated inputs of each level's discriminator, the finer levels conditioned on the
        given coarser images (the paper trains each level on the real I_{k-1}): [G_0(z_0)] +
        [(h_k, u(I_{k-1}))]."""
        z, one_hot = self.split_inputs(inputs, "z")
        code, noise = self.split_latent(z)
        generated = [self.coarse(code, one_hot, training)]
        for level in range(1, self.levels):
            coarser = upsample(coarser_images[level - 1])
            generated.append((self.residual(level, coarser, noise[level - 1], one_hot, training),
                              coarser))
        return generated

    def call(self, inputs, training=False):
        return ops.clip(self.pyramid(inputs, training)[-1], -1.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "code_dim": self.code_dim}


def real_levels(images, levels):
    """The real inputs of each level's discriminator: [I_0] + [(h_k, u(I_{k-1}))]; also the
    Gaussian pyramid they come from."""
    pyramid = gaussian_pyramid(images, levels)
    return ([pyramid[0]] + [(fine - upsample(coarse), upsample(coarse))
                            for coarse, fine in zip(pyramid, pyramid[1:])]), pyramid


@keras.saving.register_keras_serializable(package="tfgan_suite")
class LaplacianPyramidDiscriminator(_PyramidNetwork):
    """[I_0, (h_1, u(I_0)), ...] (+ labels) -> one logit per level, [N, levels]."""

    def __init__(self, image_shape, levels=3, width=64, num_classes=None, **kwargs):
        super().__init__(image_shape, levels, width, num_classes, **kwargs)
        self.coarse_discriminator = keras.Sequential([
            layers.Flatten(), layers.Dense(4 * width), layers.LeakyReLU(0.2),
            layers.Dense(4 * width), layers.LeakyReLU(0.2), layers.Dense(1)], name="level_0")
        self.residual_discriminators = [keras.Sequential([
            layers.Conv2D(width, 5, strides=2, padding="same"), layers.LeakyReLU(0.2),
            layers.Conv2D(width, 5, strides=2, padding="same"), layers.LeakyReLU(0.2),
            layers.Flatten(), layers.Dense(1)], name=f"level_{k}")
            for k in range(1, self.levels)]
        self.planes = self.label_planes()

    def call(self, inputs, training=False):
        level_inputs, one_hot = self.split_inputs(inputs, "level inputs")
        flat = ops.reshape(level_inputs[0], (-1, self.sizes[0][0] * self.sizes[0][1]
                                             * self.channels))
        logits = [self.coarse_discriminator(self.with_labels(flat, one_hot, 0), training=training)]
        for level, (residual, coarser) in enumerate(level_inputs[1:], start=1):
            features = self.with_labels(ops.concatenate([residual, coarser], -1), one_hot, level)
            logits.append(self.residual_discriminators[level - 1](features, training=training))
        return ops.concatenate(logits, axis=-1)
