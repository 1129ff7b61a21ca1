"""InfoGAN: Chen et al. 2016, "InfoGAN: Interpretable Representation Learning by Information
Maximizing Generative Adversarial Nets" (arXiv:1606.03657).

The generator's input is split into incompressible noise z and latent codes c, and the game is
regularised by the mutual information between the codes and the samples (eq. 6):

    min_{G,Q} max_D  V(D, G) - lambda * L_I(G, Q),   L_I = E[log Q(c | G(z, c))] + H(c)  (eq. 5)

Q is the discriminator's body plus one fully connected layer (sec. 6), so L_I trains D's body,
Q's head and G; here it enters both the discriminator step and the generator step, weighted by
`info_weight` (lambda = 1 for the categorical code, as in the paper) and
`continuous_weight` (smaller for the continuous codes, sec. 5, so they stay on the GAN's scale).
Q(c_cont | x) is a factored Gaussian of unit variance. Logged: info_loss (-L_I + H(c)).

MNIST set-up (sec. 5.1): one categorical code Cat(K=10), two continuous codes Unif(-1, 1),
62 noise dimensions: latent_dim = 62 + 10 + 2 = 74 is the width of G's input [z, onehot(c), c_cont].
The noise is z ~ Unif(-1, 1), as in the authors' code (openai/InfoGAN launchers/run_mnist_exp.py,
`Uniform(62)`): a third of N(0, 1)'s variance per dimension, so the one-hot code is not drowned
by the noise in G's first layer.
Optimisers (Appendix C): Adam with learning rate 2e-4 for D and 1e-3 for G, beta_1 = 0.5.
No labels are used: InfoGAN is unsupervised, and `sample` sets the codes instead.

The categorical code learns the digits only with the paper's networks at the paper's size
(`networks="paper"`, width 64, the defaults); DCGAN's networks (`networks="dcgan"`) train faster
but leave the code far from the digits (benchmarks/RESULTS.md, "InfoGAN").
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan_suite.losses import conditional as conditional_losses
from tfgan_suite.core import signatures
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.core.signatures import Signature
from tfgan_suite.networks import ConditionalDiscriminator, DCGANGenerator
from tfgan_suite.networks.infogan import InfoGANDiscriminator, InfoGANGenerator
from tfgan_suite.core.latent import LATENT_DIM, WIDTH
from tfgan_suite.core.options import Option

PAPER_UNITS_PER_FILTER = 16  # app. C.1: 1024 fully connected units next to 64 filters


@register_variant("infogan")
class InfoGAN(LatentGAN):
    OPTIONS = (LATENT_DIM.changed(74, "Width of G's whole input: 62 noise values plus the codes "
                                      "(62 + 10 + 2 = 74 in the paper's MNIST set-up)."),
               WIDTH.changed(64, "Filters of the discriminator's first layer, mirrored by the "
                                 "generator (64 in the paper's MNIST networks)."),
               Option("categorical_dim", int, 10, "Classes of the one categorical code (10 for "
                      "MNIST's digits in the paper)."),
               Option("continuous_dim", int, 2, "Continuous codes, each Unif(-1, 1) (2 in the "
                      "paper's MNIST set-up)."),
               Option("networks", str, "paper", "The paper's MNIST networks (app. C.1; the "
                      "categorical code learns the digits) or DCGAN's (faster, but the code stays "
                      "far from the digits).", choices=("dcgan", "paper")),
               Option("info_weight", float, 1.0, "Weight lambda of the categorical code's mutual "
                      "information term (1 in the paper)."),
               Option("continuous_weight", float, 0.1, "Weight of the continuous codes' term, "
                      "smaller so they stay on the GAN's scale (sec. 5 of the paper)."))

    takes_loss = True
    extra_metrics = ("info_loss",)

    def __init__(self, generator, discriminator, latent_dim, categorical_dim=10, continuous_dim=2,
                 info_weight=1.0, continuous_weight=0.1, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if self.num_classes is not None:
            raise ValueError("infogan is unsupervised: it takes no num_classes; its categorical "
                             "code (categorical_dim) plays the part of the class.")
        if categorical_dim < 2 or continuous_dim < 0:
            raise ValueError(f"infogan needs categorical_dim >= 2 and continuous_dim >= 0; got "
                             f"{categorical_dim} and {continuous_dim}.")
        if latent_dim <= categorical_dim + continuous_dim:
            raise ValueError(f"latent_dim ({latent_dim}) is the width of [z, codes]: it must exceed "
                             f"categorical_dim + continuous_dim = {categorical_dim + continuous_dim}.")
        self.categorical_dim = int(categorical_dim)
        self.continuous_dim = int(continuous_dim)
        self.noise_dim = latent_dim - self.categorical_dim - self.continuous_dim
        self.info_weight = float(info_weight)
        self.continuous_weight = float(continuous_weight)

    @classmethod
    def create(cls, image_shape, latent_dim=74, num_classes=None, width=64, categorical_dim=10,
               continuous_dim=2, networks="paper", **kwargs):
        """The networks (`networks`) are "paper", the paper's MNIST networks of appendix C.1
        (the default), with 16 fully connected units per first-layer filter, or "dcgan", DCGAN's. The
        networks' first-layer filters are `width` (64 in the paper, with 1024 fully connected
        units). D carries Q."""
        if networks == "dcgan":
            generator = DCGANGenerator(latent_dim, image_shape, filters=width)
            discriminator = ConditionalDiscriminator(
                image_shape, filters=width, conditioning=None, categorical_codes=categorical_dim,
                continuous_codes=continuous_dim)
        elif networks == "paper":
            generator = InfoGANGenerator(latent_dim, image_shape, filters=width,
                                         units=PAPER_UNITS_PER_FILTER * width)
            discriminator = InfoGANDiscriminator(
                image_shape, categorical_dim, continuous_dim, filters=width,
                units=PAPER_UNITS_PER_FILTER * width)
        else:
            raise ValueError(f'infogan\'s networks are "dcgan" or "paper"; got {networks!r}.')
        return cls.create_built(generator, discriminator, latent_dim, num_classes=num_classes,
                                categorical_dim=categorical_dim, continuous_dim=continuous_dim,
                                **kwargs)

    def default_optimizers(self):
        return {"discriminator": keras.optimizers.Adam(2e-4, beta_1=0.5),
                "generator": keras.optimizers.Adam(1e-3, beta_1=0.5)}

    # ----- latent codes -----------------------------------------------------------------------

    def latent_input(self, noise, categories, continuous):
        """G's input [z, onehot(c_cat), c_cont]."""
        return ops.concatenate(
            [noise, ops.one_hot(categories, self.categorical_dim), continuous], axis=-1)

    def split_latent(self, latent):
        """(categorical code indices, continuous codes) back from G's input."""
        codes = latent[:, self.noise_dim:]
        return (ops.argmax(codes[:, :self.categorical_dim], axis=-1),
                codes[:, self.categorical_dim:])

    def latent_noise(self, batch_size=None):
        """z ~ Unif(-1, 1), c_cat ~ Cat(K), c_cont ~ Unif(-1, 1), per example, replica-consistent."""
        return self.latent_input(
            self.noise("z", [self.noise_dim], "uniform", -1.0, 1.0, batch_size=batch_size),
            self.noise("categorical_code", (), "uniform", 0, self.categorical_dim, "int32",
                       batch_size=batch_size),
            self.noise("continuous_code", [self.continuous_dim], "uniform", -1.0, 1.0,
                       batch_size=batch_size))

    # ----- losses -----------------------------------------------------------------------------

    def information_loss(self, fake_out, latent):
        categories, continuous = self.split_latent(latent)
        categorical_nll, continuous_nll = conditional_losses.information_loss(
            fake_out["code_logits"], categories, fake_out["code_means"], continuous)
        return categorical_nll + self.continuous_weight * continuous_nll

    def discriminator_loss(self, images, labels, z):
        fake_out = self.discriminate(self.generate(z, labels), labels)
        real_out = self.discriminate(images, labels)
        info = self.information_loss(fake_out, z)
        adversarial = self.discriminator_objective(real_out["logits"], fake_out["logits"])
        return {"d_loss": adversarial + self.info_weight * info, "info_loss": info,
                "real_scores": real_out["logits"]}

    def generator_loss(self, images, labels, z):
        fake_out = self.discriminate(self.generate(z, labels), labels)
        info = self.information_loss(fake_out, z)
        return {"g_loss": self.generator_objective(fake_out["logits"])
                + self.info_weight * info, "info_loss": info}

    # ----- sampling ---------------------------------------------------------------------------

    def prior_latent(self, num_samples, seed):
        """G's input [z, onehot(c_cat), c_cont] drawn from the priors (see `prior_codes`)."""
        return self.latent_input(*self.prior_codes(num_samples, seed))

    def prior_codes(self, num_samples, seed):
        """(z, c_cat, c_cont) for `num_samples` draws from the priors (see `latent_noise`), z with
        seed [seed, 0] (as every model's `sample`), c_cat with [seed, 1], c_cont with [seed, 2].
        TensorFlow ops only, so the exported `sample` signature makes the same draw."""
        noise = tf.random.stateless_uniform([num_samples, self.noise_dim], seed=[seed, 0],
                                            minval=-1.0, maxval=1.0)
        categories = tf.random.stateless_uniform(
            [num_samples], seed=[seed, 1], maxval=self.categorical_dim, dtype=tf.int32)
        continuous = tf.random.stateless_uniform(
            [num_samples, self.continuous_dim], seed=[seed, 2], minval=-1.0, maxval=1.0)
        return noise, categories, continuous

    def sample(self, n, labels=None, seed=None, categories=None, continuous=None):
        """`n` images; `categories` ([n] ints in [0, categorical_dim)) and `continuous`
        ([n, continuous_dim] values, Unif(-1, 1) in training) set the codes, drawn from their
        priors when omitted. Deterministic for a `seed`."""
        self.check_labels(n, labels)  # unsupervised: labels are refused
        seed = np.random.randint(2**31 - 1) if seed is None else int(seed)
        noise, prior_categories, prior_continuous = self.prior_codes(int(n), seed)
        if categories is None:
            categories = prior_categories.numpy()
        categories = np.asarray(categories)
        if (categories.shape != (n,) or not np.issubdtype(categories.dtype, np.integer)
                or categories.min() < 0 or categories.max() >= self.categorical_dim):
            raise ValueError(f"categories must be {n} integers in [0, {self.categorical_dim - 1}]; "
                             f"got {categories.tolist()}.")
        continuous = prior_continuous if continuous is None else np.asarray(continuous, np.float32)
        if tuple(continuous.shape) != (n, self.continuous_dim):
            raise ValueError(f"continuous must have shape ({n}, {self.continuous_dim}); got "
                             f"{tuple(continuous.shape)}.")
        latent = self.latent_input(noise, categories.astype(np.int32), continuous)
        return ops.convert_to_numpy(self.generate_for_serving(latent))

    def serving_signatures(self, max_batch):
        """The latent GAN's signatures, plus `sample_codes`: seed, categories [N], continuous
        [N, continuous_dim] -> images, the draw `sample(N, seed=, categories=, continuous=)` makes."""
        def sample_codes(seed, categories, continuous):
            count = tf.size(categories)
            _, seed = signatures.checked_count(count, seed, max_batch)
            categories = signatures.after_checks(
                categories,
                tf.debugging.assert_non_negative(categories, message="categories must be >= 0"),
                tf.debugging.assert_less(categories, self.categorical_dim, message=(
                    f"categories must be < categorical_dim={self.categorical_dim}")),
                tf.debugging.assert_equal(tf.shape(continuous)[0], count, message=(
                    "continuous must hold one row of codes per category")))
            noise = self.prior_codes(count, seed)[0]
            return {"images": self.generate_for_serving(
                self.latent_input(noise, categories, continuous))}

        return {**super().serving_signatures(max_batch), "sample_codes": Signature(
            (signatures.scalar("seed"), tf.TensorSpec([None], tf.int32, name="categories"),
             tf.TensorSpec([None, self.continuous_dim], tf.float32, name="continuous")),
            sample_codes, ("images",), max_batch)}

    def get_config(self):
        return {**super().get_config(), "categorical_dim": self.categorical_dim,
                "continuous_dim": self.continuous_dim, "info_weight": self.info_weight,
                "continuous_weight": self.continuous_weight}
