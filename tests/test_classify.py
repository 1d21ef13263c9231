"""ClassifySentences and `classify_article`, on a tiny model artifact made here (one layer, random head).

The model labels each article on its own: its body sentences together, its title alone; every article
comes out once, as a ClassifiedArticle, classified or (when the model failed on it) not.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from helpers import make_untrained_model

from pipelines import classify
from pipelines.classify import ClassifySentences, classify_article, load_classifier
from pipelines.records import Article, ArticleSentences, ClassifiedArticle, Failure, FeedEntry, Sentence
from pipelines.settings import ModelSettings

VERSION = "untrained-test"
TEXTS = {
    "a1": ["Operating profit rose to EUR 13.1 mn from EUR 8.7 mn a year earlier.",
           "The company cut its full-year outlook and shares fell 9 percent.",
           "The annual general meeting will be held in Helsinki on 15 March."],
    "a2": ["Net sales decreased by 12 percent because of weaker demand in Europe.",
           "Analysts expect a dividend of EUR 0.40 per share."],
}
TITLES = {"a1": "Acme profit beats estimates", "a2": "Acme sales slump in Europe"}


def article(article_id: str, language: str = "en") -> Article:
    entry = FeedEntry(feed=f"feed-{article_id}", source="Test", url=f"https://example.com/{article_id}",
                      article_id=article_id)
    return Article(entry=entry, article_id=article_id, url=entry.url, title=TITLES.get(article_id, ""),
                   text="\n".join(TEXTS.get(article_id, [])), authors=(), published_at=None,
                   scraped_at=datetime(2024, 5, 14, tzinfo=timezone.utc), language=language,
                   extractor="trafilatura")


def split(article_id: str) -> ArticleSentences:
    """The article as SplitSentences passes it on: numbered body sentences and the title sentence."""
    sentences = tuple(Sentence(f"{article_id}-{i:04d}", article_id, i, text)
                      for i, text in enumerate(TEXTS[article_id]))
    return ArticleSentences(article(article_id), sentences,
                            Sentence(f"{article_id}-title", article_id, -1, TITLES[article_id]))


def not_english(article_id: str = "d1") -> ArticleSentences:
    """A non-English article: SplitSentences gives it neither sentences nor a title."""
    return ArticleSentences(article(article_id, language="de"))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_untrained_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def settings(tiny_model: Path) -> ModelSettings:
    return ModelSettings(str(tiny_model), threads=1, batch_size=2)


@pytest.fixture(scope="module")
def model(settings: ModelSettings):
    return load_classifier(settings)


class FailingModel:
    """A loaded model that fails, as a model out of memory would, on any text of `poison` (default: all)."""

    def __init__(self, model=None, poison: list[str] | None = None) -> None:
        self._model, self._poison = model, poison
        self.model_version = model.model_version if model else "broken"

    def predict(self, texts: list[str]) -> list:
        if self._poison is None or set(texts) & set(self._poison):
            raise RuntimeError("out of memory")
        return self._model.predict(texts)


def test_one_prediction_per_sentence_in_article_order_with_the_models_version(model):
    classified = classify_article(model, split("a1"))
    assert classified.article == article("a1")
    assert [sentence for sentence, _, _ in classified.sentences] == list(split("a1").sentences)
    assert {version for _, _, version in classified.sentences} == {model.model_version} == {VERSION}
    for _, prediction, _ in (*classified.sentences, classified.title):
        assert prediction.p_negative + prediction.p_neutral + prediction.p_positive == pytest.approx(1, abs=1e-4)
        assert prediction.label in ("negative", "neutral", "positive")
    assert (classified.mentions, classified.tickers) == ((), ())  # DetectMentions fills them in later


def test_the_body_is_predicted_together_and_the_title_alone(model):
    classified = classify_article(model, split("a1"))
    assert [prediction for _, prediction, _ in classified.sentences] == model.predict(TEXTS["a1"])
    title, prediction, version = classified.title
    assert title == split("a1").title
    assert (prediction, version) == (model.predict([TITLES["a1"]])[0], VERSION)


def test_an_article_without_sentences_or_title_stays_unclassified_without_calling_the_model():
    assert classify_article(FailingModel(), not_english()) == ClassifiedArticle(not_english().article)


def labels(classified: ClassifiedArticle) -> tuple:
    """What an article came out with: its ID, each sentence's ID, label and version, and the title's label."""
    return (classified.article.article_id,
            tuple((sentence.sentence_id, prediction.label, version)
                  for sentence, prediction, version in classified.sentences),
            classified.title[1].label if classified.title else None)


def test_classify_sentences_labels_every_article_once_as_if_alone_and_fails_nothing(settings: ModelSettings, model):
    articles = [split("a2"), not_english(), split("a1")]
    alone = [labels(classify_article(model, item)) for item in articles]
    assert {len(item[1]) for item in alone} == {3, 2, 0}
    with TestPipeline() as pipeline:
        classified, failures = pipeline | beam.Create(articles) | ClassifySentences(settings)
        assert_that(classified | beam.Map(labels), equal_to(alone), label="Classified")
        assert_that(failures, equal_to([]), label="NoFailures")


def test_an_article_the_model_fails_on_is_recorded_and_goes_on_unclassified_the_others_are_classified(
        settings: ModelSettings, model, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(classify, "load_classifier", lambda loaded: FailingModel(model, poison=TEXTS["a2"]))
    failed = split("a2").article
    own_settings = replace(settings, batch_size=3)  # a process keeps one model per settings: not the one above
    with TestPipeline() as pipeline:
        classified, failures = (pipeline | beam.Create([split("a1"), split("a2"), not_english()])
                                | ClassifySentences(own_settings))
        assert_that(classified | beam.Map(labels),
                    equal_to([labels(classify_article(model, split("a1"))), ("a2", (), None), ("d1", (), None)]),
                    label="Articles")
        assert_that(failures, equal_to([
            Failure(stage="classify", reason="classification_error", feed="feed-a2", url=failed.url,
                    detail="article a2: RuntimeError: out of memory")]), label="Failures")
