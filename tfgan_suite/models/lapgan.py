"""LAPGAN: Denton, Chintala, Szlam & Fergus 2015, "Deep Generative Image Models using a Laplacian
Pyramid of Adversarial Networks" (NeurIPS; arXiv:1506.05751).

A Laplacian pyramid of GANs (sec. 3; networks in `tfgan_suite.networks.lapgan`): for 28 px the
levels are 7 -> 14 -> 28 (8 -> 16 -> 32 for 32 px). The coarsest level is a GAN on the
low-pass image I_0 = d(d(x)); each finer level k a conditional GAN whose generator makes the
band-pass residual h_k = I_k - u(I_{k-1}) from noise and the upsampled coarser image u(I_{k-1}),
and whose discriminator sees (h_k, u(I_{k-1})), the real or the generated residual next to the
image it refines. As in the paper each level is trained on the REAL coarser image of the batch
(sec. 3.1, eq. 3-4), so the levels are independent: here they are trained jointly, one stacked
player per role (every level's generator in `generator`, every level's discriminator in
`discriminator`, losses summed over levels), which keeps the core's phases, EMA and signatures.
Sampling runs the pyramid upwards in one graph (I_k = u(I_{k-1}) + G_k(z_k, u(I_{k-1}))), also in
the exported `sample` signature; z holds every level's noise.

Loss: the GAN objective of Goodfellow et al. per level (eq. 2), G non-saturating.
Class-conditional with `num_classes` (CC-LAPGAN, sec. 4): the class enters every level.
Optimisation: the paper used SGD (lr 0.02, momentum 0.5 rising to 0.8); we use Adam(2e-4,
beta_1=0.5) for both roles, as DCGAN, which trains these small nets without a schedule.
"""

from tfgan_suite.core.adversarial import to_float32
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.networks.lapgan import (LaplacianPyramidDiscriminator,
                                         LaplacianPyramidGenerator, level_sizes, real_levels)
from tfgan_suite.core.latent import LATENT_DIM, WIDTH
from tfgan_suite.core.options import Option


@register_variant("lapgan")
class LAPGAN(LatentGAN):
    OPTIONS = (LATENT_DIM.changed(100, "Values in the coarsest level's code z_0 (100 in the "
                                       "paper); each finer level adds one noise plane."),
               WIDTH.changed(64, "Feature maps of the convolutional nets, 4 x width units in the "
                                 "fully connected ones."),
               Option("levels", int, 3, "Levels of the pyramid, each twice the size of the one "
                      "before (3: 7, 14, 28 px for MNIST)."))

    @classmethod
    def create(cls, image_shape, latent_dim=100, num_classes=None, width=64, levels=3, **kwargs):
        """A pyramid of `levels` levels, each twice the size of the one before. `latent_dim`
        values in the coarse code z_0 (100 in the paper), to which the model's z adds one noise
        plane per finer level. `width` feature maps in the conv nets, 4 * `width` units in the
        fully connected ones."""
        level_sizes(image_shape, levels)  # one clear error before any network is built
        generator = LaplacianPyramidGenerator(latent_dim, image_shape, levels, width, num_classes)
        discriminator = LaplacianPyramidDiscriminator(image_shape, levels, width, num_classes)
        return cls.create_built(generator, discriminator, generator.latent_dim,
                                num_classes=num_classes, **kwargs)

    def build_weights(self):
        fake = self.generator(self.probe_inputs("generator"))
        labels = None if self.num_classes is None else self.probe_inputs("generator")[1]
        real = real_levels(fake, self.generator.levels)[0]
        self.discriminator(self.discriminator_inputs(real, labels))
        self.image_shape = tuple(int(d) for d in fake.shape[1:])

    def level_inputs(self, images, labels, z):
        """(real, generated) inputs of each level's discriminator; the generated finer levels
        refine the real coarser images."""
        real, pyramid = real_levels(images, self.generator.levels)
        fake = to_float32(self.generator.conditional_levels(self.generator_inputs(z, labels),
                                                            pyramid, training=True))
        return real, fake

    def discriminator_loss(self, images, labels, z):
        real, fake = self.level_inputs(images, labels, z)
        real_logits, fake_logits = self.discriminate(real, labels), self.discriminate(fake, labels)
        return {"d_loss": sum(self.discriminator_objective(real_logits[:, k], fake_logits[:, k])
                              for k in range(self.generator.levels))}

    def generator_loss(self, images, labels, z):
        fake_logits = self.discriminate(self.level_inputs(images, labels, z)[1], labels)
        return {"g_loss": sum(self.generator_objective(fake_logits[:, k])
                              for k in range(self.generator.levels))}
