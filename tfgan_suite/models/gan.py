"""GAN: Goodfellow et al. 2014, "Generative Adversarial Nets" (arXiv:1406.2661).

Algorithm 1: for each iteration, k discriminator steps ascending
    log D(x) + log(1 - D(G(z)))
then one generator step. The adversarial loss is one choice (`loss`), a (discriminator, generator)
pair from `tfgan_suite.losses.ADVERSARIAL_LOSSES`:
- "non_saturating" (default): G ascends log D(G(z)), as sec. 3 recommends;
- "minimax": G descends log(1 - D(G(z))), eq. 1 as written;
- "hinge": D descends max(0, 1 - D(x)) + max(0, 1 + D(G(z))), G descends -D(G(z)) (Lim & Ye 2017,
  the loss of SN-GAN, SAGAN and BigGAN).
The paper used k = 1 (`n_critic`).

Networks: fully connected (the paper's were maxout/ReLU MLPs), `width` units per hidden layer.
Optimizer: the paper used SGD with momentum; we default to Adam(2e-4, beta_1=0.5) for both networks,
which trains these small MLPs reliably (e.g. on the ring of 8 Gaussians).
"""

from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.networks import MLPDiscriminator, MLPGenerator
from tfgan_suite.core.latent import LATENT_DIM, WIDTH


@register_variant("gan")
class GAN(LatentGAN):
    OPTIONS = (LATENT_DIM.changed(64, "Size of the latent code z (the paper gives none; 64 "
                                      "suits the 2-D toys and MNIST)."),
               WIDTH.changed(128, "Units of each of the MLPs' two hidden layers."))

    takes_loss = True

    @classmethod
    def create(cls, image_shape, latent_dim=64, num_classes=None, width=128, **kwargs):
        """MLPs with two hidden layers of `width` units; tanh output for images, linear for 2-D points."""
        output_activation = "tanh" if len(image_shape) == 3 else None
        generator = MLPGenerator(latent_dim, image_shape, hidden=(width, width),
                                 num_classes=num_classes, output_activation=output_activation)
        discriminator = MLPDiscriminator(image_shape, hidden=(width, width), num_classes=num_classes)
        return cls.create_built(generator, discriminator, latent_dim, num_classes=num_classes,
                                **kwargs)
