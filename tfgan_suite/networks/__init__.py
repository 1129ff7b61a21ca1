"""Generator and discriminator networks, each a Keras model with an explicit `get_config()`."""

from tfgan_suite.networks.autoencoder import (AutoencoderDiscriminator, BatchNormAutoencoderDiscriminator,
                                              BatchNormUpsamplingGenerator, DecoderGenerator)
from tfgan_suite.networks.conditional import ConditionalDiscriminator, ImageEncoder
from tfgan_suite.networks.dcgan import DCGANDiscriminator, DCGANGenerator
from tfgan_suite.networks.mlp import MLPDiscriminator, MLPGenerator

__all__ = ["AutoencoderDiscriminator", "BatchNormAutoencoderDiscriminator",
           "BatchNormUpsamplingGenerator", "ConditionalDiscriminator", "DCGANDiscriminator",
           "DCGANGenerator", "DecoderGenerator", "ImageEncoder", "MLPDiscriminator", "MLPGenerator"]
