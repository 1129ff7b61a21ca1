"""ACGAN: Odena, Olah & Shlens 2017, "Conditional Image Synthesis with Auxiliary Classifier GANs"
(arXiv:1610.09585).

Every generated sample has a class c; G takes (z, c). The discriminator does NOT read c: it outputs
a probability over sources P(S | X) and one over classes P(C | X) (sec. 3), and the objective has
two parts (eq. 2-3):

    L_S = E[log P(S=real | X_real)] + E[log P(S=fake | X_fake)]       (source)
    L_C = E[log P(C=c | X_real)]    + E[log P(C=c | X_fake)]          (class)

D maximises L_S + L_C; G maximises L_C - L_S (with the non-saturating form of -L_S, as usual).
Logged: source_loss (-L_S), class_loss (D's -L_C) and g_class_loss (G's -L_C on its samples).
The classes of generated samples are the batch's real labels, i.e. drawn from the data's p(c).

Networks and optimisation: DCGAN's (the paper's MNIST/CIFAR models are DCGAN-like), Adam(2e-4,
beta_1=0.5), as in the paper's appendix (lr 0.0002, beta_1 0.5).
"""

from tfgan_suite import conditional_losses, losses
from tfgan_suite.models.base import GANModel
from tfgan_suite.models.registry import register_variant
from tfgan_suite.networks import ConditionalDiscriminator, DCGANGenerator


@register_variant("acgan")
class ACGAN(GANModel):
    requires_labels = True
    extra_metrics = ("source_loss", "class_loss", "g_class_loss")

    def __init__(self, generator, discriminator, latent_dim, class_weight=1.0, **kwargs):
        if kwargs.get("num_classes") is None:
            raise ValueError("acgan is conditional: pass num_classes (the data's classes) and "
                             "train on (images, labels).")
        self.class_weight = float(class_weight)
        super().__init__(generator, discriminator, latent_dim, **kwargs)

    @classmethod
    def create(cls, image_shape, latent_dim=100, num_classes=None, width=64, **kwargs):
        """DCGAN networks of `width` first-layer filters; D has a source logit and a class head."""
        if num_classes is None:
            raise ValueError("acgan is conditional: pass num_classes (the data's classes).")
        generator = DCGANGenerator(latent_dim, image_shape, filters=width, num_classes=num_classes)
        discriminator = ConditionalDiscriminator(image_shape, filters=width, num_classes=num_classes,
                                                 conditioning=None, class_head=True)
        return cls(generator, discriminator, latent_dim, num_classes=num_classes, **kwargs)

    def discriminator_inputs(self, images, labels=None):
        return images  # D predicts the class rather than reading it

    def discriminator_loss(self, images, labels, z):
        fake = self.generator([z, labels], training=True)
        real_out = self.discriminator(images, training=True)
        fake_out = self.discriminator(fake, training=True)
        source = losses.minimax_discriminator_loss(real_out["logits"], fake_out["logits"])
        classes = conditional_losses.acgan_discriminator_class_loss(
            real_out["class_logits"], fake_out["class_logits"], labels)
        return {"d_loss": source + self.class_weight * classes,
                "source_loss": source, "class_loss": classes}

    def generator_loss(self, images, labels, z):
        fake_out = self.discriminator(self.generator([z, labels], training=True), training=True)
        classes = conditional_losses.condition_loss(fake_out["class_logits"], labels)
        return {"g_loss": losses.non_saturating_generator_loss(fake_out["logits"])
                + self.class_weight * classes,
                "g_class_loss": classes}

    def get_config(self):
        return {**super().get_config(), "class_weight": self.class_weight}
