"""The model's reference distribution for drift checks: predictions and text descriptors, no text.

`write_reference` runs a classifier over a set of sentences (the training split, when shipping a
model) and stores per sentence the predicted label, the three probabilities, the confidence and
numeric descriptors of the text. The raw sentences are never stored: the training data's
licence forbids redistributing them, and descriptors are all `finsent drift` compares.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.data import LABELS

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from model.predict import SentimentClassifier

DESCRIPTORS = ("n_chars", "n_words", "digit_share", "upper_share", "unknown_token_share", "pieces_per_word")
PREDICTION_COLUMNS = ("label", "p_negative", "p_neutral", "p_positive", "confidence")
_WORD = re.compile(r"\S+")


@lru_cache(maxsize=1)
def _base_tokenizer() -> Tokenizer:
    from tokenizers import Tokenizer

    from model.base_encoder import base_encoder_dir

    tokenizer = Tokenizer.from_file(str(base_encoder_dir() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def sentence_descriptors(texts: list[str]) -> pd.DataFrame:
    """Numeric descriptors of each sentence, computed offline; one row per text, in order.

    n_chars, n_words (whitespace-separated), digit_share and upper_share (of the non-space
    characters), unknown_token_share (tokens the base encoder's WordPiece vocabulary maps to
    [UNK]) and pieces_per_word (WordPiece tokens per word: rises with unusual vocabulary).
    """
    tokenizer = _base_tokenizer()
    unknown_id = tokenizer.token_to_id("[UNK]")
    encodings = tokenizer.encode_batch(list(texts), add_special_tokens=False)
    rows = []
    for text, encoding in zip(texts, encodings, strict=True):
        visible = [c for c in text if not c.isspace()]
        n_visible = max(len(visible), 1)
        n_words = len(_WORD.findall(text))
        n_tokens = len(encoding.ids)
        rows.append((len(text), n_words, sum(c.isdigit() for c in visible) / n_visible,
                     sum(c.isupper() for c in visible) / n_visible,
                     encoding.ids.count(unknown_id) / n_tokens if n_tokens else 0.0,
                     n_tokens / n_words if n_words else 0.0))
    frame = pd.DataFrame(rows, columns=list(DESCRIPTORS))
    return frame.astype({"n_chars": "int64", "n_words": "int64"})


def prediction_frame(probabilities: np.ndarray) -> pd.DataFrame:
    """Label, p_negative, p_neutral, p_positive and confidence (the top probability) per row."""
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1, len(LABELS))
    return pd.DataFrame({
        "label": [LABELS[i] for i in probabilities.argmax(axis=1)],
        "p_negative": probabilities[:, 0], "p_neutral": probabilities[:, 1],
        "p_positive": probabilities[:, 2], "confidence": probabilities.max(axis=1),
    })


def write_reference(classifier: SentimentClassifier, texts: list[str],
                    path: str | os.PathLike[str]) -> pd.DataFrame:
    """Predict `texts` with `classifier` and write the reference Parquet file to `path`.

    The file holds PREDICTION_COLUMNS + DESCRIPTORS per sentence and the classifier's
    `model_version` in the file's key-value metadata; returns the written frame.
    """
    if not texts:
        raise ValueError("write_reference needs at least one sentence")
    frame = pd.concat([prediction_frame(classifier.predict_proba(list(texts))),
                       sentence_descriptors(list(texts))], axis=1)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"finsent_model_version": classifier.model_version.encode()})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, str(path))
    return frame


def read_reference(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, str | None]:
    """The reference frame at `path` and the model version it was made with."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no drift reference at {path}: write one with "
                                "model.reference.write_reference, or use --reference trailing")
    table = pq.read_table(str(path))
    missing = [c for c in (*PREDICTION_COLUMNS, *DESCRIPTORS) if c not in table.column_names]
    if missing:
        raise ValueError(f"drift reference {path} lacks columns {missing}")
    version = (table.schema.metadata or {}).get(b"finsent_model_version")
    return table.to_pandas(), version.decode() if version else None
