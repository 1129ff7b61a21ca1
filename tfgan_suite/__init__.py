"""tfgan-suite: classic GAN variants as Keras models, trained with `fit` under tf.distribute.

The package, bottom to top (a module imports only from its own folder or the ones before it):
`losses`, `networks`, `core` (the adversarial model and its templates), `models` (the 25
variants), `data`, `metrics`, `training`, `cli`. `export/` and `serving/` are separate packages;
only `cli` (and `export`) import them.
"""

from tfgan_suite.cli.quiet import quiet_start_up

with quiet_start_up():  # the command line's TensorFlow start-up logging, unless --verbose
    from tfgan_suite.models import VARIANTS, AdversarialModel, LatentGAN, build_model, get_variant

__all__ = ["VARIANTS", "AdversarialModel", "LatentGAN", "build_model", "get_variant"]
__version__ = "0.1.0"
