"""Networks of the conditional family, built on the DCGAN discriminator's convolutional body.

- `ConditionalDiscriminator`: one body, heads on its features:
  - the real/fake logit, conditioned on the class by concatenation (Mirza & Osindero 2014: the
    one-hot label joins the features) or by projection (Miyato & Koyama 2018, "cGANs with
    Projection Discriminator", eq. 3: D(x, y) = psi(phi(x)) + embed(y) . phi(x)), or unconditioned;
  - a class head (auxiliary classifier: cGAN's condition loss, ACGAN's class prediction);
  - a Q head (`CodeHead`; InfoGAN, Chen et al. 2016, sec. 6 and app. C.1: Q shares every conv
    layer with D and adds FC-128-BN-lReLU before the code parameters).
  It returns a dict: "logits" [N, 1], and "class_logits" / "code_logits", "code_means" per head.
- `ImageEncoder`: the same body with `outputs` linear units (IcGAN's encoders E_z and E_y,
  Perarnau et al. 2016, sec. 3.2).
"""

import keras
from keras import layers, ops

from tfgan_suite.networks.conditioning import normal_init, split_labels
from tfgan_suite.networks.dcgan import DCGANDiscriminator, batch_norm, upsampling_plan

CONDITIONINGS = ("concat", "projection", None)
Q_HIDDEN = 128


@keras.saving.register_keras_serializable(package="tfgan_suite")
class CodeHead(layers.Layer):
    """InfoGAN's Q head on D's features (Chen et al. 2016, app. C.1): FC-128-BN-lReLU, then the
    categorical code's logits and the continuous codes' means: {"code_logits", "code_means"}."""

    def __init__(self, categorical_codes, continuous_codes, negative_slope=0.2, **kwargs):
        super().__init__(**kwargs)
        self.categorical_codes = int(categorical_codes)
        self.continuous_codes = int(continuous_codes)
        self.negative_slope = float(negative_slope)
        self.hidden = layers.Dense(Q_HIDDEN, use_bias=False, kernel_initializer=normal_init())
        self.norm = batch_norm()
        self.codes = layers.Dense(self.categorical_codes + self.continuous_codes,
                                  kernel_initializer=normal_init())

    def call(self, features, training=False):
        hidden = ops.leaky_relu(self.norm(self.hidden(features), training=training),
                                self.negative_slope)
        q = self.codes(hidden)
        return {"code_logits": q[:, :self.categorical_codes],
                "code_means": q[:, self.categorical_codes:]}

    def get_config(self):
        return {**super().get_config(), "categorical_codes": self.categorical_codes,
                "continuous_codes": self.continuous_codes, "negative_slope": self.negative_slope}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class ConditionalDiscriminator(DCGANDiscriminator):
    """DCGAN discriminator body phi(x) with a real/fake logit and optional class and Q heads.

    Called on [images, labels] when `conditioning` is "concat" or "projection", on images when it is
    None (ACGAN, InfoGAN: the discriminator predicts the class or code instead of reading it).
    """

    def __init__(self, image_shape, filters=64, num_classes=None, conditioning="concat",
                 class_head=False, categorical_codes=0, continuous_codes=0, **kwargs):
        if conditioning not in CONDITIONINGS:
            raise ValueError(f"conditioning must be one of {CONDITIONINGS}; got {conditioning!r}.")
        if (conditioning or class_head) and not num_classes:
            raise ValueError("A class-conditioned discriminator or a class head needs num_classes.")
        super().__init__(image_shape, filters=filters, num_classes=num_classes, **kwargs)
        self.conditioning = conditioning
        self.class_head = bool(class_head)
        self.categorical_codes = int(categorical_codes)
        self.continuous_codes = int(continuous_codes)
        if conditioning == "projection":
            # V in y^T V phi(x): one row per class, as wide as the flattened features phi(x).
            steps, size = upsampling_plan(self.image_shape[0])
            self.label_embedding = layers.Embedding(
                num_classes, size * size * filters * 2 ** (steps - 1),
                embeddings_initializer=normal_init())
        if self.class_head:
            self.class_logits = layers.Dense(num_classes, kernel_initializer=normal_init())
        if self.categorical_codes or self.continuous_codes:
            self.q_head = CodeHead(self.categorical_codes, self.continuous_codes,
                                   self.negative_slope)

    def call(self, inputs, training=False):
        x, labels = split_labels(inputs, self.num_classes if self.conditioning else None)
        phi = self.features(x, training=training)
        if self.conditioning == "concat":
            logits = self.logit(ops.concatenate([phi, ops.one_hot(labels, self.num_classes)], -1))
        elif self.conditioning == "projection":
            projection = ops.sum(self.label_embedding(labels) * phi, axis=-1, keepdims=True)
            logits = self.logit(phi) + projection
        else:
            logits = self.logit(phi)
        outputs = {"logits": logits}
        if self.class_head:
            outputs["class_logits"] = self.class_logits(phi)
        if self.categorical_codes or self.continuous_codes:
            outputs.update(self.q_head(phi, training=training))
        return outputs

    def get_config(self):
        return {**super().get_config(), "conditioning": self.conditioning,
                "class_head": self.class_head, "categorical_codes": self.categorical_codes,
                "continuous_codes": self.continuous_codes}


@keras.saving.register_keras_serializable(package="tfgan_suite")
class ImageEncoder(DCGANDiscriminator):
    """image -> `outputs` linear values: the DCGAN discriminator with `outputs` units in place of its
    single logit (IcGAN's E_z: outputs = latent_dim; E_y: outputs = num_classes logits)."""

    def __init__(self, image_shape, outputs, filters=64, **kwargs):
        super().__init__(image_shape, filters=filters, **kwargs)
        self.outputs_width = int(outputs)
        # Replace the single logit; untracked, the unused Dense(1) would stay as unbuilt state.
        self._tracker.untrack(self.logit)
        self.logit = layers.Dense(self.outputs_width, kernel_initializer=normal_init())

    def get_config(self):
        return {**super().get_config(), "outputs": self.outputs_width}
