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
    keras.utils.set_random_seed(0)
    conditional = tfgan_suite.get_variant(variant).requires_labels
    model = tfgan_suite.build_model(variant, image_shape=IMAGE_SHAPE, latent_dim=16, width=4,
                                    num_classes=10 if conditional else None, dtype_policy=policy,
                                    **overrides)
    model.compile()
    return model


def batches(variant, steps, batch=16):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (batch * steps,) + IMAGE_SHAPE).astype(np.float32)
    if not tfgan_suite.get_variant(variant).requires_labels:
        return tf.data.Dataset.from_tensor_slices(images).batch(batch)
    labels = (np.arange(batch * steps) % 10).astype(np.int32)
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch)


def test_bfloat16_networks_train_and_export_float32(tmp_path):
    model = build("dcgan", "mixed_bfloat16")
    assert model.generator.project.compute_dtype == "bfloat16"
    assert model.generator.project.kernel.dtype == "float32"  # variables stay float32
    history = model.fit(batches("dcgan", 3), verbose=0).history
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
    history = model.fit(batches("wgan_gp", 3), verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values())


def test_unknown_policy_gets_one_clear_error():
    with pytest.raises(ValueError, match="dtype_policy must be one of float32, mixed_float16, "
                                         "mixed_bfloat16; got 'bf16'"):
        build("gan", "bf16")


LATENT_VARIANTS = sorted(name for name, cls in tfgan_suite.VARIANTS.items()
                         if cls.input_kind == "latent")


@pytest.mark.slow
@pytest.mark.parametrize("variant", LATENT_VARIANTS)
def test_every_latent_variant_trains_200_steps_in_bfloat16(variant, tmp_path):
    model = build(variant, "mixed_bfloat16")
    history = model.fit(batches(variant, 20).repeat(), steps_per_epoch=200, verbose=0).history
    for name, values in history.items():
        assert np.isfinite(values).all(), (name, values)
    signatures = tf.saved_model.load(str(export_generator(model, tmp_path, variant))).signatures
    takes_psi = "truncation_psi" in {spec.name for spec in model.serving_signatures(2)["sample"].inputs}
    sampled = signatures["sample"](
        num_samples=tf.constant(2), seed=tf.constant(0),
        **({"labels": tf.constant([0, 1])} if model.num_classes else {}),
        **({"truncation": tf.constant(0.0)} if model.takes_truncation else {}),
        **({"truncation_psi": tf.constant(1.0)} if takes_psi else {}))["images"]
    assert sampled.dtype == tf.float32 and np.isfinite(sampled.numpy()).all()
