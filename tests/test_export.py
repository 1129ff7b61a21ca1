"""export_generator: signatures, numerics against the Keras model, facts, warmup, atomic versions."""

import argparse
import io
import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from tensorflow_serving.apis import prediction_log_pb2

import export.exporter as exporter
from export import export_generator, next_version, read_facts
from tfgan_suite.cli import export as cli
from serving_fixtures import IMAGE_SHAPE, LATENT_DIM, NUM_CLASSES, conditional_gan, image_to_image_gan, unconditional_gan

# Its module-scoped fixtures are built once: one pytest-xdist worker runs the module.
pytestmark = pytest.mark.xdist_group("test_export")

# Graph-mode kernels (fused matmul+bias) may differ from eager Keras in the last bit; same z in,
# the exported signatures agree with each other exactly.
KERAS_ATOL = 1e-6


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("models")
    models = {"uncond": unconditional_gan(), "cond": conditional_gan(), "i2i": image_to_image_gan()}
    return {
        kind: (model, tf.saved_model.load(str(export_generator(model, base, kind))), base)
        for kind, model in models.items()
    }


def _spec_summary(signature):
    inputs = {k: (v.dtype, v.shape.as_list()) for k, v in signature.structured_input_signature[1].items()}
    outputs = {k: (v.dtype, v.shape.as_list()) for k, v in signature.structured_outputs.items()}
    return inputs, outputs


def test_unconditional_signatures_have_contract_names_and_dtypes(exported):
    _, loaded, _ = exported["uncond"]
    assert set(loaded.signatures) == {"serving_default", "sample", "sample_png"}
    images = (tf.float32, [None, *IMAGE_SHAPE])
    assert _spec_summary(loaded.signatures["serving_default"]) == (
        {"z": (tf.float32, [None, LATENT_DIM])}, {"images": images}
    )
    scalars = {"num_samples": (tf.int32, []), "seed": (tf.int32, [])}
    assert _spec_summary(loaded.signatures["sample"]) == (scalars, {"images": images})
    assert _spec_summary(loaded.signatures["sample_png"]) == (scalars, {"images_bytes": (tf.string, [None])})


def test_unconditional_outputs_match_keras_model(exported):
    model, loaded, _ = exported["uncond"]
    z = tf.random.stateless_normal([5, LATENT_DIM], seed=[7, 0])
    served = loaded.signatures["serving_default"](z=z)["images"].numpy()
    np.testing.assert_allclose(served, model.generator(z, training=False).numpy(), atol=KERAS_ATOL, rtol=0)
    assert served.min() >= -1 and served.max() <= 1

    sample = loaded.signatures["sample"](num_samples=tf.constant(5), seed=tf.constant(7))["images"].numpy()
    np.testing.assert_array_equal(sample, served)  # the sample signature draws z exactly like model.sample
    np.testing.assert_allclose(sample, model.sample(5, seed=7), atol=KERAS_ATOL, rtol=0)


def test_sample_is_deterministic_for_a_seed(exported):
    _, loaded, _ = exported["uncond"]
    sample = loaded.signatures["sample"]
    first = sample(num_samples=tf.constant(3), seed=tf.constant(11))["images"].numpy()
    again = sample(num_samples=tf.constant(3), seed=tf.constant(11))["images"].numpy()
    other = sample(num_samples=tf.constant(3), seed=tf.constant(12))["images"].numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_conditional_export_takes_labels(exported):
    model, loaded, _ = exported["cond"]
    inputs, _ = _spec_summary(loaded.signatures["serving_default"])
    assert inputs == {"z": (tf.float32, [None, LATENT_DIM]), "labels": (tf.int32, [None])}
    assert _spec_summary(loaded.signatures["sample"])[0]["labels"] == (tf.int32, [None])

    z = tf.random.stateless_normal([4, LATENT_DIM], seed=[3, 0])
    labels = tf.constant([2, 0, 1, 2])
    served = loaded.signatures["serving_default"](z=z, labels=labels)["images"].numpy()
    np.testing.assert_allclose(served, model.generator([z, labels]).numpy(), atol=KERAS_ATOL, rtol=0)
    sampled = loaded.signatures["sample"](num_samples=tf.constant(4), seed=tf.constant(3), labels=labels)
    np.testing.assert_array_equal(sampled["images"].numpy(), served)


def test_conditional_sample_with_empty_labels_uses_model_default(exported):
    model, loaded, _ = exported["cond"]
    served = loaded.signatures["sample"](
        num_samples=tf.constant(5), seed=tf.constant(1), labels=tf.constant([], tf.int32)
    )["images"].numpy()
    np.testing.assert_allclose(served, model.sample(5, seed=1), atol=KERAS_ATOL, rtol=0)


@pytest.mark.parametrize(
    "kind, inputs, message",
    [
        ("uncond", {"num_samples": 0, "seed": 1}, "num_samples must be >= 1"),
        ("uncond", {"num_samples": exporter.DEFAULT_MAX_SAMPLES + 1, "seed": 1}, "num_samples must be <= 1024"),
        ("uncond", {"num_samples": 2, "seed": -1}, "seed must be >= 0"),
        ("cond", {"num_samples": 2, "seed": 1, "labels": [0, NUM_CLASSES]}, "labels must be < num_classes=3"),
        ("cond", {"num_samples": 2, "seed": 1, "labels": [0, -1]}, "labels must be >= 0"),
        ("cond", {"num_samples": 2, "seed": 1, "labels": [0]}, "labels must be empty or hold num_samples values"),
    ],
)
def test_sample_rejects_bad_arguments_with_a_clear_message(exported, kind, inputs, message):
    _, loaded, _ = exported[kind]
    tensors = {k: tf.constant(v, tf.int32) for k, v in inputs.items()}
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        loaded.signatures["sample"](**tensors)


def test_sample_png_decodes_to_the_float_images(exported):
    _, loaded, _ = exported["uncond"]
    pngs = loaded.signatures["sample_png"](num_samples=tf.constant(2), seed=tf.constant(5))["images_bytes"].numpy()
    floats = loaded.signatures["sample"](num_samples=tf.constant(2), seed=tf.constant(5))["images"].numpy()
    assert len(pngs) == 2
    decoded = np.stack([np.array(Image.open(io.BytesIO(png))) for png in pngs])
    assert decoded.shape == (2, *IMAGE_SHAPE[:2])  # PIL drops the single channel
    expected = np.round((floats[..., 0] + 1) * 127.5)
    np.testing.assert_allclose(decoded, expected, atol=1)


def test_image_to_image_export_translates(exported):
    model, loaded, _ = exported["i2i"]
    assert set(loaded.signatures) == {"serving_default"}
    assert _spec_summary(loaded.signatures["serving_default"])[0] == {"images": (tf.float32, [None, *IMAGE_SHAPE])}
    images = np.random.default_rng(0).uniform(-1, 1, (3, *IMAGE_SHAPE)).astype(np.float32)
    served = loaded.signatures["serving_default"](images=tf.constant(images))["images"].numpy()
    np.testing.assert_allclose(served, model.generator(images).numpy(), atol=KERAS_ATOL, rtol=0)


def test_facts_describe_the_model(exported):
    _, _, base = exported["uncond"]
    facts = read_facts(base / "uncond" / "1")
    assert facts["variant"] == "standin_mlp"
    assert facts["latent_dim"] == LATENT_DIM
    assert facts["image_shape"] == list(IMAGE_SHAPE)
    assert facts["num_classes"] is None
    assert facts["value_range"] == [-1.0, 1.0]
    assert facts["training_data"] == "rings"
    assert facts["metrics"] == {"fid": 12.5}
    assert read_facts(base / "cond" / "1")["num_classes"] == NUM_CLASSES
    assert read_facts(base / "i2i" / "1")["input_kind"] == "image"


def test_warmup_file_holds_predict_logs_for_the_model(exported):
    _, loaded, base = exported["cond"]
    path = base / "cond" / "1" / "assets.extra" / exporter.WARMUP_FILE
    logs = [prediction_log_pb2.PredictionLog.FromString(r.numpy()) for r in tf.data.TFRecordDataset(str(path))]
    assert 0 < len(logs) <= 1000
    for log in logs:
        request = log.predict_log.request
        assert request.model_spec.name == "cond"
        signature = loaded.signatures[request.model_spec.signature_name]
        inputs = {k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()}
        assert set(inputs) == set(signature.structured_input_signature[1])
        assert "images" in signature(**inputs)  # every warmup request is one the model answers


def test_versions_are_numbered_and_immutable(tmp_path):
    model = unconditional_gan()
    assert next_version(tmp_path / "m") == 1
    assert export_generator(model, tmp_path, "m").name == "1"
    assert export_generator(model, tmp_path, "m", version=5).name == "5"
    assert export_generator(model, tmp_path, "m").name == "6"
    with pytest.raises(FileExistsError, match="already exists"):
        export_generator(model, tmp_path, "m", version=5)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["1", "5", "6"]


def test_interrupted_export_never_becomes_visible(tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-export")

    monkeypatch.setattr(exporter, "_write_assets_extra", crash)
    with pytest.raises(KeyboardInterrupt):
        export_generator(unconditional_gan(), tmp_path, "m")
    assert list((tmp_path / "m").iterdir()) == []  # neither a version nor the temporary directory


def test_cli_exports_a_keras_file(tmp_path, monkeypatch):
    model = unconditional_gan()
    monkeypatch.setattr(exporter, "load_generator_model", lambda path: model)
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["export", "gen.keras", "--base-dir", str(tmp_path), "--name", "m", "--version", "3"])
    assert args.func(args) == 0
    assert json.loads((Path(tmp_path) / "m" / "3" / "assets.extra" / "model_facts.json").read_text())["version"] == 3
