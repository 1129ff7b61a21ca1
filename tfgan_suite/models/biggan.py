"""BigGAN (small): Brock, Donahue & Simonyan 2018, "Large Scale GAN Training for High Fidelity
Natural Image Synthesis" (ICLR 2019; arXiv:1809.11096), scaled down to 28-32 px.

On SAGAN's networks (`sagan`: spectral norm in G and D, self-attention, hinge loss, projection D):
- a shared class embedding and a hierarchical latent (sec. 3, fig. 15): z is split into one chunk
  for G's first linear layer and one per residual block; each block's conditional batch norm
  takes its gain and bias from linear projections of [shared embedding(y), its chunk]
  (`embedding_dim`, 128 in the paper, 32 here);
- orthogonal regularisation of G's weights (sec. 3.1, eq. 3), beta ||W^T W * (1 - I)||_F^2 with
  beta = 1e-4 (`orthogonal_weight`), logged as `orthogonal_penalty`;
- 2 D steps per G step (sec. 3); Adam(2e-4, beta_1=0, beta_2=0.999) for both networks
  (BigGAN-PyTorch's CIFAR-10 setting; the paper's 128 px rates were 5e-5 for G, 2e-4 for D). At
  width 16 on 28 px data the generator follows the class late at these rates (class accuracy at
  chance for 1000 batches); 5x them (`--learning-rate-scale 5`) learn the classes in about 600,
  as the quality test trains (benchmarks/RESULTS.md, "BigGAN's class conditioning");
- an exponential moving average of G's weights serves (sec. 4 / app. C: decay 0.9999, started
  after 20k steps, once G has slowed down). Here `ema_decay` 0.999 (an average over ~1000 steps)
  from `ema_start` 2000: before it the EMA is a copy of G, which is what should serve a short run
  (in runs of up to 1200 batches every EMA tried trailed the raw generator: benchmarks/RESULTS.md,
  "BigGAN's EMA against its raw generator");
- the truncation trick (sec. 3.1): sampling with `truncation` t resamples every latent value
  beyond +-t (`model.sample(..., truncation=t)`, and the `truncation` input of the exported
  `sample` and `sample_png` signatures, 0 meaning none), trading variety for fidelity.
"""

import keras

from tfgan_suite.core.registry import register_variant
from tfgan_suite.models.sagan import SAGAN
from tfgan_suite.networks.layers import (ORTHOGONAL_BETA, orthogonal_regularization,
                                         spectral_layers)
from tfgan_suite.networks.resnet import ResNetGenerator
from tfgan_suite.core.adversarial import EMA_DECAY, EMA_START
from tfgan_suite.core.latent import LATENT_DIM, N_CRITIC, WIDTH
from tfgan_suite.core.options import Option


@register_variant("biggan")
class BigGAN(SAGAN):
    OPTIONS = (LATENT_DIM.changed(120, "Size of the hierarchical latent z, split between G's input "
                                       "and its blocks (120 in the paper)."),
               Option("embedding_dim", int, 32, "Size of the shared class embedding (128 in the "
                      "paper, 32 for 28-32 px images)."),
               Option("orthogonal_weight", float, 1e-4, "Weight beta of the orthogonal "
                      "regularisation of G's weights (1e-4 in the paper)."),
               N_CRITIC.changed(2, "D steps per G step (2 in the paper)."),
               WIDTH.changed(64, "Channels of every residual block of G and D at 28-32 px (the "
                                 "paper's 128 and 256, scaled down). At 16 the paper's learning "
                                 "rates leave the class accuracy at chance for ~1000 batches; "
                                 "train with --learning-rate-scale 5 there, as the quality test "
                                 "does."),
               EMA_DECAY.changed(0.999, "Decay of the moving average of G that serves (0.9999 in "
                                        "the paper; 0.999 averages over ~1000 steps, for shorter "
                                        "runs); null: the raw G serves."),
               EMA_START.changed(2000, "Step from which the average moves (20k in the paper, for "
                                       "shorter runs here); before it, it is a copy of G."))

    requires_labels = True
    takes_truncation = True
    n_critic = 2
    extra_metrics = ("orthogonal_penalty",)

    def __init__(self, generator, discriminator, latent_dim, orthogonal_weight=ORTHOGONAL_BETA,
                 **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.orthogonal_weight = float(orthogonal_weight)

    @classmethod
    def create(cls, image_shape, latent_dim=120, num_classes=None, width=64, embedding_dim=32,
               ema_decay=0.999, ema_start=2000, **kwargs):
        """ResNet networks of `width` channels per block; the generator's latent (`latent_dim`
        values, 120 in the paper) split into hierarchical chunks, its classes embedded in
        `embedding_dim` values; EMA of G with `ema_decay` from step `ema_start`."""
        if num_classes is None:
            raise ValueError("biggan is class-conditional: pass num_classes (the data's classes).")
        cls.check_images(image_shape)
        generator = ResNetGenerator(latent_dim, image_shape, width=width, num_classes=num_classes,
                                    shared_embedding_dim=embedding_dim, spectral=True,
                                    attention=True)
        discriminator = cls.make_discriminator(image_shape, width, num_classes)
        return cls.create_built(generator, discriminator, latent_dim, num_classes=num_classes,
                                ema_decay=ema_decay, ema_start=ema_start, **kwargs)

    def default_optimizers(self):
        return {name: keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.999)
                for name in ("discriminator", "generator")}

    def generator_loss(self, images, labels, z):
        terms = super().generator_loss(images, labels, z)
        penalty = orthogonal_regularization(
            [layer.kernel for layer in spectral_layers(self.generator)], self.orthogonal_weight)
        # A per-example term: its batch mean (what the core descends) is the penalty itself.
        return {**terms, "g_loss": terms["g_loss"] + penalty,
                "orthogonal_penalty": penalty + 0.0 * terms["g_loss"]}

    def get_config(self):
        return {**super().get_config(), "orthogonal_weight": self.orthogonal_weight}
