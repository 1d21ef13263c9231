"""Accuracy gate: the shipped model must keep the figures its metrics.json records (−0.5 points)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finsent.constants import SHIPPED_MODEL_DIR
from model.evaluate import evaluate_set
from model.predict import SentimentClassifier

MARGIN = 0.005


@pytest.fixture(scope="module")
def recorded() -> dict:
    return json.loads((SHIPPED_MODEL_DIR / "metrics.json").read_text())


@pytest.fixture(scope="module")
def shipped() -> SentimentClassifier:
    return SentimentClassifier.load()


@pytest.mark.parametrize("test_set", ["all_data", "all_agree"])
def test_shipped_model_keeps_its_recorded_accuracy(test_set, recorded, shipped, phrasebank_dir: Path):
    from model.data import load_splits

    splits = load_splits(phrasebank_dir)
    sentences = splits.test_all_data if test_set == "all_data" else splits.test_all_agree
    measured = evaluate_set(shipped, sentences, resamples=10)
    floor = recorded[test_set]
    assert measured["sentences"] == floor["sentences"]
    assert measured["accuracy"] >= floor["accuracy"] - MARGIN, (test_set, measured["accuracy"])
    assert measured["macro_f1"] >= floor["macro_f1"] - MARGIN, (test_set, measured["macro_f1"])


def test_recorded_figures_meet_the_product_floors(recorded):
    assert recorded["all_data"]["accuracy"] >= 0.82
    assert recorded["all_agree"]["accuracy"] >= 0.95


def test_model_card_shows_the_recorded_figures(recorded):
    card = (SHIPPED_MODEL_DIR / "MODEL_CARD.md").read_text()
    assert recorded["model_version"] in card
    assert f"{100 * recorded['all_data']['accuracy']:.1f}" in card
    assert "CC BY-NC-SA 3.0" in card and "Malo" in card
