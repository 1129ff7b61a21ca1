"""The FID Inception network from a local file (`--fid-inception`): a SavedModel or a .keras file
of its signature (one [N, 299, 299, 3] input, a 2048-wide pool3 output and the logits) is loaded,
checked and used as the extractor; anything else is one clear error. The stand-ins are small
networks of that signature written here (the real network cannot be downloaded in tests)."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_suite.cli import main
from tfgan_suite.metrics import extractors

pytestmark = pytest.mark.xdist_group("test_fid_inception")


def stand_in(input_size=299, feature_width=2048, logits_width=1008):
    """A tiny network with the FID Inception network's signature: images -> (pool3, logits)."""
    images = keras.Input((input_size, input_size, 3))
    pooled = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(8, 3, strides=16)(images))
    features = keras.layers.Dense(feature_width, activation="relu", name="pool_3")(pooled)
    return keras.Model(images, [features, keras.layers.Dense(logits_width, name="logits")(features)])


class SavedStandIn(tf.Module):
    """The same network behind a SavedModel `serving_default`, outputs named as TF-Hub's module."""

    def __init__(self, network):
        super().__init__()
        self.network = network

    @tf.function(input_signature=[tf.TensorSpec([None, 299, 299, 3], tf.float32)])
    def __call__(self, images):
        pool3, logits = self.network(images)
        return {"logits": logits, "pool_3": pool3}


@pytest.fixture(scope="module")
def network():
    keras.utils.set_random_seed(0)
    return stand_in()


@pytest.fixture(scope="module")
def digits():
    return np.random.default_rng(0).uniform(-1, 1, (6, 28, 28, 1)).astype(np.float32)


def expected(network, images):
    """What the network itself gives on the images as the extractor must feed them."""
    pool3, logits = network(extractors.inception_preprocess(tf.constant(images)))
    return pool3.numpy(), logits.numpy()


@pytest.mark.parametrize("kind", ["keras", "saved_model"])
def test_the_network_from_a_file_is_the_extractor(kind, network, digits, tmp_path):
    if kind == "keras":
        path = tmp_path / "fid_inception.keras"
        network.save(path)
    else:
        path = tmp_path / "fid_inception"
        module = SavedStandIn(network)
        tf.saved_model.save(module, str(path), signatures={"serving_default": module.__call__})
    extractor = extractors.fid_inception_extractor(path)
    features, logits = extractor.extract(digits, batch_size=4)
    want_features, want_logits = expected(network, digits)
    assert extractor.name == "fid-inception" and (extractor.feature_dim, extractor.num_classes) == (2048, 1008)
    np.testing.assert_allclose(features, want_features, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(logits, want_logits, rtol=1e-4, atol=1e-5)
    assert features.std() > 0  # the stand-in's features are not all zero, so the check means something


@pytest.mark.parametrize("network_options, message", [
    (dict(input_size=64), r"takes images of shape \[64, 64, 3\]; the FID Inception network takes "
                          r"\[299, 299, 3\]"),
    (dict(feature_width=1024), r"has outputs \{'output_0': 1024, 'output_1': 1008\}.*2048-wide pool3"),
])
def test_a_network_of_another_signature_is_one_clear_error(network_options, message, tmp_path):
    path = tmp_path / "other.keras"
    stand_in(**network_options).save(path)
    with pytest.raises(ValueError, match=message):
        extractors.fid_inception_extractor(path)


def test_a_path_that_is_no_model_is_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="as a SavedModel directory or a .keras file"):
        extractors.fid_inception_extractor(tmp_path / "inception.pb")


def test_evaluate_with_fid_inception(network, tmp_path, capsys):
    network.save(tmp_path / "fid_inception.keras")
    images = np.random.default_rng(1).integers(0, 256, (8, 28, 28, 1), dtype=np.uint8)
    np.savez(tmp_path / "images.npz", images=images)
    common = ["--metrics", "fid", "--num-reference", "8", "--cache-dir", tmp_path / "cache",
              "--out", tmp_path / "evaluation.json"]
    code = main(list(map(str, ["evaluate", tmp_path / "images.npz", "--fid-inception",
                               tmp_path / "fid_inception.keras", *common])))
    assert code == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "evaluation.json").read_text())
    assert report["extractor"] == "fid-inception" and "FID[fid-inception]" in report["metrics"]
    code = main(["evaluate", str(tmp_path / "images.npz"), "--extractor", "inception",
                 "--fid-inception", str(tmp_path / "fid_inception.keras")])
    assert code == 2 and "give --extractor or --fid-inception, not both" in capsys.readouterr().err
