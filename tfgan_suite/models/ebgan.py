"""EBGAN: Zhao, Mathieu & LeCun 2017, "Energy-based Generative Adversarial Network" (ICLR;
arXiv:1609.03126).

The discriminator is an autoencoder whose energy is its reconstruction error,
D(x) = ||Dec(Enc(x)) - x||^2 (sec. 2.3; here the mean over pixels). With a margin m (eq. 1, 2):
    L_D = D(x) + [m - D(G(z))]^+
    L_G = D(G(z)) + lambda_PT f_PT(S)
where f_PT, the pulling-away term (eq. 4), is the mean squared cosine similarity between the
encoder codes S of different generated samples of the batch: it pushes G away from producing one
mode. lambda_PT = 0.1 as in the paper. The paper tunes m per data set; m = 1 here suits the
per-pixel energy of images in [-1, 1]. Adam(2e-4, beta_1=0.5) (the paper's models follow DCGAN).
Code size: 64 for images; 8 for 2-D points, an over-complete code that roughly doubles the share of
samples near a ring mode over a 2-D one (tests/test_loss_family_ring.py).

Under a distribution strategy f_PT is taken over the GLOBAL batch's codes (all-gathered, with
gradients flowing back to every replica), so 1 and N replicas take the same step.
"""

from tfgan_suite import losses
from tfgan_suite.core.adversarial import to_float32
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.core.options import Option


@register_variant("ebgan")
class EBGAN(LatentGAN):
    OPTIONS = (Option("margin", float, 1.0, "The margin m of D's hinge on fake energies; the paper "
                      "tunes it per data set, 1 suits the per-pixel energy of images in [-1, 1]."),
               Option("pt_weight", float, 0.1, "Weight of the pulling-away term in G's loss "
                      "(lambda_PT = 0.1 in the paper)."))

    discriminator_kind = "autoencoder"
    extra_metrics = ("pt",)
    energy_power = 2  # squared reconstruction error
    autoencoder_code_dim = {"images": 64, "points": 8}

    def __init__(self, generator, discriminator, latent_dim, margin=1.0, pt_weight=0.1, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if margin <= 0:
            raise ValueError(f"margin must be > 0; got {margin}.")
        self.margin = float(margin)
        self.pt_weight = float(pt_weight)

    def energy(self, images, reconstructions):
        return losses.reconstruction_error(images, reconstructions, self.energy_power)

    def discriminator_loss(self, images, labels, z):
        fake = self.generate(z, labels)
        real_energy = self.energy(images, self.discriminate(images, labels))
        fake_energy = self.energy(fake, self.discriminate(fake, labels))
        return {"d_loss": losses.energy_margin_loss(real_energy, fake_energy, self.margin)}

    def generator_loss(self, images, labels, z):
        fake = self.generate(z, labels)
        codes = to_float32(self.discriminator.encode(fake))
        fake_energy = self.energy(fake, to_float32(self.discriminator.decode(codes)))
        pt = self.global_pulling_away_term(codes)
        return {"g_loss": fake_energy + self.pt_weight * pt, "pt": pt}

    def global_pulling_away_term(self, codes):
        """f_PT per example of this replica, over the codes of the whole global batch."""
        return losses.pulling_away_term(codes, *self.global_batch(codes))

    def get_config(self):
        return {**super().get_config(), "margin": self.margin, "pt_weight": self.pt_weight}
