"""Where images come from: embedded sets, `.npz` files, image folders and TFDS, as arrays or
TFDS `tf.data` sources, with their `DatasetInfo`.

- embedded, needing no download: `mnist_embedded` (MNIST's 10k test images and labels, shipped with
  the package) and the generated 2-D toys `ring8` and `grid25`;
- a local `.npz` (arrays `images`/`x` and optionally `labels`/`y`) or a folder of images (labels from
  sub-folder names);
- any TFDS name, prepared offline from `manual_dir` when given (the original archives, flat), else
  downloaded by TFDS.
"""

import dataclasses
import gzip
import os
import socket
import urllib.parse
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfgan_suite.data.toy import TOY_DISTRIBUTIONS, toy_samples

EMBEDDED_IMAGES = ("mnist_embedded",)
DATA_FILES = Path(__file__).resolve().parents[1] / "data_files"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
# The original dataset archives (TFDS manual_dir layout) in a `shared/datasets` folder beside a
# source checkout: where the tests, the benchmarks and the classifier training look by default.
CHECKOUT_DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
TOY_SIZE = 65536  # points generated for a toy distribution per epoch


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
    if os.sep in source or path.suffix:
        raise ValueError(f"Dataset path {source!r} is neither an .npz file nor a folder of images.")
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
    from PIL import Image

    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"The folder {path} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
    classes = sorted({p.parent.relative_to(path).as_posix() for p in files})
    images = [np.asarray(Image.open(p)) for p in files]
    shapes = {im.shape for im in images}
    if len(shapes) > 1:
        raise ValueError(f"The images in {path} differ in shape ({sorted(shapes)[:4]}...); "
                         "resize them to one shape first.")
    images = np.stack(images)
    if images.ndim == 3:
        images = images[..., None]
    if classes == ["."]:
        return images, None, None, str(path)
    labels = np.array([classes.index(p.parent.relative_to(path).as_posix()) for p in files], np.int32)
    return images, labels, len(classes), str(path)


def tfds_source(name, split, manual_dir, data_dir):
    """(tf.data.Dataset of `name`'s `split` as prepared by TFDS, its info), prepared offline from
    `manual_dir` when given; one clear error for an unknown name or an unreachable download."""
    import tensorflow_datasets as tfds

    if name.split("/")[0].split(":")[0] not in tfds.list_builders():  # name[/config][:version]
        raise ValueError(
            f"Unknown dataset {name!r}: use an embedded one ({', '.join(embedded_names())}), a TFDS "
            "name (e.g. mnist, fashion_mnist, cifar10), a .npz file or a folder of images.")
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
    features = builder.info.features
    if "image" not in features or "label" not in features:
        raise ValueError(f"TFDS dataset {name!r} has features {list(features)}; tfgan-suite needs "
                         "'image' and 'label'.")
    dataset = builder.as_dataset(split=split, as_supervised=True)
    info = DatasetInfo(name, tuple(features["image"].shape), features["label"].num_classes,
                       builder.info.splits[split].num_examples)
    return dataset, info


def tfds_arrays(name, split, manual_dir, data_dir):
    """(images, labels, DatasetInfo): a whole TFDS split in memory (see `tfds_source`)."""
    dataset, info = tfds_source(name, split, manual_dir, data_dir)
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
