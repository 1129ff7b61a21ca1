"""InfoGAN's MNIST networks (Chen et al. 2016, arXiv:1606.03657, app. C.1, Table 1):

- G: FC 1024 BN ReLU -> FC 7x7x128 BN ReLU -> 4x4 upconv 64 stride 2 BN ReLU -> 4x4 upconv 1
  stride 2 (tanh here: the suite's images are in [-1, 1]);
- D: 4x4 conv 64 stride 2 lReLU -> 4x4 conv 128 stride 2 BN lReLU -> FC 1024 BN lReLU -> FC
  output; Q: FC 128 BN lReLU -> the codes' parameters, on D's 1024 features; lReLU slope 0.1.

They are DCGAN's networks (`tfgan_suite/networks/dcgan.py`) with 4x4 kernels, lReLU slope 0.1 and
one wide fully connected layer next to the latent code (G) or the logit (D), which DCGAN's
guidelines leave out. `filters` (64 in the paper) sets the convolutions and `units` (1024) the
fully connected layers; other square image sizes get DCGAN's stride-2 plan.
"""

import keras
from keras import layers, ops

from tfgan_suite.networks.conditional import CodeHead
from tfgan_suite.networks.conditioning import normal_init
from tfgan_suite.networks.dcgan import DCGANDiscriminator, DCGANGenerator, batch_norm

KERNEL_SIZE = 4
NEGATIVE_SLOPE = 0.1


@keras.saving.register_keras_serializable(package="tfgan_suite")
class InfoGANGenerator(DCGANGenerator):
    """[z, codes] -> FC `units` -> DCGAN's generator (FC to s x s x (filters * 2^(steps-1)),
    stride-2 upconvs halving the filters, tanh image of `image_shape`)."""

    def __init__(self, latent_dim, image_shape, filters=64, units=1024, kernel_size=KERNEL_SIZE,
                 **kwargs):
        super().__init__(latent_dim, image_shape, filters=filters, kernel_size=kernel_size,
                         **kwargs)
        self.units = int(units)
        self.hidden = layers.Dense(self.units, use_bias=False, kernel_initializer=normal_init())
        self.hidden_norm = batch_norm()

    def call(self, z, training=False):
        return self.decode(ops.relu(self.hidden_norm(self.hidden(z), training=training)),
                           training=training)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class InfoGANDiscriminator(DCGANDiscriminator):
    """image -> DCGAN's strided convolutions -> FC `units` -> the real/fake logit and Q's code
    parameters: {"logits", "code_logits", "code_means"}."""

    def __init__(self, image_shape, categorical_codes, continuous_codes, filters=64, units=1024,
                 kernel_size=KERNEL_SIZE, negative_slope=NEGATIVE_SLOPE, **kwargs):
        super().__init__(image_shape, filters=filters, kernel_size=kernel_size,
                         negative_slope=negative_slope, **kwargs)
        self.categorical_codes = int(categorical_codes)
        self.continuous_codes = int(continuous_codes)
        self.units = int(units)
        self.hidden = layers.Dense(self.units, use_bias=False, kernel_initializer=normal_init())
        self.hidden_norm = batch_norm()
        self.q_head = CodeHead(self.categorical_codes, self.continuous_codes, self.negative_slope)

    def call(self, x, training=False):
        hidden = self.hidden_norm(self.hidden(self.features(x, training=training)),
                                  training=training)
        hidden = ops.leaky_relu(hidden, self.negative_slope)
        return {"logits": self.logit(hidden), **self.q_head(hidden, training=training)}

    def get_config(self):
        return {**super().get_config(), "categorical_codes": self.categorical_codes,
                "continuous_codes": self.continuous_codes, "units": self.units}
