"""The headline set (Twitter Financial News Sentiment): loading, cleaning and its fixed splits.

`sent_train.csv` is split (stratified, numpy PCG64 seed 42) into 90 % training and 10 %
validation; `sent_valid.csv` is the headline **test** set and is never trained, tuned or selected
on. Each text loses its `https://t.co/...` links (a feed title has none, and a link carries no
sentiment); a training headline whose cleaned text is also a test headline is dropped, so no test
sentence is trained on.
"""

from __future__ import annotations

import csv
import io
import os
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from finsent.errors import FinsentError
from model.data import SPLIT_SEED, LabelledSentence, deduplicate, file_sha256, split_phrasebank

HEADLINES_DIR_ENV = "FINSENT_HEADLINES_DIR"
TRAIN_FILE = "sent_train.csv"
TEST_FILE = "sent_valid.csv"
# The dataset's labels: 0 Bearish, 1 Bullish, 2 Neutral.
LABEL_OF_CODE: dict[str, str] = {"0": "negative", "1": "positive", "2": "neutral"}
# The deduplicated copy of `zeroshot/twitter-financial-news-sentiment` in the shared data folder.
DOWNLOAD_BASE = ("https://raw.githubusercontent.com/umaima-aman/Twee_Sentiment_Analysis-DeepLearning/"
                 "a313e15137569549fd5e86b27c88e1945bf88168/")
FILE_SHA256: dict[str, str] = {
    TRAIN_FILE: "184e6322b7f0e84c3103a83d198f1be8203de8b63a857f67a2964321b71c4e8d",
    TEST_FILE: "393572beac5064ed60c9f608a57dc66af2b41a91b89c149932d5c57f827e25da",
}
VALIDATION_FRACTION = 0.1
LINK = re.compile(r"\s*https?://\S+")
# Every headline has one label from one annotation: its target is one-hot (agreement 100 %).
FULL_AGREEMENT = 100


class HeadlineDataError(FinsentError):
    """The headline files are missing, unreadable or not what they should be."""


@dataclass(frozen=True)
class HeadlineSplits:
    """Training and validation parts of `sent_train.csv`, and the `sent_valid.csv` test set."""

    train: list[LabelledSentence]
    validation: list[LabelledSentence]
    test: list[LabelledSentence]


def shared_headlines_dir() -> Path:
    """The `shared/data/twitter-financial-news-sentiment` folder beside the project checkout."""
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "twitter-financial-news-sentiment"


def resolve_headlines_dir(headlines_dir: str | os.PathLike[str] | None = None) -> Path:
    """The headline folder: the argument, else `$FINSENT_HEADLINES_DIR`, else the shared folder.

    Raises `HeadlineDataError` naming the folder and how to get the files when they are missing.
    """
    if headlines_dir is not None:
        origin, path = "--headlines-dir", Path(headlines_dir)
    elif os.environ.get(HEADLINES_DIR_ENV):
        origin, path = f"${HEADLINES_DIR_ENV}", Path(os.environ[HEADLINES_DIR_ENV])
    else:
        origin, path = "the shared data folder", shared_headlines_dir()
    missing = [name for name in FILE_SHA256 if not (path / name).is_file()]
    if missing:
        raise HeadlineDataError(
            f"headline set not found at {path} (from {origin}): missing {', '.join(missing)}. "
            f"Pass --headlines-dir, set ${HEADLINES_DIR_ENV}, or run `finsent train --download` "
            "when online.")
    return path


def clean_headline(text: str) -> str:
    """The headline without its links and surrounding whitespace."""
    return LINK.sub("", text).strip()


def read_headline_file(path: Path) -> list[tuple[str, str]]:
    """`(cleaned text, label)` pairs of one `text,label` CSV file, in file order."""
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise HeadlineDataError(f"cannot read {path}: {error}") from error
    reader = csv.DictReader(io.StringIO(content, newline=""))
    if reader.fieldnames != ["text", "label"]:
        raise HeadlineDataError(f"{path}: expected the header 'text,label', got {reader.fieldnames}")
    pairs = []
    for row in reader:
        text, code = clean_headline(row["text"] or ""), (row["label"] or "").strip()
        if code not in LABEL_OF_CODE:
            raise HeadlineDataError(f"{path}:{reader.line_num}: label must be 0, 1 or 2, got {code!r}")
        if text:
            pairs.append((text, LABEL_OF_CODE[code]))
    return pairs


def read_headlines(path: Path) -> list[LabelledSentence]:
    """The distinct headlines of one file (repeats and conflicting labels dropped)."""
    pairs = read_headline_file(path)
    return deduplicate(pairs, {text: FULL_AGREEMENT for text, _ in pairs})


def load_headline_splits(headlines_dir: str | os.PathLike[str] | None = None) -> HeadlineSplits:
    """The headline train / validation / test sets by the fixed protocol."""
    folder = resolve_headlines_dir(headlines_dir)
    test = read_headlines(folder / TEST_FILE)
    test_texts = {sentence.text for sentence in test}
    trainable = [s for s in read_headlines(folder / TRAIN_FILE) if s.text not in test_texts]
    parts = split_phrasebank(trainable, SPLIT_SEED, fractions=(0.0, VALIDATION_FRACTION))
    return HeadlineSplits(parts.train, parts.validation, test)


def download_headlines(target: Path, base_url: str = DOWNLOAD_BASE, timeout: float = 60.0) -> Path:
    """Download both headline files into `target/twitter-financial-news-sentiment`, verified by sha256."""
    folder = target / "twitter-financial-news-sentiment"
    folder.mkdir(parents=True, exist_ok=True)
    for name, expected in FILE_SHA256.items():
        with urllib.request.urlopen(base_url + name, timeout=timeout) as response:  # noqa: S310 (fixed https URL)
            (folder / name).write_bytes(response.read())
        actual = file_sha256(folder / name)
        if actual != expected:
            raise HeadlineDataError(f"{base_url + name}: sha256 {actual} is not the expected {expected}")
    return folder
