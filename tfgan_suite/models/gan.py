"""GAN: Goodfellow et al. 2014, "Generative Adversarial Nets" (arXiv:1406.2661).

Algorithm 1: for each iteration, k discriminator steps ascending
    log D(x) + log(1 - D(G(z)))
then one generator step descending log(1 - D(G(z))) ("minimax"), or, as sec. 3 recommends,
ascending log D(G(z)) ("non_saturating", the default). The paper used k = 1.

Networks: fully connected (the paper's were maxout/ReLU MLPs), `hidden` units per layer.
Optimizer: the paper used SGD with momentum; we default to Adam(2e-4, beta_1=0.5) for both networks,
which trains these small MLPs reliably (e.g. on the ring of 8 Gaussians).
"""

from tfgan_suite import losses
from tfgan_suite.models.base import GANModel
from tfgan_suite.models.registry import register_variant
from tfgan_suite.networks import MLPDiscriminator, MLPGenerator

GENERATOR_LOSSES = {
    "minimax": losses.minimax_generator_loss,
    "non_saturating": losses.non_saturating_generator_loss,
}


@register_variant("gan")
class GAN(GANModel):
    def __init__(self, generator, discriminator, latent_dim, generator_loss="non_saturating",
                 **kwargs):
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {sorted(GENERATOR_LOSSES)}; "
                             f"got {generator_loss!r}.")
        self.generator_loss_kind = generator_loss
        super().__init__(generator, discriminator, latent_dim, **kwargs)

    @classmethod
    def create(cls, image_shape, latent_dim=64, num_classes=None, width=128, **kwargs):
        """MLPs with two hidden layers of `width` units; tanh output for images, linear for 2-D points."""
        output_activation = "tanh" if len(image_shape) == 3 else None
        generator = MLPGenerator(latent_dim, image_shape, hidden=(width, width),
                                 num_classes=num_classes, output_activation=output_activation)
        discriminator = MLPDiscriminator(image_shape, hidden=(width, width), num_classes=num_classes)
        return cls(generator, discriminator, latent_dim, num_classes=num_classes, **kwargs)

    def discriminator_loss(self, images, labels, z):
        fake = self.generator(self.generator_inputs(z, labels), training=True)
        real_logits = self.discriminator(self.discriminator_inputs(images, labels), training=True)
        fake_logits = self.discriminator(self.discriminator_inputs(fake, labels), training=True)
        return {"d_loss": losses.minimax_discriminator_loss(real_logits, fake_logits)}

    def generator_loss(self, images, labels, z):
        fake = self.generator(self.generator_inputs(z, labels), training=True)
        fake_logits = self.discriminator(self.discriminator_inputs(fake, labels), training=True)
        return {"g_loss": GENERATOR_LOSSES[self.generator_loss_kind](fake_logits)}

    def get_config(self):
        return {**super().get_config(), "generator_loss": self.generator_loss_kind}
