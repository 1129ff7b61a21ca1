"""The loss family (hinge GAN, LSGAN, f-GAN, WGAN, WGAN-GP, EBGAN, BEGAN) on the base model:
1 vs 2 replica parity, `.keras` round-trip, export, and each variant's own terms."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from export import export_generator
from tfgan_suite import losses
from tfgan_suite.distribute import make_strategy
from tfgan_suite.models.began import BEGAN, ReduceLearningRatesOnPlateau
from tfgan_suite.networks import BatchNormAutoencoderDiscriminator, BatchNormUpsamplingGenerator
from tfgan_suite.training.run import train

GLOBAL_BATCH = 16
STEPS = 3
POINTS = dict(image_shape=(2,), latent_dim=4, width=16)
IMAGES = dict(image_shape=(28, 28, 1), latent_dim=8, width=4)

# (variant, constructor options): every variant, and every scheme of those with a choice, each with
# an option off its default so that a restored config shows it. The critics take 2 steps instead of
# their paper's 5 here only to keep the tests short.
FAMILY = [
    ("gan", {"loss": "hinge"}),
    ("lsgan", {}),
    ("lsgan", {"coding": "-1-1-0"}),
    ("fgan", {"divergence": "kl"}),
    ("fgan", {"divergence": "jensen_shannon"}),
    ("wgan", {"n_critic": 2}),
    ("wgan_gp", {"n_critic": 2}),
    ("ebgan", {"margin": 2.0}),
    ("began", {"gamma": 0.75}),
]
# One per model class (non-default options, to see them restored), for the slower checks.
CLASSES = [FAMILY[i] for i in (2, 4, 5, 6, 7, 8)]


def ids(cases):
    return [variant + "".join(f"-{v}" for v in options.values()) for variant, options in cases]
EXTRA_METRICS = {"fgan": {"divergence"}, "wgan_gp": {"gp"}, "ebgan": {"pt"},
                 "began": {"k_t", "convergence"}}


def sgd():
    # Linear in the gradient: checks the gradient scaling exactly (see test_distribution.py).
    return keras.optimizers.SGD(0.05)


def tiny(variant, strategy=None, weights=None, optimizer=None, shape=POINTS, **options):
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = tfgan_suite.build_model(variant, **shape, **options)
        if weights is not None:
            model.set_weights(weights)
        model.compile(*(() if optimizer is None else (optimizer(), optimizer())))
    return model


def data(shape, n=GLOBAL_BATCH * STEPS, seed=0):
    images = np.random.default_rng(seed).uniform(-1, 1, (n,) + shape["image_shape"])
    return tf.data.Dataset.from_tensor_slices(images.astype(np.float32)).batch(
        GLOBAL_BATCH, drop_remainder=True)


def train_few_steps(variant, strategy, weights=None, optimizer=sgd, shape=POINTS, **options):
    model = tiny(variant, strategy, weights, optimizer, shape, **options)
    start = [w.copy() for w in model.get_weights()]
    history = model.fit(data(shape), epochs=1, verbose=0)
    return start, model.get_weights(), history.history


def assert_parity(variant, options, shape, two_replicas):
    start, single_weights, single = train_few_steps(variant, make_strategy("default"), shape=shape,
                                                    **options)
    _, mirrored_weights, mirrored = train_few_steps(variant, two_replicas, weights=start,
                                                    shape=shape, **options)
    assert set(single) == {"d_loss", "g_loss"} | EXTRA_METRICS.get(variant, set())
    for name in single:
        # 2e-5: float32 sums in another order across 2 replicas (WGAN-GP's penalty, on the core's
        # named noise, differed by 1.4e-5 relative).
        np.testing.assert_allclose(mirrored[name], single[name], rtol=2e-5, atol=1e-7, err_msg=name)
    moved = max(np.abs(w1 - w0).max() for w1, w0 in zip(single_weights, start))
    assert moved > 1e-4, "training must have changed the weights for the comparison to mean anything"
    for w_single, w_mirrored in zip(single_weights, mirrored_weights):
        np.testing.assert_allclose(w_mirrored, w_single, atol=1e-5)


# The quick selection checks the cases whose updates have more than a loss function to them
# (repeated critic steps with clipping, the gradient penalty's noise, BEGAN's k_t); the full run
# checks them all (each traces a variant on 1 and 2 replicas).
QUICK_PARITY = {"wgan-2", "wgan_gp-2", "began-0.75"}


@pytest.mark.parametrize("variant, options", [
    pytest.param(*case, id=case_id, marks=[] if case_id in QUICK_PARITY else [pytest.mark.slow])
    for case, case_id in zip(FAMILY, ids(FAMILY))])
def test_one_and_two_replicas_agree_on_points(variant, options, two_replicas):
    assert_parity(variant, options, POINTS, two_replicas)


@pytest.mark.slow  # each traces a variant on 1 and 2 replicas: 15-30 s
@pytest.mark.parametrize("variant, options", CLASSES, ids=ids(CLASSES))
def test_default_optimizers_report_same_losses_on_two_replicas(variant, options, two_replicas):
    start, _, single = train_few_steps(variant, make_strategy("default"), optimizer=None, **options)
    _, _, mirrored = train_few_steps(variant, two_replicas, weights=start, optimizer=None, **options)
    for name in single:
        np.testing.assert_allclose(mirrored[name], single[name], rtol=1e-4, atol=1e-6, err_msg=name)


@pytest.mark.slow  # each exports a variant with its paper's n_critic: 15-25 s
@pytest.mark.parametrize("variant, options", CLASSES, ids=ids(CLASSES))
def test_keras_file_and_export_give_the_same_images(variant, options, tmp_path):
    model = tiny(variant, shape=IMAGES, **options)
    model.fit(data(IMAGES, n=GLOBAL_BATCH).repeat(2), verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    assert {name: loaded.get_config()[name] for name in options} == options
    for saved, restored in zip(model.get_weights(), loaded.get_weights()):  # BEGAN's k_t included
        np.testing.assert_array_equal(restored, saved)
    np.testing.assert_array_equal(loaded.sample(4, seed=5), model.sample(4, seed=5))

    export_dir = export_generator(loaded, tmp_path / "models", variant)
    z = tf.random.stateless_normal([4, IMAGES["latent_dim"]], seed=[5, 0])
    served = tf.saved_model.load(str(export_dir)).signatures["serving_default"](z=z)["images"]
    np.testing.assert_allclose(served.numpy(), model.sample(4, seed=5), atol=1e-6)


@pytest.mark.parametrize("variant, options, message", [
    ("gan", {"loss": "wasserstein"}, "loss must be one of hinge, minimax, non_saturating; got 'wasserstein'"),
    ("lsgan", {"coding": "0-1-0"}, r"coding must be one of 0-1-1, -1-1-0 \(a-b-c\); got '0-1-0'"),
    ("fgan", {"divergence": "js"}, "divergence must be one of jensen_shannon, kl, pearson, reverse_kl, "
                                   "squared_hellinger, total_variation; got 'js'"),
    ("wgan", {"clip_value": 0}, "clip_value must be > 0; got 0"),
    ("wgan_gp", {"n_critic": 0}, r"n_critic must be in \[1, 31\]; got 0"),
    ("ebgan", {"num_classes": 3}, "ebgan autoencoder discriminator is unconditional"),
    ("began", {"gamma": 1.5}, r"gamma must be in \(0, 1\]; got 1.5"),
    ("began", {"stall_patience": 0}, "stall_patience must be a number of epochs >= 1, or None"),
    ("began", {"networks": "dcgan"}, 'began\'s networks are "batchnorm" or "paper"; got \'dcgan\''),
])
def test_bad_arguments_get_one_clear_error(variant, options, message):
    with pytest.raises(ValueError, match=message):
        tfgan_suite.build_model(variant, **POINTS, **options)


def test_hinge_loss_values():
    real, fake = tf.constant([[2.0], [0.5]]), tf.constant([[-2.0], [0.5]])
    np.testing.assert_allclose(losses.hinge_discriminator_loss(real, fake), [0.0, 2.0])
    np.testing.assert_allclose(losses.hinge_generator_loss(fake), [2.0, -0.5])


def test_adversarial_losses_average_a_patch_discriminators_scores_per_example():
    """A PatchGAN scores each patch: the loss of an example is the mean over its patches."""
    patches = tf.constant([[[[0.0], [1.0]], [[2.0], [3.0]]], [[[1.0], [1.0]], [[1.0], [1.0]]]])
    np.testing.assert_allclose(losses.least_squares_generator_loss(patches, 1.0),
                               [(0.5 + 0 + 0.5 + 2.0) / 4, 0.0])
    np.testing.assert_allclose(losses.wasserstein_critic_loss(patches, 2 * patches), [1.5, 1.0])
    np.testing.assert_allclose(losses.non_saturating_generator_loss(patches),
                               [np.mean(np.log1p(np.exp(-np.arange(4.0)))), np.log1p(np.exp(-1.0))],
                               rtol=1e-6)


def test_lsgan_losses_follow_the_abc_coding():
    real, fake = tf.constant([[1.0], [0.0]]), tf.constant([[0.0], [1.0]])
    np.testing.assert_allclose(losses.least_squares_discriminator_loss(real, fake, 1.0, 0.0), [0.0, 1.0])
    np.testing.assert_allclose(losses.least_squares_discriminator_loss(real, fake, 1.0, -1.0), [0.5, 2.5])
    np.testing.assert_allclose(losses.least_squares_generator_loss(fake, 0.0), [0.0, 0.5])


TABLE_2 = {  # Nowozin et al. 2016, Table 2, as printed: (g_f(v), f*(t))
    "kl": (lambda v: v, lambda t: np.exp(t - 1)),
    "reverse_kl": (lambda v: -np.exp(-v), lambda t: -1 - np.log(-t)),
    "pearson": (lambda v: v, lambda t: t ** 2 / 4 + t),
    "squared_hellinger": (lambda v: 1 - np.exp(-v), lambda t: t / (1 - t)),
    "jensen_shannon": (lambda v: np.log(2) - np.log1p(np.exp(-v)), lambda t: -np.log(2 - np.exp(t))),
    "total_variation": (lambda v: 0.5 * np.tanh(v), lambda t: t),
}


@pytest.mark.parametrize("divergence", sorted(TABLE_2))
def test_f_divergence_activation_and_conjugate_match_table_2(divergence):
    v = np.linspace(-3, 3, 13)
    activation, conjugate = TABLE_2[divergence]
    value, conjugate_value = losses.f_divergence(divergence)(tf.constant(v))
    np.testing.assert_allclose(value, activation(v), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(conjugate_value, conjugate(activation(v)), rtol=1e-6, atol=1e-9)


def test_gradient_penalty_is_the_squared_distance_of_the_gradient_norm_from_one():
    real, fake = tf.random.normal([5, 3]), tf.random.normal([5, 3])
    epsilon = tf.random.uniform([5, 1])
    linear = lambda x: ops_sum(x * tf.constant([3.0, 0.0, 4.0]))  # gradient norm 5 everywhere
    np.testing.assert_allclose(losses.gradient_penalty(linear, real, fake, epsilon), [16.0] * 5,
                               rtol=1e-5)
    # A flat critic has a zero gradient: the penalty is 1 and its own gradient stays finite.
    weight = tf.Variable(0.0)
    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(lambda x: weight * ops_sum(x * 0.0), real, fake, epsilon)
    np.testing.assert_allclose(penalty, [1.0] * 5, rtol=1e-4)  # sqrt(0 + 1e-10) = 1e-5
    assert np.isfinite(tape.gradient(penalty, weight).numpy())


def ops_sum(x):
    return tf.reduce_sum(x, axis=1, keepdims=True)


def test_pulling_away_term_is_zero_for_orthogonal_and_one_for_parallel_codes():
    orthogonal = tf.eye(4)
    np.testing.assert_allclose(losses.pulling_away_term(orthogonal, orthogonal, 0), [0.0] * 4, atol=1e-7)
    parallel = tf.constant([[1.0, 2.0], [2.0, 4.0], [-1.0, -2.0]])
    np.testing.assert_allclose(losses.pulling_away_term(parallel[1:], parallel, 1), [1.0, 1.0], rtol=1e-6)


def test_began_k_follows_the_balance_update_and_stays_in_zero_one():
    assert float(losses.began_balance_update(0.0, 1.0, 0.2, 0.5, 0.001)) == pytest.approx(0.0003)
    assert float(losses.began_balance_update(0.0, 1.0, 0.9, 0.5, 0.001)) == 0.0
    assert float(losses.began_balance_update(0.9999, 1.0, 0.0, 0.5, 0.001)) == 1.0
    assert float(losses.began_convergence(1.0, 0.9, 0.5)) == pytest.approx(1.4)
    model = tiny("began")
    history = model.fit(data(POINTS), verbose=0).history
    assert 0.0 < float(model.k.numpy()) <= 1.0 and history["k_t"][0] > 0.0


def test_began_default_networks_are_pytorch_gans_with_batch_norm():
    """For images BEGAN builds PyTorch-GAN's networks unless told otherwise: batch norm in G and
    in the autoencoder's code layers, whose reconstruction of an example then depends on the
    rest of its batch in training (and not in inference); G's tanh keeps images in range."""
    model = tiny("began", shape=IMAGES)
    assert isinstance(model.generator, BatchNormUpsamplingGenerator)
    assert isinstance(model.discriminator, BatchNormAutoencoderDiscriminator)
    batch = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
    other = np.concatenate([batch[:1], -batch[1:]])
    for training, coupled in ((True, True), (False, False)):
        first, first_elsewhere = (model.discriminator(x, training=training)[0] for x in (batch, other))
        assert (not np.allclose(first, first_elsewhere)) == coupled, training
    images = model.sample(8, seed=0)
    assert images.shape == (8, 28, 28, 1) and np.abs(images).max() <= 1.0
    # Each choice of networks brings its own recipe's gamma and Adam rate; points the paper's.
    for shape, networks, gamma, rate in ((IMAGES, "batchnorm", 0.75, 2e-4),
                                         (IMAGES, "paper", 0.5, 1e-4), (POINTS, "batchnorm", 0.5, 1e-4)):
        model = tiny("began", shape=shape, networks=networks)
        assert (model.gamma, model.get_config()["gamma"]) == (gamma, gamma), networks
        for optimizer in model.optimizers.values():
            assert float(optimizer.learning_rate) == pytest.approx(rate) and optimizer.beta_1 == 0.5


def test_began_paper_generator_has_the_decoders_architecture():
    """Berthelot et al. 2017, sec. 3.5: G has the decoder's layers (not its weights): ELU, no
    batch normalization; its tanh keeps the images in the exported range."""
    model = tiny("began", shape=IMAGES, networks="paper")
    decoder = model.discriminator.decoder_layers
    generator = model.generator.decoder_layers
    assert [type(layer) for layer in generator] == [type(layer) for layer in decoder]
    # The same weight shapes but the first kernel's inputs: latent_dim here, the code size there.
    assert [w.shape for w in model.generator.weights][1:] == [w.shape for layer in decoder
                                                              for w in layer.weights][1:]
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in generator)
    assert generator[-1].activation.__name__ == "tanh" and decoder[-1].activation.__name__ == "linear"
    images = model.sample(8, seed=0)
    assert images.shape == (8, 28, 28, 1) and np.abs(images).max() <= 1.0


def test_learning_rates_halve_when_the_monitored_term_stalls():
    model = tiny("began", optimizer=lambda: keras.optimizers.Adam(1e-3), stall_patience=None)
    schedule = ReduceLearningRatesOnPlateau("convergence", factor=0.5, patience=2)
    schedule.set_model(model)
    rates = []
    for epoch, convergence in enumerate([0.5, 0.4, 0.45, 0.41, 0.42, 0.3, 0.35]):
        schedule.on_epoch_end(epoch, {"convergence": convergence})
        rates.append((float(model.d_optimizer.learning_rate), float(model.g_optimizer.learning_rate)))
    # Two epochs without a new best (0.45, 0.41) halve both; then 0.42 and 0.3 (a best), 0.35 alone.
    assert [d for d, _ in rates] == pytest.approx([1e-3] * 3 + [5e-4] * 4)
    assert [g for _, g in rates] == [d for d, _ in rates]
    with pytest.raises(KeyError, match="'convergence' is not logged; this model logs"):
        schedule.on_epoch_end(7, {"d_loss": 0.1})


def test_began_declares_its_stall_schedule_and_plain_fit_adds_nothing():
    """Keras's `fit` runs the callbacks it is given: BEGAN's schedule is one the model declares
    (`training_callbacks`), none for stall_patience=None or for a model without a schedule."""
    schedule, = tiny("began", stall_patience=3).training_callbacks()
    assert isinstance(schedule, ReduceLearningRatesOnPlateau)
    assert (schedule.monitor, schedule.factor, schedule.patience) == ("convergence", 0.5, 3)
    assert tiny("began", stall_patience=None).training_callbacks() == []
    assert tiny("gan").training_callbacks() == []
    model = tiny("began", optimizer=lambda: keras.optimizers.Adam(1e-3), stall_patience=1)
    model.fit(data(POINTS).repeat(6), steps_per_epoch=STEPS, epochs=6, verbose=0)
    for optimizer in (model.g_optimizer, model.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(1e-3)


def test_the_training_run_adds_the_models_callbacks(monkeypatch, tmp_path):
    """`tfgan-suite train` passes the model's own callbacks to `fit` (stopped there: no training)."""
    class Fitted(Exception):
        pass

    def fit(self, *args, callbacks=(), **kwargs):
        raise Fitted([type(callback) for callback in callbacks])

    monkeypatch.setattr(BEGAN, "fit", fit)
    with pytest.raises(Fitted) as fitted:
        train("began", data="ring8", epochs=1, batch_size=16, steps_per_epoch=1, width=8,
              latent_dim=2, out=tmp_path / "run", verbose=0, options={"stall_patience": 4})
    assert fitted.value.args[0].count(ReduceLearningRatesOnPlateau) == 1


@pytest.mark.parametrize("replicas", ["one", "two"])
def test_began_fit_halves_the_learning_rates_when_convergence_stalls(replicas, request):
    strategy = request.getfixturevalue("two_replicas") if replicas == "two" else None
    model = tiny("began", strategy, optimizer=lambda: keras.optimizers.Adam(1e-3), stall_patience=1)
    history = model.fit(data(POINTS).repeat(6), steps_per_epoch=STEPS, epochs=6, verbose=0,
                        callbacks=model.training_callbacks()).history
    best, halvings = np.inf, 0
    for convergence in history["convergence"]:
        halvings += convergence >= best
        best = min(best, convergence)
    assert halvings > 0, "the run must stall at least once for the test to mean anything"
    for optimizer in (model.g_optimizer, model.d_optimizer):
        rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))  # a MirroredVariable on 2
        assert rate == pytest.approx(1e-3 * 0.5 ** halvings)


def test_began_stall_schedule_refuses_a_learning_rate_schedule_before_training():
    decay = lambda: keras.optimizers.Adam(keras.optimizers.schedules.PolynomialDecay(1e-3, 10, 1e-4))
    model = tiny("began", optimizer=decay)
    start = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="needs optimizers with a float learning rate"):
        model.fit(data(POINTS), epochs=2, verbose=0, callbacks=model.training_callbacks())
    for before, after in zip(start, model.get_weights()):
        np.testing.assert_array_equal(before, after)
