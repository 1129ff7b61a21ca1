"""CycleGAN's history pool (D sees a stored image for half of the generated ones once the pool is
full; saved and restored with the model) and its constant-then-linear-decay learning rate. That the
one global pool is the same on 1 and 2 replicas is checked by tests/test_contract.py, whose tiny
CycleGAN has a pool of 4 that its 16 training images overflow."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from tfgan_suite.models.cyclegan import ConstantThenLinearDecay

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_cyclegan")

SHAPE_A, SHAPE_B = (8, 8, 1), (8, 8, 3)
GLOBAL_BATCH, STEPS, POOL = 8, 3, 4


def tiny(**options):
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model(
        "cyclegan", image_shape=SHAPE_A, image_shape_b=SHAPE_B, width=4,
        generator_options={"residual_blocks": 1}, **{"pool_size": POOL, **options})
    model.compile(optimizers={name: keras.optimizers.SGD(0.05) for name in model.networks})
    return model


def two_domains(n=GLOBAL_BATCH * STEPS):
    rng = np.random.default_rng(0)
    return tf.data.Dataset.from_tensor_slices(
        (rng.uniform(-1, 1, (n,) + SHAPE_A).astype(np.float32),
         rng.uniform(-1, 1, (n,) + SHAPE_B).astype(np.float32))).batch(GLOBAL_BATCH)


def test_discriminators_see_a_stored_image_for_half_of_the_fakes():
    model = tiny(pool_size=50)
    seen_before, swapped, eligible = set(), 0, 0
    for step in range(60):
        model.optimizer.iterations.assign(step)  # the named noise's step: fresh draws
        markers = step * GLOBAL_BATCH + np.arange(GLOBAL_BATCH)
        fakes = np.broadcast_to(markers[:, None, None, None] / 1000.0,
                                (GLOBAL_BATCH,) + SHAPE_B).astype(np.float32)
        filled = int(model.pools["b"].count)
        shown = np.round(model.pooled("b", fakes).numpy()[:, 0, 0, 0] * 1000).astype(int)
        for position, (marker, image) in enumerate(zip(markers, shown)):
            if filled + position < 50:
                assert image == marker  # the pool fills with the first 50, shown as they are
                continue
            eligible += 1
            if image != marker:
                swapped += 1
                # A stored image: generated earlier, maybe earlier in this batch (the images of
                # a batch go through the pool in order, as in the official ImagePool).
                assert image in seen_before or image in markers[:position]
        seen_before.update(markers.tolist())
    assert int(model.pools["b"].count) == 50
    # 430 draws of probability 0.5: 215 +- 10.4 (one standard deviation).
    assert eligible == 60 * GLOBAL_BATCH - 50 and 0.42 < swapped / eligible < 0.58


@pytest.fixture(scope="module")
def trained():
    model = tiny()
    model.run_eagerly = True  # three steps of tiny networks: tracing four phases costs 3x more
    model.fit(two_domains(), verbose=0)
    return model


def test_the_pool_is_restored_from_a_keras_file_and_a_checkpoint(trained, tmp_path):
    model = trained
    model.save(tmp_path / "cyclegan.keras")
    model.save_weights(tmp_path / "checkpoint.weights.h5")  # what --resume's checkpoints hold
    loaded = keras.models.load_model(tmp_path / "cyclegan.keras")
    resumed = tiny()
    resumed.load_weights(tmp_path / "checkpoint.weights.h5")
    for restored in (loaded, resumed):
        for domain in "ab":
            assert int(restored.pools[domain].count) == POOL
            np.testing.assert_array_equal(restored.pools[domain].images.numpy(),
                                          model.pools[domain].images.numpy())
        assert int(restored.steps_taken) == STEPS


def test_the_learning_rate_stays_then_decays_linearly_to_zero_and_resumes():
    schedule = ConstantThenLinearDecay(2e-4, constant_steps=10, decay_steps=20)
    rates = [float(schedule(step)) for step in (0, 10, 20, 30, 40)]
    np.testing.assert_allclose(rates, [2e-4, 2e-4, 1e-4, 0.0, 0.0], atol=1e-9)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(
        keras.optimizers.Adam(schedule, beta_1=0.5)))
    restored.iterations.assign(20)  # the step count a checkpoint restores
    assert float(restored.learning_rate) == pytest.approx(1e-4)
    model = tfgan_suite.build_model("cyclegan", image_shape=SHAPE_A, image_shape_b=SHAPE_B,
                                    width=4, generator_options={"residual_blocks": 1})
    model.compile()
    rate = model.optimizers["generator_ab"].get_config()["learning_rate"]
    assert rate["class_name"] == "ConstantThenLinearDecay"
    assert rate["config"] == {"initial_learning_rate": 2e-4, "constant_steps": 100_000,
                              "decay_steps": 100_000}
    with pytest.raises(ValueError, match="identity loss feeds B images to G_ab"):
        tfgan_suite.build_model("cyclegan", image_shape=SHAPE_A, image_shape_b=SHAPE_B, width=4,
                                identity_weight=5.0)
