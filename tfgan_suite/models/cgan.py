"""cGAN: Mirza & Osindero 2014, "Conditional Generative Adversarial Nets" (arXiv:1411.1784), with
the condition and mismatch losses that make the condition explicit.

Eq. 2: min_G max_D E[log D(x | y)] + E[log(1 - D(G(z | y) | y))]: both networks see the class y.
On top of that adversarial game:

- the generator minimises  g_adversarial + condition_weight * condition_loss, where the condition
  loss is how far G(z | y) is from its condition as judged by an auxiliary classifier head on the
  discriminator's body, -log C(y | G(z | y)). The head learns on REAL labelled images only
  (`classifier_loss`, in the discriminator's step), so unlike ACGAN it never learns from samples;
- the discriminator minimises  d_adversarial + mismatch_weight * mismatch_loss, where the mismatch
  ("perturbation") loss asks D to reject real images paired with a wrong, randomly drawn class:
  the matching-aware term of Reed et al. 2016 (GAN-CLS, Algorithm 1), without which D can
  ignore y and the generator's classes drift.

Each term is logged: d_adversarial, mismatch_loss, g_adversarial, condition_loss, classifier_loss
(a term with weight 0 is neither computed nor logged, and its head is not built).

The adversarial loss is `loss` (non_saturating by default, minimax or hinge), the mismatch term
that loss's fake side.

Conditioning: "concat" (the one-hot class joins the discriminator's features, as the paper joins
y to x and z) or "projection" (Miyato & Koyama 2018, D(x, y) = psi(phi(x)) + embed(y) . phi(x)).
The generator always takes [z, one-hot y] concatenated.

Networks and optimisation: DCGAN's (Radford et al. 2015): Adam(2e-4, beta_1=0.5) for both
networks, N(0, 0.02) weights. The paper's MNIST model was an MLP trained with SGD; the DCGAN
networks train faster and more stably on 28x28 images.
"""

from keras import ops

from tfgan_suite.losses import conditional as conditional_losses
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.networks import ConditionalDiscriminator, DCGANGenerator
from tfgan_suite.core.latent import LATENT_DIM, WIDTH
from tfgan_suite.core.options import Option

CONDITIONINGS = ("concat", "projection")


@register_variant("cgan")
class CGAN(LatentGAN):
    OPTIONS = (LATENT_DIM.changed(100, "Size of the latent code z, besides the one-hot class "
                                       "(100 in the paper's MNIST model)."),
               WIDTH.changed(64, "Filters of the DCGAN discriminator's first layer, mirrored by the "
                                 "generator (DCGAN networks, not the paper's MLPs: they train "
                                 "faster on 28x28 images)."),
               Option("conditioning", str, "concat", "How D reads the class: concatenated to its "
                      "features (as the paper joins y to x) or by projection (Miyato & Koyama 2018).",
                      choices=CONDITIONINGS),
               Option("condition_weight", float, 1.0, "Weight of G's condition loss, judged by a "
                      "classifier head trained on real images only (0: no head); not in the paper, "
                      "it keeps the classes from drifting."),
               Option("mismatch_weight", float, 1.0, "Weight of D's loss on real images paired with "
                      "a wrong class (Reed et al. 2016; 0: none); not in the paper, without it D can "
                      "ignore the class."))

    requires_labels = True
    takes_loss = True

    def __init__(self, generator, discriminator, latent_dim, condition_weight=1.0,
                 mismatch_weight=1.0, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if condition_weight and not discriminator.class_head:
            raise ValueError("condition_weight > 0 needs a discriminator with a class head "
                             "(ConditionalDiscriminator(..., class_head=True)).")
        self.condition_weight = float(condition_weight)
        self.mismatch_weight = float(mismatch_weight)

    @classmethod
    def create(cls, image_shape, latent_dim=100, num_classes=None, width=64,
               conditioning="concat", condition_weight=1.0, **kwargs):
        """DCGAN networks of `width` first-layer filters; `conditioning` is "concat" or "projection"."""
        generator, discriminator = cls.make_networks(image_shape, latent_dim, num_classes, width,
                                                     conditioning, condition_weight)
        return cls.create_built(generator, discriminator, latent_dim, num_classes=num_classes,
                                condition_weight=condition_weight, **kwargs)

    @classmethod
    def make_networks(cls, image_shape, latent_dim, num_classes, width, conditioning,
                      condition_weight):
        if num_classes is None:
            raise ValueError(f"{cls.variant} is conditional: pass num_classes (the data's classes).")
        if conditioning not in CONDITIONINGS:
            raise ValueError(f"conditioning must be one of {CONDITIONINGS}; got {conditioning!r}.")
        generator = DCGANGenerator(latent_dim, image_shape, filters=width, num_classes=num_classes)
        discriminator = ConditionalDiscriminator(image_shape, filters=width, num_classes=num_classes,
                                                 conditioning=conditioning,
                                                 class_head=bool(condition_weight))
        return generator, discriminator

    @property
    def extra_metrics(self):
        return (("d_adversarial", "g_adversarial")
                + (("mismatch_loss",) if self.mismatch_weight else ())
                + (("condition_loss", "classifier_loss") if self.condition_weight else ()))

    def wrong_labels(self, labels):
        """A class other than `labels`, uniformly: y + U{1, ..., K-1} mod K."""
        shift = self.noise("wrong_labels", (), "uniform", 1, self.num_classes, "int32",
                           batch_size=ops.shape(labels)[0])
        return (labels + shift) % self.num_classes

    def discriminator_loss(self, images, labels, z):
        fake = self.generate(z, labels)
        real_out = self.discriminate(images, labels)
        fake_out = self.discriminate(fake, labels)
        d_adversarial = self.discriminator_objective(real_out["logits"], fake_out["logits"])
        terms = {"d_adversarial": d_adversarial, "real_scores": real_out["logits"]}
        d_loss = d_adversarial
        if self.mismatch_weight:
            mismatched = self.discriminate(images, self.wrong_labels(labels))
            terms["mismatch_loss"] = conditional_losses.mismatch_loss(mismatched["logits"],
                                                                      self.adversarial_loss)
            d_loss += self.mismatch_weight * terms["mismatch_loss"]
        if self.condition_weight:
            terms["classifier_loss"] = conditional_losses.classifier_loss(
                real_out["class_logits"], labels)
            d_loss += terms["classifier_loss"]
        return {**terms, "d_loss": d_loss}

    def generator_loss(self, images, labels, z):
        fake_out = self.discriminate(self.generate(z, labels), labels)
        g_adversarial = self.generator_objective(fake_out["logits"])
        terms = {"g_adversarial": g_adversarial}
        g_loss = g_adversarial
        if self.condition_weight:
            terms["condition_loss"] = conditional_losses.condition_loss(
                fake_out["class_logits"], labels)
            g_loss += self.condition_weight * terms["condition_loss"]
        return {**terms, "g_loss": g_loss}

    def get_config(self):
        return {**super().get_config(), "condition_weight": self.condition_weight,
                "mismatch_weight": self.mismatch_weight}
