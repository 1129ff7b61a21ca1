"""BEGAN: Berthelot, Schumm & Metz 2017, "BEGAN: Boundary Equilibrium Generative Adversarial
Networks" (arXiv:1703.10717).

An autoencoder discriminator (as EBGAN's) with the L1 reconstruction loss L(v) = |v - D(v)|
(eq. 1, eta = 1). Objective (eq. 4):
    L_D = L(x) - k_t L(G(z_D))                          for the discriminator
    L_G = L(G(z_G))                                     for the generator
    k_{t+1} = k_t + lambda_k (gamma L(x) - L(G(z_G)))   each step, k_0 = 0, k in [0, 1]
gamma = E[L(G(z))] / E[L(x)], the diversity ratio (the paper shows 0.3 - 0.7). The paper's
networks (`networks="paper"`): code size h = 64, the generator has the decoder's architecture
(sec. 3.5: ELU, no batch normalization; here with a tanh output, see DecoderGenerator), trained
with gamma = 0.5, lambda_k = 0.001 and Adam(1e-4, beta_1 = 0.5). On MNIST they settle on thin
"1"s (benchmarks/RESULTS.md, "BEGAN on MNIST"), so images get PyTorch-GAN's BEGAN recipe by
default (`networks="batchnorm"`, eriklindernoren/PyTorch-GAN implementations/began/began.py):
a generator of upsampling 3x3 convolutions with batch norm, and an autoencoder of one stride-2
convolution around a 32-unit fully connected code with batch norm, which couples the examples of
a batch (here with batch norm's usual eps, not the recipe's 0.8: see networks/autoencoder.py),
trained with that recipe's gamma = 0.75, lambda_k = 0.001 and Adam(2e-4, beta_1 = 0.5); it
learns every digit (tests/test_loss_family_mnist.py). Points take MLPs and the paper's settings.
The convergence measure (sec. 3.4.1)
    M_global = L(x) + |gamma L(x) - L(G(z_G))|
is logged as `convergence`, and k_t as `k_t`. The paper halves the learning rate when M_global
stalls (sec. 4.1): both rates are halved when an epoch's mean M_global has not fallen for
`stall_patience` epochs (2 by default; the paper gives no number; None turns it off). That
schedule is a Keras callback the model declares (`training_callbacks()`): the training run
(`tfgan-suite train`) adds it; a direct `fit` call passes it, as any Keras schedule callback:
`model.fit(data, callbacks=model.training_callbacks())`.

The template runs the discriminator step before the generator step, so L(x) in the k update is
taken at the generator step (after the discriminator's update). Both means are replica-wide
(`global_mean`), so every replica computes the same k_{t+1}; k is a non-trainable variable that
replicas write in sync (aggregation "only_first_replica"). Runs on MNIST (gamma 0.5 and 1):
benchmarks/RESULTS.md.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan_suite import losses
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.networks import (BatchNormAutoencoderDiscriminator, BatchNormUpsamplingGenerator,
                                  DecoderGenerator)
from tfgan_suite.core.options import Option


class ReduceLearningRatesOnPlateau(keras.callbacks.Callback):
    """Keras's ReduceLROnPlateau for all of a model's optimizers: when the logged `monitor` has not
    fallen below its best for `patience` epochs, every learning rate is multiplied by `factor`."""

    def __init__(self, monitor, factor=0.5, patience=1):
        super().__init__()
        if not 0 < factor < 1:
            raise ValueError(f"factor must be in (0, 1); got {factor}.")
        self.monitor = monitor
        self.factor = factor
        self.patience = int(patience)
        self.best = np.inf
        self.wait = 0

    @property
    def optimizers(self):
        return tuple(self.model.optimizers.values())

    @staticmethod
    def _scale(optimizer, factor):
        # convert_to_numpy: under a strategy the rate is a MirroredVariable, which float() refuses.
        optimizer.learning_rate = float(ops.convert_to_numpy(optimizer.learning_rate)) * factor

    def on_train_begin(self, logs=None):
        # Fail before training, not at the first plateau: Keras cannot set a schedule's rate.
        for optimizer in self.optimizers:
            try:
                self._scale(optimizer, 1.0)
            except TypeError:
                raise ValueError(
                    f"Lowering the learning rates when {self.monitor!r} stalls needs optimizers "
                    "with a float learning rate, not a LearningRateSchedule: give a float rate, "
                    "or leave the stall schedule out (BEGAN: stall_patience=None).") from None

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor not in (logs or {}):
            raise KeyError(f"{self.monitor!r} is not logged; this model logs {sorted(logs or {})}.")
        current = float(np.mean(logs[self.monitor]))
        if current < self.best:
            self.best, self.wait = current, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            for optimizer in self.optimizers:
                self._scale(optimizer, self.factor)
            self.wait = 0


@register_variant("began")
class BEGAN(LatentGAN):
    OPTIONS = (Option("gamma", float, None, "The diversity ratio E[L(G(z))] / E[L(x)] the balance "
                      "k_t aims at, in (0, 1] (the paper shows 0.3 to 0.7; null: 0.75 with the "
                      "batchnorm networks, as their recipe, the paper's 0.5 otherwise)."),
               Option("k_learning_rate", float, 0.001, "The step lambda_k of the balance k_t "
                      "(0.001 in the paper)."),
               Option("stall_patience", int, 2, "Epochs without a fall of M_global before both "
                      "learning rates are halved; the paper gives no number (null: never).",
                      nullable=True),
               Option("networks", str, "batchnorm", "For images: PyTorch-GAN's recipe (batch norm "
                      "in G and in the autoencoder's code layers, Adam(2e-4, beta_1 0.5); learns "
                      "every MNIST digit) or the paper's (ELU decoder-style networks, Adam(1e-4, "
                      "beta_1 0.5); thin 1s on MNIST). Points: MLPs, the paper's rate.",
                      choices=("batchnorm", "paper")))

    discriminator_kind = "autoencoder"
    extra_metrics = ("k_t", "convergence")

    def __init__(self, generator, discriminator, latent_dim, gamma=None, k_learning_rate=0.001,
                 stall_patience=2, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if gamma is None:
            gamma = 0.75 if self.has_recipe_networks else 0.5
        if not 0 < gamma <= 1:
            raise ValueError(f"gamma must be in (0, 1]; got {gamma}.")
        if stall_patience is not None and int(stall_patience) < 1:
            raise ValueError(f"stall_patience must be a number of epochs >= 1, or None to keep the "
                             f"learning rates; got {stall_patience}.")
        self.gamma = float(gamma)
        self.k_learning_rate = float(k_learning_rate)
        self.stall_patience = None if stall_patience is None else int(stall_patience)
        self.k = self.add_weight(shape=(), initializer="zeros", trainable=False, name="k_t",
                                 aggregation="only_first_replica")

    @classmethod
    def create(cls, image_shape, latent_dim=64, num_classes=None, width=64, networks="batchnorm",
               **kwargs):
        """For images, `networks` "batchnorm" (the default) are PyTorch-GAN's, whose recipe has
        width 64 (G's convolutions 128 and 64 filters, D's 64) and latent 62; "paper" are the
        paper's (make_generator, make_discriminator). A conditional model takes the latter path,
        whose autoencoder says it is unconditional."""
        if networks not in ("batchnorm", "paper"):
            raise ValueError(f'began\'s networks are "batchnorm" or "paper"; got {networks!r}.')
        if networks == "paper" or len(image_shape) != 3 or num_classes is not None:
            return super().create(image_shape, latent_dim, num_classes, width, **kwargs)
        return cls.create_built(BatchNormUpsamplingGenerator(latent_dim, image_shape, width=width),
                                BatchNormAutoencoderDiscriminator(image_shape, width=width),
                                latent_dim, **kwargs)

    @classmethod
    def make_generator(cls, image_shape, latent_dim, width, num_classes):
        if len(image_shape) == 3:
            return DecoderGenerator(latent_dim, image_shape, width=width)
        return super().make_generator(image_shape, latent_dim, width, num_classes)

    def training_callbacks(self):
        """The learning rates halved when M_global stalls for `stall_patience` epochs (sec. 4.1)."""
        if self.stall_patience is None:
            return []
        return [ReduceLearningRatesOnPlateau("convergence", 0.5, self.stall_patience)]

    @property
    def has_recipe_networks(self):
        """Whether G is PyTorch-GAN's, so that its recipe's gamma and learning rate apply."""
        return isinstance(self.generator, BatchNormUpsamplingGenerator)

    def paper_optimizer(self):
        return keras.optimizers.Adam(2e-4 if self.has_recipe_networks else 1e-4, beta_1=0.5)

    def reconstruction_loss(self, images):
        """L(v) = |v - D(v)|, per example."""
        return losses.reconstruction_error(images, self.discriminate(images, None), 1)

    def discriminator_loss(self, images, labels, z):
        fake = self.generate(z, labels)
        return {"d_loss": self.reconstruction_loss(images) - self.k * self.reconstruction_loss(fake)}

    def generator_loss(self, images, labels, z):
        return {"g_loss": self.reconstruction_loss(self.generate(z, labels)),
                "real_reconstruction": tf.stop_gradient(self.reconstruction_loss(images))}

    def after_generator_step(self, terms):
        """k_{t+1} (eq. 4) and M_global from this step's L(x) and L(G(z_G))."""
        real_mean = self.global_mean(terms["real_reconstruction"])
        fake_mean = self.global_mean(tf.stop_gradient(terms["g_loss"]))
        self.k.assign(losses.began_balance_update(self.k, real_mean, fake_mean, self.gamma,
                                                  self.k_learning_rate))
        return {"k_t": self.k.value,
                "convergence": losses.began_convergence(real_mean, fake_mean, self.gamma)}

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma, "k_learning_rate": self.k_learning_rate,
                "stall_patience": self.stall_patience}
