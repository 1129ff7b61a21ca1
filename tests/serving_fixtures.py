"""Helpers for the export / serving / client tests: tiny stand-in GANs and a running local server.

The stand-ins carry exactly the attributes `export_generator` relies on, so
the exporter is tested by duck typing, independently of tfgan_suite.models.
"""

import json
import socket
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

IMAGE_SHAPE = (8, 8, 1)
LATENT_DIM = 4
NUM_CLASSES = 3
BATCH_CAP = 100  # written into the facts of `uncond` and `cond` (>= the exporter's warmup batch of 64)
SIGNATURES = ("serving_default", "sample", "sample_png")


@dataclass
class StandInGAN:
    generator: keras.Model
    latent_dim: int | None
    num_classes: int | None
    variant: str
    input_kind: str = "latent"
    takes_truncation: bool = False
    image_shape: tuple = IMAGE_SHAPE
    training_info: dict = field(default_factory=dict)

    def prior_latent(self, num_samples, seed):
        return tf.random.stateless_normal([num_samples, self.latent_dim], seed=[seed, 0])

    def inference_networks(self):
        return {"generator": self.generator}

    def generate_for_serving(self, z, labels=None):
        return self.generator(z if labels is None else [z, labels], training=False)

    def serving_signatures(self, max_batch):
        """The latent GANs' signatures (tfgan_suite.core.latent); `translate` as serving_default
        for the image-to-image stand-in."""
        from tfgan_suite.core.latent import LatentGAN
        from tfgan_suite.core.signatures import Signature

        if self.input_kind == "image":
            spec = tf.TensorSpec([None, *self.image_shape], tf.float32, name="images")
            translate = lambda images: {"images": self.generator(images, training=False)}
            return {"serving_default": Signature((spec,), translate, ("images",), max_batch)}
        return LatentGAN.serving_signatures(self, max_batch)

    def sample(self, n, labels=None, seed=None):
        """Same recipe as the real models' sample()."""
        z = self.prior_latent(n, seed)
        if self.num_classes:
            labels = tf.range(n) % self.num_classes if labels is None else tf.constant(labels, tf.int32)
            return self.generator([z, labels], training=False).numpy()
        return self.generator(z, training=False).numpy()


def _decoder(h):
    h = keras.layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="tanh")(h)
    return keras.layers.Reshape(IMAGE_SHAPE)(h)


def unconditional_gan(seed=0):
    keras.utils.set_random_seed(seed)
    z = keras.Input((LATENT_DIM,), name="z")
    generator = keras.Model(z, _decoder(keras.layers.Dense(16, activation="relu")(z)))
    return StandInGAN(
        generator, LATENT_DIM, None, "standin_mlp",
        training_info={"dataset": "rings", "epochs": 1, "metrics": {"fid": 12.5}},
    )


def conditional_gan(seed=0):
    keras.utils.set_random_seed(seed)
    z = keras.Input((LATENT_DIM,), name="z")
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = keras.layers.Embedding(NUM_CLASSES, 4)(labels)
    h = keras.layers.Concatenate()([z, embedded])
    generator = keras.Model([z, labels], _decoder(keras.layers.Dense(16, activation="relu")(h)))
    return StandInGAN(generator, LATENT_DIM, NUM_CLASSES, "standin_cgan")


def image_to_image_gan(seed=0):
    keras.utils.set_random_seed(seed)
    images = keras.Input(IMAGE_SHAPE, name="images")
    out = keras.layers.Conv2D(IMAGE_SHAPE[-1], 3, padding="same", activation="tanh")(images)
    return StandInGAN(keras.Model(images, out), None, None, "standin_pix2pix", input_kind="image")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def export_test_models(base):
    """The served tree used by the server tests: two versions of `uncond` (different weights),
    one of `cond` and one of `i2i`. Returns the stand-ins by (name, version)."""
    from export import export_generator

    models = {
        ("uncond", 1): unconditional_gan(seed=1),
        ("uncond", 2): unconditional_gan(seed=2),
        ("cond", 1): conditional_gan(),
        ("i2i", 1): image_to_image_gan(),
    }
    for (name, version), model in models.items():
        version_dir = export_generator(model, base, name, version=version)
        # `i2i` stands for an export from before batch caps: the server's default cap applies.
        set_batch_caps(version_dir, None if name == "i2i" else {sig: BATCH_CAP for sig in SIGNATURES})
    return models


def set_batch_caps(version_dir, caps):
    """Record `batch_caps` in an export's model facts, as the exporter does;
    None removes them (an older export). Keeps the tests independent of the exporter's version."""
    facts_file = Path(version_dir) / "assets.extra" / "model_facts.json"
    facts = json.loads(facts_file.read_text())
    if caps is None:
        facts.pop("batch_caps", None)
    else:
        facts["batch_caps"] = caps
    facts_file.write_text(json.dumps(facts))


def served_model_entries(base):
    """Every version policy over the same tree: `uncond` with all versions and labels, plus the
    same directory as `latest` (default policy) and as `specific` version 1."""
    from serving.model_config import ModelEntry

    return [
        ModelEntry("uncond", str(base / "uncond"), policy="all", labels={"stable": 1, "canary": 2}),
        ModelEntry("uncond_latest", str(base / "uncond")),
        ModelEntry("uncond_v1", str(base / "uncond"), policy="specific", versions=(1,)),
        ModelEntry("cond", str(base / "cond")),
        ModelEntry("i2i", str(base / "i2i")),
    ]
