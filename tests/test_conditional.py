"""The conditional family (cgan, acgan, infogan, icgan): losses, terms, round-trip, errors
(1 vs 2 replica parity: tests/test_contract.py)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from tfgan_suite.losses import conditional as conditional_losses

IMAGE_SHAPE = (28, 28, 1)
CLASSES = 10
GLOBAL_BATCH = 16
STEPS = 3
TINY = {
    "cgan": dict(latent_dim=8, width=4, num_classes=CLASSES),
    "cgan_projection": dict(latent_dim=8, width=4, num_classes=CLASSES, conditioning="projection"),
    "acgan": dict(latent_dim=8, width=4, num_classes=CLASSES),
    "infogan": dict(latent_dim=16, width=4),  # the paper's networks, the default
    "infogan_dcgan": dict(latent_dim=16, width=4, networks="dcgan"),
    "icgan": dict(latent_dim=8, width=4, num_classes=CLASSES),
}
VARIANTS = list(TINY)


def tiny(name, strategy=None, weights=None, optimizer=None, eager=False, **overrides):
    """`eager` as in `helpers.tiny_model`."""
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = tfgan_suite.build_model(name.split("_")[0], image_shape=IMAGE_SHAPE,
                                        **{**TINY[name], **overrides})
        if weights is not None:
            model.set_weights(weights)
        optimizers = {} if optimizer is None else {
            key: optimizer() for key in ("d_optimizer", "g_optimizer")
            + (("e_optimizer",) if name == "icgan" else ())}
        model.compile(run_eagerly=eager, **optimizers)
    return model


def labelled_batches(n=GLOBAL_BATCH * STEPS, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (n,) + IMAGE_SHAPE).astype(np.float32)
    labels = (np.arange(n) % CLASSES).astype(np.int32)
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(GLOBAL_BATCH, drop_remainder=True)


# ----- losses: values against their definitions ------------------------------------------------

def test_losses_are_per_example_and_match_their_equations():
    logits = tf.constant([[2.0, 0.0, -1.0], [0.0, 3.0, 0.0]])
    labels = tf.constant([0, 1])
    expected_ce = -np.log(tf.nn.softmax(logits).numpy()[[0, 1], [0, 1]])
    np.testing.assert_allclose(conditional_losses.condition_loss(logits, labels), expected_ce, rtol=1e-6)
    np.testing.assert_allclose(conditional_losses.classifier_loss(logits, labels), expected_ce, rtol=1e-6)
    # ACGAN's D class loss: real + generated cross-entropies, per example.
    np.testing.assert_allclose(
        conditional_losses.acgan_discriminator_class_loss(logits, logits, labels), 2 * expected_ce, rtol=1e-6)
    # Mismatch: -log(1 - sigmoid(l)).
    d = tf.constant([[0.0], [2.0]])
    np.testing.assert_allclose(conditional_losses.mismatch_loss(d),
                               -np.log(1 - 1 / (1 + np.exp(-d.numpy()[:, 0]))), rtol=1e-6)
    categorical, continuous = conditional_losses.information_loss(
        logits, labels, tf.constant([[0.0, 1.0], [0.5, 0.5]]), tf.constant([[1.0, 1.0], [0.5, -0.5]]))
    np.testing.assert_allclose(categorical, expected_ce, rtol=1e-6)
    np.testing.assert_allclose(continuous, [0.5, 0.5], rtol=1e-6)
    np.testing.assert_allclose(
        conditional_losses.latent_reconstruction_loss(tf.ones((2, 3)), tf.zeros((2, 3))), [3.0, 3.0])


# ----- every variant: trains on (images, labels), logs its terms, samples by label -------------

EXPECTED_METRICS = {
    "cgan": {"d_loss", "g_loss", "d_adversarial", "g_adversarial", "mismatch_loss", "condition_loss",
             "classifier_loss"},
    "acgan": {"d_loss", "g_loss", "source_loss", "class_loss", "g_class_loss"},
    "infogan": {"d_loss", "g_loss", "info_loss"},
}
EXPECTED_METRICS["cgan_projection"] = EXPECTED_METRICS["cgan"]
EXPECTED_METRICS["infogan_dcgan"] = EXPECTED_METRICS["infogan"]
EXPECTED_METRICS["icgan"] = EXPECTED_METRICS["cgan"] | {"z_encoder_loss", "y_encoder_loss", "encoder_loss"}


@pytest.mark.parametrize("name", VARIANTS)
def test_fit_logs_each_term_and_keras_file_round_trips(name, tmp_path):
    model = tiny(name, eager=True)
    history = model.fit(labelled_batches(), epochs=1, verbose=0).history
    assert set(history) == EXPECTED_METRICS[name]
    assert all(np.isfinite(v[-1]) for v in history.values())
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    settings = lambda m: {k: v for k, v in m.get_config().items() if k not in m.networks}
    assert settings(loaded) == settings(model)
    labels = None if name.startswith("infogan") else [3, 1, 4, 1]
    np.testing.assert_array_equal(loaded.sample(4, labels=labels, seed=5),
                                  model.sample(4, labels=labels, seed=5))
    assert loaded.g_optimizer.iterations.numpy() == STEPS


def test_requires_labels_and_clear_errors():
    assert all(tfgan_suite.get_variant(v).requires_labels for v in ("cgan", "acgan", "icgan"))
    assert not tfgan_suite.get_variant("infogan").requires_labels
    with pytest.raises(ValueError, match="cgan is conditional: pass num_classes"):
        tfgan_suite.build_model("cgan", image_shape=IMAGE_SHAPE)
    with pytest.raises(ValueError, match="conditioning must be one of"):
        tiny("cgan", conditioning="attention")
    with pytest.raises(ValueError, match="infogan is unsupervised"):
        tiny("infogan", num_classes=10)
    with pytest.raises(ValueError, match='networks are "dcgan" or "paper"; got \'resnet\''):
        tiny("infogan", networks="resnet")
    model = tiny("cgan")
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 9\]; got \[10\]"):
        model.sample(2, labels=[0, 10])
    with pytest.raises(ValueError, match="must yield \\(images, labels\\) batches"):
        model.fit(tf.data.Dataset.from_tensor_slices(np.zeros((16,) + IMAGE_SHAPE, np.float32)).batch(8),
                  verbose=0)


def test_label_changes_the_sample_and_default_labels_cycle():
    model = tiny("cgan")
    by_label = model.sample(3, labels=[0, 1, 2], seed=1)
    same_z = model.sample(3, labels=[0, 0, 0], seed=1)
    assert not np.allclose(by_label[1], same_z[1])
    np.testing.assert_array_equal(model.sample(3, seed=1), by_label)  # default: 0, 1, 2


# ----- each weighted term changes the update --------------------------------------------------

@pytest.mark.parametrize("term, metric", [("mismatch_weight", "mismatch_loss"),
                                          ("condition_weight", "condition_loss")])
def test_a_zero_weight_removes_its_term(term, metric):
    with_term = tiny("cgan", eager=True)
    start = with_term.get_weights()
    assert metric in {m.name for m in with_term.metrics}
    without = tiny("cgan", eager=True, **{term: 0.0})
    assert metric not in {m.name for m in without.metrics}
    if term == "condition_weight":
        assert not without.discriminator.class_head  # no auxiliary classifier at all
        return
    without.set_weights(start)
    with_term.fit(labelled_batches(), verbose=0)
    without.fit(labelled_batches(), verbose=0)
    moved = [np.abs(a - b).max() for a, b in zip(with_term.discriminator.get_weights(),
                                                  without.discriminator.get_weights())]
    assert max(moved) > 1e-4, "the mismatch term must change the discriminator's update"


def test_mismatched_labels_always_differ_from_the_true_ones():
    model = tiny("cgan")
    labels = tf.constant(np.arange(1000) % CLASSES, tf.int32)
    wrong = model.wrong_labels(labels).numpy()
    assert (wrong != labels.numpy()).all() and set(wrong) == set(range(CLASSES))


def test_projection_discriminator_is_psi_plus_inner_product():
    model = tiny("cgan_projection")
    d = model.discriminator
    images = tf.random.stateless_uniform((4,) + IMAGE_SHAPE, seed=[1, 2], minval=-1, maxval=1)
    labels = tf.constant([0, 1, 2, 3])
    phi = d.features(images)
    expected = d.logit(phi)[:, 0] + tf.reduce_sum(d.label_embedding(labels) * phi, axis=-1)
    np.testing.assert_allclose(d([images, labels])["logits"][:, 0], expected, rtol=1e-5, atol=1e-6)


# ----- InfoGAN codes and IcGAN editing --------------------------------------------------------

def test_infogan_sample_sets_the_codes():
    model = tiny("infogan")
    base = model.sample(4, seed=2, categories=[0, 0, 0, 0], continuous=np.zeros((4, 2)))
    other_category = model.sample(4, seed=2, categories=[5, 5, 5, 5], continuous=np.zeros((4, 2)))
    other_continuous = model.sample(4, seed=2, categories=[0, 0, 0, 0], continuous=np.ones((4, 2)))
    assert not np.allclose(base, other_category) and not np.allclose(base, other_continuous)
    np.testing.assert_array_equal(model.sample(4, seed=2), model.sample(4, seed=2))
    # The draw is TF ops from the seed alone (what an exported `sample` signature would replay).
    np.testing.assert_array_equal(
        model.sample(4, seed=2), model.generator(model.prior_latent(4, 2)).numpy())
    with pytest.raises(ValueError, match=r"categories must be 2 integers in \[0, 9\]"):
        model.sample(2, categories=[0, 10])
    with pytest.raises(ValueError, match="unconditional; do not pass labels"):
        model.sample(2, labels=[0, 1])
    latent = model.latent_noise(batch_size=6)
    categories, continuous = model.split_latent(latent)
    assert latent.shape == (6, 16) and continuous.shape == (6, 2)
    assert np.abs(continuous).max() <= 1
    assert categories.shape == (6,) and np.all((categories >= 0) & (categories < 10))


def test_infogan_default_networks_are_the_papers_mnist_layers():
    """With no options, app. C.1 at width 64: G FC 1024 -> FC 7x7x128 -> upconv 64 -> upconv 1; D conv 64 -> conv
    128 -> FC 1024 -> logit, Q FC 128 -> 10 + 2 code parameters; 4x4 kernels."""
    model = tfgan_suite.build_model("infogan", image_shape=IMAGE_SHAPE)
    g, d = model.generator, model.discriminator
    assert [layer.kernel.shape for layer in (g.hidden, g.project)] == [(74, 1024),
                                                                       (1024, 7 * 7 * 128)]
    assert [conv.kernel.shape for conv in g.up_convs + [g.to_image]] == [
        (4, 4, 64, 128), (4, 4, 1, 64)]
    assert [conv.kernel.shape for conv in d.down_convs] == [(4, 4, 1, 64), (4, 4, 64, 128)]
    assert d.hidden.kernel.shape == (7 * 7 * 128, 1024) and d.logit.kernel.shape == (1024, 1)
    assert d.q_head.hidden.kernel.shape == (1024, 128)
    assert d.q_head.codes.kernel.shape == (128, 12)
    out = d(model.sample(2, seed=0))
    assert out["code_logits"].shape == (2, 10) and out["code_means"].shape == (2, 2)


def test_icgan_encodes_and_edits():
    model = tiny("icgan")
    images = np.random.default_rng(0).uniform(-1, 1, (3,) + IMAGE_SHAPE).astype(np.float32)
    z, labels = model.encode(images)
    assert z.shape == (3, 8) and labels.shape == (3,) and labels.dtype == np.int32
    np.testing.assert_array_equal(model.reconstruct(images), model.generator([z, labels]).numpy())
    edited = model.edit(images, [7, 7, 7])
    np.testing.assert_array_equal(edited, model.generator([z, np.full(3, 7, np.int32)]).numpy())
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 9\]"):
        model.edit(images, [1, 2, 12])
    with pytest.raises(ValueError, match=r"images must have shape \[N, 28, 28, 1\]"):
        model.encode(images[..., 0])


# ----- the CLI: `train cgan` uses the labels by itself, `sample --labels` picks the classes -------

def test_cli_trains_on_labels_and_samples_requested_classes(tmp_path, capsys):
    from tfgan_suite import cli

    run = tmp_path / "run"
    assert cli.main(["train", "cgan", "--epochs", "1", "--steps-per-epoch", "2", "--width", "4",
                     "--latent-dim", "8", "--out", str(run)]) == 0
    model = keras.models.load_model(run / "model.keras")
    assert model.variant == "cgan" and model.num_classes == 10
    assert cli.main(["sample", str(run / "model.keras"), "--num", "3", "--labels", "0,1,2",
                     "--no-grid", "--out", str(tmp_path / "s.png")]) == 0
    assert len(list(tmp_path.glob("s_*.png"))) == 3
    assert cli.main(["sample", str(run / "model.keras"), "--num", "2", "--labels", "0,10",
                     "--out", str(tmp_path / "bad.png")]) == 2
    assert r"labels must lie in [0, 9]; got [10]" in capsys.readouterr().err
