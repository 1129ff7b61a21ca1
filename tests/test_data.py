"""`load_dataset`: embedded, generated, npz, folder and TFDS (offline) sources, and its errors."""

import numpy as np
import pytest
from PIL import Image

from helpers import shared_dataset
from tfgan_suite.data import load_dataset
from tfgan_suite.data.toy import mode_coverage, toy_modes, toy_samples


def first_batch(dataset):
    return next(iter(dataset))


def test_embedded_mnist_is_the_real_test_split_scaled_to_minus_one_one():
    dataset, info = load_dataset("mnist_embedded", 32, with_labels=True, shuffle=False)
    images, labels = first_batch(dataset)
    assert (info.image_shape, info.num_classes, info.num_examples) == ((28, 28, 1), 10, 10000)
    assert images.shape == (32, 28, 28, 1) and images.dtype.name == "float32"
    assert images.numpy().min() == -1.0 and images.numpy().max() == 1.0
    # The first MNIST test digits are 7, 2, 1, 0, 4.
    assert labels.numpy()[:5].tolist() == [7, 2, 1, 0, 4]
    assert sum(1 for _ in dataset) == 10000 // 32  # drop_remainder


def test_ring_points_lie_on_their_modes():
    points, labels = toy_samples("ring8", 4000)
    modes, std = toy_modes("ring8")
    assert np.linalg.norm(points - modes[labels], axis=1).max() < 6 * std
    # A 2-D Gaussian keeps 1 - exp(-9/2) = 98.9% of its mass within 3 sigma.
    assert mode_coverage(points, "ring8") == (8, pytest.approx(1 - np.exp(-4.5), abs=0.005))
    assert mode_coverage(np.zeros((100, 2)), "ring8") == (0, 0.0)
    dataset, info = load_dataset("grid25", 64)
    assert first_batch(dataset).shape == (64, 2) and info.num_classes == 25


def test_npz_and_folder_sources(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (20, 8, 8, 3), dtype=np.uint8)
    np.savez(tmp_path / "set.npz", images=images, labels=np.arange(20) % 2)
    dataset, info = load_dataset(tmp_path / "set.npz", 4, with_labels=True, shuffle=False)
    batch, labels = first_batch(dataset)
    np.testing.assert_allclose(batch.numpy(), images[:4] / 127.5 - 1, atol=1e-6)
    assert info.num_classes == 2 and labels.numpy().tolist() == [0, 1, 0, 1]

    for cls in ("cats", "dogs"):
        (tmp_path / "folder" / cls).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(images[i, :, :, 0]).save(tmp_path / "folder" / cls / f"{i}.png")
    dataset, info = load_dataset(tmp_path / "folder", 2, with_labels=True, shuffle=False)
    assert (info.image_shape, info.num_classes, info.num_examples) == ((8, 8, 1), 2, 6)
    assert sorted(int(y) for _, ys in dataset for y in ys) == [0, 0, 0, 1, 1, 1]


@pytest.mark.parametrize("call, message", [
    (lambda tmp: load_dataset("no_such_dataset_xyz", 8), r"Unknown dataset 'no_such_dataset_xyz'"),
    (lambda tmp: load_dataset("mnist_embedded", 10, num_replicas=4),
     r"global batch size 10 must be a positive multiple of the 4 replicas"),
    (lambda tmp: load_dataset("mnist_embedded", 20000), r"10000 examples, fewer than one batch of 20000"),
    (lambda tmp: load_dataset(tmp / "missing.npz", 8), r"No such .npz file"),
    (lambda tmp: load_dataset(tmp / "empty", 8), r"holds no images"),
    (lambda tmp: load_dataset(tmp / "nolabels.npz", 8, with_labels=True), r"has no labels"),
    (lambda tmp: load_dataset(tmp / "wrongkeys.npz", 8), r"needs one called 'images' or 'x'"),
])
def test_bad_data_gets_one_clear_error(call, message, tmp_path):
    (tmp_path / "empty").mkdir()
    np.savez(tmp_path / "nolabels.npz", images=np.zeros((16, 4, 4), np.uint8))
    np.savez(tmp_path / "wrongkeys.npz", pictures=np.zeros((16, 4, 4), np.uint8))
    with pytest.raises(ValueError, match=message):
        call(tmp_path)


@pytest.mark.slow
def test_tfds_prepares_offline_from_manual_dir(tmp_path):
    loaded = {}
    for name in ("mnist", "fashion_mnist"):  # one data_dir for both, as ~/tensorflow_datasets is
        dataset, info = load_dataset(name, 100, split="test", with_labels=True, shuffle=False,
                                     manual_dir=shared_dataset(name), data_dir=tmp_path)
        images, labels = first_batch(dataset)
        assert (info.image_shape, info.num_classes, info.num_examples) == ((28, 28, 1), 10, 10000)
        assert images.shape == (100, 28, 28, 1)
        assert -1.0 <= images.numpy().min() < images.numpy().max() <= 1.0
        loaded[name] = images.numpy()
    # MNIST and Fashion-MNIST archives share file names; each must still get its own images:
    # mean pixel 0.13 for MNIST digits, 0.29 for Fashion-MNIST clothes (in [0, 1]).
    assert loaded["mnist"].mean() < -0.65 < -0.55 < loaded["fashion_mnist"].mean()
