"""Classification metrics for the sentiment model: accuracy, macro-F1, per-class F1, bootstrap CIs."""

from __future__ import annotations

import numpy as np

from model.data import LABELS


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Counts `[true label, predicted label]` over the three labels."""
    matrix = np.zeros((len(LABELS), len(LABELS)), dtype=np.int64)
    np.add.at(matrix, (truth, predicted), 1)
    return matrix


def per_class_f1(matrix: np.ndarray) -> np.ndarray:
    """F1 of each label from a confusion matrix (0 where a label is never predicted nor true)."""
    true_positive = np.diag(matrix).astype(float)
    predicted = matrix.sum(axis=0)
    actual = matrix.sum(axis=1)
    denominator = predicted + actual
    return np.divide(2 * true_positive, denominator, out=np.zeros(len(LABELS)), where=denominator > 0)


def accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Share of sentences whose predicted label is the true one."""
    return float(np.mean(truth == predicted)) if len(truth) else 0.0


def macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Unweighted mean of the three per-class F1 scores."""
    return float(per_class_f1(confusion_matrix(truth, predicted)).mean())


def bootstrap_interval(truth: np.ndarray, predicted: np.ndarray, metric, resamples: int = 1000,
                       seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of `metric(truth, predicted)` over resampled sentences.

    With `resamples=0` no interval is computed and `(nan, nan)` is returned.
    """
    if resamples == 0:
        return float("nan"), float("nan")
    rng = np.random.Generator(np.random.PCG64(seed))
    n = len(truth)
    values = [metric(truth[idx], predicted[idx])
              for idx in (rng.integers(0, n, n) for _ in range(resamples))]
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def summarize(truth: np.ndarray, predicted: np.ndarray, resamples: int = 1000) -> dict:
    """All figures reported for one evaluation set."""
    matrix = confusion_matrix(truth, predicted)
    return {
        "sentences": len(truth),
        "accuracy": accuracy(truth, predicted),
        "accuracy_ci95": bootstrap_interval(truth, predicted, accuracy, resamples),
        "macro_f1": macro_f1(truth, predicted),
        "macro_f1_ci95": bootstrap_interval(truth, predicted, macro_f1, resamples),
        "per_class_f1": dict(zip(LABELS, map(float, per_class_f1(matrix)), strict=True)),
        "confusion_matrix": {"labels": list(LABELS), "rows_true_columns_predicted": matrix.tolist()},
    }
