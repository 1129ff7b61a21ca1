"""Trained generator -> versioned SavedModel that TF Serving (or serving.local_server) can load.

Layout: ``base_dir/<name>/<version>/`` with signatures

- ``serving_default``: ``z`` float32 [N, latent_dim] (+ ``labels`` int32 [N]) -> ``images``;
  image-to-image models take ``images`` float32 [N, H, W, C] instead.
- ``sample``: ``num_samples`` int32 scalar, ``seed`` int32 scalar (+ ``labels`` int32 [N]) -> ``images``,
  drawing the latent input with ``model.prior_latent(n, seed)`` exactly like ``model.sample``
  (``stateless_normal([n, latent_dim], seed=[seed, 0])``; InfoGAN adds its codes).
- ``sample_png``: same inputs -> ``images_bytes`` string [N] (REST base64-encodes ``*_bytes`` outputs).

and ``assets.extra/model_facts.json`` plus ``assets.extra/tf_serving_warmup_requests``.
"""

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

FACTS_FILE = "model_facts.json"
WARMUP_FILE = "tf_serving_warmup_requests"
VALUE_RANGE = (-1.0, 1.0)  # every generator ends in tanh
DEFAULT_MAX_SAMPLES = 1024
WARMUP_BATCH_SIZES = (1, 64)


def load_generator_model(model_or_keras_file):
    """Accept a model object or a path to a `.keras` file saved by `model.save`."""
    if isinstance(model_or_keras_file, (str, os.PathLike)):
        import tfgan_suite  # noqa: F401  (registers the serializable GAN classes)

        return keras.models.load_model(model_or_keras_file)
    return model_or_keras_file


def next_version(model_dir):
    """One more than the highest numeric child of `model_dir` (TF Serving only looks at those)."""
    model_dir = Path(model_dir)
    versions = [int(p.name) for p in model_dir.iterdir() if p.name.isdigit()] if model_dir.is_dir() else []
    return max(versions, default=0) + 1


def _after_checks(value, *assertions):
    """`value`, usable only once the assertions passed: in a graph, ops without a data dependency
    on an assert may run first and fail with a less helpful message."""
    with tf.control_dependencies([a for a in assertions if a is not None]):
        return tf.identity(value)


class _Signatures:
    """The serving functions of one model; inputs named as in the export contract (DESIGN.md §5)."""

    def __init__(self, model, max_samples):
        self.model = model
        self.generator = model.generator
        self.num_classes = model.num_classes
        self.max_samples = max_samples

    def _generate(self, z, labels=None):
        inputs = z if labels is None else [z, self._checked_labels(labels)]
        return self.generator(inputs, training=False)

    def _checked_labels(self, labels):
        # A clear INVALID_ARGUMENT instead of an embedding lookup error deep in the graph.
        return _after_checks(
            labels,
            tf.debugging.assert_non_negative(labels, message="labels must be >= 0"),
            tf.debugging.assert_less(labels, self.num_classes, message=f"labels must be < num_classes={self.num_classes}"),
        )

    def _latents(self, num_samples, seed, labels=None):
        num_samples = _after_checks(
            num_samples,
            tf.debugging.assert_positive(num_samples, message="num_samples must be >= 1"),
            tf.debugging.assert_less_equal(
                num_samples, self.max_samples, message=f"num_samples must be <= {self.max_samples}"
            ),
        )
        seed = _after_checks(seed, tf.debugging.assert_non_negative(seed, message="seed must be >= 0"))
        z = self.model.prior_latent(num_samples, seed)  # the draw model.sample makes for this seed
        if labels is None:
            return z, None
        # An empty `labels` means the default of model.sample: range(n) % num_classes.
        labels = tf.cond(
            tf.size(labels) == 0, lambda: tf.range(num_samples) % self.num_classes, lambda: labels
        )
        labels = _after_checks(
            labels,
            tf.debugging.assert_equal(
                tf.size(labels), num_samples, message="labels must be empty or hold num_samples values"
            ),
        )
        return z, labels

    def serving_default(self, z, labels=None):
        return {"images": self._generate(z, labels)}

    def sample(self, num_samples, seed, labels=None):
        return {"images": self._generate(*self._latents(num_samples, seed, labels))}

    def sample_png(self, num_samples, seed, labels=None):
        images = self.sample(num_samples, seed, labels)["images"]
        pixels = tf.cast(tf.round((tf.clip_by_value(images, -1.0, 1.0) + 1.0) * 127.5), tf.uint8)
        return {"images_bytes": tf.map_fn(tf.io.encode_png, pixels, fn_output_signature=tf.string)}

    def translate(self, images):
        return {"images": self.generator(images, training=False)}


def _scalar(name):
    return tf.TensorSpec([], tf.int32, name=name)


def _add_endpoints(archive, model, max_samples):
    sigs = _Signatures(model, max_samples)
    if model.input_kind == "image":
        spec = tf.TensorSpec([None, *model.image_shape], tf.float32, name="images")
        archive.add_endpoint("serving_default", tf.function(sigs.translate), input_signature=[spec])
        return
    # Explicit (non-optional) arguments: a signature cannot carry defaulted Python arguments.
    z_spec = tf.TensorSpec([None, model.latent_dim], tf.float32, name="z")
    sample_specs = [_scalar("num_samples"), _scalar("seed")]
    if model.num_classes:
        labels_spec = tf.TensorSpec([None], tf.int32, name="labels")
        endpoints = {
            "serving_default": (lambda z, labels: sigs.serving_default(z, labels), [z_spec, labels_spec]),
            "sample": (lambda num_samples, seed, labels: sigs.sample(num_samples, seed, labels),
                       [*sample_specs, labels_spec]),
            "sample_png": (lambda num_samples, seed, labels: sigs.sample_png(num_samples, seed, labels),
                           [*sample_specs, labels_spec]),
        }
    else:
        endpoints = {
            "serving_default": (lambda z: sigs.serving_default(z), [z_spec]),
            "sample": (lambda num_samples, seed: sigs.sample(num_samples, seed), sample_specs),
            "sample_png": (lambda num_samples, seed: sigs.sample_png(num_samples, seed), sample_specs),
        }
    for name, (fn, specs) in endpoints.items():
        archive.add_endpoint(name, tf.function(fn), input_signature=specs)


def model_facts(model, name, version, max_samples):
    info = dict(getattr(model, "training_info", None) or {})
    return {
        "name": name,
        "version": version,
        "variant": model.variant,
        "input_kind": model.input_kind,
        "latent_dim": model.latent_dim,
        "image_shape": list(model.image_shape),
        "num_classes": model.num_classes,
        "value_range": list(VALUE_RANGE),
        "max_samples": max_samples if model.input_kind == "latent" else None,
        "training_data": info.get("dataset"),
        "metrics": info.get("metrics") or info.get("final_metrics"),
        "training_info": info,
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
    }


def warmup_requests(model, name):
    """Representative Predict requests (batch 1 and 64 of each float signature) for TF Serving warmup."""
    requests = []
    for batch in WARMUP_BATCH_SIZES:
        request = predict_pb2.PredictRequest()
        request.model_spec.name = name
        request.model_spec.signature_name = "serving_default"
        if model.input_kind == "image":
            request.inputs["images"].CopyFrom(
                tf.make_tensor_proto(np.zeros([batch, *model.image_shape], np.float32))
            )
        else:
            request.inputs["z"].CopyFrom(tf.make_tensor_proto(np.zeros([batch, model.latent_dim], np.float32)))
            sample = predict_pb2.PredictRequest()
            sample.model_spec.name = name
            sample.model_spec.signature_name = "sample"
            sample.inputs["num_samples"].CopyFrom(tf.make_tensor_proto(batch, dtype=tf.int32))
            sample.inputs["seed"].CopyFrom(tf.make_tensor_proto(0, dtype=tf.int32))
            if model.num_classes:
                labels = np.arange(batch, dtype=np.int32) % model.num_classes
                request.inputs["labels"].CopyFrom(tf.make_tensor_proto(labels))
                sample.inputs["labels"].CopyFrom(tf.make_tensor_proto(labels))
            requests.append(sample)
        requests.append(request)
    return requests


def _write_assets_extra(export_dir, model, name, version, max_samples):
    extra = Path(export_dir) / "assets.extra"
    extra.mkdir()
    facts = model_facts(model, name, version, max_samples)
    (extra / FACTS_FILE).write_text(json.dumps(facts, indent=2, default=str))
    with tf.io.TFRecordWriter(str(extra / WARMUP_FILE)) as writer:
        for request in warmup_requests(model, name):
            log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())


def export_generator(model_or_keras_file, base_dir, name, version=None, max_samples=DEFAULT_MAX_SAMPLES):
    """Write ``base_dir/name/<version>/`` atomically and return its path.

    The SavedModel is written into a hidden temporary sibling and renamed into place, so a polling
    server (which only considers numeric directory names) never sees a partial version.
    """
    model = load_generator_model(model_or_keras_file)
    model_dir = Path(base_dir) / name
    model_dir.mkdir(parents=True, exist_ok=True)
    version = next_version(model_dir) if version is None else int(version)
    if version < 1:
        raise ValueError(f"version must be a positive integer, got {version}")
    final_dir = model_dir / str(version)
    if final_dir.exists():
        raise FileExistsError(f"{final_dir} already exists; versions are immutable, pick another")

    tmp_dir = Path(tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=model_dir))
    try:
        archive = keras.export.ExportArchive()
        archive.track(model.generator)
        _add_endpoints(archive, model, max_samples)
        archive.write_out(str(tmp_dir / "saved_model"), verbose=False)
        _write_assets_extra(tmp_dir / "saved_model", model, name, version, max_samples)
        os.rename(tmp_dir / "saved_model", final_dir)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return final_dir


def read_facts(version_dir):
    return json.loads((Path(version_dir) / "assets.extra" / FACTS_FILE).read_text())
