"""ClassifySentences and its RunInference handler, on a tiny model artifact made here (one layer, random head)."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from helpers import make_untrained_model

from pipelines.classify import ClassifySentences, SentimentModelHandler, in_article_order
from pipelines.records import Sentence
from pipelines.settings import ModelSettings

TEXTS = {
    "a1": ["Operating profit rose to EUR 13.1 mn from EUR 8.7 mn a year earlier.",
           "The company cut its full-year outlook and shares fell 9 percent.",
           "The annual general meeting will be held in Helsinki on 15 March."],
    "a2": ["Net sales decreased by 12 percent because of weaker demand in Europe.",
           "Analysts expect a dividend of EUR 0.40 per share."],
}


def sentences(article_id: str) -> tuple[Sentence, ...]:
    return tuple(Sentence(f"{article_id}-{i:04d}", article_id, i, text) for i, text in enumerate(TEXTS[article_id]))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_untrained_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def handler_and_model(tiny_model: Path):
    handler = SentimentModelHandler(ModelSettings(str(tiny_model), threads=1, batch_size=2))
    return handler, handler.load_model()


def test_sentences_are_put_back_in_article_order():
    shuffled = [sentences("a1")[2], sentences("a1")[0], sentences("a1")[1]]
    assert [s.index for s in in_article_order(shuffled)] == [0, 1, 2]


def test_one_result_per_article_with_one_prediction_per_sentence(handler_and_model):
    handler, model = handler_and_model
    results = list(handler.run_inference([sentences("a1"), sentences("a2")], model))
    assert [result.example for result in results] == [sentences("a1"), sentences("a2")]
    for result in results:
        assert len(result.inference) == len(result.example)
        assert result.model_id == model.model_version == "untrained-test"
        for prediction in result.inference:
            assert prediction.p_negative + prediction.p_neutral + prediction.p_positive == pytest.approx(1, abs=1e-4)
            assert prediction.label in ("negative", "neutral", "positive")


def test_an_articles_labels_do_not_depend_on_the_other_articles_of_its_batch(handler_and_model):
    handler, model = handler_and_model
    (alone,) = [result.inference for result in handler.run_inference([sentences("a1")], model)]
    in_company = list(handler.run_inference([sentences("a2"), sentences("a1")], model))[1].inference
    assert alone == in_company


def test_handler_reports_text_bytes_and_its_metrics_namespace(handler_and_model):
    handler, _ = handler_and_model
    batch = [sentences("a1"), sentences("a2")]
    assert handler.get_num_bytes(batch) == sum(len(text) for texts in TEXTS.values() for text in texts)
    assert handler.get_metrics_namespace() == "finsent_classify"


def test_classify_sentences_labels_every_sentence_once_and_fails_nothing(tiny_model: Path, handler_and_model):
    _, model = handler_and_model
    expected = [(s.sentence_id, p.label, "untrained-test")
                for article_id in TEXTS
                for s, p in zip(sentences(article_id), model.predict(TEXTS[article_id]), strict=True)]
    with TestPipeline() as pipeline:
        shuffled = [s for article_id in reversed(TEXTS) for s in reversed(sentences(article_id))]
        classified, failures = (pipeline | beam.Create(shuffled)
                                | ClassifySentences(ModelSettings(str(tiny_model), threads=1, batch_size=2)))
        assert_that(classified | beam.MapTuple(lambda s, p, version: (s.sentence_id, p.label, version)),
                    equal_to(expected), label="Classified")
        assert_that(failures, equal_to([]), label="NoFailures")
