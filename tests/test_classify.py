"""ClassifySentences and its RunInference handler, on a tiny model artifact made here (one layer, random head).

The model labels each article on its own: its body sentences together, its title alone; every article
comes out once, as a ClassifiedArticle, classified or (when the model failed on it) not.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from helpers import make_untrained_model

from pipelines import classify
from pipelines.classify import ClassifySentences, SentimentModelHandler, classify_article
from pipelines.records import Article, ArticleSentences, ClassifiedArticle, FeedEntry, Failure, Sentence
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
def handler_and_model(settings: ModelSettings):
    handler = SentimentModelHandler(settings)
    return handler, handler.load_model()


def test_one_classified_article_per_article_with_one_prediction_per_sentence_in_order(handler_and_model):
    handler, model = handler_and_model
    batch = [split("a1"), split("a2")]
    results = list(handler.run_inference(batch, model))
    assert [result.example for result in results] == batch
    for result in results:
        classified = result.inference
        assert isinstance(classified, ClassifiedArticle)
        assert result.model_id == model.model_version == VERSION
        assert classified.article == result.example.article
        assert [sentence for sentence, _, _ in classified.sentences] == list(result.example.sentences)
        assert {version for _, _, version in classified.sentences} == {VERSION}
        for _, prediction, _ in classified.sentences:
            assert prediction.p_negative + prediction.p_neutral + prediction.p_positive == pytest.approx(1, abs=1e-4)
            assert prediction.label in ("negative", "neutral", "positive")
        assert (classified.mentions, classified.tickers) == ((), ())  # DetectMentions fills them in later


def test_the_body_is_predicted_together_and_the_title_alone(handler_and_model):
    _, model = handler_and_model
    classified = classify_article(model, split("a1"))
    assert [prediction for _, prediction, _ in classified.sentences] == model.predict(TEXTS["a1"])
    title, prediction, version = classified.title
    assert title == split("a1").title
    assert (prediction, version) == (model.predict([TITLES["a1"]])[0], VERSION)


def test_an_article_without_sentences_or_title_stays_unclassified(handler_and_model):
    handler, model = handler_and_model
    (result,) = handler.run_inference([not_english()], model)
    assert result.inference == ClassifiedArticle(not_english().article)
    assert (result.inference.sentences, result.inference.title) == ((), None)


def test_an_articles_labels_do_not_depend_on_the_other_articles_of_its_batch(handler_and_model):
    handler, model = handler_and_model
    (alone,) = [result.inference for result in handler.run_inference([split("a1")], model)]
    in_company = list(handler.run_inference([split("a2"), not_english(), split("a1")], model))[2].inference
    assert alone == in_company


def test_handler_reports_text_bytes_and_its_metrics_namespace(handler_and_model):
    handler, _ = handler_and_model
    batch = [split("a1"), split("a2"), not_english()]
    assert handler.get_num_bytes(batch) == sum(len(text) for texts in TEXTS.values() for text in texts)
    assert handler.get_metrics_namespace() == "finsent_classify"


def labels(classified: ClassifiedArticle) -> tuple:
    """What an article came out with: its ID, each sentence's ID, label and version, and the title's label."""
    return (classified.article.article_id,
            tuple((sentence.sentence_id, prediction.label, version)
                  for sentence, prediction, version in classified.sentences),
            classified.title[1].label if classified.title else None)


def test_classify_sentences_labels_every_article_once_and_fails_nothing(settings: ModelSettings, handler_and_model):
    _, model = handler_and_model
    expected = [(article_id,
                 tuple((s.sentence_id, p.label, VERSION)
                       for s, p in zip(split(article_id).sentences, model.predict(TEXTS[article_id]), strict=True)),
                 model.predict([TITLES[article_id]])[0].label)
                for article_id in TEXTS]
    with TestPipeline() as pipeline:
        classified, failures = (pipeline | beam.Create([split("a2"), not_english(), split("a1")])
                                | ClassifySentences(settings))
        assert_that(classified | beam.Map(labels), equal_to([*expected, ("d1", (), None)]), label="Classified")
        assert_that(failures, equal_to([]), label="NoFailures")


class BrokenModel:
    """A loaded model whose every prediction fails, as a model out of memory would."""

    model_version = "broken"

    def predict(self, texts: list[str]) -> list:
        raise RuntimeError("out of memory")


def test_when_the_model_fails_each_article_is_recorded_and_still_goes_on_unclassified(
        settings: ModelSettings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(classify, "load_classifier", lambda _: BrokenModel())
    failed = [split("a1"), split("a2")]
    with TestPipeline() as pipeline:
        classified, failures = pipeline | beam.Create(failed) | ClassifySentences(settings)
        assert_that(classified, equal_to([ClassifiedArticle(item.article) for item in failed]), label="Unclassified")
        assert_that(failures, equal_to([
            Failure(stage="classify", reason="classification_error", feed=f"feed-{item.article.article_id}",
                    detail=f"article {item.article.article_id}: RuntimeError: out of memory")
            for item in failed]), label="Failures")
