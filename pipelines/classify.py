"""ClassifySentences: Beam RunInference over `SentimentClassifier`, one article's sentences at a time.

In: `Sentence`. Out: `(Sentence, Prediction, model_version)` on the main output and `Failure`s
for articles the model could not label on the `failures` output. The model is loaded once per
worker process by RunInference, with `model_threads` torch threads.

Why per article: int8 dynamic quantization scales activations by the whole batch, so a
sentence's probabilities depend on which sentences share its batch. Predicting each article's
sentences together (in chunks of `batch_size`, by index) makes every label a function of the
article alone: identical on re-runs, in multi-process mode, on Dataflow and in `finsent analyze`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.ml.inference.base import ModelHandler, PredictionResult, RunInference

from model.predict import Prediction, SentimentClassifier
from pipelines.records import Failure, Sentence

Chunk = tuple[Sentence, ...]


def default_threads() -> int:
    """Torch threads for one worker process: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def article_chunks(sentences: Iterable[Sentence], chunk_size: int) -> list[Chunk]:
    """One article's sentences in index order, cut into consecutive chunks of `chunk_size`."""
    ordered = sorted(sentences, key=lambda sentence: sentence.index)
    return [tuple(ordered[i:i + chunk_size]) for i in range(0, len(ordered), chunk_size)]


def predict_chunk(model: SentimentClassifier, chunk: Chunk) -> list[Prediction]:
    """Predictions for one chunk, predicted as one batch (see the module docstring)."""
    return model.predict([sentence.text for sentence in chunk])


class SentimentModelHandler(ModelHandler[Chunk, list[Prediction], SentimentClassifier]):
    """RunInference handler: loads the artifact; labels each article chunk on its own."""

    def __init__(self, model_path: str | None = None, threads: int = 0, batch_size: int = 64) -> None:
        super().__init__(min_batch_size=1, max_batch_size=8)
        self._model_path = model_path
        self._threads = threads or default_threads()
        self._batch_size = batch_size

    def load_model(self) -> SentimentClassifier:
        """Load the artifact for CPU inference (int8) in this worker process."""
        return SentimentClassifier.load(self._model_path, threads=self._threads,
                                        batch_size=self._batch_size)

    def run_inference(self, batch: Sequence[Chunk], model: SentimentClassifier,
                      inference_args: dict[str, Any] | None = None) -> Iterable[PredictionResult]:
        """One `PredictionResult(chunk, predictions, model_version)` per chunk."""
        return [PredictionResult(chunk, predict_chunk(model, chunk), model.model_version) for chunk in batch]

    def get_num_bytes(self, batch: Sequence[Chunk]) -> int:
        """Text bytes in the batch (for RunInference's metrics)."""
        return sum(len(sentence.text) for chunk in batch for sentence in chunk)

    def get_metrics_namespace(self) -> str:
        """Namespace of RunInference's own metrics."""
        return "finsent_classify"


def _grouped_chunks(item: tuple[str, Iterable[Sentence]], chunk_size: int) -> list[Chunk]:
    return article_chunks(item[1], chunk_size)


def _unchunk(result: PredictionResult) -> Iterable[tuple[Sentence, Prediction, str]]:
    for sentence, prediction in zip(result.example, result.inference, strict=True):
        yield sentence, prediction, result.model_id or ""


def _chunk_failures(failed: tuple[Sequence[Chunk], Exception]) -> Iterable[Failure]:
    batch, error = failed
    for article_id in sorted({chunk[0].article_id for chunk in batch}):
        yield Failure(stage="classify", reason="classification_error",
                      detail=f"article {article_id}: {type(error).__name__}: {error}"[:500])


class ClassifySentences(beam.PTransform):
    """Sentence → `(Sentence, Prediction, model_version)`; model failures on `failures`.

    Use: `classified, failures = sentences | ClassifySentences(...)`.
    """

    def __init__(self, model_path: str | None = None, threads: int = 0, batch_size: int = 64) -> None:
        super().__init__()
        self._handler = SentimentModelHandler(model_path, threads, batch_size)
        self._batch_size = batch_size

    def expand(self, sentences: beam.PCollection) -> tuple[beam.PCollection, beam.PCollection]:
        """Group sentences by article, run the model over each article's chunks."""
        chunks = (
            sentences
            | "KeyByArticle" >> beam.Map(lambda sentence: (sentence.article_id, sentence))
            | "GroupByArticle" >> beam.GroupByKey()
            | "Chunk" >> beam.FlatMap(_grouped_chunks, self._batch_size)
        )
        results, dead_letters = chunks | "RunInference" >> RunInference(self._handler).with_exception_handling()
        classified = results | "Unchunk" >> beam.FlatMap(_unchunk)
        failures = dead_letters.failed_inferences | "FailedArticles" >> beam.FlatMap(_chunk_failures)
        return classified, failures
