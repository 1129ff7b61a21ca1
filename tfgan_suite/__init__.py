"""tfgan-suite: classic GAN variants as Keras models, trained with `fit` under tf.distribute.

The package, bottom to top (a module imports only from its own folder or the ones before it):
`losses`, `networks`, `core` (the adversarial model and its templates), `models` (the 25
variants), `data`, `metrics`, `training`, `cli`. `export/` and `serving/` are separate packages;
only `cli` (and `export`) import them.

`import tfgan_suite` imports no TensorFlow: the public names below load the models (and
TensorFlow) when first used (PEP 562 module `__getattr__`), so the command line answers `--help`,
`list` and a mistyped flag without the seconds TensorFlow takes to load.
"""

__all__ = ["VARIANTS", "AdversarialModel", "LatentGAN", "build_model", "get_variant"]
__version__ = "0.1.0"


def __getattr__(name):
    if name not in __all__:
        raise AttributeError(f"module 'tfgan_suite' has no attribute {name!r}")
    from tfgan_suite.cli.quiet import quiet_start_up

    with quiet_start_up():  # the command line's TensorFlow start-up logging, unless --verbose
        from tfgan_suite import models
    value = getattr(models, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
