"""The 25 GAN variants, one file each, reading like its paper's algorithm: its losses, its extra
terms, its schedule. Importing this package registers them (`tfgan_suite.core.registry`)."""

from tfgan_suite.core import AdversarialModel, LatentGAN, Phase, VARIANTS, build_model, get_variant
from tfgan_suite.models import (  # noqa: F401  (registers the variants)
    acgan, anogan, began, biggan, cgan, cyclegan, dcgan, discogan, dualgan, ebgan, fgan, gan,
    ganomaly, icgan, infogan, lapgan, lsgan, pix2pix, sagan, sngan, srgan, ssgan, stylegan, wgan,
    wgan_gp)

__all__ = ["AdversarialModel", "LatentGAN", "Phase", "VARIANTS", "build_model", "get_variant"]
