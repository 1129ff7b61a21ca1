"""gRPC client for exported generators behind TF Serving (or serving.local_server).

Numpy in, numpy out; knows nothing of training code, only the export contract (export/exporter.py):

    from serving.client import GeneratorClient
    with GeneratorClient("localhost:8500", "dcgan_mnist") as client:
        images = client.sample(16, seed=0)              # float32 [16, H, W, C] in [-1, 1]
        stable = client.select(label="stable").sample(16, seed=0)

Every failure is a `ServingError` carrying the gRPC status code and the server's message.
Only UNAVAILABLE is retried (with exponential backoff): other codes are answers, not accidents.
"""

import copy
import time

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving.errors import ServingError, status_code_from_int
from serving.predict import DEFAULT_MAX_MESSAGE_BYTES  # the servers' limit; gRPC's own 4 MiB is 80 CIFAR batches of 64 short
from serving.tensors import to_ndarray, write_as_content


class GeneratorClient:
    def __init__(self, target, model, version=None, label=None, *, timeout_seconds=30.0, max_attempts=4,
                 backoff_seconds=0.1, max_backoff_seconds=2.0, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES,
                 tls=False, root_certificates=None, private_key=None, certificate_chain=None, channel=None):
        if version is not None and label is not None:
            raise ValueError("give a version or a label, not both")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
        self.target = target
        self.model = model
        self.version = version
        self.label = label
        self.timeout_seconds = timeout_seconds
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._owns_channel = channel is None
        self._channel = channel or self._open_channel(
            target, max_message_bytes, tls, root_certificates, private_key, certificate_chain
        )
        self._predict = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)
        self._signatures = None

    @staticmethod
    def _open_channel(target, max_message_bytes, tls, root_certificates, private_key, certificate_chain):
        options = [
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ]
        if tls:
            credentials = grpc.ssl_channel_credentials(root_certificates, private_key, certificate_chain)
            return grpc.secure_channel(target, credentials, options=options)
        return grpc.insecure_channel(target, options=options)

    def select(self, version=None, label=None):
        """The same model at another version or label, sharing this client's channel and settings."""
        if version is not None and label is not None:
            raise ValueError("give a version or a label, not both")
        clone = copy.copy(self)
        clone.version, clone.label = version, label
        clone._owns_channel, clone._signatures = False, None  # the channel stays this client's to close
        return clone

    def close(self):
        if self._owns_channel:
            self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- generation -----------------------------------------------------------------------
    def sample(self, n, seed, labels=None, truncation=None, truncation_psi=None):
        """`n` images drawn from the `sample` signature; the same seed gives the same images.
        `truncation`: the threshold of the truncation trick, for models whose signature takes one
        (0 or None: none); `truncation_psi`: StyleGAN's truncation towards the average w (1 or
        None: none)."""
        return self._sample("sample", "images", n, seed, labels, truncation, truncation_psi)

    def sample_png(self, n, seed, labels=None, truncation=None, truncation_psi=None):
        """Like `sample`, as a list of PNG-encoded images (bytes)."""
        return list(self._sample("sample_png", "images_bytes", n, seed, labels, truncation,
                                 truncation_psi))

    def style_mix(self, n, seed, mix_seed, crossover):
        """StyleGAN: the `n` images of `sample(n, seed)` with the styles of `sample(n, mix_seed)`
        from layer `crossover` on (0: the mix seed's images), by the `style_mix` signature."""
        if "style_mix" not in self.signatures():
            raise ValueError(f"model {self.model!r} has no style_mix signature (stylegan models "
                             "serve one)")
        inputs = {"num_samples": np.int32(n), "seed": np.int32(seed),
                  "mix_seed": np.int32(mix_seed), "crossover": np.int32(crossover)}
        return self.predict("style_mix", inputs, output_filter=["images"])["images"]

    def generate(self, z, labels=None):
        """Images for the latent vectors `z` [N, latent_dim] (and class `labels` [N] when conditional)."""
        inputs = {"z": np.asarray(z, np.float32)}
        if labels is not None:
            inputs["labels"] = np.asarray(labels, np.int32)
        return self.predict("serving_default", inputs)["images"]

    def translate(self, images, direction="a2b"):
        """Image-to-image models: `images` [N, H, W, C] in [-1, 1] of domain A ("a2b") or B
        ("b2a") translated to the other domain, by the `translate_<direction>` signature."""
        if direction not in ("a2b", "b2a"):
            raise ValueError(f"direction must be 'a2b' or 'b2a'; got {direction!r}")
        signature = f"translate_{direction}"
        if direction == "a2b" and signature not in self.signatures():
            signature = "serving_default"  # a one-way image model serves its translation there
        return self.predict(signature, {"images": np.asarray(images, np.float32)})["images"]

    def upscale(self, images):
        """Super-resolution models (SRGAN): low-resolution `images` [N, h, w, C] in [-1, 1] ->
        high-resolution images, by the `upscale` signature."""
        return self.predict("upscale", {"images": np.asarray(images, np.float32)})["images"]

    def score(self, images):
        """Anomaly detectors (GANomaly): `images` [N, H, W, C] in [-1, 1] -> one anomaly score
        each (higher: more anomalous), by the `score` signature."""
        return self.predict("score", {"images": np.asarray(images, np.float32)})["scores"]

    def _sample(self, signature, output, n, seed, labels, truncation, truncation_psi):
        inputs = {"num_samples": np.int32(n), "seed": np.int32(seed)}
        accepted = self.signatures().get(signature, {}).get("inputs", {})
        if "labels" in accepted:
            # An empty list asks the model for its default labels (range(n) % num_classes).
            inputs["labels"] = np.asarray([] if labels is None else labels, np.int32)
        elif labels is not None:
            raise ValueError(f"model {self.model!r} is not conditional; it takes no labels")
        if "truncation" in accepted:
            inputs["truncation"] = np.float32(truncation or 0.0)
        elif truncation is not None:
            raise ValueError(f"model {self.model!r} samples without truncation; it takes no "
                             "truncation")
        if "truncation_psi" in accepted:
            inputs["truncation_psi"] = np.float32(1.0 if truncation_psi is None else truncation_psi)
        elif truncation_psi is not None:
            raise ValueError(f"model {self.model!r} takes no truncation_psi (stylegan models do)")
        return self.predict(signature, inputs, output_filter=[output])[output]

    def predict(self, signature, inputs, output_filter=None):
        """Any signature: dict of numpy arrays in, dict of numpy arrays out. Other values take
        TensorFlow's dtypes (a Python int is an int32, a float a float32)."""
        response = self._call(self._predict.Predict, self.predict_request(signature, inputs, output_filter))
        return predict_outputs(response)

    def predict_request(self, signature, inputs, output_filter=None):
        """The PredictRequest `predict` sends: every tensor as `tensor_content` (serving.tensors)."""
        request = predict_pb2.PredictRequest()
        self._fill_spec(request.model_spec, signature)
        for name, value in inputs.items():
            array = value if isinstance(value, (np.ndarray, np.generic)) else tf.constant(value).numpy()
            write_as_content(array, request.inputs[name])
        request.output_filter.extend(output_filter or [])
        return request

    # -- introspection --------------------------------------------------------------------
    def metadata(self):
        """{"name", "version", "signatures": {sig: {"inputs"|"outputs": {alias: {"dtype", "shape"}}}}}."""
        request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
        self._fill_spec(request.model_spec)
        response = self._call(self._predict.GetModelMetadata, request)
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(signature_map)
        return {
            "name": response.model_spec.name,
            "version": response.model_spec.version.value,
            "signatures": {
                name: {"inputs": _tensor_infos(sig.inputs), "outputs": _tensor_infos(sig.outputs)}
                for name, sig in signature_map.signature_def.items()
                if not name.startswith("__")  # __saved_model_init_op is not callable
            },
        }

    def signatures(self):
        if self._signatures is None:
            self._signatures = self.metadata()["signatures"]
        return self._signatures

    def status(self):
        """[{"version", "state" ("AVAILABLE", ...), "error_code" ("OK", ...), "error_message"}] per version."""
        request = get_model_status_pb2.GetModelStatusRequest()
        self._fill_spec(request.model_spec)
        response = self._call(self._models.GetModelStatus, request)
        state_name = get_model_status_pb2.ModelVersionStatus.State.Name
        return [
            {
                "version": entry.version,
                "state": state_name(entry.state),
                "error_code": status_code_from_int(entry.status.error_code).name,
                "error_message": entry.status.error_message,
            }
            for entry in response.model_version_status
        ]

    # -- plumbing -------------------------------------------------------------------------
    def _fill_spec(self, spec, signature=None):
        spec.name = self.model
        if self.version is not None:
            spec.version.value = int(self.version)
        elif self.label is not None:
            spec.version_label = self.label
        if signature:
            spec.signature_name = signature

    def _call(self, rpc, request):
        delay, attempt = self.backoff_seconds, 1
        while True:
            try:
                return rpc(request, timeout=self.timeout_seconds)
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or attempt >= self.max_attempts:
                    raise ServingError(error.code(), error.details() or "") from None
            time.sleep(delay)
            delay, attempt = min(delay * 2, self.max_backoff_seconds), attempt + 1


def predict_outputs(response):
    """A PredictResponse's tensors as numpy arrays, in whichever form the server wrote them."""
    return {name: to_ndarray(proto) for name, proto in response.outputs.items()}


def _tensor_infos(infos):
    return {
        alias: {
            "dtype": tf.as_dtype(info.dtype).name,
            "shape": None if info.tensor_shape.unknown_rank else [d.size for d in info.tensor_shape.dim],
        }
        for alias, info in infos.items()
    }
