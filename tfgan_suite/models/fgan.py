"""f-GAN: Nowozin, Cseke & Tomioka 2016, "f-GAN: Training Generative Neural Samplers using
Variational Divergence Minimization" (NeurIPS; arXiv:1606.00709).

Variational Divergence Minimization (eq. 6): with the critic's raw output V(x) and the output
activation g_f taking it into the domain of the conjugate f* (Table 2),
    F(theta, omega) = E_{x~P}[g_f(V(x))] - E_{x~Q_theta}[f*(g_f(V(x)))]   <= D_f(P || Q_theta)
the critic ascends F (a lower bound on the divergence, tight at T = g_f(V) = f'(p/q)); the
generator, following sec. 3.2, ascends E_Q[g_f(V(G(z)))]. `divergence` picks f: "kl", "reverse_kl",
"jensen_shannon", "pearson", "squared_hellinger" or "total_variation".
One critic step per generator step (the paper's single-step gradient method, Algorithm 1), Adam
(2e-4, beta_1=0.5) for both networks (the DCGAN settings of its experiments). The logged
`divergence` is the batch's F, the critic's current estimate of D_f(P || Q).
"""

from tfgan_suite import losses
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.core.options import Option


@register_variant("fgan")
class FGAN(LatentGAN):
    OPTIONS = (Option("divergence", str, "kl", "The f-divergence the critic estimates and G "
                      "minimises (Table 2 of the paper).", choices=tuple(losses.F_DIVERGENCES)),)

    extra_metrics = ("divergence",)

    def __init__(self, generator, discriminator, latent_dim, divergence="kl", **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        losses.f_divergence(divergence)  # one clear error naming the valid divergences
        self.divergence = divergence

    def discriminator_loss(self, images, labels, z):
        fake = self.generate(z, labels)
        real_scores = self.discriminate(images, labels)
        bound = losses.variational_divergence_terms(real_scores, self.discriminate(fake, labels),
                                                    self.divergence)
        return {"d_loss": -bound, "divergence": bound, "real_scores": real_scores}

    def generator_objective(self, fake_outputs):
        return losses.f_gan_generator_loss(fake_outputs, self.divergence)

    def get_config(self):
        return {**super().get_config(), "divergence": self.divergence}
