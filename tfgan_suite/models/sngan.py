"""SNGAN: Miyato et al. 2018, "Spectral Normalization for Generative Adversarial Networks"
(ICLR; arXiv:1802.05957), the reference point of the modern-architecture family.

Every layer of D computes with W / sigma(W), sigma(W) its largest singular value estimated by one
power iteration per step (Algorithm 1; `tfgan_suite.networks.layers.SpectralDense`), which makes
D 1-Lipschitz per layer. Loss: the hinge loss (sec. 4, the ResNet results of table 2)
    D descends max(0, 1 - D(x)) + max(0, 1 + D(G(z))),   G descends -D(G(z)).
Networks: the ResNet G and D of app. B (`tfgan_suite.networks.resnet`), scaled to 28-32 px with
`width` channels per block (at 64 and 128 px the ImageNet networks' per-block multipliers of it); conditional with `num_classes` (Miyato & Koyama 2018, "cGANs with
Projection Discriminator": conditional BN in G, projection in D).
Optimisation: setting C of table 1 (sec. 4.1), Adam(2e-4, beta_1=0.5, beta_2=0.999) for both
networks with n_dis = 1 discriminator step per generator step, batch 64; SN-GAN was robust to it
(fig. 1), and a step costs a fifth of the D updates of the ResNet runs' setting, Adam(2e-4,
beta_1=0, beta_2=0.9) with n_dis = 5 (`n_critic=5` and `compile(optimizers=...)` restore it).
"""

import keras

from tfgan_suite import losses
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.networks.resnet import ResNetDiscriminator, ResNetGenerator
from tfgan_suite.core.latent import LATENT_DIM, N_CRITIC, WIDTH


@register_variant("sngan")
class SNGAN(LatentGAN):
    OPTIONS = (LATENT_DIM.changed(128, "Size of the latent code z (128 in the paper)."),
               WIDTH.changed(64, "Channels of every residual block of G and D at 28-32 px (the "
                                 "paper's 128 and 256, scaled down); at 64 and 128 px the "
                                 "base of the papers' per-block multipliers."),
               N_CRITIC.changed(1, "D steps per G step: 1, the paper's setting C; its ResNet runs "
                                   "used 5, at five times the cost of a step."))

    n_critic = 1
    spectral_generator = False  # SN in G too (SAGAN, BigGAN)
    attention = False           # self-attention at the middle resolution (SAGAN, BigGAN)
    rotation_head = False       # D predicts rotations (SSGAN)

    discriminator_objective = staticmethod(losses.hinge_discriminator_loss)
    generator_objective = staticmethod(losses.hinge_generator_loss)

    @classmethod
    def create(cls, image_shape, latent_dim=128, num_classes=None, width=64, **kwargs):
        """ResNet G and D with `width` channels per block, z of `latent_dim` values (128 in
        the paper); class-conditional when `num_classes` is given (conditional BN in G,
        projection D)."""
        return super().create(image_shape, latent_dim=latent_dim, num_classes=num_classes,
                              width=width, **kwargs)

    @classmethod
    def make_generator(cls, image_shape, latent_dim, width, num_classes):
        cls.check_images(image_shape)
        return ResNetGenerator(latent_dim, image_shape, width=width, num_classes=num_classes,
                               spectral=cls.spectral_generator, attention=cls.attention)

    @classmethod
    def make_discriminator(cls, image_shape, width, num_classes):
        return ResNetDiscriminator(image_shape, width=width, num_classes=num_classes,
                                   attention=cls.attention, rotation_head=cls.rotation_head)

    @classmethod
    def check_images(cls, image_shape):
        if len(image_shape) != 3:
            raise ValueError(f"{cls.variant} has convolutional ResNet networks: it trains on "
                             f"images (H, W, C); got data of shape {tuple(image_shape)}.")

    def paper_optimizer(self):
        return keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999)
