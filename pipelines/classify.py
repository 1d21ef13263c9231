"""ClassifySentences: Beam RunInference over `SentimentClassifier`, keyed by sentence.

In: `Sentence`. Out: `(Sentence, Prediction)` pairs on the main output and `Failure`s for
batches the model could not label on the `failures` output. The model is loaded once per
worker process by RunInference's shared-model machinery, with `model_threads` torch threads.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.ml.inference.base import KeyedModelHandler, ModelHandler, PredictionResult, RunInference

from model.predict import Prediction, SentimentClassifier
from pipelines.records import Failure, Sentence

FAILURES = "failures"


def default_threads() -> int:
    """Torch threads for one worker process: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class SentimentModelHandler(ModelHandler[str, Prediction, SentimentClassifier]):
    """RunInference handler: loads the artifact, labels batches of sentence texts."""

    def __init__(self, model_path: str | None = None, threads: int = 0, batch_size: int = 64) -> None:
        super().__init__(min_batch_size=1, max_batch_size=batch_size)
        self._model_path = model_path
        self._threads = threads or default_threads()
        self._batch_size = batch_size

    def load_model(self) -> SentimentClassifier:
        """Load the artifact for CPU inference (int8) in this worker process."""
        return SentimentClassifier.load(self._model_path, threads=self._threads,
                                        batch_size=self._batch_size)

    def run_inference(self, batch: Sequence[str], model: SentimentClassifier,
                      inference_args: dict[str, Any] | None = None) -> Iterable[PredictionResult]:
        """One `PredictionResult(text, Prediction, model_version)` per sentence text."""
        predictions = model.predict(list(batch))
        return [PredictionResult(text, prediction, model.model_version)
                for text, prediction in zip(batch, predictions, strict=True)]

    def get_metrics_namespace(self) -> str:
        """Namespace of RunInference's own metrics."""
        return "finsent_classify"


def _keyed(sentence: Sentence) -> tuple[Sentence, str]:
    return sentence, sentence.text


def _unkey(element: tuple[Sentence, PredictionResult]) -> tuple[Sentence, Prediction, str]:
    sentence, result = element
    return sentence, result.inference, result.model_id or ""


def _batch_failures(failed: tuple[Sequence[tuple[Sentence, str]], Exception]) -> Iterable[Failure]:
    batch, error = failed
    article_ids = sorted({sentence.article_id for sentence, _ in batch})
    for article_id in article_ids:
        yield Failure(stage="classify", reason="classification_error",
                      detail=f"article {article_id}: {type(error).__name__}: {error}"[:500])


class ClassifySentences(beam.PTransform):
    """Sentence → `(Sentence, Prediction, model_version)`; model failures on `failures`.

    Use: `classified, failures = sentences | ClassifySentences(...)`.
    """

    def __init__(self, model_path: str | None = None, threads: int = 0, batch_size: int = 64) -> None:
        super().__init__()
        self._handler = KeyedModelHandler(SentimentModelHandler(model_path, threads, batch_size))

    def expand(self, sentences: beam.PCollection) -> tuple[beam.PCollection, beam.PCollection]:
        """Run the model over the sentences."""
        results, dead_letters = (
            sentences
            | "KeyBySentence" >> beam.Map(_keyed)
            | "RunInference" >> RunInference(self._handler).with_exception_handling()
        )
        classified = results | "Unkey" >> beam.Map(_unkey)
        failures = dead_letters.failed_inferences | "FailedBatches" >> beam.FlatMap(_batch_failures)
        return classified, failures
