"""Versions on disk -> loaded SavedModels, with TF Serving's version policy, labels and states.

A poller re-reads each model's base path; new versions are loaded (and warmed up) BEFORE the
versions they replace are dropped, and the loaded set is swapped atomically, so a request never
sees a gap (TF Serving's availability-preserving policy). A request holds its own reference to the
version it resolved, so an unload never cuts it short.

`reload` replaces the whole model list (HandleReloadConfigRequest, the config file poll and the
initial config all go through it, as in TF Serving's ServerCore::ReloadConfig). It loads into copies
of the models while the old ones keep serving and swaps the model dict only once the new config is
valid, so a rejected config loses nothing and a model that stays never has a gap.
"""

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import grpc
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import get_model_status_pb2, prediction_log_pb2

from serving.errors import ServingError, invalid_argument, not_found

log = logging.getLogger(__name__)

State = get_model_status_pb2.ModelVersionStatus.State
WARMUP_FILE = "assets.extra/tf_serving_warmup_requests"
MAX_WARMUP_RECORDS = 1000  # TF Serving's limit


@dataclass
class LoadedVersion:
    name: str
    version: int
    signatures: dict  # signature name -> ConcreteFunction
    signature_defs: dict  # signature name -> SignatureDef proto (what GetModelMetadata returns)
    module: object  # keeps the loaded SavedModel (and its variables) alive


@dataclass
class VersionState:
    state: int
    error_code: grpc.StatusCode = grpc.StatusCode.OK
    error_message: str = ""


def numeric_versions(base_path):
    """TF Serving only considers numeric children; hidden temporary export directories are ignored."""
    path = Path(base_path)
    if not path.is_dir():
        return set()
    return {int(p.name) for p in path.iterdir() if p.name.isdigit() and p.is_dir()}


def load_version(name, version, path):
    module = tf.saved_model.load(str(path))
    meta_graph = saved_model_pb2.SavedModel.FromString((Path(path) / "saved_model.pb").read_bytes()).meta_graphs[0]
    return LoadedVersion(name, version, dict(module.signatures), dict(meta_graph.signature_def), module)


def warmup_requests(path):
    file = Path(path) / WARMUP_FILE
    if not file.exists():
        return []
    records = tf.data.TFRecordDataset(str(file)).take(MAX_WARMUP_RECORDS)
    logs = [prediction_log_pb2.PredictionLog.FromString(record.numpy()) for record in records]
    return [entry.predict_log.request for entry in logs if entry.HasField("predict_log")]


class ManagedModel:
    """One model of the config: its loaded versions (an immutable dict swapped whole) and states."""

    def __init__(self, entry):
        self.entry = entry
        self.loaded = {}
        self.states = {}
        self.failed = set()  # versions that failed to load are not retried (TF Serving gives up too)


def check_labels(models):
    """Labels may only point at available versions (TF Serving rejects the config otherwise)."""
    for model in models.values():
        for label, version in model.entry.labels.items():
            if version not in model.loaded:
                raise ServingError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"Request to assign label to version {version} of model {model.entry.name}, "
                    f"which is not currently available for inference (label {label})",
                )


class ModelManager:
    def __init__(self, predictor, enable_warmup=True):
        self.models = {}  # swapped whole by reload; readers never take the lock
        self.retired = {}  # name -> version states of models a reload removed (GetModelStatus reports END)
        self._predictor = predictor
        self._enable_warmup = enable_warmup
        self._lock = threading.Lock()  # one poll or reload at a time
        self._stop = threading.Event()
        self._threads = []

    # -- config and polling -----------------------------------------------------------------
    def reload(self, entries):
        """Serve exactly `entries`: load new models and versions, then swap; raise ServingError if invalid."""
        names = [entry.name for entry in entries]
        for name in names:
            if names.count(name) > 1:
                raise invalid_argument(f"Illegal to list model {name} multiple times in config list")
        with self._lock:
            models = {entry.name: self._successor(entry) for entry in entries}
            for model in models.values():
                self._sync(model)
            check_labels(models)  # before the swap: a rejected config leaves the old one serving
            for name in self.models.keys() - models.keys():
                self.retired[name] = {v: s if s.state == State.END else VersionState(State.END)
                                      for v, s in self.models[name].states.items()}
                log.info("unloaded model %s", name)
            self.models = models
            for name in models:
                self.retired.pop(name, None)

    def _successor(self, entry):
        """A kept model continues from a copy of its state (the old object serves until the swap)."""
        old = self.models.get(entry.name)
        model = ManagedModel(entry)
        if old is not None and old.entry.base_path == entry.base_path:
            model.loaded, model.states, model.failed = old.loaded, dict(old.states), set(old.failed)
        return model

    def poll_once(self):
        with self._lock:
            for model in self.models.values():
                self._sync(model)

    def _sync(self, model):
        entry = model.entry
        wanted = entry.wanted_versions(numeric_versions(entry.base_path) - model.failed)
        loaded = dict(model.loaded)
        for version in sorted(wanted - set(loaded)):
            model.states[version] = VersionState(State.LOADING)
            try:
                servable = load_version(entry.name, version, Path(entry.base_path) / str(version))
                if self._enable_warmup:
                    for request in warmup_requests(Path(entry.base_path) / str(version)):
                        self._predictor(servable, request)
            except Exception as exc:  # a broken version must not take the server down
                log.exception("failed to load %s version %s", entry.name, version)
                model.failed.add(version)
                model.states[version] = VersionState(State.END, grpc.StatusCode.UNKNOWN, f"Failed to load: {exc}")
                continue
            loaded[version] = servable
            model.states[version] = VersionState(State.AVAILABLE)
            log.info("loaded %s version %s", entry.name, version)
        for version in set(loaded) - wanted:
            del loaded[version]
            model.states[version] = VersionState(State.END)
            log.info("unloaded %s version %s", entry.name, version)
        model.loaded = loaded  # atomic swap: in-flight requests keep the versions they hold

    def start_polling(self, interval_seconds, poll=None, name="version-poller"):
        """Call `poll` (default: look for new versions) every interval until stop()."""
        poll = poll or self.poll_once

        def run():
            while not self._stop.wait(interval_seconds):
                try:
                    poll()
                except Exception as exc:  # e.g. an unreadable base path or a bad config file: keep serving
                    log.error("%s: poll failed, still serving the old state: %s", name, exc)  # one line per poll

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    # -- request resolution (predict_impl / server_core semantics) --------------------------
    def resolve(self, model_spec):
        if not model_spec.name:
            raise invalid_argument("Missing ModelSpec")
        model = self.models.get(model_spec.name)
        choice = model_spec.WhichOneof("version_choice")
        if choice == "version_label":
            if model is None or model_spec.version_label not in model.entry.labels:
                raise invalid_argument(f"Unrecognized servable version label: {model_spec.version_label}")
            return self._specific(model, model_spec.name, model.entry.labels[model_spec.version_label])
        if choice == "version":
            return self._specific(model, model_spec.name, model_spec.version.value)
        loaded = model.loaded if model else {}
        if not loaded:
            raise not_found(f"Servable not found for request: Latest({model_spec.name})")
        return loaded[max(loaded)]

    @staticmethod
    def _specific(model, name, version):
        servable = model.loaded.get(version) if model else None
        if servable is None:
            raise not_found(f"Servable not found for request: Specific({name}, {version})")
        return servable

    def status(self, model_spec):
        """GetModelStatus: every version's state, or one version's (get_model_status_impl.cc)."""
        if not model_spec.name:
            raise invalid_argument("Missing ModelSpec")
        model = self.models.get(model_spec.name)
        states = dict(model.states) if model else dict(self.retired.get(model_spec.name, {}))
        choice = model_spec.WhichOneof("version_choice")
        if choice == "version_label":
            if model is None or model_spec.version_label not in model.entry.labels:
                raise invalid_argument(f"Unrecognized servable version label: {model_spec.version_label}")
            choice, version = "version", model.entry.labels[model_spec.version_label]
        else:
            version = model_spec.version.value
        if choice == "version":
            if version not in states:
                raise not_found(f"Could not find version {version} of model {model_spec.name}")
            return {version: states[version]}
        if not states:
            raise not_found(f"Could not find any versions of model {model_spec.name}")
        return states
