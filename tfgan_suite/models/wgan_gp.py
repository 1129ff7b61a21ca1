"""WGAN-GP: Gulrajani et al. 2017, "Improved Training of Wasserstein GANs" (NeurIPS;
arXiv:1704.00028), Algorithm 1.

    for t = 1 .. n_critic (5):
        epsilon ~ U[0, 1] per example;  x_hat = epsilon x + (1 - epsilon) G(z)
        critic descends  D(G(z)) - D(x) + lambda (||grad_x_hat D(x_hat)||_2 - 1)^2     (eq. 3)
    generator descends -D(G(z))
lambda = 10, Adam(1e-4, beta_1=0, beta_2=0.9) for both networks, batch 64. The penalty is taken
per example, so the critic must not mix examples: no batch norm (sec. 4 suggests layer norm, which
the DCGAN critic uses here; the MLP critic has none).

Under a distribution strategy each replica draws its rows of the GLOBAL batch's epsilons (the
core's named noise), and the per-example penalty joins the per-example loss that the base
scales by the global batch: 1 and N replicas take the same step.
"""

import keras
from tfgan_suite import losses
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.core.latent import N_CRITIC
from tfgan_suite.core.options import Option


@register_variant("wgan_gp")
class WGANGP(LatentGAN):
    OPTIONS = (Option("penalty_weight", float, 10.0, "Weight lambda of the gradient penalty "
                      "(10 in the paper)."),
               N_CRITIC.changed(5, "Critic steps per generator step (5 in the paper)."))

    n_critic = 5
    critic_normalization = "layer"
    extra_metrics = ("gp",)

    def __init__(self, generator, discriminator, latent_dim, penalty_weight=10.0, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.penalty_weight = float(penalty_weight)

    def paper_optimizer(self):
        return keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9)

    generator_objective = staticmethod(losses.wasserstein_generator_loss)

    def discriminator_loss(self, images, labels, z):
        fake = self.generate(z, labels)
        penalty = losses.gradient_penalty(lambda x: self.discriminate(x, labels), images, fake,
                                          self.interpolation_weights(images))
        real_scores = self.discriminate(images, labels)
        critic = losses.wasserstein_critic_loss(real_scores, self.discriminate(fake, labels))
        return {"d_loss": critic + self.penalty_weight * penalty, "gp": penalty,
                "real_scores": real_scores}

    def interpolation_weights(self, images):
        """epsilon ~ U[0, 1], one per example, broadcast over its pixels; a fresh draw for each
        critic iteration."""
        return self.noise("epsilon", [1] * (len(images.shape) - 1), "uniform")

    def get_config(self):
        return {**super().get_config(), "penalty_weight": self.penalty_weight}
