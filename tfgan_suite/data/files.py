"""Image files and TFRecords as sources: listed once, read by tf.data, never all in memory.

- a folder, searched recursively (labels from sub-folder names, as `image_dataset_from_directory`);
  with a sub-folder named after the split (`photos/train`, `photos/test`) that one is read;
- a list of files, or a glob (`photos/*.jpg`);
- TFRecord files of `tf.train.Example`s holding an encoded image (TFDS's layout: features `image`
  and optionally `label`, files `<name>-<split>.tfrecord-00000-of-00004`): one file, a glob or a
  folder of them.

A `Listing` knows its files (the units a worker shards by), how many images they hold (from the
listing, or for TFRecords from a pass over the records that decodes nothing), and how to load one
element's encoded bytes. Splits take TFDS's slicing: `train`, `train[:90%]`, `test[1000:]`.
"""

import dataclasses
import re
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfgan_suite.data.images import decoded, evenly_spaced, probe

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
TFRECORD_NAME = re.compile(r"\.tfrecords?(-\d+-of-\d+)?$")
SPLIT = re.compile(r"(?P<name>[\w-]+)(\[(?P<start>-?\d*%?):(?P<end>-?\d*%?)\])?")
RECORD_SHUFFLE_BUFFER = 1024  # encoded records mixed across the interleaved files


def is_tfrecord(path):
    return bool(TFRECORD_NAME.search(str(path)))


def has_glob(source):
    return any(c in source for c in "*?[")


def parse_split(split):
    """"train[:90%]" -> ("train", ":90%" bounds as (start, end) strings, or None)."""
    match = SPLIT.fullmatch(str(split))
    if not match:
        raise ValueError(f"--split {split!r} is not a split: give e.g. train, test, train[:90%] "
                         "or train[1000:].")
    bounds = None if match["start"] is None else (match["start"], match["end"])
    return match["name"], bounds


def sliced(count, bounds):
    """(start, end) of `bounds` (TFDS slicing: counts or percentages, negative from the end)."""
    if bounds is None:
        return 0, count

    def position(text, default):
        if not text:
            return default
        value = int(text.rstrip("%"))
        value = round(value * count / 100) if text.endswith("%") else value
        return max(0, min(count, value + count if value < 0 else value))

    return position(bounds[0], 0), position(bounds[1], count)


@dataclasses.dataclass
class Listing:
    """A file-based source before decoding (see the module docstring)."""

    name: str
    units: tuple  # parallel tuples, one entry per file: (paths, labels) or (files, skips, takes)
    num_examples: int
    num_classes: int | None
    samples: list  # (name, binary file or bytes) whose headers tell the data's size and channels
    records: bool = False
    image_key: str = "image"
    label_key: str | None = None
    not_images: list = dataclasses.field(default_factory=list)  # skipped by their names

    @property
    def num_files(self):
        return len(self.units[0])

    def own_shape(self):
        """(size, channels) the probed images share (size None when they differ)."""
        size, channels = probe(self.samples)
        if channels is None:
            raise ValueError(f"None of the {len(self.samples)} files sampled from {self.name} is a "
                             f"readable image (e.g. {self.samples[0][0]}).")
        return size, channels

    def elements(self, shuffle, seed, share):
        """(dataset of one element per image, whether it is sharded by file). `share`: (workers,
        this worker's index); with fewer files than workers each worker reads all of them and the
        caller shards by data."""
        units = tf.data.Dataset.from_tensor_slices(self.units)
        workers, index = share
        by_file = 1 < workers <= self.num_files
        if by_file:
            units = units.shard(workers, index)
        if shuffle:
            units = units.shuffle(self.num_files, seed=seed, reshuffle_each_iteration=True)
        if not self.records:
            return units, by_file
        records = units.interleave(_records_of, cycle_length=min(16, self.num_files),
                                   num_parallel_calls=tf.data.AUTOTUNE, deterministic=not shuffle)
        if shuffle:
            records = records.shuffle(RECORD_SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
        return records, by_file

    def load(self, *element):
        """(encoded image, int32 label, name for warnings) of one element."""
        if not self.records:
            path, label = element
            return tf.io.read_file(path), label, path
        record, name = element
        features = {self.image_key: tf.io.FixedLenFeature([], tf.string)}
        if self.label_key:
            features[self.label_key] = tf.io.FixedLenFeature([], tf.int64)
        example = tf.io.parse_single_example(record, features)
        label = tf.cast(example[self.label_key], tf.int32) if self.label_key else tf.constant(0)
        return example[self.image_key], label, name


def _records_of(path, skip, take):
    """(record, "file[index]") of a TFRecord file's records skip..skip+take."""
    records = tf.data.TFRecordDataset(path).skip(skip).take(take)
    return records.enumerate(skip).map(
        lambda index, record: (record, tf.strings.format("{}[{}]", (path, index))))


def image_files(source, split):
    """The Listing of a folder, a glob or a list of image files."""
    name, bounds = parse_split(split)
    if isinstance(source, (list, tuple)):
        paths, root, what = sorted(str(p) for p in source), None, "The file list"
    elif has_glob(str(source)):
        paths, root, what = sorted(tf.io.gfile.glob(str(source))), None, f"The glob {source}"
    else:
        root = Path(source).expanduser()
        if (root / name).is_dir():
            root = root / name
        elif name != "train":
            raise ValueError(f"The folder {source} has no split {name!r} (no sub-folder {name}/); "
                             "a folder without split sub-folders is all 'train'.")
        paths = sorted(str(p) for p in root.rglob("*")
                       if p.is_file() and not p.name.startswith("."))
        what = f"The folder {root}"
    images = [p for p in paths if Path(p).suffix.lower() in IMAGE_SUFFIXES]
    others = sorted(set(paths) - set(images))
    if not images:
        raise ValueError(f"{what} holds no images ({', '.join(IMAGE_SUFFIXES)})"
                         + (f"; it holds {len(others)} other file(s), e.g. {others[0]}." if others
                            else "."))
    start, end = sliced(len(images), bounds)
    images = images[start:end]
    classes = sorted({Path(p).parent.relative_to(root).as_posix() for p in images}) if root else ["."]
    labels = [classes.index(Path(p).parent.relative_to(root).as_posix()) if root else 0
              for p in images]
    return Listing(str(source) if root is None else str(root), (images, labels), len(images),
                   None if classes == ["."] else len(classes),
                   [(p, p) for p in evenly_spaced(images)], not_images=others)


def record_files(source, split, image_key=None, label_key=None):
    """The Listing of TFRecord files (one, a glob, or a folder of them) for `split`."""
    name, bounds = parse_split(split)
    source = str(source)
    if has_glob(source):
        files = tf.io.gfile.glob(source)
    elif Path(source).is_dir():
        files = [str(p) for p in Path(source).iterdir() if is_tfrecord(p)]
    else:
        files = [source] if Path(source).is_file() else []
    files = sorted(files)
    if not files:
        raise ValueError(f"No TFRecord files at {source}.")
    named = [f for f in files if re.search(rf"-{re.escape(name)}\.tfrecord", Path(f).name)]
    if named:
        files = named
    elif any(re.search(r"-\w+\.tfrecord", Path(f).name) for f in files) or name != "train":
        splits = sorted({m.group(1) for f in files
                         for m in [re.search(r"-(\w+)\.tfrecord", Path(f).name)] if m})
        raise ValueError(f"The TFRecords at {source} have no split {name!r}"
                         + (f"; they have {', '.join(splits)}." if splits else
                            " (their names carry none: all of them are 'train')."))
    first = next(iter(tf.data.TFRecordDataset(files[0]).take(1)), None)
    if first is None:
        raise ValueError(f"{files[0]} holds no records.")
    features = tf.train.Example.FromString(first.numpy()).features.feature
    image_key = image_key or "image"
    if image_key not in features:
        raise ValueError(f"The TFRecords at {source} have features {sorted(features)} and no "
                         f"{image_key!r}: name the encoded-image feature with --image-key.")
    if label_key and label_key not in features:
        raise ValueError(f"The TFRecords at {source} have no feature {label_key!r} for "
                         f"--label-key; they have {sorted(features)}.")
    label_key = label_key or ("label" if "label" in features else None)
    counts, max_label = _count_records(files, label_key)
    start, end = sliced(sum(counts), bounds)
    skips, takes, kept = [], [], []
    offset = 0
    for file, count in zip(files, counts):  # each file's part of [start, end)
        skip, take = max(0, start - offset), min(count, end - offset) - max(0, start - offset)
        if take > 0:
            kept.append(file), skips.append(skip), takes.append(take)
        offset += count
    samples = [(f"{files[0]}[{i}]", tf.train.Example.FromString(r.numpy()).features
                .feature[image_key].bytes_list.value[0])
               for i, r in enumerate(tf.data.TFRecordDataset(files[0]).take(16))]
    units = (kept, np.array(skips, np.int64), np.array(takes, np.int64))
    return Listing(f"{source} ({split})", units, end - start,
                   None if label_key is None else max_label + 1, samples, records=True,
                   image_key=image_key, label_key=label_key)


def _count_records(files, label_key):
    """(records per file, the largest label): one pass that parses only the label."""
    counts, max_label = [], -1
    for file in files:
        records = tf.data.TFRecordDataset(file)
        if label_key:
            labels = records.batch(4096).map(lambda r: tf.io.parse_example(
                r, {label_key: tf.io.FixedLenFeature([], tf.int64)})[label_key])
            count, top = labels.reduce((tf.constant(0, tf.int64), tf.constant(-1, tf.int64)),
                                       lambda state, y: (state[0] + tf.size(y, tf.int64),
                                                         tf.maximum(state[1], tf.reduce_max(y))))
            max_label = max(max_label, int(top))
        else:
            count = records.reduce(tf.constant(0, tf.int64), lambda n, _: n + 1)
        counts.append(int(count))
    return counts, max_label


def decoded_images(source, options, shuffle=False, seed=0, share=(1, 0)):
    """(dataset of (uint8 image, int32 label), `options` with the data's own shape where none
    was given, whether sharded by file) of a Listing, or of anything with its `elements`, `load`,
    `own_shape`, `name` and `not_images` (TFDS sets, `sources.TfdsImages`)."""
    if options.size is None or options.channels is None:
        size, channels = source.own_shape()
        if options.size is None and size is None:
            raise ValueError(f"The images in {source.name} differ in size: give one with "
                             "--image-size S or HxW (image_size=... in load_dataset); they are "
                             "resized and centre-cropped to it (--resize crop|pad|stretch).")
        options = options.with_default_shape(size, channels)
    elements, by_file = source.elements(shuffle, seed, share)
    images = decoded(elements, source.load, options, source.name, deterministic=not shuffle,
                     not_images=source.not_images)
    return images, options, by_file


def listing(source, split="train", image_key=None, label_key=None):
    """The Listing of a file-based source (a folder, a list, a glob, TFRecords), or None for
    any other (embedded, .npz, TFDS names)."""
    if isinstance(source, (list, tuple)):
        return image_files(source, split)
    text = str(source)
    path = Path(text).expanduser()
    if has_glob(text):
        matches = tf.io.gfile.glob(text)
        if not matches:
            raise ValueError(f"The glob {text} matches no files.")
        if all(is_tfrecord(m) for m in matches):
            return record_files(text, split, image_key, label_key)
        return image_files(text, split)
    if path.is_dir():
        if any(is_tfrecord(p) for p in path.iterdir()):
            return record_files(path, split, image_key, label_key)
        return image_files(path, split)
    if path.is_file() and is_tfrecord(path):
        return record_files(path, split, image_key, label_key)
    if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
        return image_files([str(path)], split)
    return None
