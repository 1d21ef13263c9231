"""ClassifySentences: Beam RunInference over `SentimentClassifier`, one article's sentences at a time.

In: `ArticleSentences`. Out: `ClassifiedArticle` (each sentence with its prediction and the model
version, and the title's own prediction) for every article, and on the `failures` output a
`Failure` for each article the model could not label (that article goes on unclassified, so it
still gets its row). The model is loaded once per worker process by RunInference, with
`ModelSettings.threads` torch threads; torch is imported only there, never in the launcher.

Why per article: int8 dynamic quantization scales activations by the whole batch, so a
sentence's probabilities depend on which sentences share its batch. Each article's sentences are
predicted on their own (in length-sorted model batches of `batch_size`), and its title alone,
which makes every label a function of the article alone: identical on re-runs, in multi-process
mode, on Dataflow and in `finsent analyze`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import apache_beam as beam
from apache_beam.ml.inference.base import ModelHandler, PredictionResult, RunInference

from pipelines import progress
from pipelines.records import ArticleSentences, ClassifiedArticle, Failure
from pipelines.settings import ModelSettings

if TYPE_CHECKING:
    from model.predict import SentimentClassifier

FAILURES = "failures"


def default_threads() -> int:
    """Torch threads for one worker process: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def classify_article(model: SentimentClassifier, split: ArticleSentences) -> ClassifiedArticle:
    """The article's sentences predicted together (see the module docstring) and its title alone."""
    version = model.model_version
    predictions = model.predict([sentence.text for sentence in split.sentences]) if split.sentences else []
    title = (split.title, model.predict([split.title.text])[0], version) if split.title else None
    return ClassifiedArticle(split.article,
                             tuple((s, p, version) for s, p in zip(split.sentences, predictions, strict=True)),
                             title)


def load_classifier(settings: ModelSettings) -> SentimentClassifier:
    """The model of `settings` loaded for CPU inference (int8), torch imported here."""
    from model.predict import SentimentClassifier

    return SentimentClassifier.load(settings.path, threads=settings.threads or default_threads(),
                                    batch_size=settings.batch_size)


class SentimentModelHandler(ModelHandler[ArticleSentences, ClassifiedArticle, "SentimentClassifier"]):
    """RunInference handler: loads the artifact; labels each article's sentences on their own."""

    def __init__(self, settings: ModelSettings | None = None) -> None:
        super().__init__(min_batch_size=1, max_batch_size=8)
        self._settings = settings or ModelSettings()

    def load_model(self) -> SentimentClassifier:
        """Load the artifact for CPU inference (int8) in this worker process."""
        return load_classifier(self._settings)

    def run_inference(self, batch: Sequence[ArticleSentences], model: SentimentClassifier,
                      inference_args: dict[str, Any] | None = None) -> Iterable[PredictionResult]:
        """One `PredictionResult(ArticleSentences, ClassifiedArticle, model_version)` per article."""
        results = [PredictionResult(split, classify_article(model, split), model.model_version)
                   for split in batch]
        progress.advance("sentences", sum(len(split.sentences) for split in batch))
        return results

    def get_num_bytes(self, batch: Sequence[ArticleSentences]) -> int:
        """Text bytes in the batch (for RunInference's metrics)."""
        return sum(len(sentence.text) for split in batch for sentence in split.sentences)

    def get_metrics_namespace(self) -> str:
        """Namespace of RunInference's own metrics."""
        return "finsent_classify"


def _failed_articles(failed: tuple[Sequence[ArticleSentences], Exception]) -> Iterable:
    """Each article of a batch the model failed on: its Failure, and the article unclassified."""
    batch, error = failed
    for split in batch:
        article = split.article
        yield beam.pvalue.TaggedOutput(FAILURES, Failure(
            stage="classify", reason="classification_error", feed=article.entry.feed,
            detail=f"article {article.article_id}: {type(error).__name__}: {error}"[:500]))
        yield ClassifiedArticle(article)


class ClassifySentences(beam.PTransform):
    """ArticleSentences → ClassifiedArticle; articles the model failed on also yield a `failures` Failure.

    Use: `classified, failures = split | ClassifySentences(settings)`.
    """

    def __init__(self, settings: ModelSettings | None = None) -> None:
        super().__init__()
        self._handler = SentimentModelHandler(settings)

    def expand(self, split: beam.PCollection) -> tuple[beam.PCollection, beam.PCollection]:
        """Run the model over each article's sentences; pass failed articles on unclassified."""
        results, dead_letters = split | "RunInference" >> RunInference(self._handler).with_exception_handling()
        classified = results | "Classified" >> beam.Map(lambda result: result.inference)
        failed = (dead_letters.failed_inferences
                  | "FailedArticles" >> beam.FlatMap(_failed_articles).with_outputs(FAILURES, main="articles"))
        return (classified, failed.articles) | "AllArticles" >> beam.Flatten(), failed[FAILURES]
