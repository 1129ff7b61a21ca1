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

Backbone and optimisation: SNGAN's (`sngan`, as Mimicry builds its SSGAN on its SNGAN): ResNet
networks, spectral norm in D, hinge loss, and the `sngan` optimiser settings. D has SNGAN's two
blocks without pooling after its downsampling ones (its CIFAR-10 D, app. B): at 28 px the two
downsampling blocks alone see 16 px patches, too little to tell an image's top from its bottom
(rotation accuracy 0.41 against 0.68 with them, D trained on rotations alone for 300 batches).
Against google/compare_gan's ssgan.py (the authors' code): the rotation head is a linear
(spectrally normalised) map of the same pooled features phi(x) as the adversarial logit, and D's
rotation loss is the mean cross-entropy over all four turns of the real images, as here (they
turn a configurable subset, `rotated_batch_size`, of each batch; here the whole batch). One
difference is kept: their G's rotation loss averages all four turns of each fake, here one drawn
turn (the same expectation; D's extra work in G's step on N images instead of 3N).

Rotation accuracy on real images never trained on (all four turns; chance 0.25), width 16:
- MNIST (tests/test_architectures_mnist.py, 9000 images trained on, 1000 held out), batches of
  64: with the `sngan` optimiser for both players 0.46 / 0.54 after 100 / 200 batches; with D's
  learning rate raised to 1e-3 (G's unchanged), one `fit` (the test's run):
    batches  100   200   300   400   500   600   700   800   900   1000  1100  1200
    seed 0   0.39  0.58  0.70  0.80  0.88  0.88  0.92
    seed 1   0.58  0.65  0.72  0.71  0.79  0.80  0.85  0.88  0.90  0.90  0.88  0.93
  (~0.75 CPU s a batch): the paper's > 0.9 first at 700 / 900 batches, not yet for good (seed 1
  swings by up to 0.06 between checkpoints 50 batches apart: 0.88 / 0.87 / 0.93 at 1100 / 1150
  / 1200). beta = 2 (not the paper's) for seed 1: 0.74 / 0.82 / 0.68 / 0.88 / 0.89 / 0.92 after
  200 / 400 / 450 / 600 / 700 / 800 batches, ~100 batches ahead and as unsteady.
  D's beta_1 = 0.9 instead of 0.5 gives 0.81 at 400: no faster.
  Other settings (CPU s under a shared 2-core load): SNGAN's ResNet Adam(1e-3, beta_1 = 0,
  beta_2 = 0.9) for D, seed 1: 0.48 / 0.52 / 0.66 / 0.63 after 100 / 200 / 300 / 400 batches
  (287 CPU s), slower. n_dis = 2 (`n_critic=2`: two D steps on each batch's real images,
  ~1.15 CPU s a batch) and width 24 (~1.2 CPU s a batch), held out / logged:
    batches          100        200        300        400        450        500        550
    n_dis 2, seed 0  0.61 / .55 0.85 / .79 0.91 / .87 0.93 / .90 0.93 / .91 0.96 / .93 0.95 / .94
    n_dis 2, seed 1  0.62 / .66 0.81 / .75 0.83 / .79 0.87 / .82 0.88 / .84 0.76 / .86 0.91 / .89
    width 24, seed 1 0.56 / .49 0.74 / .67 0.75 / .72 0.79 / .76 0.81 / .80 0.52 / .82
  (n_dis = 2: 620 CPU s at 550, seed 0's FID 116, 10 digits of 2%+; seed 1 0.84 / .89 at 600,
  712 CPU s; width 24: 615 CPU s at 500). n_dis = 2 is ahead at equal CPU s (seed 1 0.88 at
  540 s; n_dis = 1 0.85 at ~700 batches, width 24 0.81 at 552 s) and seed 0 holds 0.93-0.96
  from 350 batches, but seed 1 swings as much as before (0.76 at 500) and width 24 fell to 0.52
  at 500: no setting holds > 0.9 on both seeds within ~700 CPU s. n_dis = 2 with SNGAN's ResNet
  optimiser scaled (D's Adam(4e-4, 0, 0.9)), seed 1: 0.50 / 0.66 / 0.69 / 0.69 / 0.74 after
  100 / 200 / 300 / 400 / 450 batches (510 CPU s), slower.
- Fashion-MNIST: 0.495 after 300 batches with the `sngan` optimiser. This D trained as a plain
  rotation classifier (Adam 1e-3, all four turns of 300 batches of 64) reaches 0.73 there (0.61
  on 180-degree turns: trousers, bags and dresses look alike upside down) against 0.95 on MNIST:
  the paper's > 0.9 is within this D's reach on MNIST only.
"""

from keras import ops

from tfgan_suite.models.registry import register_variant
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


@register_variant("ssgan")
class SSGAN(SNGAN):
    rotation_head = True
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
        adversarial = self.discriminator_objective(self.discriminate(images, labels)["logits"],
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
                "rotation_accuracy": accuracy}

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
