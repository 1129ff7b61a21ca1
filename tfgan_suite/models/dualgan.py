"""DualGAN: Yi, Zhang, Tan & Gong 2017, "DualGAN: Unsupervised Dual Learning for Image-to-Image
Translation" (ICCV; arXiv:1704.02510). This follows the PAPER (sec. 3), not the official code
(duxingren14/DualGAN: sigmoid cross-entropy losses and lambda 20):

    critics (WGAN, Arjovsky et al. 2017):  l_d_V = D_V(G_A(u)) - D_V(v),  l_d_U likewise
    generators:  l_g = lambda_U |u - G_B(G_A(u))|_1 + lambda_V |v - G_A(G_B(v))|_1
                       - D_V(G_A(u)) - D_U(G_B(v))
Here U = domain A, V = domain B, G_A = generator_ab, G_B = generator_ba. lambda_U = lambda_V
(`reconstruction_weight`) = 100, the low end of the paper's [100, 1000]. As in WGAN, the critics
take `n_critic` = 2 steps, each followed by clipping their weights to [-c, c] (c = 0.01,
`clip_value`), before one generator step; RMSProp with learning rate 5e-5 for all four networks.
Networks: U-Net generators and PatchGAN critics (sec. 3.1: "the same network architecture as in
pix2pix").
"""

import keras
from keras import ops

from tfgan_suite import losses
from tfgan_suite.core.adversarial import Phase
from tfgan_suite.core.image_to_image import ImageToImageGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.networks.image_to_image import UNetGenerator
from tfgan_suite.core.image_to_image import N_CRITIC
from tfgan_suite.core.options import Option


@register_variant("dualgan")
class DualGAN(ImageToImageGAN):
    OPTIONS = (N_CRITIC.changed(2, "Critic steps per generator step (2 in the paper)."),
               Option("reconstruction_weight", float, 100.0, "Weight lambda of both reconstruction "
                      "errors, the low end of the paper's [100, 1000]; narrow networks (width 16) "
                      "learn only the round trip at 100 and need about 10."),
               Option("clip_value", float, 0.01, "The critics' weights are clipped to [-c, c] "
                      "after each of their steps (c = 0.01, as in WGAN); at width 16 0.1 (with "
                      "10x the learning rates) gives the critics a usable signal."))

    extra_metrics = ("reconstruction_loss",)

    def __init__(self, generator_ab, generator_ba, discriminator_a, discriminator_b, image_shape,
                 image_shape_b=None, n_critic=2, reconstruction_weight=100.0, clip_value=0.01,
                 **kwargs):
        super().__init__(generator_ab, generator_ba, discriminator_a, discriminator_b, image_shape,
                         image_shape_b, n_critic=n_critic, **kwargs)
        if clip_value <= 0:
            raise ValueError(f"clip_value must be > 0; got {clip_value}.")
        self.reconstruction_weight = float(reconstruction_weight)
        self.clip_value = float(clip_value)

    @classmethod
    def make_generator(cls, shape_in, channels_out, width, **options):
        return UNetGenerator(shape_in, channels_out, filters=width, **options)

    def phases(self):
        return (Phase("d_loss", ("discriminator_a", "discriminator_b"), "discriminator_loss",
                      repeat=self.n_critic, after="clip_critics"),
                Phase("g_loss", ("generator_ab", "generator_ba"), "generator_loss"))

    def paper_optimizer(self):
        return keras.optimizers.RMSprop(5e-5)

    def generator_loss(self, a, b):
        fake_b, fake_a = self.translate_both_ways(a, b)
        reconstruction = losses.cycle_consistency_loss(
            a, self.run(self.generator_ba, fake_b, True), b,
            self.run(self.generator_ab, fake_a, True))
        scores_b = self.discriminate("b", fake_b, training=True)
        scores_a = self.discriminate("a", fake_a, training=True)
        adversarial = (losses.wasserstein_generator_loss(scores_b)
                       + losses.wasserstein_generator_loss(scores_a))
        return {"g_loss": self.reconstruction_weight * reconstruction + adversarial,
                "reconstruction_loss": reconstruction}

    def discriminator_loss(self, a, b):
        fake_b, fake_a = self.translate_both_ways(a, b, for_discriminator=True)

        def critic(domain, real, fake):
            return losses.wasserstein_critic_loss(self.discriminate(domain, real, training=True),
                                                  self.discriminate(domain, fake, training=True))

        return {"d_loss": critic("a", a, fake_a) + critic("b", b, fake_b)}

    def clip_critics(self, terms):
        for weight in self.discriminator_a.trainable_variables + self.discriminator_b.trainable_variables:
            weight.assign(ops.clip(weight, -self.clip_value, self.clip_value))

    def get_config(self):
        return {**super().get_config(), "reconstruction_weight": self.reconstruction_weight,
                "clip_value": self.clip_value}
