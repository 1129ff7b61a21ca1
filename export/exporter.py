"""A trained model -> versioned SavedModel that TF Serving (or serving.local_server) can load.

Layout: ``base_dir/<name>/<version>/``. The signatures are the model's own
(``model.serving_signatures(max_samples)``, see ``tfgan_suite.core.signatures``): e.g. for latent
GANs ``serving_default`` (z [+ labels] -> images), ``sample`` (num_samples, seed [+ labels] ->
images, the draw ``model.sample`` makes) and ``sample_png`` (-> ``images_bytes``, which REST
base64-encodes); for image-to-image models ``translate_a2b``/``translate_b2a``. The exporter only
writes them: the networks of ``model.inference_networks()`` (EMA copies when the model keeps them),
each signature behind its batch cap (checked in the graph), floating outputs as float32.

``assets.extra/model_facts.json`` describes the model (``batch_caps``: signature -> cap) and
``assets.extra/tf_serving_warmup_requests`` holds TF Serving's warmup requests.
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
DEFAULT_MAX_SAMPLES = 1024  # the batch cap of every signature unless the export says
WARMUP_BATCH_SIZES = (1, 64)


def load_generator_model(model_or_keras_file):
    """Accept a model object or a path to a `.keras` file saved by `model.save`."""
    if isinstance(model_or_keras_file, (str, os.PathLike)):
        import tfgan_suite.models  # noqa: F401  (registers the serializable GAN classes)

        return keras.models.load_model(model_or_keras_file)
    return model_or_keras_file


def next_version(model_dir):
    """One more than the highest numeric child of `model_dir` (TF Serving only looks at those)."""
    model_dir = Path(model_dir)
    versions = [int(p.name) for p in model_dir.iterdir() if p.name.isdigit()] if model_dir.is_dir() else []
    return max(versions, default=0) + 1


def _endpoint(name, signature):
    """The signature's function behind an in-graph batch cap on every input with a batch
    dimension (so TF Serving, which never reads our facts, rejects an oversized request too),
    with its floating outputs in float32 (mixed-precision models compute in half precision)."""
    def endpoint(*tensors):
        checks = [
            tf.debugging.assert_less_equal(
                tf.shape(tensor)[0], signature.batch_cap,
                message=f"{spec.name} holds more than {signature.batch_cap} examples, the batch "
                        f"cap of the {name} signature")
            for spec, tensor in zip(signature.inputs, tensors) if spec.shape.rank]
        with tf.control_dependencies(checks):
            tensors = [tf.identity(tensor) for tensor in tensors]
        outputs = signature.function(*tensors)
        return {key: tf.cast(value, tf.float32) if value.dtype.is_floating else value
                for key, value in outputs.items()}
    return tf.function(endpoint)


def model_facts(model, name, version, signatures):
    info = dict(getattr(model, "training_info", None) or {})
    caps = {signature_name: s.batch_cap for signature_name, s in signatures.items()}
    return {
        "name": name,
        "version": version,
        "variant": model.variant,
        "input_kind": getattr(model, "input_kind", None),
        "latent_dim": getattr(model, "latent_dim", None),
        "image_shape": list(model.image_shape),
        "num_classes": getattr(model, "num_classes", None),
        "value_range": list(VALUE_RANGE),
        "max_samples": caps.get("sample"),
        "batch_caps": caps,
        "signatures": {signature_name: {"inputs": [spec.name for spec in s.inputs],
                                        "outputs": list(s.outputs)}
                       for signature_name, s in signatures.items()},
        "training_data": info.get("dataset"),
        "metrics": info.get("metrics") or info.get("final_metrics"),
        "training_info": info,
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
    }


def _warmup_value(spec, batch):
    """A valid input for `spec` in a batch of `batch`: zeros, and `batch` for an int scalar
    (a count such as num_samples, or a seed)."""
    if spec.shape.rank == 0:
        return np.asarray(batch, spec.dtype.as_numpy_dtype)
    shape = [batch if dim is None else dim for dim in spec.shape.as_list()]
    return np.zeros(shape, spec.dtype.as_numpy_dtype)


def warmup_requests(signatures, name):
    """Representative Predict requests (batch 1 and 64, within each cap) of every signature the
    model marks for warmup, for TF Serving's warmup file."""
    requests = []
    for batch in WARMUP_BATCH_SIZES:
        for signature_name, signature in signatures.items():
            if not signature.warmup:
                continue
            request = predict_pb2.PredictRequest()
            request.model_spec.name = name
            request.model_spec.signature_name = signature_name
            for spec in signature.inputs:
                value = _warmup_value(spec, min(batch, signature.batch_cap))
                request.inputs[spec.name].CopyFrom(tf.make_tensor_proto(value))
            requests.append(request)
    return requests


def _write_assets_extra(export_dir, model, name, version, signatures):
    extra = Path(export_dir) / "assets.extra"
    extra.mkdir()
    facts = model_facts(model, name, version, signatures)
    (extra / FACTS_FILE).write_text(json.dumps(facts, indent=2, default=str))
    with tf.io.TFRecordWriter(str(extra / WARMUP_FILE)) as writer:
        for request in warmup_requests(signatures, name):
            log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())


def export_generator(model_or_keras_file, base_dir, name, version=None, max_samples=DEFAULT_MAX_SAMPLES):
    """Write ``base_dir/name/<version>/`` atomically and return its path; `max_samples` is the
    batch cap of every signature.

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
        signatures = model.serving_signatures(max_samples)
        archive = keras.export.ExportArchive()
        for network in model.inference_networks().values():
            archive.track(network)
        for signature_name, signature in signatures.items():
            archive.add_endpoint(signature_name, _endpoint(signature_name, signature),
                                 input_signature=list(signature.inputs))
        archive.write_out(str(tmp_dir / "saved_model"), verbose=False)
        _write_assets_extra(tmp_dir / "saved_model", model, name, version, signatures)
        os.rename(tmp_dir / "saved_model", final_dir)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return final_dir


def read_facts(version_dir):
    return json.loads((Path(version_dir) / "assets.extra" / FACTS_FILE).read_text())
