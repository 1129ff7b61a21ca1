"""StyleGAN (small): Karras, Laine & Aila 2019, "A Style-Based Generator Architecture for Generative
Adversarial Networks" (CVPR; arXiv:1812.04948), with the StyleGAN2 generator and discriminator
(Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN", arXiv:1912.04958),
scaled down to 28-32 px (networks in `tfgan_suite.networks.stylegan`: mapping network with lr
multiplier 0.01, learned constant input, modulated/demodulated convs, per-layer noise with learned
strength, equalised learning rate everywhere).

Training (StyleGAN2 sec. 3 and app. B, hyper-parameters of the official CIFAR-10 configuration,
stylegan2-ada train.py `cifar`, the nearest to this resolution):
- non-saturating logistic loss: D descends softplus(D(G(z))) + softplus(-D(x)), G descends
  softplus(-D(G(z)));
- style mixing regularisation (StyleGAN sec. 3.1), probability 0.9: a second z from the named
  noise "mixing_z" takes over from a crossover layer drawn uniformly in [1, num_ws) (drawn per
  example here, one per batch in the official code; per example keeps the replicas' draws exact);
- per-layer noise from named noise ("noise_<layer>"), fresh each phase, the same on 1 or N
  replicas;
- R1 on reals (Mescheder et al. 2018), gamma = 0.01 (the CIFAR-10 configuration's, for 32 px; the
  paper's FFHQ 1024 px used 10), applied lazily every 16 steps as its own phase, the penalty
  multiplied by 16 so its strength per image is unchanged (StyleGAN2 sec. 3.1). Its phase logs
  `r1_loss` (what D descends) and `r1_penalty` (||grad D(x)||^2) on the steps it runs;
- Adam(0.0025, beta_1=0, beta_2=0.99, epsilon=1e-8) for G; for D, which also takes the lazy R1
  steps, the learning rate and betas rescaled by c = 16/17 (lr c, beta^c), as the official
  training loop does (`mb_ratio`);
- the running average of w, w_avg <- mean(w) + 0.995 (w_avg - mean(w)), over the global batch in
  each G step, for the truncation trick w' = w_avg + psi (w - w_avg) (StyleGAN app. B) applied
  to every layer (the official generate.py's default, no cutoff);
- an EMA of G serves: StyleGAN2 ramps its half-life up with the images seen (10k images at most
  in the paper's setting); for runs of a few thousand steps we take a late start as BigGAN does,
  decay 0.999 from step 2000 (`ema_decay`, `ema_start`): before it the EMA is a copy of G, which
  is what should serve a short run (in runs of up to 1200 batches every EMA tried trailed the raw
  generator: benchmarks/RESULTS.md, "StyleGAN's EMA against its raw generator").
Path-length regularisation is left out: it buys smoother W -> image maps (better PPL and
projection) at 28 px that nobody inspects, its lazy G phase doubles the generator's backward
cost every 4 steps, and the paper reports it changes FID little (table 1, config D vs E).

Served: `serving_default` (z -> images, psi 1), `sample` and `sample_png` with a
`truncation_psi` input (1: none, 0: the image of the average w), and `style_mix` (num_samples,
seed, mix_seed, crossover -> images: the styles of `sample(seed)` before layer `crossover`, of
`sample(mix_seed)` from it on; 0 gives the mix seed's images, num_ws or more the seed's). All use
the generator's constant noise images, so an image is a function of its seed (or z) alone.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan_suite import losses
from tfgan_suite.core import signatures
from tfgan_suite.core.adversarial import Phase, to_float32
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.core.signatures import Signature
from tfgan_suite.networks.stylegan import StyleDiscriminator, StyleGenerator
from tfgan_suite.core.adversarial import EMA_DECAY, EMA_START
from tfgan_suite.core.latent import LATENT_DIM, WIDTH
from tfgan_suite.core.options import Option

R1_INTERVAL = 16


@register_variant("stylegan")
class StyleGAN(LatentGAN):
    OPTIONS = (LATENT_DIM.changed(64, "Size of z and w (512 in the paper, 64 for 28-32 px)."),
               WIDTH.changed(64, "Channels of every layer (the paper's 512, scaled down for 28-32 "
                                 "px). At 16 on MNIST the paper's rates hop from digit to digit in "
                                 "short runs; train with --learning-rate-scale 0.2 there, as the "
                                 "quality test does."),
               Option("mapping_layers", int, 2, "Layers of the mapping network (8 in the paper, 2 "
                      "in its CIFAR-10 configuration)."),
               EMA_DECAY.changed(0.999, "Decay of the moving average of G that serves (null: the "
                                        "raw G serves)."),
               EMA_START.changed(2000, "Step from which the average moves; before it, it is a "
                                       "copy of G."),
               Option("r1_gamma", float, 0.01, "Weight of the R1 penalty on reals (0.01, the "
                      "CIFAR-10 configuration's for 32 px; 10 for FFHQ's 1024 px)."),
               Option("mixing_probability", float, 0.9, "Share of samples whose styles mix two "
                      "latent codes (0.9 in the paper)."),
               Option("w_average_decay", float, 0.995, "Decay of the running average of w that the "
                      "truncation trick pulls towards (0.995 in the paper)."))

    extra_metrics = ("r1_penalty",)

    def __init__(self, generator, discriminator, latent_dim, r1_gamma=0.01,
                 mixing_probability=0.9, w_average_decay=0.995, **kwargs):
        """The R1 weight `r1_gamma` (0.01 for 28-32 px). The share of fakes with mixed styles,
        `mixing_probability` (0.9). The decay of the running average of w that truncation pulls
        towards, `w_average_decay` (0.995)."""
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if self.num_classes is not None:
            raise ValueError("stylegan is unconditional here; build it without num_classes.")
        if not 0.0 <= mixing_probability <= 1.0:
            raise ValueError(f"mixing_probability must be in [0, 1]; got {mixing_probability}.")
        self.r1_gamma = float(r1_gamma)
        self.mixing_probability = float(mixing_probability)
        self.w_average_decay = float(w_average_decay)

    @classmethod
    def create(cls, image_shape, latent_dim=64, num_classes=None, width=64, mapping_layers=2,
               ema_decay=0.999, ema_start=2000, **kwargs):
        """StyleGAN2 networks with `width` channels in every layer, z and w of `latent_dim`
        values (512 in the paper), `mapping_layers` in the mapping network (8 in the paper, 2
        in its CIFAR-10 configuration); EMA of G with `ema_decay` from step `ema_start`."""
        if num_classes is not None:
            raise ValueError("stylegan is unconditional here; build it without num_classes.")
        generator = StyleGenerator(latent_dim, image_shape, width=width,
                                   mapping_layers=mapping_layers)
        discriminator = StyleDiscriminator(image_shape, width=width)
        return cls.create_built(generator, discriminator, latent_dim, ema_decay=ema_decay,
                                ema_start=ema_start, **kwargs)

    # ----- training ---------------------------------------------------------------------------

    def phases(self):
        discriminator, generator = super().phases()
        return (discriminator,
                Phase("r1_loss", ("discriminator",), "r1_regularization", every=R1_INTERVAL,
                      partial_gradients=True),
                generator)

    def default_optimizers(self):
        lazy = R1_INTERVAL / (R1_INTERVAL + 1)
        return {"generator": keras.optimizers.Adam(0.0025, beta_1=0.0, beta_2=0.99, epsilon=1e-8),
                "discriminator": keras.optimizers.Adam(0.0025 * lazy, beta_1=0.0,
                                                       beta_2=0.99 ** lazy, epsilon=1e-8)}

    def styled_fakes(self, z):
        """(G's images for z with style mixing and fresh per-layer noise, w of z)."""
        generator = self.generator
        w = generator.mapping(z)
        other_w = generator.mapping(self.noise("mixing_z", [self.latent_dim]))
        crossover = self.noise("crossover", (), "uniform", 1, generator.num_ws, dtype="int32")
        mixed = self.noise("mixing", (), "uniform") < self.mixing_probability
        crossover = ops.where(mixed, crossover, generator.num_ws)
        ws = generator.mix(generator.broadcast(w), generator.broadcast(other_w), crossover)
        noises = [self.noise(f"noise_{i}", shape) for i, shape in enumerate(generator.noise_shapes)]
        return to_float32(generator.synthesis(ws, noises)), w

    def generate(self, z, labels):
        return self.styled_fakes(z)[0]

    def generator_loss(self, images, labels, z):
        fake, w = self.styled_fakes(z)
        self.track_w_average(w)
        return {"g_loss": self.generator_objective(self.discriminate(fake, labels))}

    def track_w_average(self, w):
        """w_avg <- mean(w) + decay (w_avg - mean(w)), the mean over the global batch (the same
        on every replica)."""
        context = tf.distribute.get_replica_context()
        mean = context.all_reduce(tf.distribute.ReduceOp.MEAN,
                                  ops.mean(ops.cast(tf.stop_gradient(w), "float32"), axis=0))
        average = self.generator.w_average
        average.assign(mean + self.w_average_decay * (average - mean))

    def r1_regularization(self, images, labels, z):
        penalty = losses.r1_penalty(lambda x: self.discriminate(x, labels), images)
        return {"r1_loss": 0.5 * self.r1_gamma * R1_INTERVAL * penalty, "r1_penalty": penalty}

    # ----- sampling and serving ---------------------------------------------------------------

    def styled_images(self, latent, truncation_psi=1.0, mix_latent=None, crossover=None):
        """The served generator's images (constant noise) for `latent`, its w truncated by
        `truncation_psi`, styles from `mix_latent` from layer `crossover` on when given."""
        generator = self.inference_networks()["generator"]
        styles = lambda z: generator.broadcast(generator.truncate(generator.mapping(z),
                                                                  truncation_psi))
        ws = styles(latent)
        if mix_latent is not None:
            ws = generator.mix(ws, styles(mix_latent), crossover)
        return to_float32(generator.images(ws))

    def average_image(self):
        """The image of the average w (what every sample is at psi = 0), [1, H, W, C]."""
        generator = self.inference_networks()["generator"]
        return ops.convert_to_numpy(to_float32(generator.images(
            generator.broadcast(generator.w_average[None]))))

    @staticmethod
    def check_psi(truncation_psi):
        if not np.isscalar(truncation_psi) or not np.isfinite(truncation_psi):
            raise ValueError(f"truncation_psi must be a number (1: no truncation, 0: the average "
                             f"w, 0.7 the paper's figures); got {truncation_psi!r}.")
        return float(truncation_psi)

    def sample(self, n, labels=None, seed=None, truncation_psi=1.0):
        """`n` images (as the exported `sample` signature gives them), w truncated by psi."""
        seed = np.random.randint(2**31 - 1) if seed is None else int(seed)
        self.check_labels(n, labels)
        return ops.convert_to_numpy(self.styled_images(self.prior_latent(int(n), seed),
                                                       self.check_psi(truncation_psi)))

    def style_mix(self, n, seed, mix_seed, crossover):
        """The `n` images of `sample(n, seed=seed)` with the styles of `sample(n, seed=mix_seed)`
        from layer `crossover` on (0: the mix seed's images; num_ws or more: the seed's)."""
        if int(crossover) < 0:
            raise ValueError(f"crossover must be a layer index >= 0; got {crossover}.")
        return ops.convert_to_numpy(self.styled_images(
            self.prior_latent(int(n), int(seed)), 1.0, self.prior_latent(int(n), int(mix_seed)),
            int(crossover)))

    def serving_signatures(self, max_batch):
        """serving_default (z -> images, psi 1); `sample` / `sample_png` (num_samples, seed,
        truncation_psi); `style_mix` (num_samples, seed, mix_seed, crossover)."""
        found = super().serving_signatures(max_batch)
        counts = (signatures.scalar("num_samples"), signatures.scalar("seed"))
        psi_spec = tf.TensorSpec([], tf.float32, name="truncation_psi")

        def sample(num_samples, seed, truncation_psi):
            num_samples, seed = signatures.checked_count(num_samples, seed, max_batch)
            return {"images": self.styled_images(self.prior_latent(num_samples, seed),
                                                 truncation_psi)}

        def style_mix(num_samples, seed, mix_seed, crossover):
            num_samples, seed = signatures.checked_count(num_samples, seed, max_batch)
            mix_seed = signatures.after_checks(mix_seed, tf.debugging.assert_non_negative(
                mix_seed, message="mix_seed must be >= 0"))
            crossover = signatures.after_checks(crossover, tf.debugging.assert_non_negative(
                crossover, message="crossover must be a layer index >= 0"))
            return {"images": self.styled_images(self.prior_latent(num_samples, seed), 1.0,
                                                 self.prior_latent(num_samples, mix_seed),
                                                 crossover)}

        found["sample"] = Signature((*counts, psi_spec), sample, ("images",), max_batch)
        found["sample_png"] = Signature(
            (*counts, psi_spec),
            lambda *args: {"images_bytes": signatures.png_images(sample(*args)["images"])},
            ("images_bytes",), max_batch, warmup=False)
        found["style_mix"] = Signature(
            (*counts, signatures.scalar("mix_seed"), signatures.scalar("crossover")), style_mix,
            ("images",), max_batch)
        return found

    def get_config(self):
        return {**super().get_config(), "r1_gamma": self.r1_gamma,
                "mixing_probability": self.mixing_probability,
                "w_average_decay": self.w_average_decay}
