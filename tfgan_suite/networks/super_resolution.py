"""SRGAN's networks (Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a
Generative Adversarial Network", arXiv:1609.04802, Figure 4), widths scaled by `width`:

- `SRResNet`: 9x9 conv + PReLU; B residual blocks (3x3 conv, BN, PReLU, 3x3 conv, BN, + skip);
  3x3 conv + BN + the skip from before the blocks; log2(scale) sub-pixel upsampling blocks (3x3
  conv to 4x the channels, depth_to_space 2 (Shi et al. 2016), PReLU); a 9x9 conv to the image,
  tanh (high-resolution images are in [-1, 1], sec. 3.2). The paper: width 64, B = 16.
- `SRDiscriminator`: 3x3 convs with LeakyReLU(0.2), alternately stride 1 and 2, the filters
  doubling every second conv (64 ... 512 in the paper), BN after all but the first, then a dense
  layer of 16 x width units (1024) and one logit.

Batch normalization is synchronized across replicas, so 1 and N replicas train alike. Its epsilon
is Keras's 1e-3 (the paper gives none): at initialisation the PReLUs are ReLUs (Keras's alpha = 0),
which leaves some generator channels nearly constant (batch variance ~6e-4); with epsilon 1e-5
their float32 rounding was scaled up ~40x and, through the discriminator's gradient on G's images,
made 1 and 2 replicas disagree by 1-3% of an SGD step (in float64 they agree to 1e-7).
"""

import math

import keras
import tensorflow as tf
from keras import layers, ops


def _batch_norm():
    return layers.BatchNormalization(synchronized=True, momentum=0.9, epsilon=1e-3)


def _prelu():
    # One slope per channel, shared over space (the paper's PReLU).
    return layers.PReLU(shared_axes=[1, 2])


@keras.saving.register_keras_serializable(package="tfgan_suite")
class SRResNet(keras.Model):
    """Low-resolution images [N, h, w, C] -> [N, scale h, scale w, C] in [-1, 1]."""

    def __init__(self, channels, scale=4, width=64, residual_blocks=16, **kwargs):
        super().__init__(**kwargs)
        steps = math.log2(scale)
        if scale < 2 or steps != int(steps):
            raise ValueError(f"SRResNet upscales by a power of 2 (2, 4, 8); got scale={scale}.")
        if residual_blocks < 1:
            raise ValueError(f"residual_blocks must be >= 1 (the paper: 16); got {residual_blocks}.")
        self.channels, self.scale, self.width = int(channels), int(scale), int(width)
        self.residual_blocks = int(residual_blocks)
        conv = lambda filters, size: layers.Conv2D(filters, size, padding="same")
        self.head = conv(width, 9)
        self.head_act = _prelu()
        self.blocks = [[conv(width, 3), _batch_norm(), _prelu(), conv(width, 3), _batch_norm()]
                       for _ in range(self.residual_blocks)]
        self.body_conv, self.body_norm = conv(width, 3), _batch_norm()
        self.upsample = [(conv(4 * width, 3), _prelu()) for _ in range(int(steps))]
        self.to_image = layers.Conv2D(self.channels, 9, padding="same", activation="tanh")

    def call(self, low_res, training=False):
        skip = h = self.head_act(self.head(low_res))
        for conv1, norm1, act, conv2, norm2 in self.blocks:
            h = h + norm2(conv2(act(norm1(conv1(h), training=training))), training=training)
        h = skip + self.body_norm(self.body_conv(h), training=training)
        for conv, act in self.upsample:
            h = act(tf.nn.depth_to_space(conv(h), 2))  # the sub-pixel shuffle
        return self.to_image(h)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "scale": self.scale,
                "width": self.width, "residual_blocks": self.residual_blocks}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class SRDiscriminator(keras.Model):
    """High-resolution images -> one logit per image."""

    def __init__(self, image_shape, width=64, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.width = int(width)
        # (filters, stride): 64 s1, 64 s2, 128 s1, 128 s2, ... 512 s2 for width 64.
        plan = [(width * 2 ** (i // 2), 1 + i % 2) for i in range(8)]
        self.convs = [layers.Conv2D(f, 3, strides=s, padding="same") for f, s in plan]
        self.norms = [_batch_norm() for _ in plan[1:]]
        self.flatten = layers.Flatten()
        self.dense = layers.Dense(16 * width)
        self.logit = layers.Dense(1)

    def call(self, images, training=False):
        h = ops.leaky_relu(self.convs[0](images), 0.2)
        for conv, norm in zip(self.convs[1:], self.norms):
            h = ops.leaky_relu(norm(conv(h), training=training), 0.2)
        return self.logit(ops.leaky_relu(self.dense(self.flatten(h)), 0.2))

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape), "width": self.width}
