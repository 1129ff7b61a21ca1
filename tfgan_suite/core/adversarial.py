"""The core every adversarial model stands on: players, phases, named noise, EMA, mixed precision.

A model is a set of **players** (Keras networks, named by the attributes listed in `networks`), one
optimizer per trained player, and a sequence of **phases** (`Phase`): which loss descends which
players, how many times in a row (WGAN's n_critic) and every how many steps (StyleGAN's lazy R1),
with a hook after each (WGAN's clipping, BEGAN's k_t). A template (`LatentGAN`, `ImageToImageGAN`)
says how a batch is read and which networks serve; a variant writes only its paper's losses.

The core owns what every model shares:
- networks built (weights created) before `fit`, so Keras never traces the model symbolically on a
  data batch, and optimizers built eagerly in `compile` (Keras 3 + MirroredStrategy fails on
  lazily created slots, keras-team/keras#19246);
- losses scaled by the GLOBAL batch for the gradients, unscaled means for the metrics, so History
  shows the same numbers on 1 or N replicas;
- named noise (`noise`): each draw is made for the global batch from a stateless seed of (model
  seed, step, phase, repetition, name) and sliced per replica, so 1 and N replicas see the same
  noise;
- an optional exponential moving average of the served networks (`ema_decay`), updated after each
  phase that trains them, used by `inference_networks()` (sampling, evaluation, export);
- spectral normalisation's power iteration, moved once per step (`update_power_iterations`);
- mixed precision (`dtype_policy`): networks built under the policy, losses and served outputs in
  float32, a loss-scale optimizer per player under "mixed_float16";
- serialization (`get_config`/`from_config`, compile config with every optimizer).

Subclasses follow Keras's order (`super().__init__` first, then their attributes): nothing here
needs a subclass attribute before `build_networks()`, which `create`, `from_config` and
`compile` call.
"""

import contextlib
import threading
import zlib
from typing import NamedTuple

import keras
import tensorflow as tf
from keras import ops

from tfgan_suite import losses
from tfgan_suite.core.options import Option
from tfgan_suite.networks.layers import spectral_layers

# The options every variant has (`--set`; see tfgan_suite.core.options).
EMA_DECAY = Option("ema_decay", float, None, "Decay of an exponential moving average of the served "
                   "networks, which sampling, evaluation and export then use (null: no average, "
                   "the raw networks serve).")
EMA_START = Option("ema_start", int, 0, "Training step from which the average moves; before it, "
                   "it is a plain copy of the networks.")

# A phase's repetitions are unrolled in the step's graph: keep that graph a sane size.
MAX_REPEAT = 31
DTYPE_POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


class Phase(NamedTuple):
    """One update of a training step.

    `method(*phase_inputs)` returns a dict of per-example terms: the term named `loss` descends the
    trainable variables of `players`, the others are logged (if listed in the model's metrics). The
    phase runs `repeat` times in a row, on the steps where step % `every` == 0 and `start` <= step
    (< `stop` unless None: SRGAN's MSE pre-training, then its GAN phase); `after` names a method
    called after each repetition with the phase's terms, which may return more terms to log
    (WGAN's clipping returns none, BEGAN's k_t update returns k_t). A phase whose loss cannot
    reach some of its players' variables by design says so with `partial_gradients`: those
    variables (no gradient) are left out of its update, as Keras would, but without Keras's
    warning, which elsewhere flags a bug (StyleGAN's R1 penalty on grad_x D(x) cannot move D's
    final bias).
    """
    loss: str
    players: tuple
    method: str
    repeat: int = 1
    every: int = 1
    after: str | None = None
    start: int = 0
    stop: int | None = None
    partial_gradients: bool = False

    @property
    def every_step(self):
        return self.every == 1 and self.start == 0 and self.stop is None

    def due(self, step):
        """Whether the phase runs on `step` (a tensor)."""
        due = (step % self.every == 0) & (step >= self.start)
        return due if self.stop is None else due & (step < self.stop)


def check_dtype_policy(policy):
    if policy not in (None, *DTYPE_POLICIES):
        raise ValueError(f"dtype_policy must be one of {', '.join(DTYPE_POLICIES)}; got {policy!r}.")


@contextlib.contextmanager
def dtype_policy_scope(policy):
    """Keras layers take the global dtype policy when they are created: networks built inside this
    scope compute in `policy` (None: the current global policy)."""
    check_dtype_policy(policy)
    if policy is None:
        yield
        return
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def to_float32(outputs):
    """A network's outputs (a tensor or a dict of them) with floating values in float32: losses
    and served outputs never see half precision."""
    return keras.tree.map_structure(
        lambda x: ops.cast(x, "float32") if "float" in str(x.dtype) else x, outputs)


class AdversarialModel(keras.Model):
    """Plumbing for models trained by `fit` under any `tf.distribute` strategy; see the module doc.

    A subclass declares `networks` (attribute names of its players, also constructor arguments),
    `phases()`, `default_optimizers()`, `build_weights()` (one eager call per network),
    `probe_inputs(player)`, `unpack_batch(data)`, `served_networks` and
    `serving_signatures(max_batch)`.
    """

    OPTIONS = (EMA_DECAY, EMA_START)  # the options this class adds to a variant's (`--set`)
    variant = None          # registry name, set by `register_variant`
    networks = ()           # attribute names of the players, Keras networks
    served_networks = ()    # players whose EMA copy (when enabled) serves instead of them
    extra_metrics = ()      # the variant's own logged terms, besides each phase's loss
    requires_labels = False  # conditional by design: trained on labelled batches
    training_domains = 1     # 2: trained on (domain_a, domain_b) batches (image-to-image)

    def __init__(self, seed=0, training_info=None, ema_decay=None, ema_start=0, dtype_policy=None,
                 **kwargs):
        super().__init__(**kwargs)
        if ema_decay is not None and not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1) (e.g. 0.999), or None for no EMA; got "
                             f"{ema_decay}.")
        if int(ema_start) < 0:
            raise ValueError(f"ema_start must be a step >= 0; got {ema_start}.")
        check_dtype_policy(dtype_policy)
        self.seed = int(seed)
        self.training_info = dict(training_info or {})
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.ema_start = int(ema_start)
        self.dtype_policy_name = dtype_policy
        self.optimizers = {}
        self.ema = {}
        self.trackers = []
        # What `noise` needs to know about the running phase. Per thread: MirroredStrategy runs
        # each replica's step in a thread of its own.
        self._phase_state = threading.local()

    # ----- players ----------------------------------------------------------------------------

    def players(self):
        """{name: network} for every player."""
        return {name: getattr(self, name) for name in self.networks}

    def build_networks(self):
        """Creates every weight (networks, EMA copies, metrics) once; idempotent."""
        if self.built:
            return self
        self.build_weights()
        if self.ema_decay is not None:
            self.ema = {name: self._ema_copy(name) for name in self.served_networks}
        self.trackers = [keras.metrics.Mean(name=name) for name in self.metric_names()]
        # The networks have their weights now; marking the model built keeps `fit` from calling it
        # symbolically on a data batch.
        self.built = True
        return self

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Nothing to build: `compile` built the networks, metrics and optimizers. Keras 3's
        `fit` under a strategy would first average its first batch over the replicas with
        `strategy.reduce("MEAN", batch, axis=None)`, which MultiWorkerMirroredStrategy takes only
        for a single tensor: a batch of (images, labels) or (domain_a, domain_b) failed there with
        "Attempt to convert a value (PerReplica...)" (keras-team/keras#20329)."""

    def build_weights(self):
        """Calls every network once, eagerly, so that all weights exist."""
        raise NotImplementedError(f"{type(self).__name__} must define build_weights")

    def _ema_copy(self, name):
        """A non-trainable copy of player `name`, same architecture and weights."""
        network = getattr(self, name)
        with dtype_policy_scope(self.dtype_policy_name):
            copy = type(network).from_config(network.get_config())
        copy(self.probe_inputs(name), training=False)
        copy.set_weights(network.get_weights())
        copy.trainable = False
        return copy

    def probe_inputs(self, name):
        """Inputs on which player `name` can be called once (to build a copy of it)."""
        raise NotImplementedError(f"{type(self).__name__} must define probe_inputs")

    def inference_networks(self):
        """{name: network} that serve (sampling, evaluation, export): the EMA copies when enabled."""
        return {name: self.ema.get(name, getattr(self, name)) for name in self.served_networks}

    def run(self, network, inputs, training):
        """`network(inputs)` with floating outputs in float32 (losses never see half precision)."""
        return to_float32(network(inputs, training=training))

    def call(self, inputs, training=False):
        """The first served network on `inputs`."""
        return self.run(next(iter(self.inference_networks().values())), inputs, training)

    @classmethod
    def fixed_options(cls):
        """Constructor options this variant refuses because its paper fixes them (`tfgan-suite
        list --options` leaves them out)."""
        return ()

    # ----- compile ----------------------------------------------------------------------------

    def phases(self):
        """The update phases of one training step, in order."""
        raise NotImplementedError(f"{type(self).__name__} must define phases")

    def trained_players(self):
        return tuple(dict.fromkeys(p for phase in self.phases() for p in phase.players))

    def default_optimizers(self):
        """{player: optimizer}, the paper's; used for every player `compile` is not given one."""
        raise NotImplementedError(f"{type(self).__name__} must define default_optimizers")

    def metric_names(self):
        return tuple(dict.fromkeys([phase.loss for phase in self.phases()]
                                   + list(self.extra_metrics)))

    def compile(self, optimizers=None, **kwargs):
        """One optimizer per trained player; `optimizers` may name some, the rest are the paper's."""
        self.build_networks()
        self._check_phases()
        given = {name: opt for name, opt in (optimizers or {}).items() if opt is not None}
        unknown = set(given) - set(self.trained_players())
        if unknown:
            raise ValueError(f"No trained player named {sorted(unknown)}; this {self.variant} "
                             f"model trains {list(self.trained_players())}.")
        defaults = self.default_optimizers()
        chosen = {name: given.get(name) or defaults[name] for name in self.trained_players()}
        if self.dtype_policy_name == "mixed_float16":
            # fp16 gradients underflow without loss scaling; one scale per player.
            chosen = {name: opt if isinstance(opt, keras.optimizers.LossScaleOptimizer)
                      else keras.optimizers.LossScaleOptimizer(opt) for name, opt in chosen.items()}
        self.optimizers = chosen
        # Keras counts training steps on `model.optimizer.iterations` (TensorBoard, checkpoints);
        # with one optimizer per player none of them does (a player may be updated several times
        # a step, or every k steps), so the model's own optimizer is a clock: it applies no
        # gradient, counts steps, and is saved and restored (`--resume`) with the others.
        super().compile(optimizer=keras.optimizers.SGD(0.0, name="step_clock"), **kwargs)
        self.optimizer.build([])
        # Slots created lazily inside the first distributed step fail under MirroredStrategy
        # ("You must feed a value for placeholder tensor 'cond/Placeholder'", keras-team/keras#19246).
        for name, optimizer in self.optimizers.items():
            optimizer.build(getattr(self, name).trainable_variables)

    def _check_phases(self):
        for phase in self.phases():
            if not 1 <= phase.repeat <= MAX_REPEAT:
                raise ValueError(f"A phase's repeat (n_critic) must be in [1, {MAX_REPEAT}]; got "
                                 f"{phase.repeat}.")
            if phase.every < 1:
                raise ValueError(f"A phase runs every k >= 1 steps; got every={phase.every}.")
            if phase.start < 0 or (phase.stop is not None and phase.stop <= phase.start):
                raise ValueError(f"A phase runs on steps start <= step < stop, start >= 0; got "
                                 f"start={phase.start}, stop={phase.stop}.")

    @property
    def steps_taken(self):
        """Training steps taken so far (restored with the optimizers by `--resume`)."""
        return self.optimizer.iterations

    def get_compile_config(self):
        if not self.compiled:
            return None
        return {"optimizers": {name: keras.optimizers.serialize(opt)
                               for name, opt in self.optimizers.items()}}

    def compile_from_config(self, config):
        self.compile(optimizers={name: keras.optimizers.deserialize(opt)
                                 for name, opt in config["optimizers"].items()})

    @property
    def metrics(self):
        return list(self.trackers)

    def training_callbacks(self):
        """Keras callbacks that the model's own training schedule needs (BEGAN's learning-rate
        halving when M_global stalls), new ones on each call; none by default. The training run
        adds them to `fit`; calling `fit` yourself, pass them:
        `model.fit(data, callbacks=[*model.training_callbacks(), ...])`."""
        return []

    # ----- training ---------------------------------------------------------------------------

    def unpack_batch(self, data):
        """The tuple of tensors that `phase_inputs` turns into each phase's arguments."""
        raise NotImplementedError(f"{type(self).__name__} must define unpack_batch")

    def phase_inputs(self, batch):
        """The arguments of a phase's method; a template may add noise drawn here."""
        return batch

    def train_step(self, data):
        batch = self.unpack_batch(data)
        step = tf.identity(self.steps_taken)  # this step's number, before any update
        self.update_power_iterations()
        for phase in self.phases():
            for repetition in range(phase.repeat):
                if phase.every_step:
                    self._run_phase(phase, repetition, batch, step)
                else:
                    self._run_on_due_steps(phase, repetition, batch, step)
        self.optimizer.iterations.assign_add(1)
        return {tracker.name: self._loggable(tracker.result()) for tracker in self.trackers}

    def update_power_iterations(self):
        """Moves every spectrally normalised layer's u one power iteration, once per step before
        its phases (Miyato et al. 2018, Algorithm 1); the step's calls all use that u."""
        for network in self.players().values():
            for layer in spectral_layers(network):
                layer.update_power_iteration()

    def _run_on_due_steps(self, phase, repetition, batch, step):
        """The phase on its due steps (`Phase.due`, the same steps on every replica). Under
        MirroredStrategy a cond whose branch synchronises the replicas (gradient all-reduce,
        synchronized batch norm) must be taken in cross-replica context, as Keras's
        LossScaleOptimizer does."""
        def run(batch, step):
            self._run_phase(phase, repetition, batch, step)
            return tf.constant(0)

        if tf.__internal__.distribute.strategy_supports_no_merge_call():
            tf.cond(phase.due(step), lambda: run(batch, step), lambda: tf.constant(0))
            return

        def cross_replica(strategy, batch, step):
            def on_every_replica():
                strategy.extended.call_for_each_replica(run, args=(batch, step))
                return tf.constant(0)
            due = phase.due(strategy.experimental_local_results(step)[0])
            tf.cond(due, on_every_replica, lambda: tf.constant(0))

        tf.distribute.get_replica_context().merge_call(cross_replica, args=(batch, step))

    def _run_phase(self, phase, repetition, batch, step):
        batch_size = ops.shape(tf.nest.flatten(batch)[0])[0]
        self._phase_state.context = (step, phase.loss, repetition, batch_size)
        with tf.GradientTape(persistent=len(phase.players) > 1) as tape:
            terms = getattr(self, phase.method)(*self.phase_inputs(batch))
            loss = self.replica_loss(terms[phase.loss])
            # Under mixed_float16 each player's loss-scale optimizer scales the loss its own way.
            scaled = {name: self.optimizers[name].scale_loss(loss)
                      if isinstance(self.optimizers[name], keras.optimizers.LossScaleOptimizer)
                      else loss for name in phase.players}
        for name in phase.players:
            variables = getattr(self, name).trainable_variables
            pairs = zip(tape.gradient(scaled[name], variables), variables)
            if phase.partial_gradients:
                # Which gradients are None is fixed by the graph: the same on every replica.
                pairs = [(gradient, variable) for gradient, variable in pairs
                         if gradient is not None]
            self.optimizers[name].apply_gradients(pairs)
        del tape
        if phase.after:
            terms = {**terms, **(getattr(self, phase.after)(terms) or {})}
        for tracker in self.trackers:
            if tracker.name in terms:
                tracker.update_state(ops.mean(ops.cast(terms[tracker.name], "float32")))
        for name in phase.players:
            if name in self.ema:
                self.update_ema(name, step)
        self._phase_state.context = None

    @staticmethod
    def _loggable(value):
        """Under MultiWorkerMirroredStrategy Keras 3's `fit` reduces every logged value with
        `strategy.reduce("MEAN", v, axis=0)`, which fails on a scalar (tensorflow/tensorflow#72388):
        there a value goes out with shape [1] and that reduction makes it a scalar again. Elsewhere
        it stays a scalar, as callbacks such as TensorBoard expect."""
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            return ops.reshape(value, (1,))
        return value

    @staticmethod
    def replica_loss(per_example):
        """This replica's share of the global-batch mean: gradients summed over replicas then equal
        the gradient of the mean over the global batch."""
        per_example = ops.reshape(ops.cast(per_example, "float32"), (-1,))
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        return tf.nn.compute_average_loss(
            per_example, global_batch_size=ops.shape(per_example)[0] * replicas)

    # The mean over every axis but the batch: per-example pixel errors, or a PatchGAN's
    # per-example score averaged over its patches.
    per_example = staticmethod(losses.per_example_mean)

    def check_image_batch(self, images):
        """One clear error for a batch of training images (of a model with an `image_shape`) that
        the networks can't take: not float32, or not of the model's shape."""
        if images.dtype != tf.float32:
            raise ValueError(
                f"Images must be float32 scaled to [-1, 1]; got {images.dtype}. Scale them with "
                "`x / 127.5 - 1` or load them with tfgan_suite.data.load_dataset.")
        if tuple(images.shape[1:]) != self.image_shape:
            raise ValueError(
                f"The networks of this {self.variant} model take images of shape {self.image_shape}; "
                f"the data has {tuple(images.shape[1:])}. Build the model for the data's shape "
                "(image_shape=...) or resize the data.")

    @staticmethod
    def global_mean(value):
        """The mean of `value` over the global batch (all replicas), for statistics that drive an
        update, such as BEGAN's k_t: every replica must see the same number."""
        context = tf.distribute.get_replica_context()
        return context.all_reduce(tf.distribute.ReduceOp.MEAN, ops.mean(value))

    @staticmethod
    def global_batch(values):
        """(`values` of the whole global batch, gathered from every replica with gradients flowing
        back to each, the index of this replica's first row in it)."""
        context = tf.distribute.get_replica_context()
        offset = tf.cast(context.replica_id_in_sync_group, tf.int32) * tf.shape(values)[0]
        return context.all_gather(values, axis=0), offset

    # ----- EMA --------------------------------------------------------------------------------

    def update_ema(self, name, step):
        """ema <- decay ema + (1 - decay) w for every weight of player `name` (a copy before
        `ema_start`); moving statistics such as batch norm's are copied. The new values are the
        same on every replica (the player's weights are), so each replica writes its own copy."""
        decay = tf.where(tf.cast(step, tf.int64) >= self.ema_start, self.ema_decay, 0.0)
        network = getattr(self, name)
        for average, weight in zip(self.ema[name].weights, network.weights):
            if weight.trainable:
                average.assign(decay * average + (1.0 - decay) * weight)
            else:
                average.assign(weight)

    # ----- named noise ------------------------------------------------------------------------

    def noise(self, name, shape=(), distribution="normal", minval=0.0, maxval=1.0, dtype="float32",
              batch_size=None):
        """This replica's rows of a draw for the GLOBAL batch: `shape` per example, `distribution`
        "normal" (N(0, 1)) or "uniform" ([minval, maxval); integers for an int dtype). The seed
        is made of the model seed, the step, the phase and its repetition, and a stable hash of
        `name` (crc32): every named draw is its own stream, the same on 1 or N replicas."""
        context = tf.distribute.get_replica_context()
        step, phase, repetition, phase_batch = (getattr(self._phase_state, "context", None)
                                                or (self.steps_taken, "", 0, None))
        batch_size = phase_batch if batch_size is None else batch_size
        # (model seed, name) and (step, repetition) pack into the two seed words without collisions.
        stream = zlib.crc32(f"{phase}/{name}".encode())
        seed = tf.stack([tf.constant((self.seed << 32) + stream, tf.int64),
                         tf.cast(step, tf.int64) * (MAX_REPEAT + 1) + repetition])
        full_shape = [batch_size * context.num_replicas_in_sync, *shape]
        if distribution == "normal":
            draw = tf.random.stateless_normal(full_shape, seed, dtype=dtype)
        elif distribution == "uniform":
            draw = tf.random.stateless_uniform(full_shape, seed, minval, maxval, dtype=dtype)
        else:
            raise ValueError(f"distribution must be 'normal' or 'uniform'; got {distribution!r}.")
        first = tf.cast(context.replica_id_in_sync_group, tf.int32) * batch_size
        return draw[first:first + batch_size]

    # ----- serving ----------------------------------------------------------------------------

    def serving_signatures(self, max_batch):
        """{name: signatures.Signature}: what the export serves, each with its batch cap."""
        raise NotImplementedError(f"{type(self).__name__} must define serving_signatures")

    # ----- serialization ----------------------------------------------------------------------

    @classmethod
    def create_built(cls, *args, **kwargs):
        """`cls(*args, **kwargs)` with its weights created."""
        return cls(*args, **kwargs).build_networks()

    def get_config(self):
        return {
            **super().get_config(),
            **{name: keras.saving.serialize_keras_object(network)
               for name, network in self.players().items()},
            "seed": self.seed,
            "training_info": self.training_info,
            "ema_decay": self.ema_decay,
            "ema_start": self.ema_start,
            "dtype_policy": self.dtype_policy_name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        with dtype_policy_scope(config.get("dtype_policy")):
            for name in cls.networks:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls.create_built(**config)
