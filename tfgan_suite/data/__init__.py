"""Data: where images come from (`files`: folders, globs, file lists and TFRecords, streamed;
`sources`: embedded sets, `.npz`, TFDS), how they become one shape (`images`), two-domain data for
image-to-image models (`two_domains`), the 2-D toys of the mode-collapse literature (`toy`), and
`load_dataset`, the one entry point to a distributed-ready `tf.data` pipeline (`pipeline`)."""

from tfgan_suite.data.images import RESIZE_MODES, ImageOptions
from tfgan_suite.data.pipeline import load_dataset
from tfgan_suite.data.sources import (CHECKOUT_DATASETS, DATA_FILES, DatasetInfo, TfdsImages,
                                      embedded_names, load_arrays, read_idx, scale_images,
                                      tfds_arrays)

__all__ = ["CHECKOUT_DATASETS", "DATA_FILES", "DatasetInfo", "ImageOptions", "RESIZE_MODES",
           "TfdsImages", "embedded_names", "load_arrays", "load_dataset", "read_idx",
           "scale_images", "tfds_arrays"]
