"""DCGAN networks (Radford, Metz & Chintala 2015, "Unsupervised Representation Learning with Deep
Convolutional GANs", sec. 3 "Architecture guidelines"):

- strided convolutions instead of pooling (fractional-strided in the generator);
- batch normalization in both networks, except the generator output and the discriminator input;
- no fully connected hidden layers; ReLU in the generator with tanh output; LeakyReLU(0.2) in the
  discriminator; weights from N(0, 0.02).

Batch normalization is synchronized across replicas so that statistics are those of the global batch:
training on 1 or N replicas then gives the same result.
"""

import keras
from keras import layers, ops

from tfgan_suite.networks.conditioning import normal_init, split_inputs

KERNEL_SIZE = 5


def square_size(image_shape, network):
    """The side of `image_shape`'s square images, or one error saying how to make them square."""
    height, width = image_shape[:2]
    if height != width:
        raise ValueError(f"{network}: square images only; got {height}x{width}. Resize the "
                         "data to one square size: --image-size S on the command line, "
                         "image_size=S in load_dataset.")
    return height


def upsampling_plan(image_size):
    """How many stride-2 steps take a square feature map to `image_size`, and its starting size.

    28 -> (2, 7); 32 -> (3, 4); 64 -> (4, 4). Halve while even and above 4.
    """
    steps, size = 0, image_size
    while size % 2 == 0 and size > 4:
        size //= 2
        steps += 1
    if steps == 0:
        raise ValueError(
            f"DCGAN networks need an even image size (e.g. 28, 32, 64); got {image_size}."
        )
    return steps, size


NORMALIZATIONS = ("batch", "layer", None)


def batch_norm():
    return layers.BatchNormalization(synchronized=True, momentum=0.9, epsilon=1e-5)


def _critic_norm(normalization):
    """The discriminator's normalization: DCGAN's batch norm; layer norm over (H, W, C) for critics
    whose loss is per example (WGAN-GP's gradient penalty, Gulrajani et al. 2017 sec. 4); or none."""
    if normalization == "batch":
        return batch_norm()
    if normalization == "layer":
        return layers.LayerNormalization(axis=(1, 2, 3), epsilon=1e-5)
    return layers.Identity()


@keras.saving.register_keras_serializable(package="tfgan_suite")
class DCGANGenerator(keras.Model):
    """z (+ one-hot label) -> project to s x s x (filters * 2^(steps-1)) -> stride-2 transposed convs
    halving the filters -> tanh image of `image_shape`."""

    def __init__(self, latent_dim, image_shape, filters=64, num_classes=None,
                 kernel_size=KERNEL_SIZE, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        self.filters = filters
        self.num_classes = num_classes
        self.kernel_size = int(kernel_size)
        channels = self.image_shape[-1]
        steps, self.start_size = upsampling_plan(square_size(self.image_shape, "DCGAN networks"))
        self.start_filters = filters * 2 ** (steps - 1)
        self.project = layers.Dense(
            self.start_size * self.start_size * self.start_filters, use_bias=False,
            kernel_initializer=normal_init())
        self.project_norm = batch_norm()
        self.up_convs = [
            layers.Conv2DTranspose(self.start_filters // 2 ** (step + 1), self.kernel_size,
                                   strides=2, padding="same", use_bias=False,
                                   kernel_initializer=normal_init())
            for step in range(steps - 1)
        ]
        self.up_norms = [batch_norm() for _ in self.up_convs]
        self.to_image = layers.Conv2DTranspose(
            channels, self.kernel_size, strides=2, padding="same", activation="tanh",
            kernel_initializer=normal_init())

    def call(self, inputs, training=False):
        z, onehot = split_inputs(inputs, self.num_classes)
        return self.decode(z if onehot is None else ops.concatenate([z, onehot], axis=-1),
                           training=training)

    def decode(self, h, training=False):
        """Project `h` to the starting feature map and upsample it to the image."""
        h = self.project_norm(self.project(h), training=training)
        h = ops.relu(ops.reshape(h, (-1, self.start_size, self.start_size, self.start_filters)))
        for conv, norm in zip(self.up_convs, self.up_norms):
            h = ops.relu(norm(conv(h), training=training))
        return self.to_image(h)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "image_shape": list(self.image_shape), "filters": self.filters,
                "num_classes": self.num_classes, "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class DCGANDiscriminator(keras.Model):
    """image -> stride-2 convs doubling the filters (no norm on the first) -> one logit.

    A class condition, when given, is concatenated to the flattened features before the logit.
    `normalization`: "batch" (DCGAN), "layer" or None (critics with a per-example penalty).
    """

    def __init__(self, image_shape, filters=64, num_classes=None, normalization="batch",
                 kernel_size=KERNEL_SIZE, negative_slope=0.2, **kwargs):
        super().__init__(**kwargs)
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}; got {normalization!r}.")
        self.image_shape = tuple(image_shape)
        self.filters = filters
        self.num_classes = num_classes
        self.normalization = normalization
        self.kernel_size = int(kernel_size)
        self.negative_slope = float(negative_slope)
        steps, _ = upsampling_plan(self.image_shape[0])
        self.down_convs = [
            layers.Conv2D(filters * 2 ** step, self.kernel_size, strides=2, padding="same",
                          kernel_initializer=normal_init())
            for step in range(steps)
        ]
        # No normalization on the discriminator's input layer (DCGAN guideline).
        self.down_norms = [_critic_norm(normalization) for _ in self.down_convs[1:]]
        self.flatten = layers.Flatten()
        self.logit = layers.Dense(1, kernel_initializer=normal_init())

    def features(self, x, training=False):
        """phi(x): the strided convolutions, flattened (feature matching: GANomaly, AnoGAN)."""
        h = ops.leaky_relu(self.down_convs[0](x), self.negative_slope)
        for conv, norm in zip(self.down_convs[1:], self.down_norms):
            h = ops.leaky_relu(norm(conv(h), training=training), self.negative_slope)
        return self.flatten(h)

    def call(self, inputs, training=False):
        x, onehot = split_inputs(inputs, self.num_classes)
        h = self.features(x, training=training)
        if onehot is not None:
            h = ops.concatenate([h, onehot], axis=-1)
        return self.logit(h)

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "filters": self.filters, "num_classes": self.num_classes,
                "normalization": self.normalization, "kernel_size": self.kernel_size,
                "negative_slope": self.negative_slope}
