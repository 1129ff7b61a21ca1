"""SRGAN: Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a Generative
Adversarial Network" (CVPR; arXiv:1609.04802): 4x super-resolution, trained on high-resolution
images alone (the low-resolution inputs are made by bicubic downsampling, sec. 3.2).

Training (sec. 3.2): the SRResNet generator is first trained on the pixel-wise MSE alone (the
paper's SRResNet-MSE, 10^6 steps; here the first `pretrain_steps` steps), then the GAN phase:
    D:  -log D(I_HR) - log(1 - D(G(I_LR)))
    G:  l_content + 1e-3 l_adversarial  (`adversarial_weight`),  l_adversarial = -log D(G(I_LR))
    l_content = MSE(phi(G(I_LR)), phi(I_HR))     (eq. 5; the paper's phi = VGG19 conv5_4)
VGG19's ImageNet weights cannot be downloaded here, so phi is the shipped MNIST or Fashion-MNIST
classifier's last conv layer (`content_features` "mnist" or "fashion_mnist", 28x28x1 images), or
None for the pixel MSE; "auto" (default) takes MNIST's for 28x28x1 data and the pixels otherwise. Adam(1e-4, beta_1 = 0.9) for both networks (the paper's; it lowers the
rate to 1e-5 halfway, which `--learning-rate-scale` can do on resume). The pre-training is
resumable: it is counted on the checkpointed step counter.

Served: `upscale` (= `serving_default`): low-resolution `images` [N, H/4, W/4, C] -> `images`.
"""

import keras
import tensorflow as tf
from keras import ops

from tfgan_suite import losses
from tfgan_suite.networks.classifier import (CLASSIFIER_DATASETS, CLASSIFIER_IMAGE_SHAPE,
                                            classifier_conv_features)
from tfgan_suite.core.adversarial import Phase
from tfgan_suite.core.image_in import ImageInModel, checked_images
from tfgan_suite.core.registry import register_variant
from tfgan_suite.core.signatures import image_signature
from tfgan_suite.networks.super_resolution import SRDiscriminator, SRResNet
from tfgan_suite.core.options import Option


def bicubic_resize(images, size):
    """Images resized to `size` (h, w) by bicubic interpolation (antialiased when shrinking)."""
    return tf.image.resize(images, size, method="bicubic", antialias=True)


@register_variant("srgan")
class SRGAN(ImageInModel):
    OPTIONS = (Option("width", int, 64, "Filters of the SRResNet blocks and of the discriminator's "
                      "first layer (64 in the paper)."),
               Option("residual_blocks", int, 16, "Residual blocks of the SRResNet generator (16 in "
                      "the paper)."),
               Option("scale", int, 4, "Upscaling factor (4 in the paper)."),
               Option("pretrain_steps", int, 1000, "Steps of MSE-only pre-training before the GAN "
                      "phase (the paper's SRResNet-MSE took 10^6)."),
               Option("content_features", str, "auto", "Features of the content loss: the shipped "
                      "MNIST or Fashion-MNIST classifier's last conv layer, since the paper's VGG19 "
                      "ImageNet weights cannot be downloaded here (null: the pixel MSE; auto: "
                      "MNIST's for 28x28x1 images, the pixels otherwise).",
                      choices=("auto", *CLASSIFIER_DATASETS), nullable=True),
               Option("adversarial_weight", float, 1e-3, "Weight of the adversarial loss in G's "
                      "loss (1e-3 in the paper)."))

    networks = ("generator", "discriminator")
    served_networks = ("generator",)
    extra_metrics = ("content_loss",)

    def __init__(self, generator, discriminator, image_shape, pretrain_steps=1000,
                 content_features="auto", adversarial_weight=1e-3, **kwargs):
        super().__init__(image_shape, **kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.scale = generator.scale
        height, width, _ = self.image_shape
        if height % self.scale or width % self.scale:
            raise ValueError(f"srgan upscales {self.scale}x: the image sides must be multiples of "
                             f"{self.scale}; got {height}x{width}.")
        self.low_res_shape = (height // self.scale, width // self.scale, self.image_shape[-1])
        if int(pretrain_steps) < 0:
            raise ValueError(f"pretrain_steps must be >= 0 (MSE-only steps before the GAN phase); "
                             f"got {pretrain_steps}.")
        self.pretrain_steps = int(pretrain_steps)
        self.adversarial_weight = float(adversarial_weight)
        if content_features == "auto":  # the shipped classifiers only read 28x28x1 images
            content_features = "mnist" if self.image_shape == CLASSIFIER_IMAGE_SHAPE else None
        self.content_features = content_features
        self.content_network = None
        if content_features is not None:
            if content_features not in CLASSIFIER_DATASETS:
                raise ValueError(f"content_features must be one of {CLASSIFIER_DATASETS} (the "
                                 "shipped classifiers' features) or null (pixel MSE); got "
                                 f"{content_features!r}.")
            if self.image_shape != CLASSIFIER_IMAGE_SHAPE:
                raise ValueError(f"content_features={content_features!r} takes 28x28x1 images; the "
                                 f"data has {self.image_shape}: pass content_features=null (pixel "
                                 "MSE) for other images.")
            self.content_network = classifier_conv_features(content_features)

    @classmethod
    def create(cls, image_shape, width=64, residual_blocks=16, scale=4, **kwargs):
        """SRResNet with `residual_blocks` blocks of `width` filters upscaling `scale`x, and the
        SRGAN discriminator of first-layer `width` filters, for high-resolution `image_shape`."""
        image_shape = cls.check_image_shape("srgan", image_shape)
        return cls.create_built(
            SRResNet(image_shape[-1], scale=scale, width=width, residual_blocks=residual_blocks),
            SRDiscriminator(image_shape, width=width), image_shape, **kwargs)

    def probe_inputs(self, name):
        return ops.zeros((1, *self.low_res_shape))

    def build_weights(self):
        self.discriminator(self.generator(self.probe_inputs("generator")))

    # ----- training ---------------------------------------------------------------------------

    def phases(self):
        pretraining = ((Phase("mse_loss", ("generator",), "pretraining_loss",
                              stop=self.pretrain_steps),) if self.pretrain_steps else ())
        return (*pretraining,
                Phase("d_loss", ("discriminator",), "discriminator_loss", start=self.pretrain_steps),
                Phase("g_loss", ("generator",), "generator_loss", start=self.pretrain_steps))

    def default_optimizers(self):
        return {name: keras.optimizers.Adam(1e-4, beta_1=0.9) for name in self.networks}

    def downsample(self, high_res):
        """The low-resolution inputs: bicubic downsampling by `scale` (sec. 3.2)."""
        return bicubic_resize(high_res, self.low_res_shape[:2])

    def super_resolve(self, high_res):
        return self.run(self.generator, self.downsample(high_res), True)

    def pretraining_loss(self, high_res):
        return {"mse_loss": losses.squared_error(self.super_resolve(high_res), high_res)}

    def discriminator_loss(self, high_res):
        fake = ops.stop_gradient(self.super_resolve(high_res))
        real_scores = self.run(self.discriminator, high_res, True)
        fake_scores = self.run(self.discriminator, fake, True)
        return {"d_loss": losses.minimax_discriminator_loss(real_scores, fake_scores)}

    def content_loss(self, fake, high_res):
        """Eq. 5: the MSE of phi's features (eq. 4, of the pixels, when content_features is None)."""
        if self.content_network is None:
            return losses.squared_error(fake, high_res)
        features = lambda images: ops.cast(self.content_network(images, training=False), "float32")
        return losses.squared_error(features(fake), features(high_res))

    def generator_loss(self, high_res):
        fake = self.super_resolve(high_res)
        content = self.content_loss(fake, high_res)
        adversarial = losses.non_saturating_generator_loss(self.run(self.discriminator, fake, True))
        return {"g_loss": content + self.adversarial_weight * adversarial, "content_loss": content}

    # ----- upscaling and serving --------------------------------------------------------------

    def upscale_tensor(self, low_res):
        return self.run(self.inference_networks()["generator"], low_res, False)

    def upscale(self, low_res):
        """Low-resolution images (numpy [N, H/4, W/4, C] in [-1, 1]) -> [N, H, W, C], by the served
        generator (EMA when enabled)."""
        low_res = checked_images(low_res, self.low_res_shape, "upscale")
        return ops.convert_to_numpy(self.upscale_tensor(low_res))

    def serving_signatures(self, max_batch):
        upscale = image_signature(self.low_res_shape, self.upscale_tensor, "images", max_batch)
        return {"upscale": upscale, "serving_default": upscale}

    def picture_rows(self, high_res):
        """(bicubic upscaling of the low-resolution input, SRGAN's, the original) per image."""
        low_res = self.downsample(high_res)
        return (bicubic_resize(low_res, self.image_shape[:2]).numpy(), self.upscale(low_res.numpy()),
                high_res)

    def get_config(self):
        return {**super().get_config(), "pretrain_steps": self.pretrain_steps,
                "content_features": self.content_features,
                "adversarial_weight": self.adversarial_weight}
