"""Accuracy gate: the shipped model must keep the figures its metrics.json records (−0.5 points).

It covers the three test sets of `finsent evaluate`: PhraseBank (A) and (B), and (H) headlines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finsent.constants import SHIPPED_MODEL_DIR
from model.evaluate import TEST_SETS, evaluate_set
from model.predict import SentimentClassifier

MARGIN = 0.005


@pytest.fixture(scope="module")
def recorded() -> dict:
    return json.loads((SHIPPED_MODEL_DIR / "metrics.json").read_text())


@pytest.fixture(scope="module")
def shipped() -> SentimentClassifier:
    return SentimentClassifier.load()


@pytest.fixture(scope="module")
def sentences_of_each_set(phrasebank_dir: Path) -> dict:
    from model.data import load_splits
    from model.evaluate import evaluation_sets

    return evaluation_sets(load_splits(phrasebank_dir))


@pytest.mark.parametrize("test_set", list(TEST_SETS))
def test_shipped_model_keeps_its_recorded_accuracy(test_set, recorded, shipped, sentences_of_each_set):
    measured = evaluate_set(shipped, sentences_of_each_set[test_set], resamples=10)
    floor = recorded[test_set]
    assert measured["sentences"] == floor["sentences"]
    assert measured["accuracy"] >= floor["accuracy"] - MARGIN, (test_set, measured["accuracy"])
    assert measured["macro_f1"] >= floor["macro_f1"] - MARGIN, (test_set, measured["macro_f1"])


def test_recorded_figures_meet_the_product_floors(recorded):
    assert recorded["all_data"]["accuracy"] >= 0.82
    assert recorded["all_agree"]["accuracy"] >= 0.95
    assert recorded["headlines"]["macro_f1"] >= 0.60


def test_model_card_shows_the_recorded_figures(recorded):
    card = (SHIPPED_MODEL_DIR / "MODEL_CARD.md").read_text()
    assert recorded["model_version"] in card
    for test_set, title in TEST_SETS.items():
        row = next(line for line in card.splitlines() if line.startswith(f"| {title} |"))
        assert f"| {100 * recorded[test_set]['accuracy']:.1f} (" in row
        assert f"| {100 * recorded[test_set]['macro_f1']:.1f} (" in row
    assert "CC BY-NC-SA 3.0" in card and "Malo" in card
