"""ClassifySentences: Beam RunInference over `SentimentClassifier`, one article's sentences at a time.

In: `Sentence`. Out: `(Sentence, Prediction, model_version)` on the main output and `Failure`s
for articles the model could not label on the `failures` output. The model is loaded once per
worker process by RunInference, with `ModelSettings.threads` torch threads.

Why per article: int8 dynamic quantization scales activations by the whole batch, so a
sentence's probabilities depend on which sentences share its batch. Each article's sentences are
predicted on their own (in length-sorted model batches of `batch_size`), which makes every label
a function of the article alone: identical on re-runs, in multi-process mode, on Dataflow and in
`finsent analyze`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.ml.inference.base import ModelHandler, PredictionResult, RunInference

from model.predict import Prediction, SentimentClassifier
from pipelines import progress
from pipelines.records import Failure, Sentence
from pipelines.settings import ModelSettings

ArticleSentences = tuple[Sentence, ...]


def default_threads() -> int:
    """Torch threads for one worker process: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def in_article_order(sentences: Iterable[Sentence]) -> ArticleSentences:
    """One article's sentences in index order."""
    return tuple(sorted(sentences, key=lambda sentence: sentence.index))


def predict_article(model: SentimentClassifier, sentences: ArticleSentences) -> list[Prediction]:
    """Predictions for one article's sentences, predicted on their own (see the module docstring)."""
    return model.predict([sentence.text for sentence in sentences])


class SentimentModelHandler(ModelHandler[ArticleSentences, list[Prediction], SentimentClassifier]):
    """RunInference handler: loads the artifact; labels each article's sentences on their own."""

    def __init__(self, settings: ModelSettings | None = None) -> None:
        super().__init__(min_batch_size=1, max_batch_size=8)
        settings = settings or ModelSettings()
        self._model_path = settings.path
        self._threads = settings.threads or default_threads()
        self._batch_size = settings.batch_size

    def load_model(self) -> SentimentClassifier:
        """Load the artifact for CPU inference (int8) in this worker process."""
        return SentimentClassifier.load(self._model_path, threads=self._threads,
                                        batch_size=self._batch_size)

    def run_inference(self, batch: Sequence[ArticleSentences], model: SentimentClassifier,
                      inference_args: dict[str, Any] | None = None) -> Iterable[PredictionResult]:
        """One `PredictionResult(article's sentences, predictions, model_version)` per article."""
        results = [PredictionResult(article, predict_article(model, article), model.model_version)
                   for article in batch]
        progress.advance("sentences", sum(len(article) for article in batch))
        return results

    def get_num_bytes(self, batch: Sequence[ArticleSentences]) -> int:
        """Text bytes in the batch (for RunInference's metrics)."""
        return sum(len(sentence.text) for article in batch for sentence in article)

    def get_metrics_namespace(self) -> str:
        """Namespace of RunInference's own metrics."""
        return "finsent_classify"


def _per_sentence(result: PredictionResult) -> Iterable[tuple[Sentence, Prediction, str]]:
    for sentence, prediction in zip(result.example, result.inference, strict=True):
        yield sentence, prediction, result.model_id or ""


def _article_failures(failed: tuple[Sequence[ArticleSentences], Exception]) -> Iterable[Failure]:
    batch, error = failed
    for article_id in sorted({article[0].article_id for article in batch}):
        yield Failure(stage="classify", reason="classification_error",
                      detail=f"article {article_id}: {type(error).__name__}: {error}"[:500])


class ClassifySentences(beam.PTransform):
    """Sentence → `(Sentence, Prediction, model_version)`; model failures on `failures`.

    Use: `classified, failures = sentences | ClassifySentences(...)`.
    """

    def __init__(self, settings: ModelSettings | None = None) -> None:
        super().__init__()
        self._handler = SentimentModelHandler(settings)

    def expand(self, sentences: beam.PCollection) -> tuple[beam.PCollection, beam.PCollection]:
        """Group sentences by article, run the model over each article's sentences."""
        articles = (
            sentences
            | "KeyByArticle" >> beam.Map(lambda sentence: (sentence.article_id, sentence))
            | "GroupByArticle" >> beam.GroupByKey()
            | "InOrder" >> beam.MapTuple(lambda _, article_sentences: in_article_order(article_sentences))
        )
        results, dead_letters = articles | "RunInference" >> RunInference(self._handler).with_exception_handling()
        classified = results | "PerSentence" >> beam.FlatMap(_per_sentence)
        failures = dead_letters.failed_inferences | "FailedArticles" >> beam.FlatMap(_article_failures)
        return classified, failures
