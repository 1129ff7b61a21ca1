"""ResNet generator and discriminator of the modern-architecture family (SNGAN, SAGAN, BigGAN,
SSGAN). At 28-32 px: the CIFAR-10 networks of Miyato et al. 2018 (app. B), with
`width` channels in every block (Miyato et al.: 256 in G, 128 in D); at 64 and 128 px the
ImageNet networks' per-resolution widths (see GENERATOR_MULTIPLIERS).

Generator: z -> linear -> s x s x width (s = 7 for 28 px, 4 for 32 px) -> one up block per
doubling -> BN-ReLU-conv3-tanh. Options, one per paper:
- `num_classes`: class-conditional batch norm (per-class gain and bias tables; SNGAN/SAGAN);
- `shared_embedding_dim`: BigGAN's shared class embedding and hierarchical latent (Brock et al.
  2018, sec. 3 and fig. 15): z is split into one chunk per block plus one for the linear layer,
  and each block's conditional BN reads [embed(y), its chunk];
- `spectral`: spectral norm in G too (SAGAN, BigGAN);
- `attention`: self-attention at the middle resolution (half the image size; SAGAN, BigGAN).

Discriminator: an optimized first block, one down block per halving down to s x s (Miyato et al.
add two blocks at 8 x 8 for CIFAR-10; left out at this scale), ReLU, global sum pooling phi(x), a
spectrally normalised linear logit psi(phi(x)).
Options: `num_classes` (projection, Miyato & Koyama 2018: + embed(y) . phi(x), the embedding a
spectrally normalised linear map of one-hot y), `attention` (after the first block),
`rotation_head` (SSGAN: four rotation logits from phi(x); the output becomes a dict).
"""

import keras
import numpy as np
from keras import layers, ops

from tfgan_suite.networks.conditioning import split_labels
from tfgan_suite.networks.dcgan import square_size, upsampling_plan
from tfgan_suite.networks.layers import (ResBlockDown, ResBlockUp, SelfAttention, SpectralDense,
                                         conv, dense)

ROTATIONS = 4  # 0, 90, 180, 270 degrees


# Channel multipliers of `width` per resolution, from the 4x4 map up (G) or from the image down (D).
# 64 and 128 px: Miyato et al. 2018's ImageNet ResNets (official chainer code, pfnet-research/
# sngan_projection gen_models/resnet*.py, dis_models/snresnet*.py) and Brock et al. 2018 (BigGAN,
# app. B tables 4-5): G ch*[16,16,8,4,2,1] at 128 (64: ch*[16,8,4,2,1]), D ch*[1,2,4,8,16,...].
# 28-32 px keep the CIFAR-10 networks' one width (Miyato et al. app. B).
GENERATOR_MULTIPLIERS = {64: (16, 8, 4, 2, 1), 128: (16, 16, 8, 4, 2, 1)}
DISCRIMINATOR_MULTIPLIERS = (1, 2, 4, 8, 16, 16, 16)


def generator_multipliers(size, steps):
    """Width multipliers of the projected map and of each up block's output (steps + 1 values)."""
    if size in GENERATOR_MULTIPLIERS:
        return GENERATOR_MULTIPLIERS[size]
    if size >= 64:  # other large sizes: halve per octave from 16x, as the papers' tables do
        return tuple(max(16 // 2 ** max(step - (steps - 4), 0), 1) for step in range(steps + 1))
    return (1,) * (steps + 1)


def discriminator_multipliers(size, steps):
    """Width multipliers of each downsampling block's output (`steps` values)."""
    if size >= 64:
        return DISCRIMINATOR_MULTIPLIERS[:steps]
    return (1,) * steps


def _with_old_widths(config, key, count):
    """Files saved before per-resolution widths (no `key`): one width everywhere, as then."""
    config = dict(config)
    if config.get(key) is None:
        config[key] = [1] * count
    return config


def latent_chunks(latent_dim, pieces):
    """Sizes of BigGAN's latent chunks: `latent_dim` split into `pieces` near-equal parts."""
    if latent_dim < pieces:
        raise ValueError(f"A hierarchical latent needs latent_dim >= {pieces} (one value per "
                         f"chunk: the linear layer and each block); got {latent_dim}.")
    return [int(size) for size in np.diff(np.linspace(0, latent_dim, pieces + 1).round())]


@keras.saving.register_keras_serializable(package="tfgan_suite")
class ResNetGenerator(keras.Model):
    """z (+ labels) -> image in [-1, 1]; called on z, or on [z, labels] when conditional."""

    def __init__(self, latent_dim, image_shape, width=64, num_classes=None,
                 shared_embedding_dim=None, spectral=False, attention=False,
                 channel_multipliers=None, **kwargs):
        """`channel_multipliers`: the projected map's and each up block's channels in units of
        `width` (default: by image size, see GENERATOR_MULTIPLIERS)."""
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.image_shape = tuple(image_shape)
        self.width = int(width)
        self.num_classes = num_classes
        self.shared_embedding_dim = shared_embedding_dim
        self.spectral = bool(spectral)
        self.attention = bool(attention)
        if shared_embedding_dim is not None and num_classes is None:
            raise ValueError("A shared class embedding (BigGAN) needs num_classes.")
        size = square_size(self.image_shape, "The ResNet networks")
        steps, self.start_size = upsampling_plan(size)
        self.channel_multipliers = tuple(int(m) for m in (
            channel_multipliers or generator_multipliers(size, steps)))
        if len(self.channel_multipliers) != steps + 1:
            raise ValueError(f"channel_multipliers needs {steps + 1} values at {size} px (the "
                             f"projection and {steps} up blocks); got {self.channel_multipliers}.")
        self.start_width = self.width * self.channel_multipliers[0]
        hierarchical = shared_embedding_dim is not None
        self.chunks = latent_chunks(self.latent_dim, steps + 1) if hierarchical else None
        if hierarchical:
            self.shared_embedding = layers.Embedding(num_classes, shared_embedding_dim)
        self.project = dense(self.start_size * self.start_size * self.start_width, self.spectral)
        # Per-class tables (num_classes) or, hierarchical, projections of [embed(y), z chunk].
        block_classes = None if hierarchical else num_classes
        self.blocks = [ResBlockUp(self.width * multiplier, conditional=num_classes is not None,
                                  num_classes=block_classes, spectral=self.spectral)
                       for multiplier in self.channel_multipliers[1:]]
        # Attention after the block whose output is half the image size.
        self.attention_after = steps - 2 if self.attention else None
        self.self_attention = SelfAttention(self.spectral) if self.attention else None
        self.out_norm = layers.BatchNormalization(synchronized=True, momentum=0.9, epsilon=1e-5)
        self.to_image = conv(self.image_shape[-1], 3, self.spectral)

    def call(self, inputs, training=False):
        z, labels = split_labels(inputs, self.num_classes)
        if self.chunks is not None:
            pieces = ops.split(z, np.cumsum(self.chunks)[:-1].tolist(), axis=-1)
            embedding = self.shared_embedding(labels)
            conditions = [ops.concatenate([embedding, piece], axis=-1) for piece in pieces[1:]]
            z = pieces[0]
        else:
            conditions = [labels] * len(self.blocks)
        h = ops.reshape(self.project(z), (-1, self.start_size, self.start_size, self.start_width))
        for index, (block, condition) in enumerate(zip(self.blocks, conditions)):
            h = block(h if self.num_classes is None else [h, condition], training=training)
            if index == self.attention_after:
                h = self.self_attention(h)
        h = ops.relu(self.out_norm(h, training=training))
        return ops.tanh(self.to_image(h))

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "image_shape": list(self.image_shape), "width": self.width,
                "num_classes": self.num_classes,
                "shared_embedding_dim": self.shared_embedding_dim, "spectral": self.spectral,
                "attention": self.attention,
                "channel_multipliers": list(self.channel_multipliers)}

    @classmethod
    def from_config(cls, config):
        steps, _ = upsampling_plan(config["image_shape"][0])
        return super().from_config(_with_old_widths(config, "channel_multipliers", steps + 1))


@keras.saving.register_keras_serializable(package="tfgan_suite")
class ResNetDiscriminator(keras.Model):
    """image (+ labels) -> logit [N, 1], or {"logits", "rotation_logits"} with a rotation head."""

    def __init__(self, image_shape, width=64, num_classes=None, attention=False,
                 rotation_head=False, same_size_blocks=0, channel_multipliers=None, **kwargs):
        """`same_size_blocks` blocks without pooling after the downsampling ones (SNGAN's
        CIFAR-10 D has 2): at 28 px the 2 downsampling blocks see 16 px patches, these the
        whole image. `channel_multipliers`: each downsampling block's channels in units of
        `width` (default: by image size, see DISCRIMINATOR_MULTIPLIERS)."""
        super().__init__(**kwargs)
        self.image_shape = tuple(image_shape)
        self.width = int(width)
        self.num_classes = num_classes
        self.attention = bool(attention)
        self.rotation_head = bool(rotation_head)
        self.same_size_blocks = int(same_size_blocks)
        size = square_size(self.image_shape, "The ResNet networks")
        steps, _ = upsampling_plan(size)
        self.channel_multipliers = tuple(int(m) for m in (
            channel_multipliers or discriminator_multipliers(size, steps)))
        if len(self.channel_multipliers) != steps:
            raise ValueError(f"channel_multipliers needs {steps} values at {size} px (one per "
                             f"downsampling block); got {self.channel_multipliers}.")
        widths = [self.width * multiplier for multiplier in self.channel_multipliers]
        self.feature_width = widths[-1]
        self.blocks = ([ResBlockDown(widths[0], first=True)]
                       + [ResBlockDown(filters) for filters in widths[1:]]
                       + [ResBlockDown(self.feature_width, downsample=False)
                          for _ in range(self.same_size_blocks)])
        self.self_attention = SelfAttention() if self.attention else None
        self.logit = SpectralDense(1)
        if num_classes is not None:
            self.class_embedding = SpectralDense(self.feature_width, use_bias=False)
        if self.rotation_head:
            self.rotation_logits = SpectralDense(ROTATIONS)

    def features(self, x):
        """phi(x): the blocks, ReLU, sum over positions."""
        h = self.blocks[0](x)
        if self.self_attention is not None:
            h = self.self_attention(h)
        for block in self.blocks[1:]:
            h = block(h)
        return ops.sum(ops.relu(h), axis=(1, 2))

    def call(self, inputs, training=False):
        x, labels = split_labels(inputs, self.num_classes)
        phi = self.features(x)
        logits = self.logit(phi)
        if labels is not None:
            embedded = self.class_embedding(ops.one_hot(labels, self.num_classes,
                                                        dtype=phi.dtype))
            logits = logits + ops.sum(embedded * phi, axis=-1, keepdims=True)
        if not self.rotation_head:
            return logits
        return {"logits": logits, "rotation_logits": self.rotation_logits(phi)}

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "width": self.width, "num_classes": self.num_classes,
                "attention": self.attention, "rotation_head": self.rotation_head,
                "same_size_blocks": self.same_size_blocks,
                "channel_multipliers": list(self.channel_multipliers)}

    @classmethod
    def from_config(cls, config):
        steps, _ = upsampling_plan(config["image_shape"][0])
        return super().from_config(_with_old_widths(config, "channel_multipliers", steps))
