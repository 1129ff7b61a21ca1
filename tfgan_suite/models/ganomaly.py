"""GANomaly: Akcay, Atapour-Abarghouei & Breckon 2018, "GANomaly: Semi-Supervised Anomaly
Detection via Adversarial Training" (ACCV; arXiv:1805.06725). Trained on normal images only.

The generator is an encoder-decoder-encoder (sec. 3.1): G_E maps x to z, G_D decodes z to x_hat,
and a second encoder E maps x_hat to z_hat. The discriminator D is the DCGAN discriminator. Losses
(sec. 3.2), for G (all three networks together):
    L_adv = || f(x) - f(x_hat) ||_2     feature matching on D's last features f
    L_con = || x - x_hat ||_1           contextual
    L_enc = || z - z_hat ||_2           encoder
    L_G = w_adv L_adv + w_con L_con + w_enc L_enc,   w_adv = 1, w_con = 50, w_enc = 1
and for D the binary cross-entropy of real x against x_hat. The anomaly score of x (eq. 8) is
A(x) = || G_E(x) - E(G(x)) ||: this follows the authors' code (samet-akcay/ganomaly), which uses
the mean squared difference for the score and every L2 term above. Networks: DCGAN's (G_E, E and
D share the discriminator's convolutional body; z of `latent_dim` = 100), Adam(2e-4, beta_1 = 0.5).

Served: `score` (= `serving_default`): `images` -> `scores` [N], higher for anomalies.
"""

import keras
from keras import ops

from tfgan_suite import losses
from tfgan_suite.core.adversarial import Phase
from tfgan_suite.core.image_in import ImageInModel, checked_images
from tfgan_suite.core.registry import register_variant
from tfgan_suite.core.signatures import image_signature
from tfgan_suite.networks import DCGANDiscriminator, DCGANGenerator, ImageEncoder
from tfgan_suite.core.options import Option


@register_variant("ganomaly")
class GANomaly(ImageInModel):
    OPTIONS = (Option("latent_dim", int, 100, "Size of the bottleneck z (100 in the paper)."),
               Option("width", int, 64, "Filters of the DCGAN networks' first layer (64 in the "
                      "paper)."),
               Option("adversarial_weight", float, 1.0, "Weight w_adv of the feature-matching loss "
                      "(1 in the paper)."),
               Option("contextual_weight", float, 50.0, "Weight w_con of the L1 reconstruction loss "
                      "(50 in the paper)."),
               Option("encoder_weight", float, 1.0, "Weight w_enc of the latent reconstruction loss "
                      "(1 in the paper)."))

    networks = ("encoder", "decoder", "reencoder", "discriminator")
    served_networks = ("encoder", "decoder", "reencoder")
    extra_metrics = ("adversarial_loss", "contextual_loss", "encoder_loss")

    def __init__(self, encoder, decoder, reencoder, discriminator, image_shape,
                 adversarial_weight=1.0, contextual_weight=50.0, encoder_weight=1.0, **kwargs):
        super().__init__(image_shape, **kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.reencoder = reencoder
        self.discriminator = discriminator
        self.latent_dim = int(decoder.latent_dim)
        self.adversarial_weight = float(adversarial_weight)
        self.contextual_weight = float(contextual_weight)
        self.encoder_weight = float(encoder_weight)

    @classmethod
    def create(cls, image_shape, latent_dim=100, width=64, **kwargs):
        """DCGAN networks of first-layer `width` filters and a `latent_dim` bottleneck."""
        image_shape = cls.check_image_shape("ganomaly", image_shape)
        encoder = lambda: ImageEncoder(image_shape, latent_dim, filters=width)
        return cls.create_built(
            encoder(), DCGANGenerator(latent_dim, image_shape, filters=width), encoder(),
            DCGANDiscriminator(image_shape, filters=width), image_shape,
            **kwargs)

    def probe_inputs(self, name):
        if name == "decoder":
            return ops.zeros((1, self.latent_dim))
        return ops.zeros((1, *self.image_shape))

    def build_weights(self):
        images = self.probe_inputs("encoder")
        self.reencoder(self.decoder(self.encoder(images)))
        self.discriminator(images)

    # ----- training ---------------------------------------------------------------------------

    def phases(self):
        return (Phase("g_loss", ("encoder", "decoder", "reencoder"), "generator_loss"),
                Phase("d_loss", ("discriminator",), "discriminator_loss"))

    def default_optimizers(self):
        return {name: keras.optimizers.Adam(2e-4, beta_1=0.5) for name in self.trained_players()}

    def encode_decode_encode(self, images, networks, training):
        """(z, x_hat, z_hat) of `images` through {"encoder", "decoder", "reencoder"}."""
        z = self.run(networks["encoder"], images, training)
        reconstruction = self.run(networks["decoder"], z, training)
        return z, reconstruction, self.run(networks["reencoder"], reconstruction, training)

    def generator_loss(self, images):
        z, reconstruction, z_hat = self.encode_decode_encode(images, self.players(), True)
        features = lambda x: ops.cast(self.discriminator.features(x, training=True), "float32")
        adversarial = losses.squared_error(features(images), features(reconstruction))
        contextual = losses.l1_error(images, reconstruction)
        encoder = losses.squared_error(z, z_hat)
        return {"g_loss": self.adversarial_weight * adversarial + self.contextual_weight * contextual
                          + self.encoder_weight * encoder,
                "adversarial_loss": adversarial, "contextual_loss": contextual,
                "encoder_loss": encoder}

    def discriminator_loss(self, images):
        _, reconstruction, _ = self.encode_decode_encode(images, self.players(), True)
        logits = lambda x: self.run(self.discriminator, x, True)
        return {"d_loss": losses.minimax_discriminator_loss(
            logits(images), logits(ops.stop_gradient(reconstruction)))}

    # ----- scoring and serving ----------------------------------------------------------------

    def score_tensor(self, images):
        """A(x) = mean (G_E(x) - E(G(x)))^2 by the served networks (EMA when enabled)."""
        z, _, z_hat = self.encode_decode_encode(images, self.inference_networks(), False)
        return losses.squared_error(z, z_hat)

    def score(self, images):
        """Anomaly scores (numpy [N], higher: more anomalous) of images [N, H, W, C] in [-1, 1]."""
        images = checked_images(images, self.image_shape, "score")
        return ops.convert_to_numpy(self.score_tensor(images))

    def reconstruct(self, images):
        images = checked_images(images, self.image_shape, "reconstruct")
        return ops.convert_to_numpy(
            self.encode_decode_encode(images, self.inference_networks(), False)[1])

    def serving_signatures(self, max_batch):
        score = image_signature(self.image_shape, self.score_tensor, "scores", max_batch)
        return {"score": score, "serving_default": score}

    def picture_rows(self, images):
        """(input, reconstruction) per image."""
        return images, self.reconstruct(images)

    def get_config(self):
        return {**super().get_config(), "adversarial_weight": self.adversarial_weight,
                "contextual_weight": self.contextual_weight, "encoder_weight": self.encoder_weight}
