"""tfgan-suite: classic GAN variants as Keras models, trained with `fit` under tf.distribute."""

from tfgan_suite.cli import quiet_start_up

with quiet_start_up():  # the command line's TensorFlow start-up logging, unless --verbose
    from tfgan_suite.models import VARIANTS, AdversarialModel, LatentGAN, build_model, get_variant

__all__ = ["VARIANTS", "AdversarialModel", "LatentGAN", "build_model", "get_variant"]
__version__ = "0.1.0"
