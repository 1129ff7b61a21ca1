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

`LossVariantGAN` is the base of the variants that differ from GAN in their losses (LSGAN, f-GAN,
WGAN, WGAN-GP, EBGAN, BEGAN): one generator, one discriminator scoring real and generated batches
separately, networks chosen by the data's shape.
"""

from tfgan_suite import losses
from tfgan_suite.models.base import NOISE_STREAMS, GANModel
from tfgan_suite.models.registry import register_variant
from tfgan_suite.networks import (AutoencoderDiscriminator, DCGANDiscriminator, DCGANGenerator,
                                  MLPDiscriminator, MLPGenerator)


class LossVariantGAN(GANModel):
    """A variant defines `discriminator_objective(real_scores, fake_scores)` and
    `generator_objective(fake_scores)` (per-example losses of D's outputs), or overrides
    `discriminator_loss` / `generator_loss` when it needs more than the scores."""

    critic_normalization = "batch"   # the DCGAN discriminator's normalization: "batch", "layer", None
    discriminator_kind = "scores"    # "scores": D(x) is a score; "autoencoder": D(x) reconstructs x
    autoencoder_code_dim = {"images": 64, "points": 2}  # BEGAN's h = 64; a 2-D code for points

    def __init__(self, generator, discriminator, latent_dim, n_critic=None, **kwargs):
        n_critic = type(self).n_critic if n_critic is None else int(n_critic)
        if not 1 <= n_critic < NOISE_STREAMS // 2:
            raise ValueError(f"n_critic must be in [1, {NOISE_STREAMS // 2 - 1}]; got {n_critic}.")
        self.n_critic = n_critic
        super().__init__(generator, discriminator, latent_dim, **kwargs)

    @classmethod
    def create(cls, image_shape, latent_dim=64, num_classes=None, width=64, **kwargs):
        """DCGAN networks for images (H, W, C), `width` the discriminator's first-layer filters;
        MLPs with two hidden layers of `width` units (linear output) for points and vectors."""
        generator = cls.make_generator(image_shape, latent_dim, width, num_classes)
        discriminator = cls.make_discriminator(image_shape, width, num_classes)
        return cls(generator, discriminator, latent_dim, num_classes=num_classes, **kwargs)

    @classmethod
    def make_generator(cls, image_shape, latent_dim, width, num_classes):
        if len(image_shape) == 3:
            return DCGANGenerator(latent_dim, image_shape, filters=width, num_classes=num_classes)
        return MLPGenerator(latent_dim, image_shape, hidden=(width, width),
                            num_classes=num_classes, output_activation=None)

    @classmethod
    def make_discriminator(cls, image_shape, width, num_classes):
        images = len(image_shape) == 3
        if cls.discriminator_kind == "autoencoder":
            if num_classes is not None:
                raise ValueError(f"The {cls.variant} autoencoder discriminator is unconditional; "
                                 "build the model without num_classes.")
            code_dim = cls.autoencoder_code_dim["images" if images else "points"]
            return AutoencoderDiscriminator(image_shape, code_dim=code_dim, width=width)
        if images:
            return DCGANDiscriminator(image_shape, filters=width, num_classes=num_classes,
                                      normalization=cls.critic_normalization)
        return MLPDiscriminator(image_shape, hidden=(width, width), num_classes=num_classes)

    def generate(self, z, labels):
        """G(z) (or G(z, y)) in training mode."""
        return self.generator(self.generator_inputs(z, labels), training=True)

    def discriminate(self, images, labels):
        """D(x) (or D(x, y)) in training mode."""
        return self.discriminator(self.discriminator_inputs(images, labels), training=True)

    def discriminator_loss(self, images, labels, z):
        fake = self.generate(z, labels)
        return {"d_loss": self.discriminator_objective(self.discriminate(images, labels),
                                                       self.discriminate(fake, labels))}

    def generator_loss(self, images, labels, z):
        return {"g_loss": self.generator_objective(self.discriminate(self.generate(z, labels), labels))}

    def get_config(self):
        return {**super().get_config(), "n_critic": self.n_critic}


@register_variant("gan")
class GAN(LossVariantGAN):
    def __init__(self, generator, discriminator, latent_dim, loss="non_saturating", **kwargs):
        self.discriminator_objective, self.generator_objective = losses.adversarial_losses(loss)
        self.adversarial_loss = loss
        super().__init__(generator, discriminator, latent_dim, **kwargs)

    @classmethod
    def create(cls, image_shape, latent_dim=64, num_classes=None, width=128, **kwargs):
        """MLPs with two hidden layers of `width` units; tanh output for images, linear for 2-D points."""
        output_activation = "tanh" if len(image_shape) == 3 else None
        generator = MLPGenerator(latent_dim, image_shape, hidden=(width, width),
                                 num_classes=num_classes, output_activation=output_activation)
        discriminator = MLPDiscriminator(image_shape, hidden=(width, width), num_classes=num_classes)
        return cls(generator, discriminator, latent_dim, num_classes=num_classes, **kwargs)

    def get_config(self):
        return {**super().get_config(), "loss": self.adversarial_loss}

