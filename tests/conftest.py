"""Shared fixtures: where the Financial PhraseBank lives, and whether its absence is fatal (CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from model.data import AGREEMENT_FILES, resolve_data_dir


def _phrasebank_or_none() -> Path | None:
    try:
        return resolve_data_dir()
    except RuntimeError:
        return None


@pytest.fixture(scope="session")
def phrasebank_dir() -> Path:
    """The PhraseBank folder; in CI (`CI=true`) a missing folder fails loudly, elsewhere skips."""
    folder = _phrasebank_or_none()
    if folder is None:
        message = (f"Financial PhraseBank ({AGREEMENT_FILES[50][0]}) not found in ../shared/data "
                   "or $FINSENT_PHRASEBANK_DIR")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """One real pipeline run (DirectRunner, shipped model) over the demo site, shared by tests.

    Returns the `RunOutcome` (`.output` is the Parquet root). Tests must not modify its output.
    """
    from pipelines.demo import run_demo

    output = tmp_path_factory.mktemp("demo-run") / "data"
    return run_demo(str(output))
