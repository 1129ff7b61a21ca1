"""Feature extractors: images in [-1, 1] -> (features, logits), computed batch by batch.

Three kinds, and every reported number names the one it used ("FID[fid-inception]",
"FID[inception]", "FID[mnist-classifier]"):

- ``fid-inception``: the Inception network of the FID literature (Heusel et al. 2017; TF-GAN's and
  TF-Hub's ``tfgan/eval/inception``, pytorch-fid's ``pt_inception`` weights), loaded from a local
  SavedModel or ``.keras`` file the user gives (`fid_inception_extractor`; nothing is downloaded).
  Only its FIDs, KIDs and Inception scores are comparable to published ones, and only when taken
  with the papers' protocol (e.g. 50,000 samples against the training set's statistics).
- ``inception``: Keras's InceptionV3 with ImageNet weights (``keras.applications``), pool3 (2048-d)
  and its 1000 logits. It is NOT the FID network (other weights, other graph details), so its
  numbers compare runs with each other, not with papers. It needs the ImageNet weights, from the
  Keras cache or downloaded once; offline without them it raises a clear error.
- ``<dataset>-classifier``: small LeNet-style classifiers trained on the real data by
  ``python -m tfgan_suite.metrics.train_classifiers`` and shipped in ``networks/weights/`` (the
  recipe TF-GAN used for its MNIST metrics: a conv net whose fc layer gives the features and whose
  logits give the score). They work offline. Shipped: MNIST and Fashion-MNIST; CIFAR-10 is not,
  since no copy of it was available to train on.
"""

import functools
import hashlib
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfgan_suite.networks.classifier import (CLASSIFIER_DATASETS, CLASSIFIER_IMAGE_SHAPE,
                                              classifier_name, classifier_weights_path,
                                              load_classifier)


INCEPTION = "inception"
INCEPTION_IMAGE_SIZE = 299
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
INCEPTION_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/" + INCEPTION_WEIGHTS_FILE
)
INCEPTION_WEIGHTS_MD5 = "9a0d58056eeedaa3f26cb7ebd46da564"  # as in keras.applications.inception_v3

# Slack for float round-off when checking that images are in [-1, 1].
_RANGE_TOLERANCE = 1e-3


def available_extractors():
    """Names accepted by `get_extractor`."""
    return tuple(classifier_name(d) for d in CLASSIFIER_DATASETS) + (INCEPTION,)


# The data each shipped classifier was trained on, by the names `load_dataset` takes (TFDS names
# may carry a version, "mnist:3.0.1"): its classes are the data's own.
CLASSIFIED_DATA = {"mnist_embedded": "mnist", "mnist": "mnist", "fashion_mnist": "fashion_mnist"}


def data_classifier(data):
    """The shipped classifier trained on `data`'s classes ("mnist-classifier" for mnist and
    mnist_embedded, "fashion_mnist-classifier" for fashion_mnist), None for other data."""
    dataset = CLASSIFIED_DATA.get(str(data).split(":")[0])
    return classifier_name(dataset) if dataset else None


def extractor_for_data(data, image_shape=CLASSIFIER_IMAGE_SHAPE):
    """The extractor that fits images of `image_shape` from `data`: for 28x28 grey images the
    shipped classifier of the data (`data_classifier`), else MNIST's; for any other shape
    "inception" (Keras's InceptionV3; see the module docstring for what its numbers compare with)."""
    if tuple(image_shape) != CLASSIFIER_IMAGE_SHAPE:
        return INCEPTION
    return data_classifier(data) or classifier_name("mnist")


class FeatureExtractor:
    """A network mapping images in [-1, 1] to (features, logits), run batch by batch.

    Attributes:
      name: the extractor's name, used in metric names ("FID[<name>]").
      weights_id: identifies the weights (a hash prefix), so cached features of other weights are
        never mixed in.
      image_shape: the [H, W, C] it accepts, or None for any size (it resizes).
      feature_dim, num_classes: widths of the two outputs.
    """

    def __init__(self, name, network, weights_id, image_shape=None, preprocess=None, widths=None):
        """`network`: a Keras model with the two outputs, or (with `widths`, the two outputs'
        widths) any callable images -> (features, logits), e.g. a loaded SavedModel's."""
        self.name = name
        self.weights_id = weights_id
        self.image_shape = image_shape
        self._preprocess = preprocess or (lambda images: images)
        if widths is None:
            features_spec, logits_spec = network.outputs
            widths = (int(features_spec.shape[-1]), int(logits_spec.shape[-1]))
            call = lambda images: network(images, training=False)  # noqa: E731
        else:
            call = network
        self.feature_dim, self.num_classes = widths
        self._forward = tf.function(lambda images: call(self._preprocess(images)), reduce_retracing=True)

    def _check_batch(self, batch):
        batch = np.asarray(batch, dtype=np.float32)
        if self.image_shape:
            expected = "[N, " + ", ".join(map(str, self.image_shape)) + "]"
        else:
            expected = "[N, H, W, 1 or 3]"
        ok = batch.ndim == 4 and (
            tuple(batch.shape[1:]) == tuple(self.image_shape) if self.image_shape else batch.shape[-1] in (1, 3)
        )
        if not ok:
            raise ValueError(f"extractor {self.name!r} takes images of shape {expected}; got {batch.shape}")
        if batch.size and (batch.min() < -1 - _RANGE_TOLERANCE or batch.max() > 1 + _RANGE_TOLERANCE):
            raise ValueError(
                f"extractor {self.name!r} takes images in [-1, 1] (the generators' tanh range); got values in "
                f"[{batch.min():.3g}, {batch.max():.3g}] (for uint8 images use x / 127.5 - 1)"
            )
        return batch

    def extract(self, images, batch_size=500):
        """Features and logits of `images`, computed `batch_size` images at a time.

        Args:
          images: an array [N, H, W, C], or an iterable of such batches (e.g. a generator drawing
            samples, or a tf.data.Dataset), so that 50k images never need to be in memory at once.
          batch_size: images per forward pass when `images` is an array.

        Returns:
          (features [N, feature_dim], logits [N, num_classes]) float32 numpy arrays.
        """
        if isinstance(images, np.ndarray):
            batches = (images[start : start + batch_size] for start in range(0, len(images), batch_size))
        else:
            batches = images
        features, logits = [], []
        for batch in batches:
            batch_features, batch_logits = self._forward(tf.constant(self._check_batch(batch)))
            features.append(batch_features.numpy())
            logits.append(batch_logits.numpy())
        if not features:
            raise ValueError(f"extractor {self.name!r} got no images")
        return np.concatenate(features), np.concatenate(logits)


def _classifier_extractor(dataset):
    classifier = load_classifier(dataset)
    network = keras.Model(
        classifier.inputs, [classifier.get_layer("features").output, classifier.get_layer("logits").output]
    )
    weights_id = hashlib.sha256(classifier_weights_path(dataset).read_bytes()).hexdigest()[:12]
    return FeatureExtractor(classifier_name(dataset), network, weights_id, image_shape=CLASSIFIER_IMAGE_SHAPE)


def default_keras_cache_dir():
    """Where keras.utils.get_file caches downloads: $KERAS_HOME, else ~/.keras."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))


def inception_weights_path(cache_dir=None, allow_download=True):
    """Path of the InceptionV3 ImageNet weights, downloading them into the Keras cache if allowed."""
    cache_dir = Path(cache_dir) if cache_dir else default_keras_cache_dir()
    path = cache_dir / "models" / INCEPTION_WEIGHTS_FILE
    if path.exists():
        return path
    offline_hint = (
        f"FID[{INCEPTION}] needs the InceptionV3 ImageNet weights ({INCEPTION_WEIGHTS_URL}) at {path}. "
        f"Copy that file there, or use an offline extractor: {', '.join(available_extractors()[:-1])}."
    )
    if not allow_download:
        raise FileNotFoundError(f"InceptionV3 weights not found and downloading is disabled. {offline_hint}")
    try:
        return Path(
            keras.utils.get_file(
                INCEPTION_WEIGHTS_FILE, INCEPTION_WEIGHTS_URL, cache_dir=str(cache_dir),
                cache_subdir="models", file_hash=INCEPTION_WEIGHTS_MD5,
            )
        )
    except Exception as error:  # get_file raises plain Exception on network errors
        raise OSError(f"could not download the InceptionV3 weights ({error}). {offline_hint}") from error


def inception_preprocess(images):
    """[N, H, W, 1 or 3] in [-1, 1] -> [N, 299, 299, 3] in [-1, 1], InceptionV3's input.

    keras' InceptionV3 expects [-1, 1] (its `preprocess_input` maps [0, 255] there), which is
    already the generators' range, so only the size and the channels change.
    """
    images = tf.image.resize(images, (INCEPTION_IMAGE_SIZE, INCEPTION_IMAGE_SIZE), method="bilinear")
    if images.shape[-1] == 1:
        images = tf.tile(images, [1, 1, 1, 3])
    return images


def inception_extractor(weights):
    """InceptionV3 as an extractor: pool3 ("avg_pool", 2048-d) features and the 1000 ImageNet logits.

    `weights`: path of the ImageNet weights file (see `inception_weights_path`), or None for a
    random initialisation, whose numbers mean nothing but whose shapes and speed are the real ones.
    """
    # classifier_activation=None: the top layer then gives logits, which the Inception score needs.
    base = keras.applications.InceptionV3(
        include_top=True, weights=None if weights is None else str(weights), classifier_activation=None
    )
    network = keras.Model(base.inputs, [base.get_layer("avg_pool").output, base.outputs[0]])
    weights_id = "random" if weights is None else INCEPTION_WEIGHTS_MD5[:12]
    return FeatureExtractor(INCEPTION, network, weights_id, preprocess=inception_preprocess)


FID_INCEPTION = "fid-inception"
FID_FEATURE_WIDTH = 2048  # pool3 of the FID Inception network (Heusel et al. 2017)
FID_INPUT_SHAPE = (INCEPTION_IMAGE_SIZE, INCEPTION_IMAGE_SIZE, 3)


def _file_digest(path):
    """sha256 of a file, or of every file of a directory (a SavedModel) in name order."""
    digest = hashlib.sha256()
    files = sorted(p for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() else [Path(path)]
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _fid_network(path):
    """(callable images -> {name: tensor}, input shape, {output name: width}) of the network saved
    at `path`: a Keras `.keras` file or a SavedModel directory (its `serving_default`)."""
    path = Path(path)
    if path.suffix == ".keras" and path.is_file():
        model = keras.models.load_model(path, compile=False)
        if len(model.inputs) != 1:
            raise ValueError(f"--fid-inception {path} takes {len(model.inputs)} inputs; the FID "
                             "Inception network takes one batch of images.")
        names = [f"output_{i}" for i in range(len(model.outputs))]
        widths = {name: int(output.shape[-1]) for name, output in zip(names, model.outputs)}
        forward = lambda images: dict(zip(names, tf.nest.flatten(model(images, training=False))))  # noqa: E731
        return forward, tuple(model.inputs[0].shape[1:]), widths
    if (path / "saved_model.pb").is_file():
        loaded = tf.saved_model.load(str(path))
        if "serving_default" not in loaded.signatures:
            raise ValueError(f"--fid-inception {path}: the SavedModel has no serving_default "
                             f"signature (it has {sorted(loaded.signatures)}).")
        signature = loaded.signatures["serving_default"]
        inputs = signature.structured_input_signature[1]
        if len(inputs) != 1:
            raise ValueError(f"--fid-inception {path} takes the inputs {sorted(inputs)}; the FID "
                             "Inception network takes one batch of images.")
        (input_name, input_spec), = inputs.items()
        widths = {name: int(spec.shape[-1]) for name, spec in signature.structured_outputs.items()}
        # The loaded object owns the signature's variables: the closure keeps it alive.
        forward = lambda images: loaded.signatures["serving_default"](**{input_name: images})  # noqa: E731
        return forward, tuple(input_spec.shape[1:]), widths
    raise FileNotFoundError(f"--fid-inception {path}: give the FID Inception network as a "
                            "SavedModel directory or a .keras file.")


def fid_inception_extractor(path):
    """The FID Inception network (the one the FID literature uses: TF-GAN's / TF-Hub's
    `tfgan/eval/inception`, or pytorch-fid's pt_inception weights converted) from a local file the
    user gives, as an extractor: features = its 2048-wide pool3 output, logits = its other output
    (1008 classes for TF-GAN's). It takes [N, 299, 299, 3] images in [-1, 1] (TF-GAN's input;
    smaller or grey images are resized and tiled as for `inception`). Checked on load: one clear
    error unless the input is 299x299x3 and the outputs are a 2048-wide pool3 and the logits."""
    forward, input_shape, widths = _fid_network(path)
    if tuple(input_shape) != FID_INPUT_SHAPE:
        raise ValueError(f"--fid-inception {path} takes images of shape {list(input_shape)}; the FID "
                         f"Inception network takes {list(FID_INPUT_SHAPE)}.")
    pool = [name for name, width in widths.items() if width == FID_FEATURE_WIDTH]
    if len(widths) != 2 or len(pool) != 1:
        raise ValueError(f"--fid-inception {path} has outputs {widths} (name: width); the FID "
                         f"Inception network has two: its {FID_FEATURE_WIDTH}-wide pool3 features "
                         "and its logits.")
    logits, = (name for name in widths if name != pool[0])

    def features_and_logits(images):
        outputs = forward(images)
        return tf.reshape(outputs[pool[0]], [-1, FID_FEATURE_WIDTH]), outputs[logits]

    return FeatureExtractor(FID_INCEPTION, features_and_logits, _file_digest(path)[:12],
                            preprocess=inception_preprocess, widths=(FID_FEATURE_WIDTH, widths[logits]))


@functools.lru_cache(maxsize=None)
def get_extractor(name, allow_download=True):
    """The extractor called `name` (see `available_extractors()`), built once per process.

    `allow_download` only matters for "inception": False makes a missing weights file an error
    instead of a download (tests and benchmarks never download).
    """
    if name == INCEPTION:
        return inception_extractor(inception_weights_path(allow_download=allow_download))
    for dataset in CLASSIFIER_DATASETS:
        if name == classifier_name(dataset):
            return _classifier_extractor(dataset)
    raise ValueError(f"unknown extractor {name!r}; available: {', '.join(available_extractors())}")
