"""CycleGAN: Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks" (ICCV; arXiv:1703.10593).

Full objective (eq. 3), with the least-squares adversarial loss of sec. 4 (Mao et al. 2017):
    min_G max_D  L_GAN(G_ab, D_b) + L_GAN(G_ba, D_a) + lambda L_cyc(G_ab, G_ba)
    G:  (D_b(G_ab(a)) - 1)^2 + (D_a(G_ba(b)) - 1)^2
        + lambda (|G_ba(G_ab(a)) - a|_1 + |G_ab(G_ba(b)) - b|_1)
        + identity (|G_ab(b) - b|_1 + |G_ba(a) - a|_1)         (sec. 5.2, photo <-> painting)
    D:  1/2 [(D(real) - 1)^2 + D(fake)^2]   (the objective halved, slowing D; sec. 4)
lambda = 10 (`cycle_weight`); the identity weight 0.5 lambda (`identity_weight`), used only when
the domains have the same shape (G_ab(b) needs B images G_ab can take).

The discriminators see fakes from a history pool of the last 50 (`pool_size`, 0 for none) generated
images per domain (sec. 4, after Shrivastava et al. 2017), as in the official ImagePool: each
generated image either fills the pool (until 50 are stored) or, with probability 0.5, is swapped
for a stored one that D sees instead. The pool is ONE GLOBAL pool per domain: the fakes of every
replica are gathered, run through it in order with named noise drawn for the global batch, and each
replica takes back its rows; every replica computes the same pool, so 1 and N replicas train alike.
It is a pair of model variables (images and fill count), saved in `.keras` files and checkpoints.

Adam(2e-4, beta_1 = 0.5); the rate stays constant for `constant_steps` then decays linearly to 0
over `decay_steps` (the paper: 100 + 100 epochs; the defaults are that for horse2zebra's ~1,000
images at batch 1); the schedule reads the optimizer's step count, restored by `--resume`.
Networks: the ResNet generator (`generator_options={"residual_blocks": n}` changes its depth)
and the PatchGAN (`tfgan_suite.networks.image_to_image`).
"""

import keras
import tensorflow as tf
from keras import ops

from tfgan_suite import losses
from tfgan_suite.core.image_to_image import ImageToImageGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.core.options import Option

POOL_SIZE = 50


@keras.saving.register_keras_serializable(package="tfgan_suite")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """`initial_learning_rate` for `constant_steps`, then linearly down to 0 over `decay_steps`."""

    def __init__(self, initial_learning_rate, constant_steps, decay_steps):
        if constant_steps < 0 or decay_steps < 1:
            raise ValueError(f"The learning rate needs constant_steps >= 0 and decay_steps >= 1; "
                             f"got {constant_steps} and {decay_steps}.")
        self.initial_learning_rate = float(initial_learning_rate)
        self.constant_steps = int(constant_steps)
        self.decay_steps = int(decay_steps)

    def __call__(self, step):
        decayed = (ops.cast(step, "float32") - self.constant_steps) / self.decay_steps
        return self.initial_learning_rate * (1.0 - ops.clip(decayed, 0.0, 1.0))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "constant_steps": self.constant_steps, "decay_steps": self.decay_steps}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class HistoryPool(keras.layers.Layer):
    """The last `size` generated images of one domain, as (non-trainable) variables."""

    def __init__(self, image_shape, size=POOL_SIZE, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.size = int(size)
        # Every replica writes the same values (see the module docstring): the first one's stand.
        self.images = self.add_weight(shape=(self.size, *self.image_shape), initializer="zeros",
                                      trainable=False, name="images",
                                      aggregation="only_first_replica")
        self.count = self.add_weight(shape=(), initializer="zeros", dtype="int32",
                                     trainable=False, name="count",
                                     aggregation="only_first_replica")

    def query(self, images, swap_draws, index_draws):
        """The images D sees for `images` (the global batch, in order): while the pool fills, the
        image itself (stored); then with probability 0.5 (`swap_draws` < 0.5, uniform [0, 1)) a
        stored image, replaced by the new one at `index_draws` (uniform in [0, size))."""
        def step(i, pool, count, seen):
            image = images[i]
            filling = count < self.size
            swap = tf.logical_and(tf.logical_not(filling), swap_draws[i] < 0.5)
            slot = tf.where(filling, count, index_draws[i])
            seen = seen.write(i, tf.where(swap, pool[slot], image))
            pool = tf.cond(tf.logical_or(filling, swap),
                           lambda: tf.tensor_scatter_nd_update(pool, [[slot]], image[None]),
                           lambda: pool)
            return i + 1, pool, count + tf.cast(filling, tf.int32), seen

        n = tf.shape(images)[0]
        _, pool, count, seen = tf.while_loop(
            lambda i, *_: i < n, step,
            (0, tf.convert_to_tensor(self.images), tf.convert_to_tensor(self.count),
             tf.TensorArray(images.dtype, size=n, element_shape=images.shape[1:])))
        self.images.assign(pool)
        self.count.assign(count)
        return seen.stack()

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape), "size": self.size}


@register_variant("cyclegan")
class CycleGAN(ImageToImageGAN):
    OPTIONS = (Option("cycle_weight", float, 10.0, "Weight lambda of the cycle-consistency loss "
                      "(10 in the paper)."),
               Option("identity_weight", float, None, "Weight of the identity loss, used only when "
                      "both domains have one shape (null: 0.5 x cycle_weight, the paper's)."),
               Option("pool_size", int, 50, "Generated images per domain kept in the history pool "
                      "D also sees (50 in the paper; 0: none)."),
               Option("constant_steps", int, 100000, "Steps at the initial learning rate; the paper "
                      "gives 100 epochs, which is this for horse2zebra's ~1,000 images at batch 1."),
               Option("decay_steps", int, 100000, "Steps of the linear decay to 0 that follows "
                      "(the paper's next 100 epochs)."))

    extra_metrics = ("cycle_loss", "identity_loss")

    def __init__(self, generator_ab, generator_ba, discriminator_a, discriminator_b, image_shape,
                 image_shape_b=None, cycle_weight=10.0, identity_weight=None, pool_size=POOL_SIZE,
                 constant_steps=100_000, decay_steps=100_000, **kwargs):
        super().__init__(generator_ab, generator_ba, discriminator_a, discriminator_b, image_shape,
                         image_shape_b, **kwargs)
        same_shape = self.image_shape == self.image_shape_b
        if identity_weight is None:
            identity_weight = 0.5 * cycle_weight if same_shape else 0.0
        if identity_weight and not same_shape:
            raise ValueError(
                f"The identity loss feeds B images to G_ab, which takes A images: it needs domains "
                f"of one shape, here {self.image_shape} and {self.image_shape_b}. Set "
                "identity_weight=0.")
        if pool_size < 0:
            raise ValueError(f"pool_size must be >= 0 (0: no history pool); got {pool_size}.")
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        self.pool_size = int(pool_size)
        self.constant_steps = int(constant_steps)
        self.decay_steps = int(decay_steps)
        self.pools = {domain: HistoryPool(self.domain_shape(domain), self.pool_size,
                                          name=f"pool_{domain}")
                      for domain in "ab"} if self.pool_size else {}

    def paper_optimizer(self):
        schedule = ConstantThenLinearDecay(2e-4, self.constant_steps, self.decay_steps)
        return keras.optimizers.Adam(schedule, beta_1=0.5)

    def generator_loss(self, a, b):
        fake_b, fake_a = self.translate_both_ways(a, b)
        # Mao et al.'s 1/2 (D - 1)^2 doubled: the paper's (D(G(x)) - 1)^2.
        scores_b = self.discriminate("b", fake_b, training=True)
        scores_a = self.discriminate("a", fake_a, training=True)
        adversarial = 2.0 * (losses.least_squares_generator_loss(scores_b, 1.0)
                             + losses.least_squares_generator_loss(scores_a, 1.0))
        cycle = losses.cycle_consistency_loss(a, self.run(self.generator_ba, fake_b, True),
                                              b, self.run(self.generator_ab, fake_a, True))
        identity = ops.zeros_like(cycle)
        if self.identity_weight:
            identity = losses.identity_loss(a, self.run(self.generator_ba, a, True),
                                            b, self.run(self.generator_ab, b, True))
        return {"g_loss": adversarial + self.cycle_weight * cycle + self.identity_weight * identity,
                "cycle_loss": cycle, "identity_loss": identity}

    def pooled(self, domain, fakes):
        """This replica's rows of the global batch of `fakes` run through the domain's pool."""
        if not self.pools:
            return fakes
        pool = self.pools[domain]
        rows = ops.shape(fakes)[0]
        gather = lambda values: self.global_batch(values)[0]
        swap = gather(self.noise(f"pool_swap_{domain}", (), "uniform", batch_size=rows))
        index = gather(self.noise(f"pool_index_{domain}", (), "uniform", 0, pool.size, "int32",
                                  batch_size=rows))
        everyone, offset = self.global_batch(fakes)
        return pool.query(everyone, swap, index)[offset:offset + rows]

    def discriminator_loss(self, a, b):
        fake_b, fake_a = self.translate_both_ways(a, b, for_discriminator=True)
        fake_b, fake_a = self.pooled("b", fake_b), self.pooled("a", fake_a)

        def halved(domain, real, fake):
            # Mao et al.'s 1/2 (D(x) - 1)^2 + 1/2 D(G(z))^2: the paper's objective halved.
            return losses.least_squares_discriminator_loss(
                self.discriminate(domain, real, training=True),
                self.discriminate(domain, fake, training=True), 1.0, 0.0)

        return {"d_loss": halved("a", a, fake_a) + halved("b", b, fake_b)}

    def get_config(self):
        return {**super().get_config(), "cycle_weight": self.cycle_weight,
                "identity_weight": self.identity_weight, "pool_size": self.pool_size,
                "constant_steps": self.constant_steps, "decay_steps": self.decay_steps}
