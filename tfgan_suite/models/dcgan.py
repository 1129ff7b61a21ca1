"""DCGAN: Radford, Metz & Chintala 2015, "Unsupervised Representation Learning with Deep
Convolutional Generative Adversarial Networks" (arXiv:1511.06434).

The GAN objective with the paper's all-convolutional networks (see `tfgan_suite.networks.dcgan`)
and its training details (sec. 4): Adam with learning rate 2e-4 and beta_1 = 0.5 for both
networks, weights from N(0, 0.02), LeakyReLU slope 0.2, mini-batches of 128, real and generated
images in separate batches through the discriminator (so batch normalization never mixes them).
The adversarial loss (`loss`) is chosen as in `gan`, "non_saturating" by default, "minimax" or
"hinge". The latent template's networks for images and optimizer are this paper's, so DCGAN adds
only its latent size and the check for images.
"""

from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.core.latent import LATENT_DIM, WIDTH


@register_variant("dcgan")
class DCGAN(LatentGAN):
    OPTIONS = (LATENT_DIM.changed(100, "Size of the latent code z (100 in the paper)."),
               WIDTH.changed(64, "Filters of the discriminator's first layer, mirrored by the "
                                 "generator (64 in the paper's LSUN model)."))

    takes_loss = True

    @classmethod
    def create(cls, image_shape, latent_dim=100, num_classes=None, width=64, **kwargs):
        """`width` is the discriminator's first-layer filters (64 in the paper's LSUN model); the
        generator mirrors it."""
        if len(image_shape) != 3:
            raise ValueError(f"DCGAN needs images of shape (H, W, C); got {tuple(image_shape)}. "
                             "Use the `gan` variant for 2-D points or flat vectors.")
        return super().create(image_shape, latent_dim, num_classes, width, **kwargs)
