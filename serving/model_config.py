"""`models.config` (TF Serving's ModelServerConfig, text proto): write it, and read it back.

Both servers use the same file: `tensorflow_model_server --model_config_file=...` and the local server.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

POLICIES = ("latest", "all", "specific")
LABEL_PATTERN = re.compile(r"[a-zA-Z0-9_]+")  # TF Serving's version label syntax


@dataclass(frozen=True)
class ModelEntry:
    """One served model: where its versions live, which of them to load, and its version labels."""

    name: str
    base_path: str
    policy: str = "latest"  # latest {num_versions} | all {} | specific {versions}
    num_versions: int = 1
    versions: tuple = ()
    labels: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.policy not in POLICIES:
            raise ValueError(f"version policy must be one of {POLICIES}, got {self.policy!r}")
        if self.policy == "latest" and self.num_versions < 1:
            raise ValueError(f"latest policy needs num_versions >= 1, got {self.num_versions}")
        if self.policy == "specific" and not self.versions:
            raise ValueError("specific policy needs at least one version")
        for label in self.labels:
            if not LABEL_PATTERN.fullmatch(label):
                raise ValueError(f"version label {label!r} must match [a-zA-Z0-9_]+")

    def wanted_versions(self, on_disk):
        """The versions this policy serves out of the numeric directories found on disk."""
        on_disk = sorted(on_disk)
        if self.policy == "latest":
            return set(on_disk[-self.num_versions:])
        if self.policy == "all":
            return set(on_disk)
        return set(on_disk) & set(self.versions)

    def to_proto(self):
        config = model_server_config_pb2.ModelConfig(
            name=self.name, base_path=self.base_path, model_platform="tensorflow"
        )
        policy = config.model_version_policy
        if self.policy == "latest":
            policy.latest.num_versions = self.num_versions
        elif self.policy == "all":
            policy.all.SetInParent()
        else:
            policy.specific.versions.extend(self.versions)
        for label, version in self.labels.items():
            config.version_labels[label] = version
        return config

    @classmethod
    def from_proto(cls, config):
        policy = config.model_version_policy.WhichOneof("policy_choice") or "latest"
        return cls(
            name=config.name,
            base_path=config.base_path,
            policy=policy,
            num_versions=config.model_version_policy.latest.num_versions or 1,
            versions=tuple(config.model_version_policy.specific.versions),
            labels=dict(config.version_labels),
        )


def models_config_text(entries):
    config = model_server_config_pb2.ModelServerConfig()
    config.model_config_list.config.extend(entry.to_proto() for entry in entries)
    return text_format.MessageToString(config)


def write_models_config(entries, path):
    Path(path).write_text(models_config_text(entries))
    return Path(path)


def read_server_config(path):
    try:
        return text_format.Parse(Path(path).read_text(), model_server_config_pb2.ModelServerConfig())
    except text_format.ParseError as error:
        raise ValueError(f"{path} is not a valid models.config (ModelServerConfig text proto): {error}") from None


def entries_from_config(config):
    return [ModelEntry.from_proto(c) for c in config.model_config_list.config]


def read_models_config(path):
    return entries_from_config(read_server_config(path))


def entries_for_base(model_base, model_names=None):
    """Every model directory under `model_base` (or the named ones), each with the default policy.

    Raises FileNotFoundError / ValueError saying what is there when the base or a named model is not.
    """
    base = Path(model_base).resolve()  # TF Serving wants absolute base paths
    if not base.is_dir():
        raise FileNotFoundError(f"model base {model_base} is not a directory; give the directory that holds "
                                "<model name>/<version>/ exports (the export command's base directory)")
    found = sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not found:
        raise ValueError(f"no models under {model_base}; export one there first (it holds <model name>/<version>/)")
    missing = [name for name in model_names or () if name not in found]
    if missing:
        raise ValueError(f"no model named {', '.join(missing)} under {model_base}; "
                         f"the models there are: {', '.join(found)}")
    return [ModelEntry(name=name, base_path=str(base / name)) for name in model_names or found]
