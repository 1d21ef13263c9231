"""Financial PhraseBank loading, agreement levels and the fixed train/validation/test protocol.

The evaluation protocol is the same on every machine: exact duplicates of `Sentences_50Agree`
are removed, then a stratified 80/10/10 split is drawn with numpy's PCG64 generator seeded
with 42. Test set (A) "all data" is that test split; test set (B) "all agree" is the part of
it whose sentences are also in `Sentences_AllAgree`. No test sentence is ever trained on.
"""

from __future__ import annotations

import hashlib
import io
import os
import urllib.request
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from finsent.errors import FinsentError

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
LABEL_TO_ID: dict[str, int] = {label: i for i, label in enumerate(LABELS)}

DATA_DIR_ENV = "FINSENT_PHRASEBANK_DIR"
SPLIT_SEED = 42
DOWNLOAD_URL = (
    "https://huggingface.co/datasets/takala/financial_phrasebank/resolve/main/data/"
    "FinancialPhraseBank-v1.0.zip"
)

# Agreement level (percent) of each file and its encoding, as published.
AGREEMENT_FILES: dict[int, tuple[str, str]] = {
    50: ("Sentences_50Agree.txt", "iso-8859-1"),
    66: ("Sentences_66Agree.txt", "iso-8859-1"),
    75: ("Sentences_75Agree.txt", "iso-8859-1"),
    100: ("Sentences_AllAgree.txt", "utf-8"),
}

# sha256 of the four files of the official v1.0 release; a download is verified against them.
FILE_SHA256: dict[str, str] = {
    "Sentences_50Agree.txt": "13388b8bf2f878c68fb4d47564fa0072756eb4e9ba4a16467d6d7f0a29a6a742",
    "Sentences_66Agree.txt": "6fcda6c07b5731fa075c81372413c921f95057b89ed611be0b2d1620ac94ac09",
    "Sentences_75Agree.txt": "8aa3210c6fc324ec2f5bd903f7767543280525cd88bb6cbed5d39b33f01a4f05",
    "Sentences_AllAgree.txt": "b3cb762d2eb8c8fe50d6d53ac073afbd217dd01e4c6e04167ac9b8de9e42d3ca",
}


class PhraseBankError(FinsentError):
    """The Financial PhraseBank files are missing, unreadable or not what they should be."""


@dataclass(frozen=True)
class LabelledSentence:
    """One PhraseBank sentence with its majority label and the highest agreement level it has."""

    text: str
    label: str
    agreement: int

    @property
    def label_id(self) -> int:
        """Index of the label in `LABELS`."""
        return LABEL_TO_ID[self.label]


@dataclass(frozen=True)
class PhraseBankSplits:
    """The deterministic train / validation / test split and the two evaluation sets."""

    train: list[LabelledSentence]
    validation: list[LabelledSentence]
    test: list[LabelledSentence]

    @property
    def test_all_data(self) -> list[LabelledSentence]:
        """Evaluation set (A): every test sentence."""
        return self.test

    @property
    def test_all_agree(self) -> list[LabelledSentence]:
        """Evaluation set (B): test sentences on which all annotators agreed."""
        return [s for s in self.test if s.agreement == 100]


def shared_data_dir() -> Path:
    """The `shared/data/FinancialPhraseBank-v1.0` folder beside the project checkout."""
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "FinancialPhraseBank-v1.0"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Find the PhraseBank folder: the argument, then `$FINSENT_PHRASEBANK_DIR`, then shared/.

    Raises `PhraseBankError` saying where to put the files when none of them holds the data.
    """
    candidates: list[tuple[str, Path]] = []
    if data_dir is not None:
        candidates.append(("--data-dir", Path(data_dir)))
    elif os.environ.get(DATA_DIR_ENV):
        candidates.append((f"${DATA_DIR_ENV}", Path(os.environ[DATA_DIR_ENV])))
    else:
        candidates.append(("the shared data folder", shared_data_dir()))
    for origin, path in candidates:
        if (path / AGREEMENT_FILES[50][0]).is_file():
            return path
        raise PhraseBankError(
            f"Financial PhraseBank not found at {path} (from {origin}): expected "
            f"{AGREEMENT_FILES[50][0]} there. Pass --data-dir, set ${DATA_DIR_ENV}, or run "
            "`finsent train --download` when online to fetch the official archive."
        )
    raise AssertionError("unreachable")


def parse_line(line: str, source: str, line_number: int) -> tuple[str, str]:
    """Split one `sentence@label` line on its last `@` and validate the label."""
    text, sep, label = line.rstrip("\r\n").rpartition("@")
    label = label.strip()
    if not sep or label not in LABEL_TO_ID or not text.strip():
        raise PhraseBankError(f"{source}:{line_number}: expected 'sentence@label', got {line!r}")
    return text.strip(), label


def read_agreement_file(path: Path, encoding: str) -> list[tuple[str, str]]:
    """All `(sentence, label)` pairs of one PhraseBank file, in file order."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise PhraseBankError(f"cannot read {path}: {error}") from error
    lines = raw.decode(encoding).splitlines()
    return [parse_line(line, str(path), n) for n, line in enumerate(lines, 1) if line.strip()]


def load_phrasebank(data_dir: str | os.PathLike[str] | None = None) -> list[LabelledSentence]:
    """Every distinct sentence of `Sentences_50Agree` with its label and agreement level.

    Exact duplicates are removed (first occurrence kept); a sentence that appears with two
    different labels is dropped, since neither label can be trusted.
    """
    folder = resolve_data_dir(data_dir)
    agreement_of: dict[str, int] = {}
    for level, (name, encoding) in sorted(AGREEMENT_FILES.items()):
        path = folder / name
        if not path.is_file():
            raise PhraseBankError(f"{path} is missing: the PhraseBank folder must hold all 4 files")
        for text, _ in read_agreement_file(path, encoding):
            agreement_of[text] = level
    return deduplicate(read_agreement_file(folder / AGREEMENT_FILES[50][0], "iso-8859-1"),
                       agreement_of)


def deduplicate(pairs: Iterable[tuple[str, str]],
                agreement_of: dict[str, int]) -> list[LabelledSentence]:
    """Drop repeated sentences, and sentences seen with conflicting labels."""
    labels_of: dict[str, set[str]] = {}
    order: list[str] = []
    for text, label in pairs:
        if text not in labels_of:
            order.append(text)
            labels_of[text] = set()
        labels_of[text].add(label)
    return [
        LabelledSentence(text, next(iter(labels_of[text])), agreement_of.get(text, 50))
        for text in order
        if len(labels_of[text]) == 1
    ]


def split_phrasebank(sentences: list[LabelledSentence], seed: int = SPLIT_SEED,
                     fractions: tuple[float, float] = (0.1, 0.1)) -> PhraseBankSplits:
    """Stratified split into train / validation / test, deterministic for a given seed.

    For each label (in `LABELS` order) the sentences' indices are permuted by one shared
    PCG64 generator; the first `round(n * test)` go to test, the next `round(n * val)` to
    validation, the rest to train. Each part keeps file order.
    """
    test_fraction, validation_fraction = fractions
    rng = np.random.Generator(np.random.PCG64(seed))
    part_of: dict[int, str] = {}
    for label in LABELS:
        indices = [i for i, s in enumerate(sentences) if s.label == label]
        shuffled = rng.permutation(len(indices))
        n_test = round(len(indices) * test_fraction)
        n_validation = round(len(indices) * validation_fraction)
        for rank, position in enumerate(shuffled):
            part = "test" if rank < n_test else "validation" if rank < n_test + n_validation \
                else "train"
            part_of[indices[position]] = part
    parts: dict[str, list[LabelledSentence]] = {"train": [], "validation": [], "test": []}
    for i, sentence in enumerate(sentences):
        parts[part_of[i]].append(sentence)
    return PhraseBankSplits(**parts)


def load_splits(data_dir: str | os.PathLike[str] | None = None) -> PhraseBankSplits:
    """Load the PhraseBank and split it by the fixed protocol."""
    return split_phrasebank(load_phrasebank(data_dir))


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes (read in 1 MiB blocks: weights files are hundreds of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksums(folder: Path) -> None:
    """Raise `PhraseBankError` unless every file in `folder` matches the official release."""
    for name, expected in FILE_SHA256.items():
        actual = file_sha256(folder / name)
        if actual != expected:
            raise PhraseBankError(f"{folder / name}: sha256 {actual} is not the official {expected}")


def download_phrasebank(target: Path, url: str = DOWNLOAD_URL, timeout: float = 60.0) -> Path:
    """Download the official v1.0 archive, unpack it into `target` and verify every file.

    Returns the folder holding the `Sentences_*.txt` files.
    """
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (fixed https URL)
        archive = response.read()
    folder = target / "FinancialPhraseBank-v1.0"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        for name in FILE_SHA256:
            member = next((m for m in zipped.namelist() if m.endswith("/" + name)), None)
            if member is None:
                raise PhraseBankError(f"{url}: archive has no {name}")
            (folder / name).write_bytes(zipped.read(member))
    verify_checksums(folder)
    return folder
