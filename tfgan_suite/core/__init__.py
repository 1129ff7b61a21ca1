"""The core every variant stands on: the adversarial model (`Phase`, players, named noise, EMA,
mixed precision), its three templates (`LatentGAN`: noise in, images out; `ImageToImageGAN`: two
domains translated both ways; `ImageInModel`: one domain in, a function of images served), the
serving signatures a model declares, the discriminator-augmentation hook (DiffAugment, ADA), the
registry that finds a variant by name, and the options a variant declares.

The names below load on first use (PEP 562), so `tfgan_suite.core.options`, which the command line
reads before it loads TensorFlow, imports without it."""

import importlib

_WHERE = {"AdversarialModel": "adversarial", "Phase": "adversarial", "ImageInModel": "image_in",
          "ImageToImageGAN": "image_to_image", "LatentGAN": "latent", "VARIANTS": "registry",
          "build_model": "registry", "get_variant": "registry", "register_variant": "registry",
          "Signature": "signatures"}
__all__ = sorted(_WHERE)


def __getattr__(name):
    if name not in _WHERE:
        raise AttributeError(f"module 'tfgan_suite.core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tfgan_suite.core.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
