"""Prediction: one sentence's label and probabilities (torch-free, so pipeline records and rows need no torch)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prediction:
    """The label of one sentence and the model's probability for each label."""

    label: str
    p_negative: float
    p_neutral: float
    p_positive: float

    @property
    def score(self) -> float:
        """P(positive) − P(negative), in [−1, 1]."""
        return self.p_positive - self.p_negative
