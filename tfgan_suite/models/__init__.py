"""GAN variants, found by name through one registry."""

from tfgan_suite.models.base import AdversarialModel, Phase
from tfgan_suite.models.latent import LatentGAN
from tfgan_suite.models.registry import VARIANTS, build_model, get_variant
from tfgan_suite.models import (  # noqa: F401  (registers the variants)
    acgan, anogan, began, biggan, cgan, cyclegan, dcgan, discogan, dualgan, ebgan, fgan, gan,
    ganomaly, icgan, infogan, lapgan, lsgan, pix2pix, sagan, sngan, srgan, ssgan, stylegan, wgan,
    wgan_gp)

__all__ = ["AdversarialModel", "LatentGAN", "Phase", "VARIANTS", "build_model", "get_variant"]
