"""SSGAN: Chen, Zhai, Ritter, Lucic & Houlsby 2019, "Self-Supervised GANs via Auxiliary Rotation
Loss" (CVPR; arXiv:1811.11212).

The discriminator has a second, linear head Q_D that predicts the rotation r in {0, 90, 180, 270}
degrees of an image x^r (eq. 1):
    L_D = V(G, D) - beta  E_{x ~ P_data} E_r log Q_D(R = r | x^r)
    L_G = -V(G, D) - alpha E_{x ~ P_G}   E_r log Q_D(R = r | x^r)
with beta = 1.0 (`real_rotation_weight`) for D on real images and alpha = 0.2
(`fake_rotation_weight`) for G on generated ones (the paper's weights, google/compare_gan
ssgan.py), V the hinge loss. D sees all four rotations of each real image, as the paper does
(four times the rotation signal of one drawn turn per image); G's fakes each get one rotation
drawn uniformly per step (the core's named noise, the same on 1 or N replicas), an unbiased
estimate of the expectation over r at the cost of one extra D call. D's rotation accuracy on
the real images (all four turns) is logged (`rotation_accuracy`).

Backbone: SNGAN's (`sngan`, as Mimicry builds its SSGAN on its SNGAN): ResNet networks, spectral
norm in D, hinge loss. Optimisation: G keeps SNGAN's setting C, Adam(2e-4, beta_1=0.5,
beta_2=0.999); D takes two steps per G step (`n_critic` = 2) with Adam(1e-3, beta_1=0.5,
beta_2=0.999), a faster D as in TTUR (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update
Rule", arXiv:1706.08500). Why not SNGAN's setting for D too: with it D learns MNIST's rotations
markedly slower (benchmarks/RESULTS.md, "SSGAN's rotation accuracy", which has the curves;
tests/test_architectures_mnist.py trains these defaults). D has SNGAN's two
blocks without pooling after its downsampling ones (its CIFAR-10 D, app. B): at 28 px the two
downsampling blocks alone see 16 px patches, too little to tell an image's top from its bottom
(benchmarks/RESULTS.md, "SSGAN's rotation accuracy").
Against google/compare_gan's ssgan.py (the authors' code): the rotation head is a linear
(spectrally normalised) map of the same pooled features phi(x) as the adversarial logit, and D's
rotation loss is the mean cross-entropy over all four turns of the real images, as here (they
turn a configurable subset, `rotated_batch_size`, of each batch; here the whole batch). One
difference is kept: their G's rotation loss averages all four turns of each fake, here one drawn
turn (the same expectation; D's extra work in G's step on N images instead of 3N).

The rotation accuracy this reaches on MNIST and Fashion-MNIST (where 180-degree turns of
trousers and bags look alike), against the same D trained on rotations alone
(`benchmarks/ssgan_rotation.py`): benchmarks/RESULTS.md, "SSGAN's rotation accuracy".
"""

import keras
from keras import ops

from tfgan_suite.core.latent import N_CRITIC
from tfgan_suite.core.options import Option
from tfgan_suite.core.registry import register_variant
from tfgan_suite.models.sngan import SNGAN
from tfgan_suite.networks.resnet import ROTATIONS, ResNetDiscriminator


def quarter_turns(images):
    """[images turned by k * 90 degrees for k = 0..3], images [N, H, W, C] square."""
    turned = [images]
    for _ in range(ROTATIONS - 1):
        turned.append(ops.flip(ops.transpose(turned[-1], (0, 2, 1, 3)), axis=1))
    return turned


def rotate(images, rotations):
    """Each image of `images` [N, H, W, C] (square) turned by rotations[i] * 90 degrees."""
    turned = quarter_turns(images)
    choice = ops.one_hot(rotations, ROTATIONS, dtype=images.dtype)
    return sum(choice[:, k, None, None, None] * turned[k] for k in range(ROTATIONS))


def rotation_cross_entropy(logits, rotations):
    """-log Q_D(R = r | x^r), per example."""
    return ops.sparse_categorical_crossentropy(rotations, logits, from_logits=True)


def rotation_accuracy(discriminator, images):
    """The share of `images` [N, H, W, C] whose turn an (unconditional) rotation head predicts,
    image i turned by (i mod 4) * 90 degrees, so that each turn is asked as often."""
    rotations = ops.arange(ops.shape(images)[0], dtype="int32") % ROTATIONS
    logits = discriminator(rotate(ops.convert_to_tensor(images), rotations),
                           training=False)["rotation_logits"]
    return float(ops.mean(ops.cast(ops.argmax(logits, axis=-1) == rotations, "float32")))


@register_variant("ssgan")
class SSGAN(SNGAN):
    OPTIONS = (Option("real_rotation_weight", float, 1.0, "Weight beta of D's rotation loss on real "
                      "images (1.0 in the paper)."),
               Option("fake_rotation_weight", float, 0.2, "Weight alpha of G's rotation loss on its "
                      "samples (0.2 in the paper)."),
               N_CRITIC.changed(2, "D steps per G step: 2, with D's Adam(1e-3, 0.5, 0.999), so D "
                                   "learns the rotations within a few hundred batches (SNGAN's "
                                   "setting C: 1)."))

    rotation_head = True
    n_critic = 2
    extra_metrics = ("d_adversarial", "d_rotation_loss", "rotation_accuracy",
                     "g_adversarial", "g_rotation_loss")

    def __init__(self, generator, discriminator, latent_dim, real_rotation_weight=1.0,
                 fake_rotation_weight=0.2, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if not getattr(discriminator, "rotation_head", False):
            raise ValueError("SSGAN's discriminator needs a rotation head "
                             "(ResNetDiscriminator(..., rotation_head=True)).")
        self.real_rotation_weight = float(real_rotation_weight)
        self.fake_rotation_weight = float(fake_rotation_weight)

    def default_optimizers(self):
        return {"discriminator": keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.999),
                "generator": self.paper_optimizer()}

    @classmethod
    def make_discriminator(cls, image_shape, width, num_classes):
        return ResNetDiscriminator(image_shape, width=width, num_classes=num_classes,
                                   rotation_head=True, same_size_blocks=2)

    def rotated(self, images):
        """(images, each turned by its own uniformly drawn quarter turn, the turns)."""
        rotations = self.noise("rotation", (), "uniform", 0, ROTATIONS, "int32",
                               batch_size=ops.shape(images)[0])
        return rotate(images, rotations), rotations

    def discriminator_loss(self, images, labels, z):
        fake = self.generate(z, labels)
        real_scores = self.discriminate(images, labels)["logits"]
        adversarial = self.discriminator_objective(real_scores,
                                                   self.discriminate(fake, labels)["logits"])
        # All four turns of each image, [4N] -> per image [N] (the mean over its turns).
        batch = ops.shape(images)[0]
        rotations = ops.repeat(ops.arange(ROTATIONS, dtype="int32"), batch)
        logits = self.discriminate(ops.concatenate(quarter_turns(images), axis=0),
                                   None if labels is None else ops.tile(labels, (ROTATIONS,)))
        per_image = lambda values: ops.mean(ops.reshape(values, (ROTATIONS, batch)), axis=0)
        rotation_loss = per_image(rotation_cross_entropy(logits["rotation_logits"], rotations))
        accuracy = per_image(ops.cast(
            ops.argmax(logits["rotation_logits"], axis=-1) == rotations, "float32"))
        return {"d_loss": adversarial + self.real_rotation_weight * rotation_loss,
                "d_adversarial": adversarial, "d_rotation_loss": rotation_loss,
                "rotation_accuracy": accuracy, "real_scores": real_scores}

    def generator_loss(self, images, labels, z):
        fake = self.generate(z, labels)
        adversarial = self.generator_objective(self.discriminate(fake, labels)["logits"])
        turned, rotations = self.rotated(fake)
        rotation_loss = rotation_cross_entropy(
            self.discriminate(turned, labels)["rotation_logits"], rotations)
        return {"g_loss": adversarial + self.fake_rotation_weight * rotation_loss,
                "g_adversarial": adversarial, "g_rotation_loss": rotation_loss}

    def get_config(self):
        return {**super().get_config(), "real_rotation_weight": self.real_rotation_weight,
                "fake_rotation_weight": self.fake_rotation_weight}
