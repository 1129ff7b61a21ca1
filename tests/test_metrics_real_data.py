"""Sanity of FID[mnist-classifier] on real MNIST: small between splits, rising with corruption."""

import json

import numpy as np
import pytest
import tensorflow as tf

from helpers import shared_dataset
from tfgan_suite.data import load_dataset
from tfgan_suite.metrics import extractors, functions, reference

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = [pytest.mark.xdist_group("test_metrics_real_data"),
              pytest.mark.slow]  # prepares MNIST through TFDS and extracts 70k images' features

NUM = 2000  # images per set: enough for a stable 128-d covariance, small enough for CI


def _real_images(dataset, split, tmp_path_factory):
    manual_dir = shared_dataset(dataset)
    # One data_dir per dataset: TFDS caches extracted archives by file name, shared by both MNISTs.
    data_dir = tmp_path_factory.mktemp(f"tfds_{dataset}")
    batches = reference.reference_batches(dataset, split, NUM, data_dir=data_dir,
                                          manual_dir=manual_dir)
    return np.concatenate(list(batches))[:NUM]


@pytest.fixture(scope="module")
def mnist_features(tmp_path_factory):
    """Features of NUM MNIST train images (TFDS, offline) and NUM test images (the embedded split)."""
    extractor = extractors.get_extractor("mnist-classifier")
    train = _real_images("mnist", "train", tmp_path_factory)
    test = np.concatenate(list(reference.reference_batches("mnist_embedded", "test", NUM)))
    return extractor, extractor.extract(train)[0], test, extractor.extract(test)[0]


def _blur(images, sigma):
    radius = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps = (taps / taps.sum()).astype(np.float32)
    kernel = tf.constant(np.outer(taps, taps)[:, :, None, None])
    return tf.nn.conv2d(images, kernel, strides=1, padding="SAME").numpy()


def test_fid_small_between_splits_and_rising_with_corruption(mnist_features):
    extractor, train_features, test_images, test_features = mnist_features
    rng = np.random.default_rng(0)

    def fid_to_train(images):
        return functions.frechet_distance(train_features, extractor.extract(images)[0])

    between_splits = functions.frechet_distance(train_features, test_features)
    noise = [fid_to_train(np.clip(test_images + s * rng.standard_normal(test_images.shape), -1, 1)
                          .astype(np.float32)) for s in (0.1, 0.2, 0.4, 0.8)]
    blur = [fid_to_train(_blur(test_images, s)) for s in (0.5, 1.0, 1.5, 2.0)]
    uniform = fid_to_train(rng.uniform(-1, 1, test_images.shape).astype(np.float32))
    print(json.dumps({"FID[mnist-classifier]": {
        "test_vs_train": between_splits, "gaussian_noise_sigma_0.1_0.2_0.4_0.8": noise,
        "gaussian_blur_sigma_0.5_1_1.5_2": blur, "uniform_noise": uniform}}))
    assert between_splits < 0.05 * noise[-1]
    assert np.all(np.diff(noise) > 0) and noise[0] > between_splits
    assert np.all(np.diff(blur) > 0) and blur[0] > between_splits
    assert uniform > 100 * between_splits and uniform > max(noise[-1], blur[-1])


def test_kid_and_precision_recall_between_real_splits(mnist_features):
    _, train_features, _, test_features = mnist_features
    kid, kid_std = functions.kernel_inception_distance(train_features, test_features)
    precision, recall = functions.precision_recall(train_features, test_features)
    assert abs(kid) < 3 * kid_std + 1e-3
    assert precision > 0.7 and recall > 0.7


@pytest.mark.slow  # prepares a second TFDS dataset (~10-25 s)
def test_fashion_classifier_on_real_fashion_mnist(tmp_path_factory):
    manual_dir = shared_dataset("fashion_mnist")
    batches, _ = load_dataset("fashion_mnist", 500, split="test", with_labels=True, shuffle=False,
                              manual_dir=manual_dir,
                              data_dir=tmp_path_factory.mktemp("tfds_fashion_mnist"))
    images, labels = (np.concatenate(parts) for parts in zip(*batches.take(NUM // 500).as_numpy_iterator()))
    features, logits = extractors.get_extractor("fashion_mnist-classifier").extract(images)
    assert features.shape == (NUM, 128)
    assert np.mean(logits.argmax(axis=1) == labels) > 0.9
    # Confident, class-balanced predictions on real data: the Inception score nears the 10 classes.
    assert functions.inception_score(logits)[0] > 7.0
