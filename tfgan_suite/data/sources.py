"""Where images come from besides files (`files`): embedded sets, `.npz` files and TFDS, with
their `DatasetInfo`.

- embedded, needing no download: `mnist_embedded` (MNIST's 10k test images and labels, shipped with
  the package) and the generated 2-D toys `ring8` and `grid25`;
- a local `.npz` (arrays `images`/`x` and optionally `labels`/`y`), in memory; `load_arrays` also
  reads a folder of same-sized images into memory (for evaluation: training streams it);
- any TFDS name, labelled or not, prepared offline from `manual_dir` when given (the original
  archives, flat), else downloaded by TFDS, and streamed as encoded images (`TfdsImages`).
"""

import dataclasses
import gzip
import re
import socket
import urllib.parse
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfgan_suite.data import files
from tfgan_suite.data.images import ImageOptions, converted_channels, resized
from tfgan_suite.data.toy import TOY_DISTRIBUTIONS, toy_samples

EMBEDDED_IMAGES = ("mnist_embedded",)
DATA_FILES = Path(__file__).resolve().parents[1] / "data_files"
# The original dataset archives (TFDS manual_dir layout) in a `shared/datasets` folder beside a
# source checkout: where the tests, the benchmarks and the classifier training look by default.
CHECKOUT_DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
TFDS_NAME = re.compile(r"[a-z0-9_]+(/[\w.-]+)?(:[\d.*]+)?")  # name[/config][:version]
TOY_SIZE = 65536  # points generated for a toy distribution per epoch
IN_MEMORY_SHUFFLE = 65536  # in-memory data is shuffled in a buffer of up to this many examples
CACHED_SHUFFLE = 8192  # cached file data (read in one order once) in a buffer of up to this many


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    name: str
    image_shape: tuple
    num_classes: int | None
    num_examples: int
    image_shape_b: tuple | None = None  # two-domain data: domain B's shape (image_shape is A's)


def embedded_names():
    return EMBEDDED_IMAGES + TOY_DISTRIBUTIONS + ("mnist_style_pair",)


def read_idx(path):
    """An IDX file (MNIST's format), gzipped: magic (0, 0, dtype 0x08, ndim), dims, uint8 data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_arrays(source, split="train"):
    """(images or points, labels or None, num_classes, name) for the in-memory sources; None for TFDS."""
    source = str(source)
    if source == "mnist_embedded":
        images = read_idx(DATA_FILES / "t10k-images-idx3-ubyte.gz")[..., None]
        labels = read_idx(DATA_FILES / "t10k-labels-idx1-ubyte.gz").astype(np.int32)
        return images, labels, 10, source
    if source in TOY_DISTRIBUTIONS:
        points, labels = toy_samples(source, TOY_SIZE, seed=0 if split == "train" else 1)
        return points, labels, int(labels.max()) + 1, source
    path = Path(source).expanduser()
    if path.suffix == ".npz":
        return _load_npz(path)
    if path.is_dir():
        return _load_folder(path)
    if not TFDS_NAME.fullmatch(source):
        raise ValueError(f"Dataset path {source!r} is not an .npz file, a folder, a glob or "
                         "TFRecord files of images (or does not exist).")
    return None


def _load_npz(path):
    if not path.is_file():
        raise ValueError(f"No such .npz file: {path}.")
    with np.load(path) as arrays:
        key = next((k for k in ("images", "x") if k in arrays), None)
        if key is None:
            raise ValueError(f"{path} has arrays {sorted(arrays)}; it needs one called 'images' or 'x' "
                             "(and optionally 'labels' or 'y').")
        images = arrays[key]
        labels = next((arrays[k] for k in ("labels", "y") if k in arrays), None)
    if images.ndim == 3:
        images = images[..., None]
    num_classes = None if labels is None else int(labels.max()) + 1
    return images, None if labels is None else labels.astype(np.int32), num_classes, str(path)


def _load_folder(path):
    """A folder's images in memory, all of one size (for evaluating a folder of samples; training
    streams folders instead, `files`)."""
    listing = files.image_files(path, "train")
    images, _, _ = files.decoded_images(listing, ImageOptions())
    stacked = list(images.batch(4096).as_numpy_iterator())
    if not stacked:
        raise ValueError(f"The folder {path} holds no readable images.")
    images, labels = (np.concatenate(parts) for parts in zip(*stacked))
    return images, None if listing.num_classes is None else labels, listing.num_classes, str(path)


def prepared_tfds_builder(name, manual_dir=None, data_dir=None):
    """TFDS's builder of `name`, prepared (offline from `manual_dir` when given); one clear error
    for an unknown name or an unreachable download."""
    import tensorflow_datasets as tfds

    if name.split("/")[0].split(":")[0] not in tfds.list_builders():  # name[/config][:version]
        raise ValueError(
            f"Unknown dataset {name!r}: use an embedded one ({', '.join(embedded_names())}), a TFDS "
            "name (e.g. mnist, fashion_mnist, cifar10), a .npz file, a folder, a glob or TFRecord "
            "files of images.")
    builder = tfds.builder(name, data_dir=data_dir)
    if manual_dir:
        _check_manual_dir(name, builder, Path(manual_dir))
    elif not builder.data_path.exists():
        _check_download_reachable(name, builder)
    download_config = (tfds.download.DownloadConfig(manual_dir=str(manual_dir))
                       if manual_dir else None)
    # TFDS caches extracted archives by file name alone, and MNIST and Fashion-MNIST share file
    # names: with one download folder for all datasets the second silently gets the first one's
    # images (tensorflow-datasets 4.9.10). One download folder per dataset avoids it.
    data_root = Path(builder.data_dir).parents[1]
    builder.download_and_prepare(download_dir=data_root / "downloads" / name,
                                 download_config=download_config)
    return builder


class TfdsImages:
    """A TFDS split as encoded images: TFDS's own decoding is skipped, so the files' decoding,
    resizing and skipping (`images`) apply as to any file. Labelled when the set has `label_key`
    ("label" by default); `image_key` names the image feature ("image" by default). Shards by
    TFDS's files (`ReadConfig.input_context`) when there are at least as many as workers."""

    def __init__(self, name, split="train", manual_dir=None, data_dir=None, image_key=None,
                 label_key=None):
        import tensorflow_datasets as tfds

        self.builder = prepared_tfds_builder(name, manual_dir, data_dir)
        self.name, self.split, self.not_images = f"{name} ({split})", split, []
        features = self.builder.info.features
        self.image_key = image_key or "image"
        if not (self.image_key in features
                and isinstance(features[self.image_key], tfds.features.Image)):
            images = [k for k, v in features.items() if isinstance(v, tfds.features.Image)]
            raise ValueError(f"TFDS dataset {name!r} has no image feature {self.image_key!r}; its "
                             f"image features are {images}: choose one with --image-key.")
        if label_key and label_key not in features:
            raise ValueError(f"TFDS dataset {name!r} has no feature {label_key!r} for --label-key; "
                             f"it has {list(features)}.")
        self.label_key = label_key or ("label" if "label" in features else None)
        self.num_classes = (getattr(features[self.label_key], "num_classes", None)
                            if self.label_key else None)
        try:
            split_info = self.builder.info.splits[split]
        except (KeyError, ValueError, AssertionError):
            raise ValueError(f"TFDS dataset {name!r} has no split {split!r}; it has "
                             f"{', '.join(self.builder.info.splits)} (slices too: train[:90%]).") from None
        self.num_examples = split_info.num_examples
        self.num_files = len(split_info.file_instructions)
        self.image_shape = tuple(features[self.image_key].shape)

    def own_shape(self):
        height, width, channels = self.image_shape
        return (None if None in (height, width) else (height, width)), (1 if channels == 1 else 3)

    def elements(self, shuffle, seed, share):
        import tensorflow_datasets as tfds

        workers, index = share
        by_file = 1 < workers <= self.num_files
        read_config = tfds.ReadConfig(
            shuffle_seed=seed, add_tfds_id=True,
            input_context=tf.distribute.InputContext(workers, index) if by_file else None)
        examples = self.builder.as_dataset(split=self.split, shuffle_files=shuffle,
                                           read_config=read_config,
                                           decoders={self.image_key: tfds.decode.SkipDecoding()})
        if shuffle:
            examples = examples.shuffle(files.RECORD_SHUFFLE_BUFFER, seed=seed,
                                        reshuffle_each_iteration=True)
        return examples, by_file

    def load(self, example):
        label = tf.cast(example[self.label_key], tf.int32) if self.label_key else tf.constant(0)
        return example[self.image_key], label, example["tfds_id"]


def tfds_arrays(name, split, manual_dir, data_dir):
    """(images, labels, DatasetInfo): a whole labelled TFDS split in memory, decoded by TFDS."""
    images = TfdsImages(name, split, manual_dir, data_dir)
    if images.label_key is None:
        raise ValueError(f"TFDS dataset {name!r} has no labels.")
    dataset = images.builder.as_dataset(split=split, as_supervised=True)
    info = DatasetInfo(name, images.image_shape, images.num_classes, images.num_examples)
    images, labels = next(iter(dataset.batch(info.num_examples).as_numpy_iterator()))
    return images, labels, info


def _original_files(builder):
    """The archives `builder` downloads. TFDS lists the files of all of a dataset's configs;
    a config that is one archive of its name (cycle_gan/horse2zebra: horse2zebra.zip) needs
    only that one."""
    files = sorted(info.filename for info in (builder.url_infos or {}).values() if info.filename)
    config = builder.builder_config.name if builder.builder_config else None
    return [f for f in files if Path(f).stem == config] or files


def _check_manual_dir(name, builder, manual_dir):
    missing = [f for f in _original_files(builder) if not (manual_dir / f).is_file()]
    if missing:
        raise FileNotFoundError(
            f"--manual-dir {manual_dir} lacks {name}'s original files {', '.join(missing)}: put "
            "them there, flat, under these names.")


def _check_download_reachable(name, builder, timeout_seconds=5):
    """Fails fast, where TFDS would retry for minutes, when the dataset must be downloaded and its
    host does not answer (a machine offline)."""
    for url in sorted({info for info in (builder.url_infos or {})}):
        parts = urllib.parse.urlsplit(url)
        try:
            socket.create_connection(
                (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
                timeout=timeout_seconds).close()
        except OSError:
            files = ", ".join(_original_files(builder))
            raise ValueError(
                f"TFDS dataset {name!r} is not prepared in {builder.data_dir} and cannot be "
                f"downloaded ({parts.hostname} does not answer; offline?). Give --manual-dir DIR "
                f"holding its original files ({files}), or prepare it once into --data-dir on a "
                "machine with internet.") from None
        return  # the files of one dataset come from one host


def scale_images(images):
    """uint8 images -> float32 in [-1, 1]; points and float data pass as float32."""
    if images.dtype == tf.uint8:
        return tf.cast(images, tf.float32) / 127.5 - 1.0
    return tf.cast(images, tf.float32)


@dataclasses.dataclass
class Images:
    """One source's (image, int32 label) stream before batching: uint8 images of one shape (or
    float 2-D points), streamed from files or held in memory."""

    dataset: tf.data.Dataset
    info: DatasetInfo
    options: ImageOptions  # with the data's own size and channels filled in
    streamed: bool  # read from files (shuffled by file), else in memory
    by_file: bool  # each worker reads only its files

    def finished(self, shuffle, seed):
        """The stream cached, shuffled (in-memory and cached data; files are shuffled by name
        before reading) and flipped as the options ask."""
        dataset, options = self.dataset, self.options
        if options.cache is not None:
            dataset = dataset.cache("" if options.cache == "memory" else options.cache)
        if shuffle and not (self.streamed and options.cache is None):
            buffer = CACHED_SHUFFLE if self.streamed else IN_MEMORY_SHUFFLE
            dataset = dataset.shuffle(min(self.info.num_examples, buffer), seed=seed,
                                      reshuffle_each_iteration=True)
        if options.flip:
            dataset = dataset.map(lambda images, label: (flipped(images), label),
                                  num_parallel_calls=tf.data.AUTOTUNE)
        return dataset


def flipped(images):
    """`images` (one, or a pair of paired domains) flipped left-right together, half the time."""
    flip = tf.random.uniform([]) < 0.5
    return tf.nest.map_structure(
        lambda image: tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image), images)


def image_source(source, split="train", options=ImageOptions(), shuffle=True, seed=0,
                 share=(1, 0), manual_dir=None, data_dir=None, image_key=None, label_key=None):
    """`Images` of any source: files (`files.listing`), embedded sets and .npz in memory, TFDS."""
    listing = files.listing(source, split, image_key, label_key)
    if listing is None:
        arrays = load_arrays(source, split)
        if arrays is not None:
            return array_images(*arrays, options)
        listing = TfdsImages(str(source), split, manual_dir, data_dir, image_key, label_key)
    dataset, options, by_file = files.decoded_images(listing, options, shuffle, seed, share)
    info = DatasetInfo(listing.name, (*options.size, options.channels), listing.num_classes,
                       listing.num_examples)
    return Images(dataset, info, options, streamed=True, by_file=by_file)


def array_images(images, labels, num_classes, name, options=ImageOptions()):
    """`Images` of arrays in memory (uint8 images or float points), brought to `options`' shape."""
    own = ImageOptions(size=tuple(images.shape[1:3]), channels=images.shape[-1])
    if images.ndim == 2:  # points
        if (options.size, options.channels, options.flip) != (None, None, False):
            raise ValueError(f"{name} holds 2-D points, not images: --image-size, --channels and "
                             "--flip apply to images.")
        own = options
    options = options.with_default_shape(own.size, own.channels)
    labels = labels if labels is not None else np.zeros(len(images), np.int32)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if (options.size, options.channels) != (own.size, own.channels):
        dataset = dataset.map(
            lambda image, label: (resized(converted_channels(image, options.channels),
                                          options.size, options.resize), label),
            num_parallel_calls=tf.data.AUTOTUNE)
    shape = tuple(images.shape[1:]) if images.ndim == 2 else (*options.size, options.channels)
    return Images(dataset, DatasetInfo(name, shape, num_classes, len(images)), options,
                  streamed=False, by_file=False)


def worker_share(strategy):
    """(workers, this worker's index) of a multi-worker strategy; (1, 0) for any other."""
    resolver = getattr(strategy, "cluster_resolver", None)
    spec = resolver.cluster_spec() if resolver is not None else None
    if not spec or not spec.as_dict():
        return 1, 0
    jobs = [job for job in ("chief", "worker") if job in spec.jobs]
    index = sum(spec.num_tasks(job) for job in jobs[:jobs.index(resolver.task_type)])
    return sum(spec.num_tasks(job) for job in jobs), index + resolver.task_id


def sharded(dataset, by_file):
    """Tells tf.distribute how workers share `dataset`: by file already (policy OFF), else by data:
    every worker reads everything and keeps its share of the batches (DATA)."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.OFF if by_file
        else tf.data.experimental.AutoShardPolicy.DATA)
    return dataset.with_options(options)
