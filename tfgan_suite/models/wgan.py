"""WGAN: Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN" (ICML; arXiv:1701.07875), Algorithm 1.

    while not converged:
        for t = 1 .. n_critic (5):
            critic ascends  D(x) - D(G(z))          (estimates W(P_r, P_g), eq. 3)
            clip the critic's weights to [-c, c]    (c = 0.01: a K-Lipschitz critic)
        generator descends -D(G(z))
RMSProp with learning rate 5e-5 for both networks (momentum-based optimizers made training
unstable, sec. 4); batch 64 in the paper. The critic is the DCGAN discriminator (the paper's DCGAN
experiments kept its batch norm) for images, an MLP for points. The base's train_step gets one data
batch, so the n_critic iterations reuse its real images, each with fresh z.
"""

import keras
from keras import ops

from tfgan_suite import losses
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.core.latent import N_CRITIC
from tfgan_suite.core.options import Option


@register_variant("wgan")
class WGAN(LatentGAN):
    OPTIONS = (Option("clip_value", float, 0.01, "The critic's weights are clipped to [-c, c] after "
                      "each of its steps (c = 0.01 in the paper)."),
               N_CRITIC.changed(5, "Critic steps per generator step (5 in the paper)."))

    n_critic = 5

    def __init__(self, generator, discriminator, latent_dim, clip_value=0.01, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if clip_value <= 0:
            raise ValueError(f"clip_value must be > 0; got {clip_value}.")
        self.clip_value = float(clip_value)

    def paper_optimizer(self):
        return keras.optimizers.RMSprop(5e-5)

    discriminator_objective = staticmethod(losses.wasserstein_critic_loss)
    generator_objective = staticmethod(losses.wasserstein_generator_loss)

    def after_discriminator_step(self, terms):
        for weight in self.discriminator.trainable_variables:
            weight.assign(ops.clip(weight, -self.clip_value, self.clip_value))

    def get_config(self):
        return {**super().get_config(), "clip_value": self.clip_value}
