"""InfoGAN's MNIST networks (Chen et al. 2016, arXiv:1606.03657, app. C.1, Table 1):

- G: FC 1024 BN ReLU -> FC 7x7x128 BN ReLU -> 4x4 upconv 64 stride 2 BN ReLU -> 4x4 upconv 1
  stride 2 (tanh here: the suite's images are in [-1, 1]);
- D: 4x4 conv 64 stride 2 lReLU -> 4x4 conv 128 stride 2 BN lReLU -> FC 1024 BN lReLU -> FC
  output; Q: FC 128 BN lReLU -> the codes' parameters, on D's 1024 features; lReLU slope 0.1.

Unlike DCGAN's (no fully connected hidden layers), both have a wide fully connected layer next to
the latent code or the logit. `filters` (64 in the paper) sets the convolutions and `units` (1024)
the fully connected layers; other square image sizes get the stride-2 plan DCGAN's networks use.
"""

import keras
from keras import layers, ops

from tfgan_suite.networks.conditional import CodeHead
from tfgan_suite.networks.conditioning import normal_init
from tfgan_suite.networks.dcgan import batch_norm, upsampling_plan

KERNEL_SIZE = 4
NEGATIVE_SLOPE = 0.1


@keras.saving.register_keras_serializable(package="tfgan_suite")
class InfoGANGenerator(keras.Model):
    """[z, codes] -> FC `units` -> FC s x s x (filters * 2^(steps-1)) -> stride-2 upconvs halving
    the filters -> tanh image of `image_shape`."""

    def __init__(self, latent_dim, image_shape, filters=64, units=1024, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.image_shape = tuple(image_shape)
        self.filters = int(filters)
        self.units = int(units)
        height, width, channels = self.image_shape
        if height != width:
            raise ValueError(f"InfoGAN's networks need square images; got {height}x{width}.")
        steps, self.start_size = upsampling_plan(height)
        self.start_filters = self.filters * 2 ** (steps - 1)
        self.dense = [layers.Dense(size, use_bias=False, kernel_initializer=normal_init())
                      for size in (self.units, self.start_size ** 2 * self.start_filters)]
        self.dense_norms = [batch_norm() for _ in self.dense]
        self.up_convs = [
            layers.Conv2DTranspose(self.start_filters // 2 ** (step + 1), KERNEL_SIZE, strides=2,
                                   padding="same", use_bias=False, kernel_initializer=normal_init())
            for step in range(steps - 1)]
        self.up_norms = [batch_norm() for _ in self.up_convs]
        self.to_image = layers.Conv2DTranspose(channels, KERNEL_SIZE, strides=2, padding="same",
                                               activation="tanh", kernel_initializer=normal_init())

    def call(self, z, training=False):
        h = z
        for dense, norm in zip(self.dense, self.dense_norms):
            h = ops.relu(norm(dense(h), training=training))
        h = ops.reshape(h, (-1, self.start_size, self.start_size, self.start_filters))
        for conv, norm in zip(self.up_convs, self.up_norms):
            h = ops.relu(norm(conv(h), training=training))
        return self.to_image(h)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "image_shape": list(self.image_shape), "filters": self.filters,
                "units": self.units}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class InfoGANDiscriminator(keras.Model):
    """image -> stride-2 convs doubling the filters (no norm on the first) -> FC `units` -> the
    real/fake logit and Q's code parameters: {"logits", "code_logits", "code_means"}."""

    def __init__(self, image_shape, categorical_codes, continuous_codes, filters=64, units=1024,
                 **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(image_shape)
        self.categorical_codes = int(categorical_codes)
        self.continuous_codes = int(continuous_codes)
        self.filters = int(filters)
        self.units = int(units)
        steps, _ = upsampling_plan(self.image_shape[0])
        self.down_convs = [
            layers.Conv2D(self.filters * 2 ** step, KERNEL_SIZE, strides=2, padding="same",
                          kernel_initializer=normal_init())
            for step in range(steps)]
        self.down_norms = [batch_norm() for _ in self.down_convs[1:]]
        self.flatten = layers.Flatten()
        self.hidden = layers.Dense(self.units, use_bias=False, kernel_initializer=normal_init())
        self.hidden_norm = batch_norm()
        self.logit = layers.Dense(1, kernel_initializer=normal_init())
        self.q_head = CodeHead(self.categorical_codes, self.continuous_codes, NEGATIVE_SLOPE)

    def call(self, x, training=False):
        h = ops.leaky_relu(self.down_convs[0](x), NEGATIVE_SLOPE)
        for conv, norm in zip(self.down_convs[1:], self.down_norms):
            h = ops.leaky_relu(norm(conv(h), training=training), NEGATIVE_SLOPE)
        features = ops.leaky_relu(
            self.hidden_norm(self.hidden(self.flatten(h)), training=training), NEGATIVE_SLOPE)
        return {"logits": self.logit(features), **self.q_head(features, training=training)}

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "categorical_codes": self.categorical_codes,
                "continuous_codes": self.continuous_codes, "filters": self.filters,
                "units": self.units}
