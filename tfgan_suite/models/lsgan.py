"""LSGAN: Mao et al. 2017, "Least Squares Generative Adversarial Networks" (ICCV; arXiv:1611.04076).

Eq. 2, with a linear discriminator output and the a-b-c coding (a: fakes' label for D, b: reals'
label, c: the value G wants D to believe for fakes):
    min_D 1/2 E_x[(D(x) - b)^2] + 1/2 E_z[(D(G(z)) - a)^2]
    min_G 1/2 E_z[(D(G(z)) - c)^2]
`coding` picks one of the paper's two schemes (sec. 3.2.2):
- "0-1-1" (eq. 10; a=0, b=1, c=1): G makes samples D takes for real; the default, as in the
  paper's experiments;
- "-1-1-0" (eq. 9; a=-1, b=1, c=0): b - c = 1 and b - a = 2, so minimising the objective
  minimises the Pearson chi^2 divergence between p_data + p_g and 2 p_g (Theorem 1).
Optimizer: Adam(2e-4, beta_1=0.5) for both networks, the DCGAN settings the paper builds on.
"""

from tfgan_suite import losses
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.core.options import Option

CODINGS = {"0-1-1": (0.0, 1.0, 1.0), "-1-1-0": (-1.0, 1.0, 0.0)}  # (a, b, c)


@register_variant("lsgan")
class LSGAN(LatentGAN):
    OPTIONS = (Option("coding", str, "0-1-1", "The a-b-c coding of eq. 9/10: 0-1-1 makes G's samples "
                      "pass for real (the paper's experiments), -1-1-0 minimises a Pearson chi^2 "
                      "divergence.", choices=tuple(CODINGS)),)

    def __init__(self, generator, discriminator, latent_dim, coding="0-1-1", **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if coding not in CODINGS:
            raise ValueError(f"coding must be one of {', '.join(CODINGS)} (a-b-c); got {coding!r}.")
        self.coding = coding
        self.fake_label, self.real_label, self.generator_target = CODINGS[coding]

    def discriminator_objective(self, real_outputs, fake_outputs):
        return losses.least_squares_discriminator_loss(real_outputs, fake_outputs,
                                                       self.real_label, self.fake_label)

    def generator_objective(self, fake_outputs):
        return losses.least_squares_generator_loss(fake_outputs, self.generator_target)

    def get_config(self):
        return {**super().get_config(), "coding": self.coding}
