"""DCGAN: Radford, Metz & Chintala 2015, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks" (arXiv:1511.06434).

The GAN objective (non-saturating generator loss) with the paper's all-convolutional networks
(see `tfgan_suite.networks.dcgan`) and its training details (sec. 4): Adam with learning rate 2e-4
and beta_1 = 0.5 for both networks, weights from N(0, 0.02), LeakyReLU slope 0.2, mini-batches of
128, real and generated images in separate batches through the discriminator (so batch
normalization never mixes them).
"""

from tfgan_suite.models.gan import GAN
from tfgan_suite.core.registry import register_variant


@register_variant("dcgan")
class DCGAN(GAN):
    @classmethod
    def create(cls, image_shape, latent_dim=100, num_classes=None, width=64, **kwargs):
        """`width` is the discriminator's first-layer filters (64 in the paper's LSUN model); the
        generator mirrors it."""
        if len(image_shape) != 3:
            raise ValueError(f"DCGAN needs images of shape (H, W, C); got {tuple(image_shape)}. "
                             "Use the `gan` variant for 2-D points or flat vectors.")
        # The latent template's networks for images are DCGAN's (GAN's own are MLPs).
        return super(GAN, cls).create(image_shape, latent_dim, num_classes, width, **kwargs)
