"""Image files to one shape: decoding, channel conversion, resizing, and skipping unreadable files.

Every file-based source (folders, file lists and globs, TFRecords, TFDS) yields encoded image bytes;
`decoded` turns a stream of them into uint8 images of one shape, decoded in parallel by tf.data:
`tf.io.decode_image` (JPEG, PNG, GIF's first frame, BMP, WebP) converts grayscale, RGB, RGBA and
palette images to `channels`, then `resized` brings them to `size`:

- "crop" (default): the shorter side to the target, then a centre crop (as StyleGAN's FFHQ and
  BigGAN's ImageNet preprocessing);
- "pad": the longer side to the target, then black borders (the whole picture kept);
- "stretch": both sides to the target (the aspect ratio changes).

Downscaling uses `antialias=True` (without it, large photos alias badly). An image already of the
target size passes unchanged. A file that cannot be read or decoded is skipped with one warning that
names it, and the count of skipped files is logged at the end of each pass over the data.
"""

import dataclasses
import io
import logging

import numpy as np
import tensorflow as tf

RESIZE_MODES = ("crop", "pad", "stretch")
CHANNELS = (1, 3)
MAX_NAMED_SKIPS = 10  # files named one by one in warnings; beyond it skips are only counted
PROBED_FILES = 64  # files whose headers tell the data's own size and channels

logger = logging.getLogger("tfgan_suite.data")


@dataclasses.dataclass(frozen=True)
class ImageOptions:
    """How images of any size and kind become one shape (see the module docstring).

    `size` (height, width) and `channels` of None mean the data's own; `flip` adds random horizontal
    flips; `cache` is None, "memory" or a file path prefix (`tf.data.Dataset.cache`)."""

    size: tuple | None = None
    resize: str = "crop"
    channels: int | None = None
    flip: bool = False
    cache: str | None = None

    @classmethod
    def of(cls, image_size=None, resize="crop", channels=None, flip=False, cache=None):
        if resize not in RESIZE_MODES:
            raise ValueError(f"--resize must be one of {', '.join(RESIZE_MODES)}; got {resize!r}.")
        if channels is not None and int(channels) not in CHANNELS:
            raise ValueError(f"--channels must be 1 (grayscale) or 3 (RGB); got {channels}.")
        return cls(parse_image_size(image_size), resize, None if channels is None else int(channels),
                   bool(flip), None if cache is None else str(cache))

    def with_default_shape(self, size, channels):
        """These options with the data's own `size` and `channels` where none were given."""
        return dataclasses.replace(self, size=self.size or size, channels=self.channels or channels)


def parse_image_size(value):
    """None, S, "S", "HxW" or (H, W) -> None or (H, W)."""
    if value is None:
        return None
    if isinstance(value, str):
        parts = value.lower().split("x")
        try:
            value = [int(p) for p in parts]
        except ValueError:
            value = None
    elif isinstance(value, int):
        value = [value]
    if not value or len(value) > 2 or min(value) < 1:
        raise ValueError(f"--image-size takes S or HxW in pixels (e.g. 64 or 64x48); got {value!r}.")
    return (value[0], value[-1])


def resized(image, size, mode):
    """uint8 [H, W, C] -> uint8 [size[0], size[1], C] (see the module docstring for `mode`)."""
    height, width = size

    def resize():
        if mode == "stretch":
            out = tf.image.resize(image, size, antialias=True)
        elif mode == "pad":
            out = tf.image.resize_with_pad(image, height, width, antialias=True)
        else:
            source = tf.cast(tf.shape(image)[:2], tf.float32)
            scale = tf.reduce_max(tf.constant([height, width], tf.float32) / source)
            covering = tf.cast(tf.math.ceil(source * scale), tf.int32)
            out = tf.image.resize(image, covering, antialias=True)
            out = tf.image.resize_with_crop_or_pad(out, height, width)
        return tf.cast(tf.clip_by_value(tf.round(out), 0, 255), tf.uint8)

    same = tf.reduce_all(tf.equal(tf.shape(image)[:2], [height, width]))
    out = tf.cond(same, lambda: image, resize)
    return tf.ensure_shape(out, [height, width, image.shape[-1]])


def converted_channels(image, channels):
    """An image of known channels (1, 2: grey + alpha, 3, 4: RGBA) with `channels` (1 or 3)."""
    have = image.shape[-1]
    if have in (2, 4):
        image = image[..., :have - 1]  # the alpha
    if image.shape[-1] == channels:
        return image
    if channels == 3:
        return tf.image.grayscale_to_rgb(image)
    return tf.cast(tf.round(tf.image.rgb_to_grayscale(tf.cast(image, tf.float32))), image.dtype)


def decode(encoded, options):
    """Encoded bytes -> uint8 image of `options.size` and `options.channels`."""
    image = tf.io.decode_image(encoded, channels=options.channels, expand_animations=False)
    image.set_shape([None, None, options.channels])
    return resized(image, options.size, options.resize)


class SkippedFiles:
    """Names unreadable files (the first `MAX_NAMED_SKIPS`, once each) and counts them per pass."""

    def __init__(self, source, not_images=()):
        self.source = source
        self.named, self.in_pass = set(), 0
        self.not_images = len(not_images)  # listed but not image files: skipped every pass
        for name in not_images:
            self.skip(name, "not an image file")
        self.in_pass = self.not_images

    def skip(self, name, reason="not a readable image"):
        name = name.numpy().decode() if hasattr(name, "numpy") else name
        self.in_pass += 1
        if name not in self.named and len(self.named) < MAX_NAMED_SKIPS:
            self.named.add(name)
            more = " (further ones are only counted)" if len(self.named) == MAX_NAMED_SKIPS else ""
            logger.warning("tfgan-suite: skipped %s: %s%s", name, reason, more)
        return False

    def end_of_pass(self):
        if self.in_pass:
            logger.warning("tfgan-suite: %d file(s) skipped in this pass over %s", self.in_pass,
                           self.source)
        self.in_pass = self.not_images
        return False


def decoded(elements, load, options, source, deterministic, not_images=()):
    """Dataset of (uint8 image, int32 label) from `elements`, in parallel.

    `load(element)` -> (encoded bytes, label, name for warnings); `not_images` are files the
    listing skipped by their names, counted with the failures of each pass. A file that fails to read, parse
    or decode yields nothing: each element is decoded in a dataset of its own whose
    `ignore_errors` drops the failure, followed by a placeholder flagged as failed, and `take(1)`
    keeps whichever comes first; the flag names the file in the warning (`ignore_errors` alone
    would log the error without the file).
    """
    skipped = SkippedFiles(source, not_images)
    placeholder = tf.zeros([*options.size, options.channels], tf.uint8)

    def one(*element):
        encoded, label, name = load(*element)
        good = tf.data.Dataset.from_tensors((encoded, label, name)).map(
            lambda e, y, n: (decode(e, options), y, n, True)).ignore_errors()
        failed = tf.data.Dataset.from_tensors((placeholder, label, name, False))
        return good.concatenate(failed).take(1)

    def kept(image, label, name, ok):
        return tf.cond(ok, lambda: True, lambda: _python_predicate(skipped.skip, [name]))

    images = elements.interleave(one, cycle_length=16, num_parallel_calls=tf.data.AUTOTUNE,
                                 deterministic=deterministic).filter(kept)
    # An empty dataset at the end of each pass, only to log the pass's count of skipped files.
    end = tf.data.Dataset.range(1).filter(lambda _: _python_predicate(skipped.end_of_pass, []))
    images = images.concatenate(end.map(lambda _: (placeholder, tf.constant(0, tf.int32), "", True)))
    return images.map(lambda image, label, name, ok: (image, label))


def _python_predicate(function, inputs):
    """A scalar bool computed by `function` in Python (logging), inside a tf.data function."""
    return tf.reshape(tf.py_function(function, inputs, tf.bool), [])


def probe(open_files):
    """(size, channels) the images share, from their headers (PIL reads no pixels): `open_files`
    yields (name, binary file or bytes). Size is None when they differ; channels 1 when all are
    grey, else 3; (None, None) when none is a readable image."""
    from PIL import Image

    sizes, greys = set(), []
    for _, file in open_files:
        try:
            with Image.open(io.BytesIO(file) if isinstance(file, bytes) else file) as image:
                sizes.add((image.height, image.width))
                greys.append(image.mode in ("1", "L", "LA", "I", "I;16", "F"))
        except (OSError, ValueError):  # not an image: the pipeline skips it with a warning
            continue
    if not sizes:
        return None, None
    return (sizes.pop() if len(sizes) == 1 else None), (1 if all(greys) else 3)


def evenly_spaced(items, count=PROBED_FILES):
    """Up to `count` of `items`, spread over the whole list (a folder's classes all represented)."""
    indices = np.unique(np.linspace(0, len(items) - 1, min(count, len(items))).astype(int))
    return [items[i] for i in indices]
