"""pix2pix: Isola, Zhu, Zhou & Efros 2017, "Image-to-Image Translation with Conditional
Adversarial Networks" (CVPR; arXiv:1611.07004), for PAIRED data: batches of aligned (a_i, b_i).

Objective (eq. 4), for G: A -> B with a discriminator D(a, b) that sees the input and the output:
    G* = arg min_G max_D  L_cGAN(G, D) + lambda L_L1(G),     lambda = 100 (`l1_weight`)
    L_cGAN = E[log D(a, b)] + E[log(1 - D(a, G(a)))],   L_L1 = E |b - G(a)|_1
G maximises log D(a, G(a)) (the non-saturating form, sec. 3.3); D's objective is divided by 2
(sec. 3.3). The model trains the two directions as two independent pix2pix pairs (G_ab with D_b,
G_ba with D_a), so both `translate_a2b` and `translate_b2a` serve. Networks: the U-Net generator
and the PatchGAN (70x70 on 256 px; scaled down for small images) on the channel-wise
concatenation of (input, output). Adam(2e-4, beta_1 = 0.5).
"""

from keras import ops

from tfgan_suite import losses
from tfgan_suite.core.image_to_image import ImageToImageGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.networks.image_to_image import PatchDiscriminator, UNetGenerator
from tfgan_suite.core.options import Option


@register_variant("pix2pix")
class Pix2Pix(ImageToImageGAN):
    OPTIONS = (Option("l1_weight", float, 100.0, "Weight lambda of the L1 distance to the paired "
                      "target (100 in the paper)."),)

    paired = True
    extra_metrics = ("l1_loss",)

    def __init__(self, generator_ab, generator_ba, discriminator_a, discriminator_b, image_shape,
                 image_shape_b=None, l1_weight=100.0, **kwargs):
        super().__init__(generator_ab, generator_ba, discriminator_a, discriminator_b, image_shape,
                         image_shape_b, **kwargs)
        self.l1_weight = float(l1_weight)

    @classmethod
    def make_generator(cls, shape_in, channels_out, width, **options):
        return UNetGenerator(shape_in, channels_out, filters=width, **options)

    @classmethod
    def make_discriminator(cls, shape, other_shape, width):
        return PatchDiscriminator((*shape[:2], other_shape[-1] + shape[-1]), filters=width)

    def discriminate(self, domain, images, source=None, training=False):
        return super().discriminate(domain, ops.concatenate([source, images], axis=-1), training=training)

    def generator_loss(self, a, b):
        fake_b, fake_a = self.translate_both_ways(a, b)
        adversarial = (losses.non_saturating_generator_loss(self.discriminate("b", fake_b, a, True))
                       + losses.non_saturating_generator_loss(self.discriminate("a", fake_a, b, True)))
        l1 = losses.l1_error(fake_b, b) + losses.l1_error(fake_a, a)
        return {"g_loss": adversarial + self.l1_weight * l1, "l1_loss": l1}

    def discriminator_loss(self, a, b):
        fake_b, fake_a = self.translate_both_ways(a, b, for_discriminator=True)

        def halved(domain, real, fake, source):
            return 0.5 * losses.minimax_discriminator_loss(
                self.discriminate(domain, real, source, True),
                self.discriminate(domain, fake, source, True))

        return {"d_loss": halved("b", b, fake_b, a) + halved("a", a, fake_a, b)}

    def get_config(self):
        return {**super().get_config(), "l1_weight": self.l1_weight}
