"""Names and constants shared by the pipeline, the model and the reports, importable without Beam or torch.

Everything that only needs a path, a default or a name imports it from here, so printing `--help`
or reading Parquet never loads torch or Beam for one constant.
"""

from __future__ import annotations

import re
from pathlib import Path

import model

DEFAULT_OUTPUT = "./finsent-data"
"""Root of the Parquet datasets written by `finsent run` and read by the report commands."""

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36 finsent/0.1 (+https://github.com/finsent/finsent)"
)

SHIPPED_MODEL_DIR = Path(model.__file__).resolve().parent / "artifacts"
"""The shipped model artifact folder (weights, config, metrics, model card, drift reference)."""

REFERENCE_FILE = "reference_predictions.parquet"
"""File name of a model artifact's drift reference (training-split predictions, no text)."""

DEFAULT_BATCH_SIZE = 8
"""Sentences per model batch. Batches are length-sorted, and small ones pad little: on 2 cores
batches of 8 ran 377 sentences/s against 360 for 64; one article at a time, 315 against 284."""

# A Google Cloud project ID (optionally domain-scoped, `example.com:proj`) and a dataset ID.
DATASET_PATTERN = r"((?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]):([A-Za-z0-9_]{1,1024})"


def parse_dataset(value: str) -> tuple[str, str]:
    """`PROJECT:DATASET` → (project, dataset); a clear ValueError for anything else."""
    match = re.fullmatch(DATASET_PATTERN, value or "")
    if not match:
        raise ValueError(f"--bigquery_dataset must be PROJECT:DATASET (e.g. my-project:finsent), "
                         f"got {value!r}")
    return match.group(1), match.group(2)
