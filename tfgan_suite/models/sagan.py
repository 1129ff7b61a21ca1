"""SAGAN: Zhang, Goodfellow, Metaxas & Odena 2018, "Self-Attention Generative Adversarial
Networks" (ICML 2019; arXiv:1805.08318).

On top of SNGAN (`sngan`): spectral normalisation in the generator as well as the discriminator
(sec. 4.1), a self-attention block (sec. 3, eq. 1-3: y = gamma o + x, gamma initialised at 0) at
the middle resolution of both networks (here half the image size; table 1 of the paper places it
at 8 to 64 px feature maps of its 128 px networks and finds the larger ones better), the hinge
loss (eq. 4), and the two-time-scale update rule (sec. 4.2): Adam(beta_1=0, beta_2=0.9) with
learning rate 4e-4 for D and 1e-4 for G, one D step per G step. Class-conditional with
`num_classes` (conditional batch norm in G, projection discriminator, as the paper's ImageNet
model), unconditional without.
"""

import keras

from tfgan_suite.core.registry import register_variant
from tfgan_suite.models.sngan import SNGAN


@register_variant("sagan")
class SAGAN(SNGAN):
    n_critic = 1
    spectral_generator = True
    attention = True

    def default_optimizers(self):
        return {"discriminator": keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.9),
                "generator": keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9)}
