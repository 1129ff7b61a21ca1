"""The image-to-image template: two domains A and B, generators G_ab: A -> B and G_ba: B -> A,
discriminators D_a and D_b, on the core (CycleGAN, DualGAN, DiscoGAN build on it).

Data: batches of `(domain_a, domain_b)` float32 images in [-1, 1] (unpaired: the i-th images of
the two domains need not correspond). Each step: one update of both generators (`g_loss`), then
`n_critic` updates of both discriminators (`d_loss`); a variant writes `generator_loss(a, b)` and
`discriminator_loss(a, b)` (dicts of per-example terms, from `tfgan_suite.losses`), each opening
with `translate_both_ways(a, b)`, and may change `phases()`. `create` builds the networks for the
two domains' shapes: a variant picks them with `make_generator` and `make_discriminator`, and says
whether it trains on `paired` data (pix2pix) or not.

Served (one signature per direction, so a client needs no direction argument):
`translate_a2b` (`images` of domain A -> `images` of domain B), `translate_b2a`, and
`serving_default` = `translate_a2b`.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan_suite.core.adversarial import MAX_REPEAT, AdversarialModel, Phase
from tfgan_suite.core.options import Option
from tfgan_suite.core.signatures import Signature
from tfgan_suite.networks.image_to_image import PatchDiscriminator, ResNetTranslator

N_CRITIC = Option("n_critic", int, 1, "Updates of both discriminators per update of both "
                  "generators.")

DIRECTIONS = {"a2b": ("generator_ab", "a"), "b2a": ("generator_ba", "b")}  # network, input domain


class ImageToImageGAN(AdversarialModel):
    OPTIONS = (  # the template's options (`--set`)
        Option("width", int, 64, "Filters of the first layer of every generator and discriminator "
               "(64 in the papers)."),
        Option("generator_options", dict, None, "More keywords for the generators, e.g. "
               '{"residual_blocks": 2} for a shallower ResNet translator (null: the defaults).'),
        N_CRITIC)

    networks = ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")
    served_networks = ("generator_ab", "generator_ba")
    input_kind = "image"
    training_domains = 2
    paired = False  # True: trains on aligned (a_i, b_i) pairs (pix2pix); else unpaired domains

    def __init__(self, generator_ab, generator_ba, discriminator_a, discriminator_b, image_shape,
                 image_shape_b=None, n_critic=1, **kwargs):
        super().__init__(**kwargs)
        self.generator_ab = generator_ab
        self.generator_ba = generator_ba
        self.discriminator_a = discriminator_a
        self.discriminator_b = discriminator_b
        self.image_shape = tuple(int(d) for d in image_shape)
        self.image_shape_b = self.image_shape if image_shape_b is None else tuple(
            int(d) for d in image_shape_b)
        self.n_critic = int(n_critic)
        if not 1 <= self.n_critic <= MAX_REPEAT:
            raise ValueError(f"n_critic must be in [1, {MAX_REPEAT}]; got {n_critic}.")

    @classmethod
    def create(cls, image_shape, image_shape_b=None, width=64, generator_options=None, **kwargs):
        """The variant's networks for domain A images of `image_shape` and domain B images of
        `image_shape_b` (default: A's). The first layer of every network has `width` filters.
        The generators take more keyword arguments from `generator_options` (e.g.
        {"residual_blocks": 2} for CycleGAN's ResNet)."""
        shape_a = tuple(int(d) for d in image_shape)
        shape_b = shape_a if image_shape_b is None else tuple(int(d) for d in image_shape_b)
        if len(shape_a) != 3 or len(shape_b) != 3:
            raise ValueError(f"{cls.variant} translates images (H, W, C); got domains of shape "
                             f"{shape_a} and {shape_b}.")
        options = dict(generator_options or {})
        return cls.create_built(cls.make_generator(shape_a, shape_b[-1], width, **options),
                                cls.make_generator(shape_b, shape_a[-1], width, **options),
                                cls.make_discriminator(shape_a, shape_b, width),
                                cls.make_discriminator(shape_b, shape_a, width),
                                shape_a, shape_b, **kwargs)

    @classmethod
    def make_generator(cls, shape_in, channels_out, width, **options):
        return ResNetTranslator(shape_in, channels_out, filters=width, **options)

    @classmethod
    def make_discriminator(cls, shape, other_shape, width):
        """The discriminator of the domain of `shape` (`other_shape`: the other domain's)."""
        return PatchDiscriminator(shape, filters=width)

    def domain_shape(self, domain):
        return {"a": self.image_shape, "b": self.image_shape_b}[domain]

    # ----- networks ---------------------------------------------------------------------------

    def probe_inputs(self, name):
        domain = {"generator_ab": "a", "generator_ba": "b"}[name]
        return ops.zeros((1,) + self.domain_shape(domain))

    def build_weights(self):
        a, b = self.probe_inputs("generator_ab"), self.probe_inputs("generator_ba")
        self.discriminate("b", self.generator_ab(a), a)
        self.discriminate("a", self.generator_ba(b), b)

    def translate_both_ways(self, a, b, for_discriminator=False):
        """(G_ab(a), G_ba(b)) in training mode: what every image-to-image loss starts from. For a
        discriminator's loss (`for_discriminator`) they are constants: no gradient reaches G."""
        fake_b = self.run(self.generator_ab, a, True)
        fake_a = self.run(self.generator_ba, b, True)
        if for_discriminator:
            return ops.stop_gradient(fake_b), ops.stop_gradient(fake_a)
        return fake_b, fake_a

    def discriminate(self, domain, images, source=None, training=False):
        """The domain's discriminator on `images` (its scores, float32); `source`, the images
        they were translated from, is for conditional discriminators (pix2pix)."""
        network = {"a": self.discriminator_a, "b": self.discriminator_b}[domain]
        return self.run(network, images, training)

    # ----- training ---------------------------------------------------------------------------

    def phases(self):
        return (Phase("g_loss", ("generator_ab", "generator_ba"), "generator_loss"),
                Phase("d_loss", ("discriminator_a", "discriminator_b"), "discriminator_loss",
                      repeat=self.n_critic))

    def paper_optimizer(self):
        """A fresh optimizer of the paper's, one per network (CycleGAN's by default)."""
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    def default_optimizers(self):
        return {name: self.paper_optimizer() for name in self.networks}

    def unpack_batch(self, data):
        """(domain_a, domain_b) images, with one clear error for anything else."""
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError(f"This {self.variant} model trains on (domain_a, domain_b) batches of "
                             "images; load two domains (load_dataset(..., domains="
                             f"{'paired' if self.paired else 'unpaired'!r})).")
        for domain, images in zip("ab", data):
            if images.dtype != tf.float32 or tuple(images.shape[1:]) != self.domain_shape(domain):
                raise ValueError(
                    f"Domain {domain.upper()} images must be float32 in [-1, 1] of shape "
                    f"{self.domain_shape(domain)}; got {images.dtype} of shape "
                    f"{tuple(images.shape[1:])}.")
        return tuple(data)

    # ----- translating and serving ------------------------------------------------------------

    def translate(self, images, direction="a2b"):
        """Images of one domain (numpy, [N, H, W, C] in [-1, 1]) translated to the other, by the
        served generator (EMA when enabled); `direction` "a2b" or "b2a"."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}; got {direction!r}.")
        name, domain = DIRECTIONS[direction]
        images = np.asarray(images, np.float32)
        if images.shape[1:] != self.domain_shape(domain):
            raise ValueError(f"{direction} translates images of shape "
                             f"[N, {', '.join(map(str, self.domain_shape(domain)))}]; got "
                             f"{list(images.shape)}.")
        return ops.convert_to_numpy(self.run(self.inference_networks()[name], images, False))

    def serving_signatures(self, max_batch):
        found = {}
        for direction, (name, domain) in DIRECTIONS.items():
            spec = tf.TensorSpec([None, *self.domain_shape(domain)], tf.float32, name="images")
            translate = (lambda images, name=name:
                         {"images": self.run(self.inference_networks()[name], images, False)})
            found[f"translate_{direction}"] = Signature((spec,), translate, ("images",), max_batch)
        found["serving_default"] = found["translate_a2b"]
        return found

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "image_shape_b": list(self.image_shape_b), "n_critic": self.n_critic}
