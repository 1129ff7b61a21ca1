"""The core every variant stands on: the adversarial model (`Phase`, players, named noise, EMA,
mixed precision), its three templates (`LatentGAN`: noise in, images out; `ImageToImageGAN`: two
domains translated both ways; `ImageInModel`: one domain in, a function of images served), the
serving signatures a model declares, the discriminator-augmentation hook (DiffAugment, ADA), the
registry that finds a variant by name, and the options read from a variant's code."""

from tfgan_suite.core.adversarial import AdversarialModel, Phase
from tfgan_suite.core.image_in import ImageInModel
from tfgan_suite.core.image_to_image import ImageToImageGAN
from tfgan_suite.core.latent import LatentGAN
from tfgan_suite.core.registry import VARIANTS, build_model, get_variant, register_variant
from tfgan_suite.core.signatures import Signature

__all__ = ["AdversarialModel", "ImageInModel", "ImageToImageGAN", "LatentGAN", "Phase",
           "Signature", "VARIANTS", "build_model", "get_variant", "register_variant"]
