"""DiscoGAN: Kim, Cha, Kim, Lee & Kim 2017, "Learning to Discover Cross-Domain Relations with
Generative Adversarial Networks" (ICML; arXiv:1703.05192). This follows the PAPER (sec. 3.3):

    L_G = L_GAN_B + L_CONST_A + L_GAN_A + L_CONST_B
    L_CONST_A = d(G_BA(G_AB(x_A)), x_A)    (d: mean squared error; the paper also tries cosine
                                             and hinge distances)
    L_GAN_B = -E[log D_B(G_AB(x_A))]        (the non-saturating GAN loss)
    L_D = L_D_A + L_D_B, each -E[log D(x)] - E[log(1 - D(G(x')))]
Unit weights. The official code (SKTBrain/DiscoGAN) differs: per direction (0.1 GAN + 0.9 feature
matching)(1 - r) + r reconstruction, r = 0.01 for 10k iterations then 0.5, D trained every third
iteration; not followed here.
Networks (sec. 4): the generator an encoder-decoder of 4x4 stride-2 convolutions and
deconvolutions with leaky ReLU (the U-Net without skips, instance norm for replica parity where
the paper has batch norm); the discriminator the encoder plus a score, a PatchGAN whose receptive
field covers the whole image (one decision per image, as the paper's D). Adam(2e-4,
beta = (0.5, 0.999)).
"""

import keras

from tfgan_suite import losses
from tfgan_suite.core.image_to_image import ImageToImageGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.networks.image_to_image import (PatchDiscriminator, UNetGenerator,
                                                 patch_receptive_field)


@register_variant("discogan")
class DiscoGAN(ImageToImageGAN):
    extra_metrics = ("reconstruction_loss",)

    @classmethod
    def make_generator(cls, shape_in, channels_out, width, **options):
        return UNetGenerator(shape_in, channels_out, filters=width, skips=False, **options)

    @classmethod
    def make_discriminator(cls, shape, other_shape, width):
        downsamples = 1
        while patch_receptive_field(downsamples) < shape[0]:
            downsamples += 1
        return PatchDiscriminator(shape, filters=width, downsamples=downsamples)

    def paper_optimizer(self):
        return keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999)

    def generator_loss(self, a, b):
        fake_b, fake_a = self.translate_both_ways(a, b)
        scores_b = self.discriminate("b", fake_b, training=True)
        scores_a = self.discriminate("a", fake_a, training=True)
        adversarial = (losses.non_saturating_generator_loss(scores_b)
                       + losses.non_saturating_generator_loss(scores_a))
        reconstruction = losses.cycle_consistency_loss(
            a, self.run(self.generator_ba, fake_b, True), b,
            self.run(self.generator_ab, fake_a, True), distance=losses.squared_error)
        return {"g_loss": adversarial + reconstruction, "reconstruction_loss": reconstruction}

    def discriminator_loss(self, a, b):
        fake_b, fake_a = self.translate_both_ways(a, b, for_discriminator=True)

        def loss(domain, real, fake):
            return losses.minimax_discriminator_loss(self.discriminate(domain, real, training=True),
                                                     self.discriminate(domain, fake, training=True))

        return {"d_loss": loss("a", a, fake_a) + loss("b", b, fake_b)}
