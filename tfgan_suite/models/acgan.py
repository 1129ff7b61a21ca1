"""ACGAN: Odena, Olah & Shlens 2017, "Conditional Image Synthesis with Auxiliary Classifier GANs"
(arXiv:1610.09585).

Every generated sample has a class c; G takes (z, c). The discriminator does NOT read c: it outputs
a probability over sources P(S | X) and one over classes P(C | X) (sec. 3), and the objective has
two parts (eq. 2-3):

    L_S = E[log P(S=real | X_real)] + E[log P(S=fake | X_fake)]       (source)
    L_C = E[log P(C=c | X_real)]    + E[log P(C=c | X_fake)]          (class)

D maximises L_S + L_C; G maximises L_C - L_S (with the non-saturating form of -L_S, as usual;
`loss` may swap the source loss for the minimax or hinge one).
Logged: source_loss (-L_S), class_loss (D's -L_C) and g_class_loss (G's -L_C on its samples).
The classes of generated samples are the batch's real labels, i.e. drawn from the data's p(c).

Networks and optimisation: DCGAN's (the paper's MNIST/CIFAR models are DCGAN-like), Adam(2e-4,
beta_1=0.5), as in the paper's appendix (lr 0.0002, beta_1 0.5).
"""

from tfgan_suite.losses import conditional as conditional_losses
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.networks import ConditionalDiscriminator, DCGANGenerator
from tfgan_suite.core.latent import LATENT_DIM, WIDTH
from tfgan_suite.core.options import Option


@register_variant("acgan")
class ACGAN(LatentGAN):
    OPTIONS = (LATENT_DIM.changed(100, "Size of the latent code z, besides the class (100 in the "
                                       "paper's MNIST and CIFAR-10 models)."),
               WIDTH.changed(64, "Filters of the DCGAN discriminator's first layer, mirrored by the "
                                 "generator."),
               Option("class_weight", float, 1.0, "Weight of the class log-likelihood L_C against "
                      "the source one L_S (1: the paper's plain sum)."))

    requires_labels = True
    takes_loss = True
    extra_metrics = ("source_loss", "class_loss", "g_class_loss")

    def __init__(self, generator, discriminator, latent_dim, class_weight=1.0, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.class_weight = float(class_weight)

    @classmethod
    def create(cls, image_shape, latent_dim=100, num_classes=None, width=64, **kwargs):
        """DCGAN networks of `width` first-layer filters; D has a source logit and a class head."""
        if num_classes is None:
            raise ValueError("acgan is conditional: pass num_classes (the data's classes).")
        generator = DCGANGenerator(latent_dim, image_shape, filters=width, num_classes=num_classes)
        discriminator = ConditionalDiscriminator(image_shape, filters=width, num_classes=num_classes,
                                                 conditioning=None, class_head=True)
        return cls.create_built(generator, discriminator, latent_dim, num_classes=num_classes,
                                **kwargs)

    def discriminator_inputs(self, images, labels=None):
        return images  # D predicts the class rather than reading it

    def discriminator_loss(self, images, labels, z):
        real_out = self.discriminate(images, labels)
        fake_out = self.discriminate(self.generate(z, labels), labels)
        source = self.discriminator_objective(real_out["logits"], fake_out["logits"])
        classes = conditional_losses.acgan_discriminator_class_loss(
            real_out["class_logits"], fake_out["class_logits"], labels)
        return {"d_loss": source + self.class_weight * classes,
                "source_loss": source, "class_loss": classes, "real_scores": real_out["logits"]}

    def generator_loss(self, images, labels, z):
        fake_out = self.discriminate(self.generate(z, labels), labels)
        classes = conditional_losses.condition_loss(fake_out["class_logits"], labels)
        return {"g_loss": self.generator_objective(fake_out["logits"])
                + self.class_weight * classes,
                "g_class_loss": classes}

    def get_config(self):
        return {**super().get_config(), "class_weight": self.class_weight}
