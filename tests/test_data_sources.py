"""Own data, streamed: folders of mixed sizes and formats (unreadable and non-image files skipped
with a warning naming them), globs, TFRecords, labelled and unlabelled TFDS sets prepared offline;
the resize modes and channel conversions; splits; a 2-worker run on a folder; the train flags."""

import json
import logging
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from helpers import shared_dataset
from multi_worker import Cluster
from tfgan_suite.cli import main
from tfgan_suite.data import load_dataset

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.xdist_group("test_data_sources")  # one TFDS data_dir per run


def all_batches(dataset):
    return [tuple(np.asarray(t) for t in batch) if isinstance(batch, tuple) else np.asarray(batch)
            for batch in dataset]


def save(path, array, **kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, np.uint8)).save(path, **kwargs)


@pytest.fixture
def mixed_folder(tmp_path):
    """Two classes of photos of 5 sizes in JPEG, PNG (grey, RGBA, palette), GIF and BMP, plus an
    unreadable .jpg and a text file."""
    rng = np.random.default_rng(0)
    root = tmp_path / "photos"
    for i in range(5):
        save(root / "cats" / f"{i}.jpg", rng.integers(0, 256, (40 + 9 * i, 64, 3)), quality=90)
        save(root / "dogs" / f"{i}.png", rng.integers(0, 256, (50, 30 + 7 * i)))
    save(root / "dogs" / "rgba.png", rng.integers(0, 256, (24, 24, 4)))
    save(root / "dogs" / "palette.gif", rng.integers(0, 256, (30, 20, 3)).astype(np.uint8)[..., 0])
    save(root / "cats" / "bitmap.bmp", rng.integers(0, 256, (33, 33, 3)))
    Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)).convert("P").save(
        root / "cats" / "indexed.png")
    (root / "cats" / "unreadable.jpg").write_bytes(b"\xff\xd8\xff\xe0 a cut-off download")
    (root / "notes.txt").write_text("shot in 2019")
    return root


def test_a_folder_of_mixed_sizes_and_formats_trains_at_one_size_skipping_bad_files(
        mixed_folder, caplog):
    with caplog.at_level(logging.WARNING, logger="tfgan_suite.data"):
        dataset, info = load_dataset(mixed_folder, 5, image_size=16, with_labels=True, seed=1)
        batches = all_batches(dataset)
    assert (info.image_shape, info.num_classes, info.num_examples) == ((16, 16, 3), 2, 15)
    images = np.concatenate([images for images, _ in batches])
    labels = np.concatenate([labels for _, labels in batches])
    assert images.shape == (10, 16, 16, 3)  # 14 of the 15 images readable: 2 full batches of 5
    assert -1.0 <= images.min() and images.max() <= 1.0 and images.std() > 0.05
    assert set(labels) == {0, 1}
    warnings = [r.getMessage() for r in caplog.records]
    assert sum("unreadable.jpg: not a readable image" in w for w in warnings) == 1
    assert sum("notes.txt: not an image file" in w for w in warnings) == 1
    assert any("2 file(s) skipped in this pass" in w for w in warnings)
    # Without --image-size, differing sizes are one clear error naming the flag.
    with pytest.raises(ValueError, match=r"differ in size: give one with --image-size"):
        load_dataset(mixed_folder, 4)


def test_a_folder_of_unreadable_files_or_none_is_one_clear_error(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.jpg").write_bytes(b"html, not jpeg")
    (tmp_path / "bad" / "b.png").write_bytes(b"")
    with pytest.raises(ValueError, match=r"None of the 2 files sampled from .*bad is a readable"):
        load_dataset(tmp_path / "bad", 1)
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "readme.md").write_text("no images")
    with pytest.raises(ValueError, match=r"holds no images .*1 other file"):
        load_dataset(tmp_path / "text", 1)


def test_a_glob_and_a_list_of_files_with_their_own_size(tmp_path):
    rng = np.random.default_rng(1)
    for i in range(6):
        save(tmp_path / f"{i}.png", rng.integers(0, 256, (12, 10)))
    save(tmp_path / "other.bmp", rng.integers(0, 256, (12, 10)))
    dataset, info = load_dataset(str(tmp_path / "*.png"), 3, shuffle=False)
    assert (info.image_shape, info.num_examples, info.num_classes) == ((12, 10, 1), 6, None)
    first = np.asarray(Image.open(tmp_path / "0.png"))
    np.testing.assert_allclose(next(iter(dataset))[0, ..., 0], first / 127.5 - 1, atol=1e-6)
    dataset, info = load_dataset([tmp_path / "other.bmp", tmp_path / "5.png"], 2, channels=3)
    assert info.image_shape == (12, 10, 3) and next(iter(dataset)).shape == (2, 12, 10, 3)


def stripes(height, width):
    """Grey image: black outer eighths of the width, white in between."""
    image = np.zeros((height, width), np.uint8)
    image[:, width // 8: 7 * width // 8] = 255
    return image


@pytest.mark.parametrize("mode", ["crop", "pad", "stretch"])
def test_resize_modes(mode, tmp_path):
    save(tmp_path / "wide" / "a.png", stripes(40, 80))
    dataset, info = load_dataset(tmp_path / "wide", 1, image_size=20, resize=mode)
    image = next(iter(dataset)).numpy()[0, ..., 0]
    assert info.image_shape == (20, 20, 1)
    if mode == "crop":  # 40x80 -> 20x40 -> middle 20 columns: all white
        np.testing.assert_allclose(image, 1.0, atol=1e-6)
    elif mode == "pad":  # 40x80 -> 10x20, black bands above and below
        assert np.all(image[:5] == -1) and np.all(image[15:] == -1)
        assert np.all(image[5:15, 4:16] == 1) and np.all(image[5:15, :2] == -1)
    else:  # 40x80 -> 20x20: every row the squeezed stripes
        np.testing.assert_allclose(image, np.broadcast_to(image[0], image.shape))
        assert image[0, 10] == 1 and image[0, 0] == -1 and image[0, -1] == -1


def test_channel_conversions(tmp_path):
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 0] = 200  # pure red
    save(tmp_path / "rgb" / "a.png", rgb)
    save(tmp_path / "grey" / "a.png", np.full((8, 8), 100))
    rgba = np.concatenate([rgb, np.zeros((8, 8, 1), np.uint8)], -1)
    save(tmp_path / "rgba" / "a.png", rgba)
    Image.fromarray(rgb).convert("P").save(tmp_path / "palette.gif")

    def first(source, channels):
        dataset, info = load_dataset(source, 1, channels=channels)
        return (next(iter(dataset)).numpy()[0] + 1) * 127.5, info

    grey_as_rgb, info = first(tmp_path / "grey", 3)
    assert info.image_shape == (8, 8, 3) and np.allclose(grey_as_rgb, 100, atol=0.01)
    red_as_grey, _ = first(tmp_path / "rgb", 1)
    assert red_as_grey.shape == (8, 8, 1) and np.allclose(red_as_grey, round(0.2989 * 200), atol=1)
    rgba_default, info = first(tmp_path / "rgba", None)  # alpha dropped: RGB by default
    assert info.image_shape == (8, 8, 3) and np.allclose(rgba_default[..., 0], 200, atol=0.01)
    palette, info = first(str(tmp_path / "*.gif"), None)
    assert info.image_shape == (8, 8, 3) and palette[..., 0].mean() > 150 > palette[..., 1].mean()
    grey_default, info = first(tmp_path / "grey", None)
    assert info.image_shape == (8, 8, 1)
    with pytest.raises(ValueError, match="--channels must be 1"):
        load_dataset(tmp_path / "grey", 1, channels=4)


def write_tfrecords(folder, name, split, images, labels=None, shards=2):
    """`images` as PNG bytes in TFDS's layout: <name>-<split>.tfrecord-0000i-of-0000n."""
    for shard in range(shards):
        path = folder / f"{name}-{split}.tfrecord-{shard:05d}-of-{shards:05d}"
        with tf.io.TFRecordWriter(str(path)) as writer:
            for i in range(shard, len(images), shards):
                feature = {"picture": tf.train.Feature(bytes_list=tf.train.BytesList(
                    value=[tf.io.encode_png(images[i]).numpy()]))}
                if labels is not None:
                    feature["label"] = tf.train.Feature(
                        int64_list=tf.train.Int64List(value=[labels[i]]))
                writer.write(tf.train.Example(
                    features=tf.train.Features(feature=feature)).SerializeToString())


def test_tfrecords_with_an_image_key_labels_and_splits(tmp_path):
    values = np.arange(30, dtype=np.uint8) * 8
    images = np.broadcast_to(values[:, None, None, None], (30, 6, 6, 1)).copy()
    write_tfrecords(tmp_path, "shapes", "train", images, labels=np.arange(30) % 3)
    write_tfrecords(tmp_path, "shapes", "test", images[:10], labels=np.arange(10) % 3)
    with pytest.raises(ValueError, match=r"features \['label', 'picture'\] and no 'image': name "
                                         r"the encoded-image feature with --image-key"):
        load_dataset(tmp_path, 2)
    dataset, info = load_dataset(tmp_path, 5, image_key="picture", with_labels=True, seed=0)
    assert (info.image_shape, info.num_classes, info.num_examples) == ((6, 6, 1), 3, 30)
    seen = {int(round((image[0, 0, 0] + 1) * 127.5)): int(label)
            for images_, labels in dataset for image, label in zip(images_.numpy(), labels.numpy())}
    assert seen == {int(v): i % 3 for i, v in enumerate(values)}
    dataset, info = load_dataset(tmp_path, 2, split="test", image_key="picture", shuffle=False)
    assert info.num_examples == 10
    # A slice of the records in file order (shard 0 holds the even images, shard 1 the odd).
    dataset, info = load_dataset(str(tmp_path / "*train*"), 1, split="train[:50%]",
                                 image_key="picture", shuffle=False)
    firsts = sorted(int(round((b.numpy()[0, 0, 0, 0] + 1) * 127.5)) for b in dataset)
    assert info.num_examples == 15 and firsts == sorted(int(v) for v in values[0:30:2])
    with pytest.raises(ValueError, match=r"have no split 'validation'; they have test, train"):
        load_dataset(tmp_path, 2, split="validation", image_key="picture")


@pytest.fixture(scope="session")
def tfds_dir(tmp_path_factory):
    """One TFDS data_dir per session: MNIST prepared offline from the shared originals, and a
    tiny unlabelled set built by its own builder (no downloads)."""
    import tensorflow_datasets as tfds

    data_dir = tmp_path_factory.mktemp("tfds")
    load_dataset("mnist", 100, split="test", manual_dir=shared_dataset("mnist"), data_dir=data_dir)

    class TinyUnlabelledPhotos(tfds.core.GeneratorBasedBuilder):
        """Photos of several sizes and no label."""
        VERSION = tfds.core.Version("1.0.0")

        def _info(self):
            return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict(
                {"photo": tfds.features.Image(shape=(None, None, 3))}))

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples(12), "test": self._generate_examples(4)}

        def _generate_examples(self, count):
            rng = np.random.default_rng(count)
            for i in range(count):
                yield i, {"photo": rng.integers(0, 256, (20 + i, 30, 3), dtype=np.uint8)}

    tfds.builder("tiny_unlabelled_photos", data_dir=data_dir).download_and_prepare()
    return data_dir


def test_a_labelled_tfds_set_streams_its_split_and_slices(tfds_dir):
    dataset, info = load_dataset("mnist", 100, split="test[:10%]", with_labels=True,
                                 shuffle=False, data_dir=tfds_dir, image_size=32, channels=3)
    images, labels = next(iter(dataset))
    assert (info.image_shape, info.num_classes, info.num_examples) == ((32, 32, 3), 10, 1000)
    assert images.shape == (100, 32, 32, 3) and labels.numpy().max() <= 9
    assert images.numpy().mean() < -0.6  # dark digits on black, resized from 28 px
    dataset, info = load_dataset("mnist", 100, split="test", data_dir=tfds_dir)
    assert info.image_shape == (28, 28, 1) and info.num_examples == 10000


def test_an_unlabelled_tfds_set_with_another_image_key(tfds_dir):
    with pytest.raises(ValueError, match=r"no image feature 'image'; its image features are "
                                         r"\['photo'\]: choose one with --image-key"):
        load_dataset("tiny_unlabelled_photos", 4, data_dir=tfds_dir)
    with pytest.raises(ValueError, match="differ in size: give one with --image-size"):
        load_dataset("tiny_unlabelled_photos", 4, data_dir=tfds_dir, image_key="photo")
    dataset, info = load_dataset("tiny_unlabelled_photos", 4, data_dir=tfds_dir,
                                 image_key="photo", image_size="16x24", split="train")
    assert (info.image_shape, info.num_classes, info.num_examples) == ((16, 24, 3), None, 12)
    assert [b.shape for b in dataset] == [(4, 16, 24, 3)] * 3
    with pytest.raises(ValueError, match="has no labels, but a conditional model needs them"):
        load_dataset("tiny_unlabelled_photos", 4, data_dir=tfds_dir, image_key="photo",
                     image_size=16, with_labels=True)


def test_folder_splits_cache_and_flips(tmp_path):
    for split, count in (("train", 8), ("test", 4)):
        for i in range(count):
            image = np.zeros((4, 6), np.uint8)
            image[:, 0] = 10 * i + (100 if split == "test" else 0)  # its left column names it
            save(tmp_path / "set" / split / f"{i}.png", image)
    _, info = load_dataset(tmp_path / "set", 2, split="test")
    assert info.num_examples == 4
    dataset, info = load_dataset(tmp_path / "set", 2, split="train[25%:]", shuffle=False)
    assert info.num_examples == 6
    with pytest.raises(ValueError, match=r"has no split 'validation' \(no sub-folder"):
        load_dataset(tmp_path / "set", 2, split="validation")
    dataset, _ = load_dataset(tmp_path / "set", 8, cache=str(tmp_path / "cache"), flip=True,
                              seed=3)
    epochs = [next(iter(dataset)).numpy() for _ in range(4)]
    assert list(tmp_path.glob("cache*"))  # the decoded images went to the cache files
    flipped = [(e[:, 0, -1, 0] > -1).sum() for e in epochs]  # the marked column moved right
    assert 0 < sum(flipped) < 4 * 7  # some flipped, not all (image 0's column is black)


WORKER = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import types
import tensorflow as tf
from tfgan_suite.data import load_dataset
from tfgan_suite.training import train
index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
train("dcgan", data={folder!r}, epochs=2, batch_size=8, strategy="multi_worker", width=4, latent_dim=8,
      out={out!r} + str(index), verbose=0, data_options=dict(image_size=8, flip=True))
# The share this worker reads: what the strategy's cluster resolver tells load_dataset (after
# the run: the strategy must be created before TensorFlow runs anything).
cluster = types.SimpleNamespace(
    num_replicas_in_sync=2, cluster_resolver=tf.distribute.cluster_resolver.TFConfigClusterResolver())
dataset, _ = load_dataset({folder!r}, 8, strategy=cluster, shuffle=False)
seen = sorted(int(round((image[0, 0, 0] + 1) * 127.5)) for batch in dataset for image in batch.numpy())
json.dump(seen, open({out!r} + str(index) + ".json", "w"))
"""


@pytest.mark.slow
def test_two_workers_read_their_own_files_and_train_on_a_folder(tmp_path):
    for i in range(32):  # each image's grey value names it
        save(tmp_path / "digits" / f"{i:02d}.png", np.full((12, 12), 5 * i))
    out = str(tmp_path / "run")
    script = WORKER.format(folder=str(tmp_path / "digits"), out=out)
    with Cluster([[sys.executable, "-c", script]] * 2, tmp_path / "logs") as cluster:
        assert cluster.wait(timeout=400) == [0, 0], cluster.logs()
    shares = [json.loads(Path(f"{out}{i}.json").read_text()) for i in range(2)]
    # Each worker read only its half of the 32 files (every other file), together all of them.
    assert [len(s) for s in shares] == [16, 16]
    assert sorted(shares[0] + shares[1]) == [5 * i for i in range(32)]
    assert Path(f"{out}0/model.keras").is_file()  # the chief's model (both exited 0 after `fit`)


@pytest.mark.slow
def test_train_cyclegan_on_two_folders_of_photos_at_64_px(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for domain, count in (("A", 10), ("B", 9)):  # the epoch pictures show 8
        for i in range(count):
            save(tmp_path / domain / f"{i}.jpg", rng.integers(0, 256, (70 + 10 * i, 90, 3)))
    out = tmp_path / "run"
    code = main(["train", "cyclegan", "--data", f"{tmp_path / 'A'},{tmp_path / 'B'}",
                 "--image-size", "64", "--flip", "--epochs", "1", "--steps-per-epoch", "2",
                 "--batch-size", "2", "--width", "4", "--out", str(out)])
    assert code == 0, capsys.readouterr()
    import keras

    import tfgan_suite.models  # noqa: F401
    model = keras.models.load_model(out / "model.keras")
    translated = model.translate(np.zeros((1, 64, 64, 3), np.float32), "a2b")
    assert np.asarray(translated).shape == (1, 64, 64, 3)


@pytest.mark.slow
def test_train_dcgan_on_a_folder_of_photos_at_64_px_exports_and_serves_it(tmp_path, capsys):
    """Issue 28's user path: own photos of mixed sizes -> 64x64x3 DCGAN (Radford et al.'s
    4 up-convolutions) -> a versioned SavedModel -> served 64x64x3 samples over gRPC equal to the
    Keras model's."""
    rng = np.random.default_rng(0)
    for i in range(6):
        save(tmp_path / "photos" / f"{i}.jpg", rng.integers(0, 256, (60 + 17 * i, 100, 3)))
    out, base = tmp_path / "run", tmp_path / "models"
    assert main(["train", "dcgan", "--data", str(tmp_path / "photos"), "--image-size", "64",
                 "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "4", "--width", "4",
                 "--latent-dim", "8", "--out", str(out)]) == 0, capsys.readouterr()
    assert main(["export", str(out), "--model-base", str(base), "--name", "photos",
                 "--max-samples", "8"]) == 0, capsys.readouterr()
    import keras

    import tfgan_suite.models  # noqa: F401
    from serving.client import GeneratorClient
    from serving.local_server import LocalServer
    from serving.model_config import entries_for_base

    model = keras.models.load_model(out / "model.keras")
    assert len(model.generator.up_convs) + 1 == 4  # 4x4 -> 8 -> 16 -> 32 -> 64
    with LocalServer(entries_for_base(base, ["photos"]), poll_seconds=0) as server:
        with GeneratorClient(f"127.0.0.1:{server.grpc_port}", "photos") as client:
            served = client.sample(3, 7)
    assert served.shape == (3, 64, 64, 3)
    np.testing.assert_allclose(served, model.sample(3, seed=7), atol=1e-4)


def test_a_non_square_size_for_square_networks_is_one_clear_error(tmp_path, capsys):
    for i in range(2):
        save(tmp_path / "photos" / f"{i}.png", np.full((40, 60, 3), 9 * i))
    code = main(["train", "dcgan", "--data", str(tmp_path / "photos"), "--image-size", "32x48",
                 "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "2", "--width", "4",
                 "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == (
        "error: DCGAN networks: square images only; got 32x48. Resize the data to one square "
        "size: --image-size S on the command line, image_size=S in load_dataset.")
    assert not (tmp_path / "run" / "model.keras").exists()
