"""Two-domain data for image-to-image models: batches of `(domain_a, domain_b)` images.

Sources (`load_dataset(source, ..., domains="unpaired" | "paired")`):
- `mnist_style_pair`, embedded, no download: domain A = the shipped MNIST digits as they are
  (28x28x1); domain B = digits under a fixed, known, non-linear style (`style_digits`: strokes
  dilated by a 3x3 max filter, painted yellow over a textured blue-to-red gradient, 28x28x3). The
  training split draws A and B from DISJOINT halves of the first 8,000 images (no training pair
  exists; with `paired` both come from the same digits), the test split pairs the last 2,000
  images with their true styled versions, so a translation can be scored against the truth
  (`style_digits`, and `unstyle` back to grey strokes).
- two sources joined by a comma, `A,B`: each anything `load_dataset` reads (a folder, a glob,
  TFRecords, an .npz, a TFDS name; its images only), files streamed and brought to one shape by
  the same options (`image_size`, `resize`, `channels`, `flip`, `cache`); paired data must hold
  the same number of images in the same order (folders: sorted by file name).
- one .npz holding arrays `a` and `b` (e.g. `np.savez(path, a=..., b=...)`).
- a TFDS `cycle_gan/<config>` (horse2zebra, monet2photo, maps...: the CycleGAN authors'
  unpaired sets, Zhu et al. 2017), whose splits `trainA`/`trainB` (`testA`/`testB`) are the two
  domains; offline from `manual_dir` holding the config's archive (e.g. horse2zebra.zip).
Unpaired domains are shuffled independently (an epoch is as long as the smaller domain); paired
ones together.
"""

import numpy as np
import tensorflow as tf

from tfgan_suite.data import sources as data

STYLE_PAIR = "mnist_style_pair"
DOMAINS = ("unpaired", "paired")
TFDS_TWO_DOMAINS = "cycle_gan/"  # TFDS datasets whose splits are the domains: trainA, trainB...
TRAIN_IMAGES = 8000  # the embedded pair trains on the first 8,000 digits, is scored on the rest
STROKE_COLOUR = np.array([1.0, 0.9, 0.2])


def _background():
    """The fixed B background, [28, 28, 3] in [0, 0.55]: a diagonal blue-to-red gradient under
    faint diagonal stripes (a texture the generator must paint, not a constant)."""
    rows, cols = np.mgrid[0:28, 0:28] / 27.0
    t = (rows + cols)[..., None] / 2.0
    gradient = (1 - t) * np.array([0.1, 0.15, 0.5]) + t * np.array([0.5, 0.1, 0.15])
    stripes = 0.05 * np.sin((rows + 2 * cols) * 27.0 * np.pi / 4.0)[..., None]
    return gradient + stripes


BACKGROUND = _background()


def _max_filter(images, sign=1.0):
    """3x3 max filter (dilation) over [N, H, W] images; `sign=-1` gives the min filter (erosion)."""
    padded = np.pad(sign * images, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    height, width = images.shape[1:]
    shifted = [padded[:, i:i + height, j:j + width] for i in range(3) for j in range(3)]
    return sign * np.max(shifted, axis=0)


def style_digits(digits):
    """The embedded pair's style map: uint8 grey digits [N, 28, 28, 1] -> uint8 [N, 28, 28, 3],
    strokes dilated (3x3 max filter) and painted `STROKE_COLOUR` over `BACKGROUND`."""
    strokes = _max_filter(np.asarray(digits, np.float64)[..., 0] / 255.0)[..., None]
    styled = (1 - strokes) * BACKGROUND + strokes * STROKE_COLOUR
    return np.round(styled * 255.0).astype(np.uint8)


def unstyle(images):
    """The style map's inverse, near enough to classify: styled images [N, 28, 28, 3] in [-1, 1]
    -> grey digits [N, 28, 28, 1] in [-1, 1]. Each pixel's stroke weight is its projection on the
    background-to-stroke colour line; an erosion undoes the dilation (exactly on thick strokes)."""
    pixels = (np.asarray(images, np.float64) + 1.0) / 2.0
    direction = STROKE_COLOUR - BACKGROUND
    weight = np.sum((pixels - BACKGROUND) * direction, axis=-1) / np.sum(direction ** 2, axis=-1)
    strokes = _max_filter(np.clip(weight, 0.0, 1.0), sign=-1.0)
    return (2.0 * strokes - 1.0)[..., None].astype(np.float32)


def style_pair_arrays(split="train", paired=False):
    """(domain A uint8 [N, 28, 28, 1], domain B uint8 [N, 28, 28, 3], labels of A [N]) of the
    embedded pair; see the module docstring for which digits each split uses."""
    digits, labels, _, _ = data.load_arrays("mnist_embedded")
    if split == "test":
        digits, labels = digits[TRAIN_IMAGES:], labels[TRAIN_IMAGES:]
        return digits, style_digits(digits), labels
    if split != "train":
        raise ValueError(f"{STYLE_PAIR} has the splits 'train' and 'test'; got {split!r}.")
    if paired:
        digits, labels = digits[:TRAIN_IMAGES], labels[:TRAIN_IMAGES]
        return digits, style_digits(digits), labels
    half = TRAIN_IMAGES // 2
    return digits[:half], style_digits(digits[half:TRAIN_IMAGES]), labels[:half]


def _images_of(source, split, manual_dir, data_dir):
    """All images of one domain source (npz, folder or TFDS name) as a numpy array."""
    arrays = data.load_arrays(source, split)
    return data.tfds_arrays(source, split, manual_dir, data_dir)[0] if arrays is None else arrays[0]


def domain_arrays(source, split="train", paired=False, manual_dir=None, data_dir=None):
    """(domain A images, domain B images, name) for any two-domain source."""
    source = str(source)
    if source == STYLE_PAIR:
        a, b, _ = style_pair_arrays(split, paired)
        return a, b, source
    if "," in source:
        first, second = (part.strip() for part in source.split(",", 1))
        a, b = (_images_of(part, split, manual_dir, data_dir) for part in (first, second))
    elif source.startswith(TFDS_TWO_DOMAINS):
        a, b = (data.tfds_arrays(source, f"{split}{domain}", manual_dir, data_dir)[0]
                for domain in "AB")
    elif source.endswith(".npz"):
        with np.load(source) as arrays:
            if not {"a", "b"} <= set(arrays):
                raise ValueError(f"{source} has arrays {sorted(arrays)}; a two-domain .npz needs "
                                 "arrays 'a' and 'b' (np.savez(path, a=..., b=...)).")
            a, b = arrays["a"], arrays["b"]
    else:
        raise ValueError(
            f"Image-to-image models train on two domains; {source!r} is one. Give "
            f"{STYLE_PAIR!r}, a TFDS {TFDS_TWO_DOMAINS}<config> (e.g. cycle_gan/horse2zebra), two "
            "sources as 'A,B' (.npz files, folders of images or TFDS names), or one .npz holding "
            "arrays 'a' and 'b'.")
    a, b = (images[..., None] if images.ndim == 3 else images for images in (a, b))
    if paired and len(a) != len(b):
        raise ValueError(f"Paired domains must hold as many images each; {source!r} has {len(a)} "
                         f"in A and {len(b)} in B.")
    return a, b, source


def domain_images(source, split="train", paired=False, manual_dir=None, data_dir=None,
                  options=data.ImageOptions(), shuffle=True, seed=0, share=(1, 0)):
    """(`sources.Images` of domain A, of domain B, name): files streamed, arrays in memory.
    Paired domains are read in order (not shuffled) so that their pairs stay together."""
    source = str(source)
    shuffle = shuffle and not paired

    def one(part, part_split, offset):
        return data.image_source(part, part_split, options, shuffle, seed + offset, share,
                                 manual_dir, data_dir)

    if "," in source:
        a, b = (one(part.strip(), split, offset)
                for offset, part in enumerate(source.split(",", 1)))
    elif source.startswith(TFDS_TWO_DOMAINS):
        a, b = (one(source, f"{split}{domain}", offset) for offset, domain in enumerate("AB"))
    else:
        arrays_a, arrays_b, _ = domain_arrays(source, split, paired, manual_dir, data_dir)
        a, b = (data.array_images(images, None, None, f"{source} {domain}", options)
                for images, domain in ((arrays_a, "A"), (arrays_b, "B")))
    return a, b, source


def load_two_domains(source, batch_size, domains, split="train", shuffle=True, seed=0,
                     manual_dir=None, data_dir=None, options=data.ImageOptions(), share=(1, 0)):
    """(dataset of `(domain_a, domain_b)` float32 batches in [-1, 1], DatasetInfo); `options`
    (size, channels, flips, cache) apply to both domains."""
    if domains not in DOMAINS:
        raise ValueError(f"domains must be one of {', '.join(DOMAINS)}; got {domains!r}.")
    paired = domains == "paired"
    a, b, name = domain_images(source, split, paired, manual_dir, data_dir, options, shuffle,
                               seed, share)
    if paired and a.info.num_examples != b.info.num_examples:
        raise ValueError(f"Paired domains must hold as many images each; {source!r} has "
                         f"{a.info.num_examples} in A and {b.info.num_examples} in B.")
    info = data.DatasetInfo(name, a.info.image_shape, None,
                            min(a.info.num_examples, b.info.num_examples),
                            image_shape_b=b.info.image_shape)
    if info.num_examples < batch_size:
        raise ValueError(f"Dataset {name!r} ({split}) has {info.num_examples} image pairs, fewer "
                         f"than one batch of {batch_size}. Use a smaller --batch-size or more data.")
    if paired:
        # One stream of pairs, shuffled in memory (read in order) and flipped together.
        pairs = tf.data.Dataset.zip(a.dataset, b.dataset).map(lambda x, y: ((x[0], y[0]), x[1]))
        dataset = data.Images(pairs, info, options, streamed=False, by_file=False).finished(
            shuffle, seed).map(lambda images, label: images)
    else:
        dataset = tf.data.Dataset.zip(
            a.finished(shuffle, seed).map(lambda image, label: image),
            b.finished(shuffle, seed + 1).map(lambda image, label: image))
    dataset = dataset.map(lambda x, y: (data.scale_images(x), data.scale_images(y)),
                          num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return data.sharded(dataset, a.by_file and b.by_file), info
