"""Two-domain data: the embedded style pair (disjoint halves, a known non-linear style map and its
inverse), unpaired and paired .npz / folder sources, and clear errors for one-domain sources."""

import numpy as np
import pytest
from PIL import Image

from tfgan_suite.data import two_domains
from tfgan_suite.data import load_dataset, read_idx, DATA_FILES
from tfgan_suite.metrics.extractors import load_classifier


def test_the_embedded_pair_draws_its_domains_from_disjoint_digits():
    a, b, _ = two_domains.style_pair_arrays("train")
    digits = read_idx(DATA_FILES / "t10k-images-idx3-ubyte.gz")[..., None]
    half = two_domains.TRAIN_IMAGES // 2
    np.testing.assert_array_equal(a, digits[:half])
    np.testing.assert_array_equal(b, two_domains.style_digits(digits[half:two_domains.TRAIN_IMAGES]))
    test_a, test_b, _ = two_domains.style_pair_arrays("test")
    np.testing.assert_array_equal(test_b, two_domains.style_digits(test_a))
    assert len(test_a) == len(digits) - two_domains.TRAIN_IMAGES


def test_the_style_map_is_not_pixel_wise_and_its_inverse_keeps_the_class():
    dot = np.zeros((1, 28, 28, 1), np.uint8)
    dot[0, 10, 10] = 255
    styled = two_domains.style_digits(dot)
    # One lit pixel lights its 3x3 neighbourhood (dilation), painted the stroke colour.
    lit = np.all(styled[0] == np.round(two_domains.STROKE_COLOUR * 255), axis=-1)
    assert lit.sum() == 9 and lit[9:12, 9:12].all()
    a, b, labels = two_domains.style_pair_arrays("test")
    recovered = two_domains.unstyle(b / 127.5 - 1)
    assert np.abs(recovered - (a / 127.5 - 1)).mean() < 0.05
    predicted = load_classifier("mnist").predict(recovered, verbose=0, batch_size=500).argmax(1)
    assert (predicted == labels).mean() > 0.98
    # The plain background is not a digit: a wrong inverse would not keep the class.
    blank = two_domains.unstyle(np.broadcast_to(two_domains.BACKGROUND * 2 - 1, (1, 28, 28, 3)))
    assert blank.max() < -0.9


def test_unpaired_batches_come_from_both_domains_in_range():
    dataset, info = load_dataset("mnist_style_pair", 16, domains="unpaired")
    a, b = next(iter(dataset))
    assert (info.image_shape, info.image_shape_b, info.num_examples) == ((28, 28, 1), (28, 28, 3),
                                                                         4000)
    assert a.shape == (16, 28, 28, 1) and b.shape == (16, 28, 28, 3)
    assert -1.0 <= float(np.min(b)) and float(np.max(b)) <= 1.0 and float(np.min(a)) == -1.0


def test_paired_npz_keeps_its_pairs_and_folders_join_as_two_sources(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (12, 8, 8, 3), dtype=np.uint8)
    b = 255 - a  # b_i belongs to a_i
    np.savez(tmp_path / "pairs.npz", a=a, b=b)
    dataset, _ = load_dataset(tmp_path / "pairs.npz", 4, domains="paired", seed=3)
    for batch_a, batch_b in dataset:
        np.testing.assert_allclose(batch_b.numpy(), -batch_a.numpy(), atol=1e-6)
    for name, images in (("A", a), ("B", b[:8])):
        (tmp_path / name).mkdir()
        for i, image in enumerate(images):
            Image.fromarray(image).save(tmp_path / name / f"{i:02d}.png")
    dataset, info = load_dataset(f"{tmp_path / 'A'},{tmp_path / 'B'}", 4, domains="unpaired")
    assert info.num_examples == 8 and len(list(dataset)) == 2
    with pytest.raises(ValueError, match="Paired domains must hold as many images each"):
        load_dataset(f"{tmp_path / 'A'},{tmp_path / 'B'}", 4, domains="paired")


def test_one_domain_sources_get_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="train on two domains; 'mnist_embedded' is one"):
        load_dataset("mnist_embedded", 4, domains="unpaired")
    np.savez(tmp_path / "one.npz", images=np.zeros((4, 8, 8), np.uint8))
    with pytest.raises(ValueError, match="needs arrays 'a' and 'b'"):
        load_dataset(tmp_path / "one.npz", 4, domains="paired")
    with pytest.raises(ValueError, match="domains must be one of unpaired, paired"):
        load_dataset("mnist_style_pair", 4, domains="both")


def test_a_tfds_cycle_gan_config_gives_its_a_and_b_splits_as_the_domains(monkeypatch):
    """TFDS's cycle_gan sets hold each domain as a split (trainA, trainB, testA, testB); the
    archives cannot be fetched here, so TFDS's reading is stood in for by one image per split."""
    asked = []

    def one_image_per_split(name, split, manual_dir, data_dir):
        asked.append((name, split, manual_dir))
        return np.full((1, 8, 8, 3), len(asked), np.uint8), np.zeros(1, np.int64), None

    monkeypatch.setattr(two_domains.data, "tfds_arrays", one_image_per_split)
    a, b, _ = two_domains.domain_arrays("cycle_gan/horse2zebra", "test", manual_dir="archives")
    assert asked == [("cycle_gan/horse2zebra", split, "archives") for split in ("testA", "testB")]
    assert a.shape == b.shape == (1, 8, 8, 3) and (a == 1).all() and (b == 2).all()


def test_a_cycle_gan_config_needs_only_its_own_archive_in_the_manual_dir(tmp_path):
    # TFDS lists the archives of every cycle_gan config; horse2zebra downloads one of them.
    with pytest.raises(FileNotFoundError, match=r"lacks cycle_gan/horse2zebra's original files "
                                                r"horse2zebra.zip: put them there"):
        load_dataset("cycle_gan/horse2zebra", 4, domains="unpaired", manual_dir=tmp_path,
                     data_dir=tmp_path / "tfds")
