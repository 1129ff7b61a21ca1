"""Data: where images come from (`sources`: embedded sets, `.npz`, folders, TFDS), two-domain data
for image-to-image models (`two_domains`), the 2-D toys of the mode-collapse literature (`toy`), and
`load_dataset`, the one entry point to a distributed-ready `tf.data` pipeline (`pipeline`)."""

from tfgan_suite.data.pipeline import load_dataset
from tfgan_suite.data.sources import (CHECKOUT_DATASETS, DATA_FILES, DatasetInfo, embedded_names,
                                      load_arrays, read_idx, scale_images, tfds_arrays, tfds_source)

__all__ = ["CHECKOUT_DATASETS", "DATA_FILES", "DatasetInfo", "embedded_names", "load_arrays",
           "load_dataset", "read_idx", "scale_images", "tfds_arrays", "tfds_source"]
