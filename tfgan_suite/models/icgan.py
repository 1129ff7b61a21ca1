"""IcGAN: Perarnau, van de Weijer, Raducanu & Álvarez 2016, "Invertible Conditional GANs for image
editing" (arXiv:1611.06355).

A cGAN (`tfgan_suite.models.cgan`, with its condition and mismatch terms) plus two encoders that
invert it (sec. 3.2):

- E_z maps an image to its latent vector: trained on generated pairs, eq. 3,
      L_ez = E_{z ~ p_z, y' ~ p_y} ||z - E_z(G(z, y'))||_2^2;
- E_y maps an image to its condition: trained on REAL labelled images (the paper's better
  option, "IcGAN-1"), eq. 4, L_ey = E_{x, y ~ p_data} l(y, E_y(x)), with l the cross-entropy
  for one class among K.

Editing (sec. 3.3): x -> (z, y) = (E_z(x), E_y(x)) -> x' = G(z, y') with the new condition y'.
`reconstruct(images)` keeps y = argmax E_y(x); `edit(images, new_labels)` sets y'.

The paper trains the encoders once the cGAN is trained; here every `fit` step also takes one
encoder step (Adam(2e-4, beta_1=0.5), an optimiser of its own) on the current generator in
inference mode, so one `fit` gives a usable model and further epochs refine both.
Logged, besides the cGAN's terms: z_encoder_loss, y_encoder_loss, encoder_loss.
"""

import numpy as np
from keras import ops

from tfgan_suite.losses import conditional as conditional_losses
from tfgan_suite.core.adversarial import Phase
from tfgan_suite.models.cgan import CGAN
from tfgan_suite.core.registry import register_variant
from tfgan_suite.networks import ImageEncoder
from tfgan_suite.core.latent import LATENT_DIM


@register_variant("icgan")
class IcGAN(CGAN):
    OPTIONS = (LATENT_DIM.changed(100, "Size of the latent code z that E_z learns to recover "
                                       "(100 in the paper)."),)

    networks = CGAN.networks + ("z_encoder", "y_encoder")

    def __init__(self, generator, discriminator, z_encoder, y_encoder, latent_dim, **kwargs):
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.z_encoder = z_encoder
        self.y_encoder = y_encoder

    def build_weights(self):
        super().build_weights()
        probe = ops.zeros((1,) + self.image_shape)
        self.z_encoder(probe)
        self.y_encoder(probe)

    @classmethod
    def create(cls, image_shape, latent_dim=100, num_classes=None, width=64,
               conditioning="concat", condition_weight=1.0, **kwargs):
        """The cGAN's DCGAN networks, and encoders with the DCGAN discriminator's body."""
        generator, discriminator = cls.make_networks(image_shape, latent_dim, num_classes, width,
                                                     conditioning, condition_weight)
        z_encoder = ImageEncoder(image_shape, latent_dim, filters=width)
        y_encoder = ImageEncoder(image_shape, num_classes, filters=width)
        return cls.create_built(generator, discriminator, z_encoder, y_encoder, latent_dim,
                                num_classes=num_classes, condition_weight=condition_weight,
                                **kwargs)

    @property
    def extra_metrics(self):
        return super().extra_metrics + ("z_encoder_loss", "y_encoder_loss", "encoder_loss")

    # ----- training: the cGAN's step, then the encoders' ---------------------------------------

    def phases(self):
        return super().phases() + (Phase("encoder_loss", ("z_encoder", "y_encoder"),
                                         "encoder_loss"),)

    def default_optimizers(self):
        return {**super().default_optimizers(), "z_encoder": self.paper_optimizer(),
                "y_encoder": self.paper_optimizer()}

    def compile(self, d_optimizer=None, g_optimizer=None, e_optimizer=None, optimizers=None,
                **kwargs):
        """`e_optimizer` trains both encoders (a copy of it each: Adam and SGD act per weight)."""
        encoders = {} if e_optimizer is None else {
            "z_encoder": e_optimizer,
            "y_encoder": type(e_optimizer).from_config(e_optimizer.get_config())}
        super().compile(d_optimizer, g_optimizer, optimizers={**encoders, **(optimizers or {})},
                        **kwargs)

    def encoder_loss(self, images, labels, z):
        generated = self.run(self.generator, [z, labels], training=False)
        z_loss = conditional_losses.latent_reconstruction_loss(
            z, self.run(self.z_encoder, generated, training=True))
        y_loss = conditional_losses.classifier_loss(self.run(self.y_encoder, images, training=True),
                                                    labels)
        return {"encoder_loss": z_loss + y_loss, "z_encoder_loss": z_loss, "y_encoder_loss": y_loss}

    # ----- inverting and editing --------------------------------------------------------------

    def encode(self, images):
        """(z, y) = (E_z(x), argmax E_y(x)) for images in [-1, 1] of the model's shape."""
        images = np.asarray(images, np.float32)
        if images.shape[1:] != self.image_shape:
            raise ValueError(f"images must have shape [N, {', '.join(map(str, self.image_shape))}]; "
                             f"got {list(images.shape)}.")
        z = self.z_encoder(images, training=False)
        labels = ops.argmax(self.y_encoder(images, training=False), axis=-1)
        return z.numpy(), ops.convert_to_numpy(labels).astype(np.int32)

    def reconstruct(self, images):
        """G(E_z(x), E_y(x)): the generator's version of each real image."""
        z, labels = self.encode(images)
        return ops.convert_to_numpy(self.generate_for_serving(z, labels))

    def edit(self, images, new_labels):
        """G(E_z(x), y'): each image with its condition changed to `new_labels` (one per image)."""
        z, _ = self.encode(images)
        labels = self.check_labels(len(z), new_labels)
        return ops.convert_to_numpy(self.generate_for_serving(z, labels))
