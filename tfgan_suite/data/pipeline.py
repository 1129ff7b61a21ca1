"""One entry point from a dataset name or path to a distributed-ready `tf.data` pipeline.

`load_dataset` reads a source (`sources`), or with `domains` ("unpaired" or "paired") two domains
for image-to-image models (`two_domains`: the embedded `mnist_style_pair`, `A,B` sources or an
.npz of arrays `a` and `b`). Images come out float32 in [-1, 1], shuffled, batched with
`drop_remainder`, prefetched.
"""

import numpy as np
import tensorflow as tf

from tfgan_suite.data.sources import DatasetInfo, load_arrays, scale_images, tfds_source
from tfgan_suite.data.two_domains import load_two_domains


def _scaled_images(images, labels):
    return scale_images(images)


def _scaled_with_labels(images, labels):
    return scale_images(images), tf.cast(labels, tf.int32)


def load_dataset(source, batch_size, split="train", with_labels=False, num_replicas=1,
                 shuffle=True, seed=0, manual_dir=None, data_dir=None, domains=None):
    """(dataset, DatasetInfo): batches of images, or (images, labels) with `with_labels`, or
    (domain_a, domain_b) with `domains` "unpaired" or "paired" (image-to-image models).

    `batch_size` is the GLOBAL batch: it must divide evenly among `num_replicas`.
    """
    if batch_size < 1 or batch_size % num_replicas:
        raise ValueError(
            f"The global batch size {batch_size} must be a positive multiple of the {num_replicas} "
            f"replicas, so every replica gets the same share; try {max(1, batch_size // num_replicas) * num_replicas}.")
    if domains is not None:
        dataset, info = load_two_domains(source, batch_size, domains, split, shuffle, seed,
                                         manual_dir, data_dir)
        return _sharded_by_batch(dataset), info
    arrays = load_arrays(source, split)
    if arrays is None:
        dataset, info = tfds_source(str(source), split, manual_dir, data_dir)
    else:
        images, labels, num_classes, name = arrays
        info = DatasetInfo(name, tuple(images.shape[1:]), num_classes, len(images))
        if with_labels and labels is None:
            raise ValueError(f"Dataset {name!r} has no labels, but a conditional model needs them.")
        dataset = tf.data.Dataset.from_tensor_slices((images, labels if labels is not None
                                                      else np.zeros(len(images), np.int32)))
    if info.num_examples < batch_size:
        raise ValueError(
            f"Dataset {info.name!r} ({split}) has {info.num_examples} examples, fewer than one batch "
            f"of {batch_size}: it would yield no batch. Use a smaller --batch-size or more data.")
    if shuffle:
        dataset = dataset.shuffle(min(info.num_examples, 65536), seed=seed,
                                  reshuffle_each_iteration=True)
    dataset = dataset.map(_scaled_with_labels if with_labels else _scaled_images,
                          num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return _sharded_by_batch(dataset), info


def _sharded_by_batch(dataset):
    """In-memory data has no files to shard by; shard by batch across workers."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)
