"""AnoGAN and f-AnoGAN: anomaly detection with a GAN trained on normal images only.

- AnoGAN: Schlegl, Seeböck, Waldstein, Schmidt-Erfurth & Langs 2017, "Unsupervised Anomaly
  Detection with Generative Adversarial Networks to Guide Marker Discovery" (IPMI;
  arXiv:1703.05921), sec. 2.2: a query x is mapped to the latent space by searching z (Gamma =
  500 backpropagation steps from a random z) that minimises
      L(z) = (1 - lambda) L_R(z) + lambda L_D(z),   lambda = 0.1,
      L_R = sum |x - G(z)|  (residual),   L_D = sum |f(x) - f(G(z))|  (discrimination),
  f = the discriminator's last features; the anomaly score is L at the end of the search
  (`search_scores`; our Adam at rate 0.05 for the search). The sums matter: with means the weight
  of L_D against L_R would change with the ratio of feature to pixel count (8 at the default
  width on 28x28, where f has 6272 values).
- f-AnoGAN: Schlegl, Seeböck, Waldstein, Langs & Schmidt-Erfurth 2019, "f-AnoGAN: Fast
  unsupervised anomaly detection with generative adversarial networks" (Medical Image Analysis
  54), sec. 2.3: after the GAN, an encoder E is trained with G and D fixed on the izi_f loss
      L_izi_f = 1/n ||x - G(E(x))||^2 + kappa 1/n_d ||f(x) - f(G(E(x)))||^2,   kappa = 1,
  which is also the anomaly score, computed in one pass: the served `score`.

The GAN is the suite's DCGAN (f-AnoGAN used a WGAN-GP; the 2017 paper a DCGAN); it trains for the
first `encoder_start` steps, the encoder (DCGAN discriminator body, `latent_dim` outputs) from
then on, on the same checkpointed step counter. Served: the DCGAN's signatures and `score`
(`images` -> `scores` [N], higher for anomalies).
"""

import keras
import tensorflow as tf
from keras import ops

from tfgan_suite.core.adversarial import Phase
from tfgan_suite.models.dcgan import DCGAN
from tfgan_suite.core.image_in import checked_images
from tfgan_suite.core.registry import register_variant
from tfgan_suite.core.signatures import image_signature
from tfgan_suite.networks import ImageEncoder
from tfgan_suite.core.options import Option


def per_example_sum(values):
    """The sum over every axis but the batch: AnoGAN's L_R and L_D, one value per example."""
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=1)


@register_variant("anogan")
class AnoGAN(DCGAN):
    OPTIONS = (Option("encoder_start", int, 2000, "Step at which the GAN stops training and "
                      "f-AnoGAN's encoder starts (the papers train them one after the other)."),
               Option("kappa", float, 1.0, "Weight of the feature residual in the izi_f loss and "
                      "score (1 in the f-AnoGAN paper)."))

    networks = ("generator", "discriminator", "encoder")
    extra_metrics = ("izi_loss",)

    def __init__(self, generator, discriminator, encoder, latent_dim, encoder_start=2000,
                 kappa=1.0, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if int(encoder_start) < 1:
            raise ValueError(f"encoder_start (GAN steps before the encoder trains) must be >= 1; "
                             f"got {encoder_start}.")
        self.encoder = encoder
        self.encoder_start = int(encoder_start)
        self.kappa = float(kappa)

    @classmethod
    def create(cls, image_shape, latent_dim=100, num_classes=None, width=64, **kwargs):
        """DCGAN networks and an encoder of the discriminator's shape with `width` filters."""
        if num_classes is not None or len(image_shape) != 3:
            raise ValueError("anogan models unlabelled images (H, W, C); build it without "
                             "num_classes.")
        return cls.create_built(cls.make_generator(image_shape, latent_dim, width, None),
                                cls.make_discriminator(image_shape, width, None),
                                ImageEncoder(image_shape, latent_dim, filters=width), latent_dim,
                                **kwargs)

    def build_weights(self):
        super().build_weights()
        self.encoder(ops.zeros((1, *self.image_shape)))

    def phases(self):
        gan = tuple(phase._replace(stop=self.encoder_start) for phase in super().phases())
        return (*gan, Phase("izi_loss", ("encoder",), "encoder_loss", start=self.encoder_start))

    def default_optimizers(self):
        return {**super().default_optimizers(), "encoder": self.paper_optimizer()}

    def izi_f(self, images, encoder, generator, training):
        """f-AnoGAN's izi_f per example, G and D in inference mode."""
        reconstruction = self.run(generator, self.run(encoder, images, training), False)
        features = lambda x: ops.cast(self.discriminator.features(x, training=False), "float32")
        return (self.per_example(ops.square(images - reconstruction))
                + self.kappa * self.per_example(ops.square(features(images)
                                                                - features(reconstruction))))

    def encoder_loss(self, images, labels, z):
        return {"izi_loss": self.izi_f(images, self.encoder, self.generator, True)}

    # ----- scoring ----------------------------------------------------------------------------

    def score_tensor(self, images):
        return self.izi_f(images, self.encoder, self.inference_networks()["generator"], False)

    def score(self, images):
        """f-AnoGAN's izi_f anomaly scores (numpy [N], higher: more anomalous)."""
        return ops.convert_to_numpy(self.score_tensor(checked_images(images, self.image_shape,
                                                                     "score")))

    def search_scores(self, images, iterations=500, weight=0.1, learning_rate=0.05, seed=0):
        """AnoGAN's scores by latent search (slow: `iterations` steps of G and D per batch)."""
        images = tf.constant(checked_images(images, self.image_shape, "search_scores"))
        generator = self.inference_networks()["generator"]
        z = tf.Variable(tf.random.stateless_normal([images.shape[0], self.latent_dim], [seed, 0]))
        optimizer = keras.optimizers.Adam(learning_rate)
        features = lambda x: ops.cast(self.discriminator.features(x, training=False), "float32")
        real_features = features(images)

        def loss():
            fake = self.run(generator, z, False)
            residual = per_example_sum(ops.abs(images - fake))
            discrimination = per_example_sum(ops.abs(real_features - features(fake)))
            return (1.0 - weight) * residual + weight * discrimination

        @tf.function
        def search():
            for _ in tf.range(iterations):
                with tf.GradientTape() as tape:
                    total = ops.sum(loss())
                optimizer.apply_gradients([(tape.gradient(total, z), z)])
            return loss()

        return ops.convert_to_numpy(search())

    def serving_signatures(self, max_batch):
        return {**super().serving_signatures(max_batch),
                "score": image_signature(self.image_shape, self.score_tensor, "scores", max_batch)}

    def get_config(self):
        return {**super().get_config(), "encoder_start": self.encoder_start, "kappa": self.kappa}
