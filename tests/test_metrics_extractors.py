"""Feature extractors (shipped classifiers, InceptionV3 offline behaviour) and the reference cache."""

import json

import numpy as np
import pytest

from tfgan_suite.data import load_arrays
from tfgan_suite.metrics import extractors, reference
from tfgan_suite.networks import classifier

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_metrics_extractors")

# The test accuracy the shipped classifiers must reach.
ACCURACY_GOALS = {"mnist": 0.99, "fashion_mnist": 0.91}


@pytest.fixture(scope="module")
def mnist_test():
    """MNIST's test split, embedded in the package: (images in [-1, 1], labels)."""
    images, labels, _, _ = load_arrays("mnist_embedded")
    return images.astype(np.float32) / 127.5 - 1.0, labels


@pytest.mark.parametrize("dataset", extractors.CLASSIFIER_DATASETS)
def test_shipped_classifier_is_small_and_records_its_accuracy(dataset):
    info = json.loads(classifier.classifier_info_path(dataset).read_text())
    size = classifier.classifier_weights_path(dataset).stat().st_size
    assert info["test_accuracy"] >= ACCURACY_GOALS[dataset]
    assert info["weights_bytes"] == size < 1_000_000
    extractor = extractors.get_extractor(extractors.classifier_name(dataset))
    assert (extractor.feature_dim, extractor.num_classes) == (info["feature_dim"], 10)


def test_mnist_classifier_accuracy_on_the_embedded_test_split(mnist_test):
    images, labels = mnist_test
    extractor = extractors.get_extractor("mnist-classifier")
    features, logits = extractor.extract(images[:2000], batch_size=500)
    assert features.shape == (2000, 128) and logits.shape == (2000, 10)
    assert np.mean(logits.argmax(axis=1) == labels[:2000]) >= 0.985


def test_extraction_streams_batches_with_the_same_result(mnist_test):
    images = mnist_test[0][:300]
    extractor = extractors.get_extractor("mnist-classifier")
    whole = extractor.extract(images, batch_size=300)
    chunked = extractor.extract(images, batch_size=64)
    from_iterable = extractor.extract(iter([images[:100], images[100:]]))
    for result in (chunked, from_iterable):
        np.testing.assert_allclose(result[0], whole[0], rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(result[1], whole[1], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((4, 32, 32, 3), np.float32), r"shape \[N, 28, 28, 1\]"),
        (np.zeros((4, 28, 28), np.float32), r"shape \[N, 28, 28, 1\]"),
        (np.full((4, 28, 28, 1), 255.0, np.float32), r"in \[-1, 1\]"),
        (np.zeros((0, 28, 28, 1), np.float32), "no images"),
    ],
)
def test_bad_images_raise_one_clear_error(images, message):
    with pytest.raises(ValueError, match=message):
        extractors.get_extractor("mnist-classifier").extract(images)


def test_unknown_extractor_lists_the_available_ones():
    with pytest.raises(ValueError, match="unknown extractor 'vgg'.*mnist-classifier.*inception"):
        extractors.get_extractor("vgg")


def test_inception_without_weights_offline_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="InceptionV3 weights not found.*mnist-classifier"):
        extractors.get_extractor("inception", allow_download=False)


@pytest.mark.slow  # builds InceptionV3 (24M parameters) and runs it at 299x299
def test_inception_extractor_gives_pool3_features_and_imagenet_logits():
    extractor = extractors.inception_extractor(weights=None)  # random weights: shapes only
    gray = np.zeros((3, 28, 28, 1), np.float32)
    features, logits = extractor.extract(gray, batch_size=2)
    assert (extractor.name, features.shape, logits.shape) == ("inception", (3, 2048), (3, 1000))
    assert extractor.extract(np.zeros((2, 32, 32, 3), np.float32))[0].shape == (2, 2048)


def test_inception_preprocess_resizes_and_replicates_channels():
    gray = np.linspace(-1, 1, 2 * 28 * 28, dtype=np.float32).reshape(2, 28, 28, 1)
    out = extractors.inception_preprocess(gray).numpy()
    assert out.shape == (2, 299, 299, 3)
    assert out.min() >= -1.0 and out.max() <= 1.0
    np.testing.assert_array_equal(out[..., 0], out[..., 2])


def test_reference_features_are_cached_by_dataset_split_and_extractor(tmp_path, monkeypatch):
    features, logits = reference.reference_features("mnist_embedded", "test", "mnist-classifier", num=600,
                                                    cache_dir=tmp_path, batch_size=250)
    assert features.shape == (600, 128) and logits.shape == (600, 10)
    weights_id = extractors.get_extractor("mnist-classifier").weights_id
    expected = f"mnist_embedded-test-mnist-classifier@{weights_id}-600.npz"
    assert [p.name for p in tmp_path.iterdir()] == [expected]

    def no_data(*args, **kwargs):
        raise AssertionError("the cached features should have been used")

    monkeypatch.setattr(reference, "reference_batches", no_data)
    cached = reference.reference_features("mnist_embedded", "test", "mnist-classifier", num=600,
                                          cache_dir=tmp_path)
    np.testing.assert_array_equal(cached[0], features)
    np.testing.assert_array_equal(cached[1], logits)
