"""ClassifySentences: `SentimentClassifier` over each article's sentences and title, one article at a time.

In: `ArticleSentences`. Out: `ClassifiedArticle` (each sentence with its prediction and the model
version, and the title's own prediction) for every article, and on the `failures` output a
`Failure` for each article the model could not label (that article goes on unclassified, so it
still gets its row). The model is loaded once per worker process, with `ModelSettings.threads`
torch threads; torch is imported only there, never in a launcher that does not run the model.

Why per article: int8 dynamic quantization scales activations by the whole batch, so a
sentence's probabilities depend on which sentences share its batch. Each article's sentences are
predicted on their own (in length-sorted model batches of `batch_size`), and its title alone,
which makes every label a function of the article alone: identical on re-runs, in multi-process
mode, on Dataflow and in `finsent analyze`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import apache_beam as beam
from apache_beam.pvalue import TaggedOutput
from apache_beam.utils import shared

from pipelines import progress
from pipelines.records import ArticleSentences, ClassifiedArticle, Failure
from pipelines.settings import ModelSettings

if TYPE_CHECKING:
    from model.predict import SentimentClassifier

FAILURES = "failures"
_MODEL = shared.Shared()
"""This process's model: loaded once, whatever the number of threads and DoFn instances in it."""


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


def process_classifier(settings: ModelSettings) -> SentimentClassifier:
    """This process's model of `settings`, loaded on first use (later callers wait for that load)."""
    return _MODEL.acquire(lambda: load_classifier(settings), tag=repr(settings))


def start_loading(settings: ModelSettings) -> None:
    """Load this process's model in the background, for a run whose workers are this process:
    torch's import and the artifact's load then overlap with building the graph and reading feeds."""
    def load() -> None:
        with contextlib.suppress(Exception):  # the stage's own load then fails and reports it, in the run
            process_classifier(settings)

    threading.Thread(target=load, name="finsent-model-load", daemon=True).start()


class _ClassifyFn(beam.DoFn):
    """ArticleSentences → ClassifiedArticle; a model error fails that article alone (tagged `failures`)."""

    def __init__(self, settings: ModelSettings) -> None:
        self._settings = settings
        self._model: SentimentClassifier | None = None

    def setup(self) -> None:
        self._model = process_classifier(self._settings)

    def process(self, split: ArticleSentences) -> Iterator:
        try:
            classified = classify_article(self._model, split)
        except Exception as error:  # any model error becomes this article's failure row
            article = split.article
            yield TaggedOutput(FAILURES, Failure(
                stage="classify", reason="classification_error", feed=article.entry.feed, url=article.url,
                detail=f"article {article.article_id}: {type(error).__name__}: {error}"[:500]))
            yield ClassifiedArticle(article)
            return
        progress.advance("sentences", len(split.sentences))
        yield classified


class ClassifySentences(beam.PTransform):
    """ArticleSentences → ClassifiedArticle; an article the model fails on also yields a `failures` Failure
    and goes on unclassified, so it still gets its row.

    Use: `classified, failures = split | ClassifySentences(settings)`. Not RunInference: in Beam 2.77
    importing it imports torch (its model manager does), which would cost every launcher ~2 s and
    ~200 MB for a model it never runs; the model is shared per process the way RunInference does it
    (`apache_beam.utils.shared`).
    """

    def __init__(self, settings: ModelSettings | None = None) -> None:
        super().__init__()
        self._settings = settings or ModelSettings()

    def expand(self, split: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        """Run the model over each article's sentences, then over its title."""
        return split | "Classify" >> beam.ParDo(_ClassifyFn(self._settings)).with_outputs(FAILURES, main="articles")
