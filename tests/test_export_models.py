"""export_generator on the real tfgan_suite models, from a model object and from a `.keras` file."""

import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite.models  # noqa: F401  (registers the serializable GAN classes)
from export import export_generator, read_facts
from tfgan_suite.models import build_model

IMAGE_SHAPE = (28, 28, 1)
LATENT_DIM = 16


def test_dcgan_keras_file_exports_and_samples_bit_for_bit(tmp_path):
    model = build_model("dcgan", image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM)
    model.compile()
    model.save(tmp_path / "dcgan.keras")
    version_dir = export_generator(tmp_path / "dcgan.keras", tmp_path / "models", "dcgan")
    loaded = tf.saved_model.load(str(version_dir))

    sampled = loaded.signatures["sample"](num_samples=tf.constant(8), seed=tf.constant(3))["images"].numpy()
    np.testing.assert_array_equal(sampled, model.sample(8, seed=3))
    z = tf.random.stateless_normal([4, LATENT_DIM], seed=[9, 0])
    np.testing.assert_array_equal(
        loaded.signatures["serving_default"](z=z)["images"].numpy(), model.generator(z, training=False).numpy()
    )
    facts = read_facts(version_dir)
    assert (facts["variant"], facts["latent_dim"], facts["image_shape"]) == ("dcgan", LATENT_DIM, list(IMAGE_SHAPE))


@pytest.mark.parametrize("labels", [None, [9, 0, 4]])
def test_conditional_dcgan_exports_with_labels(tmp_path, labels):
    model = build_model("dcgan", image_shape=IMAGE_SHAPE, latent_dim=LATENT_DIM, num_classes=10)
    loaded = tf.saved_model.load(str(export_generator(model, tmp_path, "cdcgan")))
    sent = tf.constant([] if labels is None else labels, tf.int32)
    sampled = loaded.signatures["sample"](num_samples=tf.constant(3), seed=tf.constant(1), labels=sent)["images"]
    np.testing.assert_array_equal(sampled.numpy(), model.sample(3, labels=labels, seed=1))
    assert read_facts(tmp_path / "cdcgan" / "1")["num_classes"] == 10


def test_infogan_sample_signature_draws_its_codes_like_model_sample(tmp_path):
    """InfoGAN's latent input is [z, onehot(c_cat), c_cont]: the exported `sample` must draw the
    codes from their priors (one-hot, uniform), exactly as `model.sample` does, not a plain normal."""
    model = build_model("infogan", image_shape=IMAGE_SHAPE, latent_dim=16, width=4)
    loaded = tf.saved_model.load(str(export_generator(model, tmp_path, "infogan")))
    sampled = loaded.signatures["sample"](num_samples=tf.constant(6), seed=tf.constant(5))["images"]
    np.testing.assert_allclose(sampled.numpy(), model.sample(6, seed=5), atol=1e-6)
    one_hots = model.prior_latent(6, 5).numpy()[:, model.noise_dim:model.noise_dim + 10]
    assert sorted(set(one_hots.ravel().tolist())) == [0.0, 1.0] and (one_hots.sum(axis=1) == 1).all()
