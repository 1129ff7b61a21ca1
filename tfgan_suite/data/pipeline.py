"""One entry point from a dataset name or path to a distributed-ready `tf.data` pipeline.

`load_dataset` reads a source (`sources.image_source`: files streamed by `files`, embedded sets
and .npz in memory, TFDS), or with `domains` ("unpaired" or "paired") two domains for
image-to-image models (`two_domains`). Images come out float32 in [-1, 1], of one shape
(`image_size`, `resize`, `channels`: see `images`), optionally flipped, shuffled, batched with
`drop_remainder`, prefetched.

Shuffling: files are shuffled by name each pass before they are read (nothing but the names is
held), in-memory data in a buffer of up to 65,536 examples.

`cache`: "memory" keeps the decoded, resized images in memory after the first pass, a path keeps
them in files there (`tf.data.Dataset.cache`); later passes skip reading, decoding and resizing.
The trade-off: memory grows with the data (200,000 images at 64x64x3 take 2.4 GB), a cache file
takes as much disk and is reused as it is, so give each image size its own path; the cached
images are shuffled in a buffer of up to 8,192.

Distribution: `strategy` gives the replicas and workers. Under MultiWorkerMirroredStrategy each
worker reads only its share of the files when there are at least as many files as workers (tf.data's
`AutoShardPolicy.FILE` cannot do it here: it shards reader datasets such as TFRecordDataset, not
files read by `tf.io.read_file`), else every worker reads all of them and keeps its share of the
batches (`AutoShardPolicy.DATA`, as for in-memory data).
"""

import tensorflow as tf

from tfgan_suite.data.images import ImageOptions
from tfgan_suite.data.sources import image_source, scale_images, sharded, worker_share
from tfgan_suite.data.two_domains import load_two_domains


def load_dataset(source, batch_size, split="train", with_labels=False, num_replicas=1,
                 shuffle=True, seed=0, manual_dir=None, data_dir=None, domains=None,
                 image_size=None, resize="crop", channels=None, flip=False, cache=None,
                 image_key=None, label_key=None, strategy=None):
    """(dataset, DatasetInfo): batches of images, or (images, labels) with `with_labels`, or
    (domain_a, domain_b) with `domains` "unpaired" or "paired" (image-to-image models).

    `source`: an embedded name, a TFDS name, an .npz, a folder, a glob, a list of image files, or
    TFRecord files (a file, glob or folder of them; `image_key`/`label_key` name their features,
    as for TFDS sets). `split`: train, test, train[:90%]... `batch_size` is the GLOBAL batch: it
    must divide evenly among the replicas (`num_replicas`, or `strategy`'s).
    """
    share = (1, 0)
    if strategy is not None:
        num_replicas, share = strategy.num_replicas_in_sync, worker_share(strategy)
    if batch_size < 1 or batch_size % num_replicas:
        raise ValueError(
            f"The global batch size {batch_size} must be a positive multiple of the {num_replicas} "
            f"replicas, so every replica gets the same share; try {max(1, batch_size // num_replicas) * num_replicas}.")
    options = ImageOptions.of(image_size, resize, channels, flip, cache)
    if domains is not None:
        dataset, info = load_two_domains(source, batch_size, domains, split, shuffle, seed,
                                         manual_dir, data_dir, options, share)
        return dataset, info
    images = image_source(source, split, options, shuffle, seed, share, manual_dir, data_dir,
                          image_key, label_key)
    info = images.info
    if with_labels and info.num_classes is None:
        raise ValueError(f"Dataset {info.name!r} has no labels, but a conditional model needs "
                         "them (folders: one sub-folder per class; TFRecords and TFDS: "
                         "--label-key).")
    if info.num_examples < batch_size:
        raise ValueError(
            f"Dataset {info.name!r} ({split}) has {info.num_examples} examples, fewer than one batch "
            f"of {batch_size}: it would yield no batch. Use a smaller --batch-size or more data.")
    dataset = images.finished(shuffle, seed)
    dataset = dataset.map(lambda image, label: (scale_images(image), label) if with_labels
                          else scale_images(image), num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return sharded(dataset, images.by_file), info
