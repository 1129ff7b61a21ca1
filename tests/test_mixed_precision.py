"""Mixed precision (`build_model(..., dtype_policy=...)`): networks compute in half precision,
losses and exported signatures stay float32, and float16 gets a loss-scale optimizer per player."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_suite
from export import export_generator

IMAGE_SHAPE = (28, 28, 1)


def build(variant, policy, **overrides):
    """A tiny compiled model; its steps run eagerly (tests/test_contract.py trains every variant
    traced in mixed bfloat16)."""
    keras.utils.set_random_seed(0)
    model = tfgan_suite.build_model(variant, image_shape=IMAGE_SHAPE, latent_dim=16, width=4,
                                    dtype_policy=policy, **overrides)
    model.compile(run_eagerly=True)
    return model


def batches(steps, batch=16):
    images = np.random.default_rng(0).uniform(-1, 1, (batch * steps,) + IMAGE_SHAPE)
    return tf.data.Dataset.from_tensor_slices(images.astype(np.float32)).batch(batch)


def test_bfloat16_networks_train_and_export_float32(tmp_path):
    model = build("dcgan", "mixed_bfloat16")
    assert model.generator.project.compute_dtype == "bfloat16"
    assert model.generator.project.kernel.dtype == "float32"  # variables stay float32
    history = model.fit(batches(3), verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values())
    assert model.sample(2, seed=0).dtype == np.float32

    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.generator.project.compute_dtype == "bfloat16"
    np.testing.assert_array_equal(loaded.sample(3, seed=1), model.sample(3, seed=1))

    signatures = tf.saved_model.load(str(export_generator(loaded, tmp_path, "bf16"))).signatures
    z = tf.random.stateless_normal([2, 16], seed=[1, 0])
    served = signatures["serving_default"](z=z)["images"]
    assert signatures["serving_default"].structured_input_signature[1]["z"].dtype == tf.float32
    assert served.dtype == tf.float32
    np.testing.assert_allclose(served.numpy(), loaded.generate_for_serving(z).numpy(), atol=1e-6)


def test_float16_gets_a_loss_scale_optimizer_per_player():
    model = build("wgan_gp", "mixed_float16", n_critic=2)
    assert set(model.optimizers) == {"generator", "discriminator"}
    assert all(isinstance(opt, keras.optimizers.LossScaleOptimizer)
               for opt in model.optimizers.values())
    history = model.fit(batches(3), verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values())


def test_unknown_policy_gets_one_clear_error():
    with pytest.raises(ValueError, match="dtype_policy must be one of float32, mixed_float16, "
                                         "mixed_bfloat16; got 'bf16'"):
        build("gan", "bf16")
