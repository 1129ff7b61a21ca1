"""The latent GAN template: a generator G(z[, y]) against a discriminator D, on the core.

Data: batches of images, or `(images, labels)` for conditional models (labels int, shape [batch]).
Images are float32 in the generator's output range ([-1, 1] for tanh generators); 2-D points and
flat vectors work too. Each step: `n_critic` discriminator updates, then one generator update,
each with fresh z (`self.noise("z", ...)`). The adversarial loss is chosen by name (`loss`, from
`tfgan_suite.losses.ADVERSARIAL_LOSSES`) where the paper allows it (`takes_loss`).

A variant defines `discriminator_objective(real_scores, fake_scores)` and
`generator_objective(fake_scores)` (per-example losses of D's outputs), or overrides
`discriminator_loss` / `generator_loss(images, labels, z)` when it needs more than the scores
(a `discriminator_loss` returns D's outputs on the real images as its `real_scores` term, which
ADA reads).
Discriminator augmentation for limited data: `augment` ("diffaugment", "ada" or null for none)
transforms every image `discriminate` sees, real or fake, in the D and G steps (DiffAugment and
ADA, see `tfgan_suite.core.discriminator_augmentation`). ADA moves p every 4 steps toward the target
`ada_target` (r_t = 0.6). At most, p moves by 1 per `ada_kimg` (500) thousand real images. ADA's p
is logged as `augment_p` and checkpointed.
Served: `serving_default` (z [+ labels] -> images), `sample` (num_samples, seed [+ truncation]
[+ labels]), and `sample_png` for image outputs. A model that declares `takes_truncation` samples
with the truncation trick (Brock et al. 2018, sec. 3.1): latent values beyond the threshold are
resampled, in `model.sample(..., truncation=t)` and as a `truncation` input of the signatures.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan_suite import losses
from tfgan_suite.core import discriminator_augmentation as augmentation
from tfgan_suite.core import signatures
from tfgan_suite.core.adversarial import MAX_REPEAT, AdversarialModel, Phase
from tfgan_suite.core.options import Option
from tfgan_suite.core.signatures import Signature
from tfgan_suite.networks import (AutoencoderDiscriminator, DCGANDiscriminator, DCGANGenerator,
                                  MLPDiscriminator, MLPGenerator)

# The template's options (`--set`); a variant restates one with its own default
# (`LATENT_DIM.changed(100, "...")`).
LATENT_DIM = Option("latent_dim", int, 64, "Size of the latent code z.")
WIDTH = Option("width", int, 64, "Filters of the DCGAN discriminator's first layer, mirrored by the "
               "generator (units of each hidden layer for 2-D points).")
N_CRITIC = Option("n_critic", int, 1, "Discriminator (critic) steps per generator step.")
LOSS = Option("loss", str, "non_saturating", "The adversarial loss: G ascends log D(G(z)) "
              "(non_saturating), descends log(1 - D(G(z))) as in eq. 1 (minimax), or the hinge "
              "loss of SN-GAN (Lim & Ye 2017).", choices=tuple(losses.ADVERSARIAL_LOSSES))

ADA_INTERVAL = 4  # ADA moves p every 4 steps (stylegan2-ada training_loop.py, ada_interval)


class LatentGAN(AdversarialModel):
    OPTIONS = (
        LATENT_DIM, WIDTH, N_CRITIC, LOSS,
        Option("augment", str, None, "Augmentation of every image D sees, real or fake: "
               "DiffAugment (Zhao et al. 2020) or ADA (Karras et al. 2020); null for none.",
               choices=augmentation.KINDS),
        Option("ada_target", float, 0.6, "ADA's target r_t for the share of D's positive "
               "outputs on real images (0.6 in the paper)."),
        Option("ada_kimg", float, 500.0, "ADA's speed: its augmentation probability moves by at "
               "most 1 per this many thousand real images (500 in the paper)."))

    networks = ("generator", "discriminator")
    served_networks = ("generator",)
    input_kind = "latent"
    n_critic = 1             # discriminator steps per generator step, unless the constructor says
    takes_loss = False       # True: the adversarial loss is chosen by name (`loss`)
    default_loss = "non_saturating"
    critic_normalization = "batch"   # the DCGAN discriminator's normalization: "batch", "layer", None
    discriminator_kind = "scores"    # "scores": D(x) is a score; "autoencoder": D(x) reconstructs x
    autoencoder_code_dim = {"images": 64, "points": 2}  # BEGAN's h = 64; a 2-D code for points
    takes_truncation = False         # True: `sample` and its signatures take a truncation threshold

    def __init__(self, generator, discriminator, latent_dim, num_classes=None, n_critic=None,
                 loss=None, augment=None, ada_target=0.6, ada_kimg=500.0, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.num_classes = num_classes
        if self.requires_labels and num_classes is None:
            raise ValueError(f"{self.variant} is conditional: pass num_classes (the data's classes) "
                             "and train on (images, labels).")
        self.n_critic = type(self).n_critic if n_critic is None else int(n_critic)
        if not 1 <= self.n_critic <= MAX_REPEAT:
            raise ValueError(f"n_critic must be in [1, {MAX_REPEAT}]; got {n_critic}.")
        if loss is not None and not self.takes_loss:
            raise ValueError(f"{self.variant} trains with its paper's own loss; it takes no loss "
                             "option (gan, dcgan and the conditional variants do).")
        self.adversarial_loss = loss or self.default_loss
        losses.adversarial_losses(self.adversarial_loss)  # one clear error naming the valid losses
        if augment not in (None, *augmentation.KINDS):
            raise ValueError(f"augment must be one of {', '.join(augmentation.KINDS)} (or null: "
                             f"none); got {augment!r}.")
        if augment is not None and self.discriminator_kind != "scores":
            raise ValueError(f"{self.variant}'s discriminator reconstructs its input, so augmenting "
                             "what it sees would change its energy: train it without augment.")
        if not 0.0 < ada_target < 1.0 or not ada_kimg > 0:
            raise ValueError(f"ada_target must be in (0, 1) and ada_kimg > 0; got {ada_target}, "
                             f"{ada_kimg}.")
        self.augment = augment
        self.ada_target, self.ada_kimg = float(ada_target), float(ada_kimg)
        if augment == "ada":
            # p, and E[sign D(real)] summed over the real images seen since p last moved:
            # checkpointed with the model, the same on every replica.
            weight = lambda name: self.add_weight(shape=(), initializer="zeros", trainable=False,
                                                  name=name, aggregation="only_first_replica")
            self.ada_p, self.ada_sign_sum, self.ada_seen = (weight("ada_p"), weight("ada_sign_sum"),
                                                            weight("ada_seen"))

    @classmethod
    def fixed_options(cls):
        fixed = () if cls.takes_loss else ("loss",)
        if cls.discriminator_kind != "scores":  # augmenting would change an autoencoder's energy
            fixed += ("augment", "ada_target", "ada_kimg")
        return fixed

    @classmethod
    def create(cls, image_shape, latent_dim=64, num_classes=None, width=64, **kwargs):
        """DCGAN networks for images (H, W, C), `width` the discriminator's first-layer filters;
        MLPs with two hidden layers of `width` units (linear output) for points and vectors."""
        generator = cls.make_generator(image_shape, latent_dim, width, num_classes)
        discriminator = cls.make_discriminator(image_shape, width, num_classes)
        return cls.create_built(generator, discriminator, latent_dim, num_classes=num_classes,
                                **kwargs)

    @classmethod
    def make_generator(cls, image_shape, latent_dim, width, num_classes):
        if len(image_shape) == 3:
            return DCGANGenerator(latent_dim, image_shape, filters=width, num_classes=num_classes)
        return MLPGenerator(latent_dim, image_shape, hidden=(width, width),
                            num_classes=num_classes, output_activation=None)

    @classmethod
    def make_discriminator(cls, image_shape, width, num_classes):
        images = len(image_shape) == 3
        if cls.discriminator_kind == "autoencoder":
            if num_classes is not None:
                raise ValueError(f"The {cls.variant} autoencoder discriminator is unconditional; "
                                 "build the model without num_classes.")
            code_dim = cls.autoencoder_code_dim["images" if images else "points"]
            return AutoencoderDiscriminator(image_shape, code_dim=code_dim, width=width)
        if images:
            return DCGANDiscriminator(image_shape, filters=width, num_classes=num_classes,
                                      normalization=cls.critic_normalization)
        return MLPDiscriminator(image_shape, hidden=(width, width), num_classes=num_classes)

    # ----- networks ---------------------------------------------------------------------------

    def probe_inputs(self, name):
        labels = None if self.num_classes is None else ops.zeros((1,), "int32")
        return self.generator_inputs(ops.zeros((1, self.latent_dim)), labels)

    def build_weights(self):
        fake = self.generator(self.probe_inputs("generator"))
        labels = None if self.num_classes is None else ops.zeros((1,), "int32")
        self.discriminator(self.discriminator_inputs(fake, labels))
        self.image_shape = tuple(int(d) for d in fake.shape[1:])
        if self.augment is not None and len(self.image_shape) != 3:
            raise ValueError(f"augment={self.augment!r} transforms images (H, W, C); this model "
                             f"makes {self.image_shape}: train it without augment.")

    def generator_inputs(self, z, labels=None):
        return z if self.num_classes is None else [z, labels]

    def discriminator_inputs(self, images, labels=None):
        return images if self.num_classes is None else [images, labels]

    def generate(self, z, labels):
        """G(z) (or G(z, y)) in training mode."""
        return self.run(self.generator, self.generator_inputs(z, labels), training=True)

    def discriminate(self, images, labels):
        """D(x) (or D(x, y)) in training mode, on augmented images when `augment` is set."""
        if self.augment is not None:
            images = self.augmented(images)
        return self.run(self.discriminator, self.discriminator_inputs(images, labels),
                        training=True)

    def augmented(self, images):
        """`images` augmented with this call's own named noise (each D call of a phase draws its
        own), with probability p under ADA."""
        call = getattr(self._phase_state, "augment_calls", 0)
        self._phase_state.augment_calls = call + 1
        draw = lambda name, shape, *args: self.noise(f"augment{call}/{name}", shape, *args,
                                                     batch_size=tf.shape(images)[0])
        probability = self.ada_p.value if self.augment == "ada" else None
        return augmentation.augment(images, draw, probability)

    def record_real_signs(self, terms):
        """Adds the signs of D's outputs on this step's real images (the D phase's `real_scores`
        term), over all replicas, to ADA's running sum."""
        if "real_scores" not in terms:
            raise ValueError(f"ADA reads D's outputs on the real images of the batch, and "
                             f"{self.variant}'s discriminator loss does not return them (as "
                             "`real_scores`): use augment='diffaugment'.")
        context = tf.distribute.get_replica_context()
        signs = ops.reshape(ops.sign(ops.cast(terms["real_scores"], "float32")), (-1,))
        self.ada_sign_sum.assign_add(context.all_reduce(tf.distribute.ReduceOp.SUM,
                                                        ops.sum(signs)))
        self.ada_seen.assign_add(context.all_reduce(tf.distribute.ReduceOp.SUM,
                                                    ops.cast(ops.size(signs), "float32")))

    def train_step(self, data):
        """The core's step; under ADA, p then moves every `ADA_INTERVAL` steps and is logged."""
        logs = super().train_step(data)
        if self.augment != "ada":
            return logs
        due = self.steps_taken % ADA_INTERVAL == 0  # steps_taken counts this step already
        moved = augmentation.ada_probability_step(
            self.ada_p.value, self.ada_sign_sum.value, self.ada_seen.value, self.ada_target,
            self.ada_kimg)
        probability = tf.where(due, moved, self.ada_p.value)
        # The accumulators restart only once p has read them.
        with tf.control_dependencies([self.ada_p.assign(probability)]):
            for accumulator in (self.ada_sign_sum, self.ada_seen):
                accumulator.assign(tf.where(due, 0.0, accumulator.value))
        return {**logs, "augment_p": self._loggable(probability)}

    # ----- training ---------------------------------------------------------------------------

    def phases(self):
        return (Phase("d_loss", ("discriminator",), "discriminator_loss", repeat=self.n_critic,
                      after="end_discriminator_step"),
                Phase("g_loss", ("generator",), "generator_loss", after="after_generator_step"))

    def paper_optimizer(self):
        """A fresh optimizer of the paper's, one for each network (DCGAN's settings by default)."""
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    def default_optimizers(self):
        return {"discriminator": self.paper_optimizer(), "generator": self.paper_optimizer()}

    def compile(self, d_optimizer=None, g_optimizer=None, optimizers=None, **kwargs):
        super().compile(optimizers={"discriminator": d_optimizer, "generator": g_optimizer,
                                    **(optimizers or {})}, **kwargs)

    @property
    def d_optimizer(self):
        return self.optimizers["discriminator"]

    @property
    def g_optimizer(self):
        return self.optimizers["generator"]

    def phase_inputs(self, batch):
        self._phase_state.augment_calls = 0  # numbers the phase's augmentation draws
        return (*batch, self.latent_noise())

    def latent_noise(self, batch_size=None):
        """G's latent input for every example of this replica's batch: z ~ N(0, I)."""
        return self.noise("z", [self.latent_dim], batch_size=batch_size)

    def discriminator_objective(self, real_scores, fake_scores):
        return losses.adversarial_losses(self.adversarial_loss)[0](real_scores, fake_scores)

    def generator_objective(self, fake_scores):
        return losses.adversarial_losses(self.adversarial_loss)[1](fake_scores)

    def discriminator_loss(self, images, labels, z):
        """{"d_loss": per-example loss, "real_scores": D's outputs on the real images (ADA's
        signal), <extra metric>: value, ...}."""
        fake = self.generate(z, labels)
        real_scores = self.discriminate(images, labels)
        return {"d_loss": self.discriminator_objective(real_scores,
                                                       self.discriminate(fake, labels)),
                "real_scores": real_scores}

    def generator_loss(self, images, labels, z):
        """{"g_loss": per-example loss, <extra metric>: value, ...}."""
        return {"g_loss": self.generator_objective(self.discriminate(self.generate(z, labels),
                                                                     labels))}

    def end_discriminator_step(self, terms):
        """After each discriminator update: ADA counts D's signs on the reals, then the variant's
        hook runs."""
        if self.augment == "ada":
            self.record_real_signs(terms)
        return self.after_discriminator_step(terms)

    def after_discriminator_step(self, terms):
        """Hook after each discriminator update (e.g. WGAN's weight clipping)."""

    def after_generator_step(self, terms):
        """Hook after each generator update (e.g. BEGAN's k_t)."""

    def unpack_batch(self, data):
        """(images, labels or None) from a batch, with a clear error for data the networks can't take."""
        images, labels = (data[0], data[1]) if isinstance(data, (tuple, list)) else (data, None)
        self.check_image_batch(images)
        if self.num_classes is not None and labels is None:
            raise ValueError(
                f"This {self.variant} model is conditional on {self.num_classes} classes: the data "
                "must yield (images, labels) batches (load_dataset(..., with_labels=True)).")
        if self.num_classes is None:
            return images, None
        labels = ops.cast(labels, "int32")
        # Out-of-range labels would silently become all-zero one-hots (or fail deep in an embedding).
        in_range = [
            tf.debugging.assert_non_negative(labels, message="labels must be >= 0"),
            tf.debugging.assert_less(
                labels, self.num_classes,
                message=f"labels must be < num_classes={self.num_classes}: the data has more classes "
                        "than the model was built for"),
        ]
        with tf.control_dependencies(in_range):
            return images, tf.identity(labels)

    # ----- sampling and serving ---------------------------------------------------------------

    def prior_latent(self, num_samples, seed):
        """The generator's latent input for `num_samples` draws from the prior, fixed by `seed`:
        z = stateless_normal(seed=[seed, 0]). TensorFlow ops only, so the exported `sample`
        signature makes the very same draw."""
        return tf.random.stateless_normal([num_samples, self.latent_dim], seed=[seed, 0])

    def generate_for_serving(self, latent, labels=None):
        """The served generator (EMA when enabled) on a latent input, in inference mode."""
        generator = self.inference_networks()["generator"]
        return self.run(generator, self.generator_inputs(latent, labels), training=False)

    def truncated(self, latent, seed, truncation):
        """`latent` with every value beyond +-`truncation` resampled from N(0, 1) truncated to
        [-truncation, truncation] (seed [seed, 1]); values within it are kept, and a threshold of
        0 leaves the latent as it is (no truncation)."""
        truncation = tf.cast(truncation, latent.dtype)
        bound = tf.where(truncation > 0, truncation, tf.ones_like(truncation))
        replacement = tf.random.stateless_parameterized_truncated_normal(
            tf.shape(latent), seed=[seed, 1], means=0.0, stddevs=1.0, minvals=-bound, maxvals=bound)
        # The sampler's float rounding may land a hair beyond the bound.
        replacement = tf.clip_by_value(replacement, -bound, bound)
        return tf.where((truncation > 0) & (tf.abs(latent) > truncation), replacement, latent)

    def check_truncation(self, truncation):
        """`truncation` as a float >= 0 (0: none), or a clear error."""
        if not self.takes_truncation:
            raise ValueError(f"This {self.variant} model samples without truncation; do not pass "
                             "truncation (biggan takes it).")
        if not np.isscalar(truncation) or not np.isfinite(truncation) or truncation < 0:
            raise ValueError(f"truncation must be a number >= 0 (e.g. 0.5; 0: no truncation); "
                             f"got {truncation!r}.")
        return float(truncation)

    def sample(self, n, labels=None, seed=None, truncation=None):
        """`n` generated images as a numpy array, deterministic for a `seed` (and the same as the
        exported `sample` signature gives). Conditional models take `labels` (default: 0, 1, ...,
        num_classes-1 repeated); models that take it, a `truncation` threshold."""
        seed = np.random.randint(2**31 - 1) if seed is None else int(seed)
        labels = self.check_labels(n, labels)
        latent = self.prior_latent(int(n), seed)
        if truncation is not None:
            latent = self.truncated(latent, seed, self.check_truncation(truncation))
        return ops.convert_to_numpy(self.generate_for_serving(latent, labels))

    def check_labels(self, n, labels):
        """Validated int32 labels for `n` samples (None for unconditional models)."""
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(f"This {self.variant} model is unconditional; do not pass labels.")
            return None
        labels = np.arange(n) % self.num_classes if labels is None else np.asarray(labels)
        if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be {n} integers, one per sample; got shape {labels.shape} "
                             f"of {labels.dtype}.")
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(f"labels must lie in [0, {self.num_classes - 1}]; got "
                             f"{sorted(set(labels[(labels < 0) | (labels >= self.num_classes)].tolist()))}.")
        return labels.astype(np.int32)

    def serving_signatures(self, max_batch):
        """`serving_default`: z [+ labels] -> images; `sample`: num_samples, seed [+ truncation]
        [+ labels] -> images (the draw `sample` makes; empty labels mean its default, truncation 0
        none); `sample_png` for images."""
        conditional = self.num_classes is not None
        labels_spec = (tf.TensorSpec([None], tf.int32, name="labels"),) if conditional else ()
        truncation_spec = ((tf.TensorSpec([], tf.float32, name="truncation"),)
                           if self.takes_truncation else ())
        count_specs = (signatures.scalar("num_samples"), signatures.scalar("seed"),
                       *truncation_spec)

        def from_latent(z, labels=None):
            if conditional:
                labels = signatures.checked_labels(labels, self.num_classes)
            return {"images": self.generate_for_serving(z, labels)}

        def sample(num_samples, seed, *optional):
            options = dict(zip([spec.name for spec in truncation_spec + labels_spec], optional))
            num_samples, seed = signatures.checked_count(num_samples, seed, max_batch)
            latent = self.prior_latent(num_samples, seed)
            if self.takes_truncation:
                latent = self.truncated(latent, seed,
                                        signatures.checked_truncation(options["truncation"]))
            labels = (signatures.sample_labels(options["labels"], num_samples, self.num_classes)
                      if conditional else None)
            return {"images": self.generate_for_serving(latent, labels)}

        found = {
            "serving_default": Signature(
                (tf.TensorSpec([None, self.latent_dim], tf.float32, name="z"), *labels_spec),
                from_latent, ("images",), max_batch),
            "sample": Signature((*count_specs, *labels_spec), sample, ("images",), max_batch),
        }
        if len(self.image_shape) == 3:
            found["sample_png"] = Signature(
                (*count_specs, *labels_spec),
                lambda *args: {"images_bytes": signatures.png_images(sample(*args)["images"])},
                ("images_bytes",), max_batch, warmup=False)
        return found

    # ----- serialization ----------------------------------------------------------------------

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "num_classes": self.num_classes, "n_critic": self.n_critic,
                "augment": self.augment, "ada_target": self.ada_target, "ada_kimg": self.ada_kimg,
                **({"loss": self.adversarial_loss} if self.takes_loss else {})}
