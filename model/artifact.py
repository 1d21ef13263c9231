"""Reads and writes a model artifact folder: `model.safetensors` plus its `finsent-model.json`.

Loading never unpickles anything: weights are safetensors, metadata is JSON, and the weights'
sha256 recorded at save time is checked before they are used.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from safetensors.torch import save_file

from finsent.errors import FinsentError
from model.base_encoder import BASE_ENCODER_NAME, BASE_WEIGHTS_SHA256
from model.data import LABELS
from model.encoder import EncoderConfig, EncoderConfigError
from model.network import SentimentNetwork

WEIGHTS_FILE = "model.safetensors"
META_FILE = "finsent-model.json"


class ModelArtifactError(FinsentError):
    """A model artifact folder is missing, incomplete or corrupt."""


@dataclass(frozen=True)
class ArtifactMeta:
    """What `finsent-model.json` records about a trained model."""

    model_version: str
    labels: tuple[str, ...]
    max_length: int
    encoder: dict
    base_encoder: str
    base_weights_sha256: str
    weights_sha256: str
    training: dict

    def encoder_config(self) -> EncoderConfig:
        """The encoder's architecture; raises `ModelArtifactError` if it is not one finsent runs."""
        try:
            return EncoderConfig.from_dict(self.encoder)
        except (EncoderConfigError, TypeError) as error:
            raise ModelArtifactError(f"model artifact {self.model_version}: {error}") from error


def save_artifact(network: SentimentNetwork, folder: Path, model_version: str, max_length: int,
                  training: dict) -> ArtifactMeta:
    """Write the network's shipped weights and metadata into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / WEIGHTS_FILE
    save_file(network.shipped_state(), str(weights), metadata={"format": "pt"})
    meta = ArtifactMeta(
        model_version=model_version,
        labels=LABELS,
        max_length=max_length,
        encoder=network.config.to_dict(),
        base_encoder=BASE_ENCODER_NAME,
        base_weights_sha256=BASE_WEIGHTS_SHA256,
        weights_sha256=_sha256(weights),
        training=training,
    )
    (folder / META_FILE).write_text(json.dumps(asdict(meta), indent=2, default=str) + "\n")
    return meta


def read_artifact_meta(folder: Path) -> ArtifactMeta:
    """Validated metadata of the artifact in `folder`; raises `ModelArtifactError` if unusable."""
    meta_path, weights = folder / META_FILE, folder / WEIGHTS_FILE
    for needed in (meta_path, weights):
        if not needed.is_file():
            raise ModelArtifactError(f"model artifact {folder} has no {needed.name}; "
                                     "train one with `finsent train` or pass the right --model_path")
    try:
        raw = json.loads(meta_path.read_text())
        meta = ArtifactMeta(**{**raw, "labels": tuple(raw["labels"])})
    except (ValueError, TypeError, KeyError) as error:
        raise ModelArtifactError(f"{meta_path} is not valid finsent model metadata: {error}") from error
    if meta.labels != LABELS:
        raise ModelArtifactError(f"{meta_path}: labels {meta.labels} are not {LABELS}")
    actual = _sha256(weights)
    if actual != meta.weights_sha256:
        raise ModelArtifactError(f"{weights} is corrupt: sha256 {actual} does not match "
                                 f"{meta.weights_sha256} recorded in {META_FILE}")
    return meta


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
