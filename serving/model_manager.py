"""Versions on disk -> loaded SavedModels, with TF Serving's version policy, labels and states.

A poller re-reads each model's base path; new versions are loaded (and warmed up) BEFORE the
versions they replace are dropped, and the loaded set is swapped atomically, so a request never
sees a gap (TF Serving's availability-preserving policy). A request holds its own reference to the
version it resolved, so an unload never cuts it short.

A version that fails to load is retried `max_num_load_retries` times, `load_retry_interval_seconds`
apart, as TF Serving's LoaderHarness does (core/loader_harness.cc; flags --max_num_load_retries,
--load_retry_interval_micros); then it is reported END with the error. If its files change after
that (e.g. a `cp -r` finished or fixed in place), a later poll tries it again.

`reload` replaces the whole model list (HandleReloadConfigRequest, the config file poll and the
initial config all go through it, as in TF Serving's ServerCore::ReloadConfig). It loads into copies
of the models while the old ones keep serving and swaps the model dict only once the new config is
valid, so a rejected config loses nothing and a model that stays never has a gap.
"""

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import get_model_status_pb2, prediction_log_pb2

from serving.errors import ServingError, invalid_argument, not_found

log = logging.getLogger(__name__)

State = get_model_status_pb2.ModelVersionStatus.State
WARMUP_FILE = "assets.extra/tf_serving_warmup_requests"
FACTS_FILE = "assets.extra/model_facts.json"
MAX_WARMUP_RECORDS = 1000  # TF Serving's limit
DEFAULT_MAX_NUM_LOAD_RETRIES = 5  # TF Serving's defaults (model_servers/main.cc)
DEFAULT_LOAD_RETRY_INTERVAL_SECONDS = 60.0


@dataclass
class LoadedVersion:
    name: str
    version: int
    signatures: dict  # signature name -> ConcreteFunction
    signature_defs: dict  # signature name -> SignatureDef proto (what GetModelMetadata returns)
    module: object  # keeps the loaded SavedModel (and its variables) alive
    batch_caps: dict = field(default_factory=dict)  # signature name -> max batch, from the model facts


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


def files_fingerprint(path):
    """(relative path, size, mtime) of every file under `path`: changes when the version is rewritten."""
    entries = []
    for root, _, files in os.walk(path):
        for file in files:
            try:
                stat = os.stat(os.path.join(root, file))
            except OSError:  # removed while we looked
                continue
            entries.append((os.path.relpath(os.path.join(root, file), path), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(entries))


def batch_caps(path):
    """`batch_caps` from the export's model facts, {} when the export predates them. The facts are
    not part of the SavedModel (TF Serving never reads them), so an unreadable entry only costs its
    signature the server's default cap, with a warning."""
    file = Path(path) / FACTS_FILE
    try:
        caps = (json.loads(file.read_text()) if file.exists() else {}).get("batch_caps") or {}
        valid = {name: cap for name, cap in caps.items() if type(cap) is int and cap >= 1}
    except (ValueError, AttributeError) as error:  # not JSON, or not objects where objects belong
        log.warning("%s: no usable batch_caps (%s); the default batch cap applies", file, error)
        return {}
    if valid != caps:
        log.warning("%s: batch_caps must be integers >= 1; the default cap applies to %s", file,
                    sorted(set(caps) - set(valid)))
    return valid


def load_version(name, version, path):
    module = tf.saved_model.load(str(path))
    meta_graph = saved_model_pb2.SavedModel.FromString((Path(path) / "saved_model.pb").read_bytes()).meta_graphs[0]
    return LoadedVersion(name, version, dict(module.signatures), dict(meta_graph.signature_def), module,
                         batch_caps(path))


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
        self.failed = {}  # version -> files fingerprint when its retries ran out; tried again if it changes


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
    def __init__(self, predictor, enable_warmup=True, max_num_load_retries=DEFAULT_MAX_NUM_LOAD_RETRIES,
                 load_retry_interval_seconds=DEFAULT_LOAD_RETRY_INTERVAL_SECONDS):
        self.models = {}  # swapped whole by reload; readers never take the lock
        self.retired = {}  # name -> version states of models a reload removed (GetModelStatus reports END)
        self._predictor = predictor
        self._enable_warmup = enable_warmup
        self._max_num_load_retries = max_num_load_retries
        self._load_retry_interval_seconds = load_retry_interval_seconds
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
            model.loaded, model.states, model.failed = old.loaded, dict(old.states), dict(old.failed)
        return model

    def poll_once(self):
        with self._lock:
            for model in self.models.values():
                self._sync(model)

    def _sync(self, model):
        entry = model.entry
        on_disk = numeric_versions(entry.base_path)
        for version, fingerprint in list(model.failed.items()):
            if version not in on_disk or files_fingerprint(Path(entry.base_path) / str(version)) != fingerprint:
                del model.failed[version]  # gone, or rewritten since it failed: worth another try
        loaded = dict(model.loaded)
        while True:  # a version that fails for good falls out: `latest` then wants the next newest
            wanted = entry.wanted_versions(on_disk - set(model.failed))
            pending = sorted(wanted - set(loaded))
            if not pending:
                break
            for version in pending:  # each one ends loaded or failed, so this loop ends
                servable = self._load_with_retries(model, version)
                if servable is not None:
                    loaded[version] = servable
        for version in set(loaded) - wanted:
            del loaded[version]
            model.states[version] = VersionState(State.END)
            log.info("unloaded %s version %s", entry.name, version)
        model.loaded = loaded  # atomic swap: in-flight requests keep the versions they hold

    def _load_with_retries(self, model, version):
        """The loaded version, or None once 1 + max_num_load_retries attempts failed (or stop())."""
        entry, path = model.entry, Path(model.entry.base_path) / str(version)
        model.states[version] = VersionState(State.LOADING)
        attempts = 1 + max(self._max_num_load_retries, 0)
        for attempt in range(1, attempts + 1):
            fingerprint = files_fingerprint(path)
            try:
                servable = load_version(entry.name, version, path)
                if self._enable_warmup:
                    for request in warmup_requests(path):
                        self._predictor(servable, request)
            except Exception as exc:  # a broken version must not take the server down
                error = f"Failed to load: {exc}"
                if attempt < attempts and not self._stop.wait(max(self._load_retry_interval_seconds, 0)):
                    log.warning("%s version %s: %s; retrying (attempt %d of %d)", entry.name, version, exc,
                                attempt + 1, attempts)
                    continue
                log.error("%s version %s failed to load after %d attempts: %s", entry.name, version, attempt, exc)
                model.failed[version] = fingerprint
                model.states[version] = VersionState(State.END, grpc.StatusCode.UNKNOWN, error)
                return None
            model.states[version] = VersionState(State.AVAILABLE)
            log.info("loaded %s version %s", entry.name, version)
            return servable

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
