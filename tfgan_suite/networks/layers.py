"""The modern-architecture toolbox (SNGAN, SAGAN, BigGAN, SSGAN), as Keras layers with get_config().

- `SpectralDense` / `SpectralConv2D`: spectral normalisation (Miyato et al. 2018,
  arXiv:1802.05957, Algorithm 1): the layer computes with W / sigma(W), sigma estimated by one
  power iteration per step from a stored vector u. The division happens in `call`, so the
  gradient flows through sigma (as in the paper and TF-GAN's SAGAN, unlike Keras 3's
  `SpectralNormalization`, which writes W / sigma back into the kernel under `stop_gradient`).
  `call` never writes: u moves once per training step (`update_power_iteration`, called by the
  model before the step's phases), from replica-identical values, so 1 and N replicas keep the
  same u.
- `SelfAttention`: Zhang et al. 2018 (arXiv:1805.08318), eq. 1-3: y = gamma o + x, gamma
  initialised at 0 so the block starts as the identity.
- `ConditionalBatchNorm`: batch norm without its own affine (synchronised across replicas, so
  statistics are the global batch's) followed by a class-dependent gain and bias: per-class
  tables (SNGAN/SAGAN's conditional G) or linear projections of a condition vector (BigGAN's
  shared embedding + latent chunk, Brock et al. 2018, arXiv:1809.11096, sec. 3 and app. B).
- `ResBlockUp` / `ResBlockDown`: the ResNet blocks of Miyato et al. 2018 (app. B, after Gulrajani
  et al. 2017): BN-ReLU-up-conv3-BN-ReLU-conv3 with a 1x1 up shortcut in G; (ReLU)-conv3-ReLU-
  conv3-avgpool with a 1x1 pooled shortcut in D (the first block without the leading ReLU).
- `orthogonal_regularization`: BigGAN's off-diagonal form (sec. 3.1, eq. 3),
  beta ||W^T W * (1 - I)||_F^2 with W's columns the filters.
"""

import keras
from keras import layers, ops

POWER_ITERATION_EPSILON = 1e-12
ORTHOGONAL_BETA = 1e-4  # BigGAN, sec. 3.1


def _l2_normalize(x):
    return x / ops.sqrt(ops.sum(ops.square(x)) + POWER_ITERATION_EPSILON)


class SpectralNormalized(layers.Layer):
    """Shared part of the spectrally normalised layers: a kernel whose last axis holds the output
    units, a bias, and the power-iteration vector u (one entry per output unit)."""

    def __init__(self, units, use_bias=True, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def add_spectral_weights(self, kernel_shape):
        self.kernel = self.add_weight(name="kernel", shape=kernel_shape,
                                      initializer=self.kernel_initializer)
        self.bias = (self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
                     if self.use_bias else None)
        # One writer per step from values every replica computes alike: only_first_replica lets
        # the assignment run in replica context under MirroredStrategy.
        self.u = self.add_weight(name="power_iteration_u", shape=(self.units,),
                                 initializer=keras.initializers.RandomNormal(),
                                 trainable=False, aggregation="only_first_replica")

    def _matrix(self):
        return ops.reshape(self.kernel, (-1, self.units))  # [fan_in, units]

    def sigma(self):
        """sigma(W) ~ ||W u|| for the unit vector u: v^T W u with v = W u / ||W u||, whose
        gradient in W is v u^T (Miyato et al. 2018, eq. 12). u is normalised here too: it starts
        as a random vector, and a network used before its first training step (an untrained
        baseline, an early export) would otherwise divide by a far smaller sigma."""
        return ops.sqrt(ops.sum(ops.square(ops.matmul(self._matrix(), _l2_normalize(self.u))))
                        + POWER_ITERATION_EPSILON)

    def normalized_kernel(self):
        return ops.cast(self.kernel / self.sigma(), self.compute_dtype)

    def update_power_iteration(self):
        """u <- W^T v / ||W^T v||, v = W u / ||W u|| (one power iteration for the current W;
        once per training step)."""
        w = self._matrix()
        self.u.assign(_l2_normalize(ops.matmul(_l2_normalize(ops.matmul(w, self.u)), w)))

    def add_bias(self, outputs):
        return outputs if self.bias is None else outputs + ops.cast(self.bias, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class SpectralDense(SpectralNormalized):
    """Dense(units) with kernel W / sigma(W)."""

    def build(self, input_shape):
        self.add_spectral_weights((int(input_shape[-1]), self.units))

    def call(self, inputs):
        return self.add_bias(ops.matmul(inputs, self.normalized_kernel()))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)


@keras.saving.register_keras_serializable(package="tfgan_suite")
class SpectralConv2D(SpectralNormalized):
    """Conv2D(units, kernel_size, stride 1, "same") with kernel W / sigma(W), W as a
    [k * k * in, units] matrix (Miyato et al. 2018, sec. 2.1)."""

    def __init__(self, units, kernel_size=3, **kwargs):
        super().__init__(units, **kwargs)
        self.kernel_size = int(kernel_size)

    def build(self, input_shape):
        self.add_spectral_weights((self.kernel_size, self.kernel_size, int(input_shape[-1]),
                                   self.units))

    def call(self, inputs):
        return self.add_bias(ops.conv(inputs, self.normalized_kernel(), padding="same"))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size}


def dense(units, spectral, use_bias=True):
    """A Dense layer, spectrally normalised when `spectral` (orthogonal init, as BigGAN's)."""
    if spectral:
        return SpectralDense(units, use_bias=use_bias, kernel_initializer="orthogonal")
    return layers.Dense(units, use_bias=use_bias, kernel_initializer="glorot_uniform")


def conv(units, kernel_size, spectral):
    """A stride-1 "same" convolution, spectrally normalised when `spectral`."""
    if spectral:
        return SpectralConv2D(units, kernel_size, kernel_initializer="orthogonal")
    return layers.Conv2D(units, kernel_size, padding="same")


def spectral_layers(network):
    """Every spectrally normalised layer inside `network`."""
    return [layer for layer in network._flatten_layers(include_self=False)
            if isinstance(layer, SpectralNormalized)]


@keras.saving.register_keras_serializable(package="tfgan_suite")
class SelfAttention(layers.Layer):
    """Self-attention over the H x W positions (Zhang et al. 2018, sec. 3): queries f and keys g
    with C/8 channels, values h with C/2 (TF-GAN's and BigGAN's choice), an output 1x1 conv back
    to C, and y = gamma o + x with gamma = 0 at initialisation."""

    def __init__(self, spectral=True, **kwargs):
        super().__init__(**kwargs)
        self.spectral = bool(spectral)

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.query = conv(max(channels // 8, 1), 1, self.spectral)
        self.key = conv(max(channels // 8, 1), 1, self.spectral)
        self.value = conv(max(channels // 2, 1), 1, self.spectral)
        self.out = conv(channels, 1, self.spectral)
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros")

    def call(self, x):
        height, width = ops.shape(x)[1], ops.shape(x)[2]
        flat = lambda t: ops.reshape(t, (ops.shape(t)[0], height * width, ops.shape(t)[-1]))
        query, key, value = flat(self.query(x)), flat(self.key(x)), flat(self.value(x))
        # beta_{j,i}: how much position j attends to position i (eq. 1).
        attention = ops.softmax(ops.matmul(query, ops.transpose(key, (0, 2, 1))), axis=-1)
        attended = ops.reshape(ops.matmul(attention, value),
                               (ops.shape(x)[0], height, width, ops.shape(value)[-1]))
        return x + ops.cast(self.gamma, x.dtype) * self.out(attended)

    def get_config(self):
        return {**super().get_config(), "spectral": self.spectral}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class ConditionalBatchNorm(layers.Layer):
    """BN(x) * gain + bias, called on [x, condition].

    `num_classes` set: the condition is an int label, gain and bias are rows of per-class tables
    (gain starts at 1, bias at 0). `num_classes` None: the condition is a float vector, gain =
    1 + linear(condition) and bias = linear(condition) (BigGAN). The normalisation is synchronised
    across replicas (per-replica statistics would break 1 vs N replica parity).
    """

    def __init__(self, num_classes=None, spectral=False, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.spectral = bool(spectral)
        self.norm = layers.BatchNormalization(center=False, scale=False, synchronized=True,
                                              momentum=0.9, epsilon=1e-5)

    def build(self, input_shape):
        channels = int(input_shape[0][-1])
        if self.num_classes is not None:
            self.gain = layers.Embedding(self.num_classes, channels, embeddings_initializer="ones")
            self.bias = layers.Embedding(self.num_classes, channels, embeddings_initializer="zeros")
        else:
            self.gain = dense(channels, self.spectral, use_bias=False)
            self.bias = dense(channels, self.spectral, use_bias=False)

    def call(self, inputs, training=False):
        x, condition = inputs
        gain = self.gain(condition)
        if self.num_classes is None:
            gain = 1.0 + gain
        normalized = self.norm(x, training=training)
        return normalized * ops.cast(gain[:, None, None, :], x.dtype) + ops.cast(
            self.bias(condition)[:, None, None, :], x.dtype)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "spectral": self.spectral}


def batch_norm(conditional, num_classes, spectral):
    """G's normalisation: plain synchronised BN, or conditional BN."""
    if conditional:
        return ConditionalBatchNorm(num_classes, spectral)
    return layers.BatchNormalization(synchronized=True, momentum=0.9, epsilon=1e-5)


@keras.saving.register_keras_serializable(package="tfgan_suite")
class ResBlockUp(layers.Layer):
    """G's block: x -> BN-ReLU-up2-conv3-BN-ReLU-conv3, plus up2-conv1(x). Called on x, or on
    [x, condition] when `conditional` (conditional BN)."""

    def __init__(self, filters, conditional=False, num_classes=None, spectral=False, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.conditional = bool(conditional)
        self.num_classes = num_classes
        self.spectral = bool(spectral)
        self.norm1 = batch_norm(conditional, num_classes, spectral)
        self.norm2 = batch_norm(conditional, num_classes, spectral)
        self.up = layers.UpSampling2D(2)
        self.conv1 = conv(self.filters, 3, spectral)
        self.conv2 = conv(self.filters, 3, spectral)
        self.shortcut = conv(self.filters, 1, spectral)

    def _norm(self, norm, x, condition, training):
        return norm([x, condition] if self.conditional else x, training=training)

    def call(self, inputs, training=False):
        x, condition = inputs if self.conditional else (inputs, None)
        h = ops.relu(self._norm(self.norm1, x, condition, training))
        h = self.conv1(self.up(h))
        h = self.conv2(ops.relu(self._norm(self.norm2, h, condition, training)))
        return h + self.shortcut(self.up(x))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "conditional": self.conditional,
                "num_classes": self.num_classes, "spectral": self.spectral}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class ResBlockDown(layers.Layer):
    """D's block: (ReLU)-conv3-ReLU-conv3-avgpool2, plus the 1x1-conv, pooled shortcut.
    `first`: no leading ReLU on the image, pooling before the shortcut's conv (Miyato et al.'s
    optimized block). `downsample=False`: no pooling (the last blocks of SNGAN's CIFAR-10 D)."""

    def __init__(self, filters, first=False, spectral=True, downsample=True, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.first = bool(first)
        self.spectral = bool(spectral)
        self.downsample = bool(downsample)
        self.conv1 = conv(self.filters, 3, spectral)
        self.conv2 = conv(self.filters, 3, spectral)
        self.shortcut = conv(self.filters, 1, spectral)
        self.pool = layers.AveragePooling2D(2) if self.downsample else layers.Identity()

    def call(self, x):
        h = x if self.first else ops.relu(x)
        h = self.pool(self.conv2(ops.relu(self.conv1(h))))
        if self.first:
            return h + self.shortcut(self.pool(x))
        return h + self.pool(self.shortcut(x))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "first": self.first,
                "spectral": self.spectral, "downsample": self.downsample}


def orthogonal_regularization(kernels, beta=ORTHOGONAL_BETA):
    """beta * sum over kernels of ||W^T W * (1 - I)||_F^2, each W reshaped to [fan_in, filters]
    (BigGAN eq. 3: only the filters' pairwise inner products are pushed to 0, not their norms)."""
    total = 0.0
    for kernel in kernels:
        w = ops.reshape(ops.cast(kernel, "float32"), (-1, kernel.shape[-1]))
        gram = ops.matmul(ops.transpose(w), w)
        off_diagonal = gram * (1.0 - ops.eye(kernel.shape[-1], dtype="float32"))
        total = total + ops.sum(ops.square(off_diagonal))
    return beta * total
