"""Evaluates a model artifact on the fixed test sets (A) all-data, (B) all-agree and the headline set.

`evaluate_artifact` measures; `write_metrics` stores `metrics.json` and renders `MODEL_CARD.md`
next to the weights, so the card always shows the figures of the weights beside it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from finsent.constants import SHIPPED_MODEL_DIR
from model.artifact import read_artifact_meta
from model.data import LabelledSentence, PhraseBankSplits, load_splits
from model.headlines import load_headline_splits
from model.metrics import summarize
from model.predict import SentimentClassifier

LOG = logging.getLogger(__name__)

FINBERT_REFERENCE = {"all_data": {"accuracy": 0.86, "macro_f1": 0.84},
                     "all_agree": {"accuracy": 0.97, "macro_f1": 0.95}}
#: The three test sets of `metrics.json`, by key, with the names the card and `evaluate` print.
TEST_SETS: dict[str, str] = {"all_data": "(A) all data", "all_agree": "(B) all agree",
                             "headlines": "(H) headlines"}
CARD_TEMPLATE = Path(__file__).resolve().parent / "configs" / "MODEL_CARD.template.md"


def measure_throughput(classifier: SentimentClassifier, sentences: list[str], repeats: int = 2) -> float:
    """Sentences per second of `classifier.predict` (best of `repeats` after one warm-up batch)."""
    classifier.predict(sentences[:64])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        classifier.predict(sentences)
        best = min(best, time.perf_counter() - start)
    return len(sentences) / best


def evaluate_set(classifier: SentimentClassifier, sentences: list[LabelledSentence],
                 resamples: int = 1000) -> dict:
    """Accuracy, macro-F1 (with bootstrap CIs), per-class F1 and confusion matrix on one set."""
    started = time.perf_counter()
    figures = set_figures(sentences, classifier.predict_proba([s.text for s in sentences]), resamples)
    LOG.info("evaluated %d sentences in %.1f s: accuracy %.4f, macro-F1 %.4f", len(sentences),
             time.perf_counter() - started, figures["accuracy"], figures["macro_f1"])
    return figures


def set_figures(sentences: list[LabelledSentence], probabilities: np.ndarray, resamples: int = 1000) -> dict:
    """`evaluate_set`'s figures from the predicted probabilities, `(len(sentences), 3)`."""
    return summarize(np.array([s.label_id for s in sentences]), probabilities.argmax(axis=1), resamples)


def accuracy_and_macro_f1(figures: dict) -> dict:
    """Only the accuracy and macro-F1 of `evaluate_set`'s figures."""
    return {key: figures[key] for key in ("accuracy", "macro_f1")}


def evaluation_sets(splits: PhraseBankSplits, headlines_dir: str | None = None) -> dict[str, list[LabelledSentence]]:
    """The sentences of each test set in `TEST_SETS`, by key."""
    return {"all_data": splits.test_all_data, "all_agree": splits.test_all_agree,
            "headlines": load_headline_splits(headlines_dir).test}


def evaluate_teacher(path: str | os.PathLike[str], data_dir: str | None = None, resamples: int = 1000,
                     headlines_dir: str | None = None) -> dict:
    """The test sets' figures of a large teacher's folder (`model/teacher.py`; float32, never shipped)."""
    from model.teacher import read_teacher_record, teacher_probabilities_of

    sets = evaluation_sets(load_splits(data_dir), headlines_dir)
    texts = sorted({s.text for sentences in sets.values() for s in sentences})  # one pass of the teacher
    by_text = dict(zip(texts, teacher_probabilities_of(path, texts), strict=True))
    return {"model_version": read_teacher_record(path)["model_version"],
            **{name: set_figures(sentences, np.array([by_text[s.text] for s in sentences]), resamples)
               for name, sentences in sets.items()}}


def evaluate_artifact(path: str | os.PathLike[str] | None = None, data_dir: str | None = None,
                      threads: int | None = None, resamples: int = 1000,
                      headlines_dir: str | None = None) -> dict:
    """All figures of `metrics.json` for the artifact at `path` (default: the shipped model)."""
    folder = Path(path) if path is not None else SHIPPED_MODEL_DIR
    meta = read_artifact_meta(folder)
    classifier = SentimentClassifier.load(folder, threads=threads)
    float32 = SentimentClassifier.load(folder, threads=threads, quantize=False)
    splits = load_splits(data_dir)
    sets = evaluation_sets(splits, headlines_dir)
    test_texts = [s.text for s in splits.test]
    LOG.info("evaluating %s (int8, then float32) on %s", meta.model_version,
             ", ".join(f"{name} ({len(sentences)} sentences)" for name, sentences in sets.items()))
    return {
        "model_version": meta.model_version,
        "evaluated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "protocol": "Financial PhraseBank v1.0, Sentences_50Agree deduplicated, stratified 80/10/10, seed 42",
        "headline_protocol": "Twitter Financial News Sentiment sent_valid.csv (links removed, deduplicated); "
                             "never trained, tuned or selected on",
        **{name: evaluate_set(classifier, sentences, resamples) for name, sentences in sets.items()},
        "float32_without_quantization": {name: accuracy_and_macro_f1(evaluate_set(float32, sentences, 0))
                                         for name, sentences in sets.items()},
        "throughput": {
            "sentences_per_second": measure_throughput(classifier, test_texts),
            "threads": _torch_threads(),
            "batch_size": classifier.batch_size,
            "quantization": "dynamic int8, per-channel weight scales (Linear layers)",
        },
        "finbert_reference": FINBERT_REFERENCE,
        "split_sizes": {"train": len(splits.train), "validation": len(splits.validation),
                        "test": len(splits.test), "test_all_agree": len(splits.test_all_agree),
                        "test_headlines": len(sets["headlines"])},
        "training": meta.training,
    }


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def write_metrics(metrics: dict, folder: Path = SHIPPED_MODEL_DIR) -> None:
    """Write `metrics.json` and the rendered `MODEL_CARD.md` into the artifact folder."""
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (folder / "MODEL_CARD.md").write_text(render_model_card(metrics))


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _pair(figures: dict) -> str:
    return f"{_pct(figures['accuracy'])} / {_pct(figures['macro_f1'])}"


def _set_row(name: str, figures: dict, reference: dict | None) -> str:
    low, high = figures["accuracy_ci95"]
    f1_low, f1_high = figures["macro_f1_ci95"]
    finbert = f"{_pct(reference['accuracy'])} / {_pct(reference['macro_f1'])}" if reference else "–"
    return (f"| {name} | {figures['sentences']} | {_pct(figures['accuracy'])} ({_pct(low)}–{_pct(high)}) "
            f"| {_pct(figures['macro_f1'])} ({_pct(f1_low)}–{_pct(f1_high)}) | {finbert} |")


def _result_rows(metrics: dict) -> str:
    return "\n".join(_set_row(title, metrics[name], FINBERT_REFERENCE.get(name))
                     for name, title in TEST_SETS.items())


def _class_rows(metrics: dict) -> str:
    """Per-class F1 of every test set: one row per label, one column per set."""
    rows = [f"| {label} | " + " | ".join(_pct(metrics[name]["per_class_f1"][label]) for name in TEST_SETS) + " |"
            for label in metrics["all_data"]["per_class_f1"]]
    return "\n".join(rows)


def _confusion_rows(figures: dict) -> str:
    matrix = figures["confusion_matrix"]
    return "\n".join(f"| **{label}** | " + " | ".join(map(str, row)) + " |"
                     for label, row in zip(matrix["labels"], matrix["rows_true_columns_predicted"],
                                           strict=True))


def distillation_sentence(training: dict) -> str:
    """How the training targets were made, for the model card."""
    config = training.get("config", {})
    teacher = training.get("teacher_model_version")
    if not teacher:
        return "Targets: the annotators' labels, softened by their agreement."
    weight = config.get("distill_weight", 0.0)
    blend = f"{1 - weight:.1f} × the agreement-softened label + {weight:.1f} × the teacher's float32 probabilities"
    if not config.get("headlines"):
        return f"Distilled from the teacher `{teacher}`: each target is {blend}."
    registers = " and ".join(config.get("distill_registers") or [])
    return (f"Distilled from the teacher `{teacher}` on the {registers} sentences: each of their targets is "
            f"{blend}; the other sentences keep their labels.")


def headline_data_sentence(training: dict) -> str:
    """Whether the weights were also trained on the headline set, for the model card."""
    if not training.get("config", {}).get("headlines"):
        return "The headline set was not trained on; it is used only as test set (H) (see the protocol below)."
    return ("Twitter Financial News Sentiment (`zeroshot/twitter-financial-news-sentiment`, MIT "
            "License): 90 % of its `sent_train.csv` finance headlines are trained on as well.")


def render_model_card(metrics: dict) -> str:
    """The model card with this evaluation's figures filled in."""
    training = metrics["training"]
    return CARD_TEMPLATE.read_text().format(
        model_version=metrics["model_version"],
        evaluated_at=metrics["evaluated_at"],
        result_rows=_result_rows(metrics),
        class_rows=_class_rows(metrics),
        confusion_a=_confusion_rows(metrics["all_data"]),
        confusion_h=_confusion_rows(metrics["headlines"]),
        throughput=f"{metrics['throughput']['sentences_per_second']:.0f}",
        threads=metrics["throughput"]["threads"],
        batch_size=metrics["throughput"]["batch_size"],
        splits=metrics["split_sizes"],
        epochs=len(training.get("history", [])),
        best_validation=_pct(training.get("best_validation_macro_f1", 0.0)),
        distillation=distillation_sentence(training),
        headline_data=headline_data_sentence(training),
        config=json.dumps(training.get("config", {}), sort_keys=True),
        layers=training.get("config", {}).get("num_layers") or 6,
        float32_a=_pair(metrics["float32_without_quantization"]["all_data"]),
        float32_b=_pair(metrics["float32_without_quantization"]["all_agree"]),
        float32_h=_pair(metrics["float32_without_quantization"]["headlines"]),
    )
