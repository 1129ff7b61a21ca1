"""The base every GAN variant stands on: plumbing for `fit` under any `tf.distribute` strategy.

A variant subclasses `GANModel` and writes only its paper's algorithm: `discriminator_loss` and
`generator_loss` (dicts of per-example terms), optionally `n_critic`, `after_discriminator_step`,
extra metric names and default optimizers. The base owns what every variant shares:

- building the networks before `fit` so Keras never traces the GAN symbolically on an image batch;
- optimizers built eagerly in `compile` (Keras 3 + MirroredStrategy fails on lazily created slots,
  keras-team/keras#19246);
- losses scaled by the GLOBAL batch for the gradients, unscaled means for the metrics, so History
  shows the same numbers on 1 or N replicas;
- noise drawn for the global batch from a stateless seed and sliced per replica, so 1 and N replicas
  see the same latent vectors;
- serialization (`get_config`/`from_config`) and a deterministic `sample`.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

# Noise streams per training step: one per discriminator step, one for the generator step, and
# spares for variants that draw more (interpolation weights, codes...).
NOISE_STREAMS = 64


class GANModel(keras.Model):
    """A generator G and a discriminator D trained by `fit`: `n_critic` D steps, then one G step.

    Data: batches of images, or `(images, labels)` for conditional models (labels int, shape [batch]).
    Images are float32 in the generator's output range ([-1, 1] for tanh generators).
    """

    variant = None        # registry name, set by `register_variant`
    input_kind = "latent"  # "latent": G maps z -> image; "image": image-to-image models
    n_critic = 1           # discriminator steps per generator step
    extra_metrics = ()     # names of the variant's own logged terms, besides d_loss and g_loss
    requires_labels = False  # conditional by design (cGAN, ACGAN...): trained on (images, labels)
    networks = ("generator", "discriminator")  # constructor arguments that are Keras networks

    def __init__(self, generator, discriminator, latent_dim, num_classes=None, seed=0,
                 training_info=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.seed = int(seed)
        self.training_info = dict(training_info or {})
        self.image_shape = self.build_networks()
        self.trackers = [keras.metrics.Mean(name=name)
                         for name in ("d_loss", "g_loss") + tuple(self.extra_metrics)]
        # The networks have their weights now; marking the GAN built keeps `fit` from calling it
        # symbolically on an image batch (which would feed images to the generator).
        self.built = True

    # ----- networks ---------------------------------------------------------------------------

    def build_networks(self):
        """Creates every network's weights with one eager call; returns the generated image shape."""
        labels = None if self.num_classes is None else ops.zeros((1,), "int32")
        fake = self.generator(self.generator_inputs(ops.zeros((1, self.latent_dim)), labels))
        self.discriminator(self.discriminator_inputs(fake, labels))
        return tuple(int(d) for d in fake.shape[1:])

    def generator_inputs(self, z, labels=None):
        return z if self.num_classes is None else [z, labels]

    def discriminator_inputs(self, images, labels=None):
        return images if self.num_classes is None else [images, labels]

    @property
    def generator_variables(self):
        return self.generator.trainable_variables

    @property
    def discriminator_variables(self):
        return self.discriminator.trainable_variables

    def call(self, inputs, training=False):
        """Generation: z (or [z, labels]) -> images."""
        return self.generator(inputs, training=training)

    # ----- compile and train ------------------------------------------------------------------

    def default_optimizers(self):
        """(d_optimizer, g_optimizer) used when `compile` is given none; variants set their paper's."""
        return (keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        default_d, default_g = self.default_optimizers()
        self.d_optimizer = d_optimizer or default_d
        self.g_optimizer = g_optimizer or default_g
        # `optimizer=` makes Keras count steps on the generator's optimizer (one per train_step).
        super().compile(optimizer=self.g_optimizer, **kwargs)
        # Slots created lazily inside the first distributed step fail under MirroredStrategy
        # ("You must feed a value for placeholder tensor 'cond/Placeholder'", keras-team/keras#19246).
        self.d_optimizer.build(self.discriminator_variables)
        self.g_optimizer.build(self.generator_variables)

    def get_compile_config(self):
        if not self.compiled:
            return None
        return {"d_optimizer": keras.optimizers.serialize(self.d_optimizer),
                "g_optimizer": keras.optimizers.serialize(self.g_optimizer)}

    def compile_from_config(self, config):
        self.compile(d_optimizer=keras.optimizers.deserialize(config["d_optimizer"]),
                     g_optimizer=keras.optimizers.deserialize(config["g_optimizer"]))

    @property
    def metrics(self):
        return list(self.trackers)

    def train_step(self, data):
        images, labels = self.unpack_batch(data)
        for step in range(self.n_critic):
            z = self.latent_noise(images, stream=step)
            self._descend(self.d_optimizer, self.discriminator_variables, "d_loss",
                          lambda z=z: self.discriminator_loss(images, labels, z))
            self.after_discriminator_step()
        z = self.latent_noise(images, stream=self.n_critic)
        self._descend(self.g_optimizer, self.generator_variables, "g_loss",
                      lambda: self.generator_loss(images, labels, z))
        return {tracker.name: self._loggable(tracker.result()) for tracker in self.trackers}

    @staticmethod
    def _loggable(value):
        """Under MultiWorkerMirroredStrategy Keras 3's `fit` reduces every logged value with
        `strategy.reduce("MEAN", v, axis=0)`, which fails on a scalar (tensorflow/tensorflow#72388):
        there a value goes out with shape [1] and that reduction makes it a scalar again. Elsewhere
        it stays a scalar, as callbacks such as TensorBoard expect."""
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            return ops.reshape(value, (1,))
        return value

    def _descend(self, optimizer, variables, loss_name, loss_terms):
        """One gradient step on `loss_terms()[loss_name]`; every term also feeds its metric."""
        with tf.GradientTape() as tape:
            terms = loss_terms()
            loss = self.replica_loss(terms[loss_name])
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        for tracker in self.trackers:
            if tracker.name in terms:
                tracker.update_state(ops.mean(terms[tracker.name]))

    def replica_loss(self, per_example):
        """This replica's share of the global-batch mean: gradients summed over replicas then equal
        the gradient of the mean over the global batch."""
        per_example = ops.reshape(per_example, (-1,))
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        return tf.nn.compute_average_loss(
            per_example, global_batch_size=ops.shape(per_example)[0] * replicas)

    def discriminator_loss(self, images, labels, z):
        """Returns {"d_loss": per-example loss, <extra metric>: value, ...}."""
        raise NotImplementedError(f"{type(self).__name__} must define discriminator_loss")

    def generator_loss(self, images, labels, z):
        """Returns {"g_loss": per-example loss, <extra metric>: value, ...}."""
        raise NotImplementedError(f"{type(self).__name__} must define generator_loss")

    def after_discriminator_step(self):
        """Hook after each discriminator update (e.g. WGAN's weight clipping)."""

    # ----- data and noise ---------------------------------------------------------------------

    def unpack_batch(self, data):
        """(images, labels or None) from a batch, with a clear error for data the networks can't take."""
        images, labels = (data[0], data[1]) if isinstance(data, (tuple, list)) else (data, None)
        if images.dtype != tf.float32:
            raise ValueError(
                f"Images must be float32 scaled to the generator's range [-1, 1]; got {images.dtype}. "
                "Scale them with `x / 127.5 - 1` or load them with tfgan_suite.data.load_dataset.")
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(
                f"The networks of this {self.variant} model take images of shape {self.image_shape}; "
                f"the data has {tuple(images.shape[1:])}. Build the model for the data's shape "
                "(image_shape=...) or resize the data.")
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

    def replica_noise(self, sampler, batch_size, shape, stream):
        """Draws `sampler([global_batch] + shape)` from a seed fixed by (model seed, step, stream) and
        returns this replica's rows, so the noise of every example is the same on 1 or N replicas."""
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync
        step = tf.cast(self.g_optimizer.iterations, tf.int64)
        seed = tf.stack([tf.constant(self.seed, tf.int64), step * NOISE_STREAMS + stream])
        noise = sampler([batch_size * replicas] + list(shape), seed=seed)
        first = tf.cast(context.replica_id_in_sync_group, tf.int32) * batch_size
        return noise[first:first + batch_size]

    @staticmethod
    def global_mean(value):
        """The mean of `value` over the global batch (all replicas), for statistics that drive an
        update, such as BEGAN's k_t: every replica must see the same number."""
        context = tf.distribute.get_replica_context()
        return context.all_reduce(tf.distribute.ReduceOp.MEAN, ops.mean(value))

    def latent_noise(self, images, stream):
        """z ~ N(0, I) for every example of this replica's batch."""
        return self.replica_noise(tf.random.stateless_normal, ops.shape(images)[0],
                                  [self.latent_dim], stream)

    # ----- sampling ---------------------------------------------------------------------------

    def prior_latent(self, num_samples, seed):
        """The generator's latent input for `num_samples` draws from the prior, fixed by `seed`:
        z = stateless_normal(seed=[seed, 0]). TensorFlow ops only, so the exported `sample`
        signature makes the very same draw."""
        return tf.random.stateless_normal([num_samples, self.latent_dim], seed=[seed, 0])

    def sample(self, n, labels=None, seed=None):
        """`n` generated images as a numpy array, deterministic for a `seed` (and the same as the
        exported `sample` signature gives). Conditional models take `labels` (default: 0, 1, ...,
        num_classes-1 repeated)."""
        seed = np.random.randint(2**31 - 1) if seed is None else int(seed)
        z = self.prior_latent(int(n), seed)
        return self.generator(self.generator_inputs(z, self.check_labels(n, labels)),
                              training=False).numpy()

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

    # ----- serialization ----------------------------------------------------------------------

    def get_config(self):
        return {
            **super().get_config(),
            **{name: keras.saving.serialize_keras_object(getattr(self, name))
               for name in self.networks},
            "latent_dim": self.latent_dim,
            "num_classes": self.num_classes,
            "seed": self.seed,
            "training_info": self.training_info,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in cls.networks:
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


class ReduceLearningRatesOnPlateau(keras.callbacks.Callback):
    """Keras's ReduceLROnPlateau for a GAN's two optimizers: when the logged `monitor` has not
    fallen below its best for `patience` epochs, both learning rates are multiplied by `factor`."""

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
        return (self.model.d_optimizer, self.model.g_optimizer)

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
