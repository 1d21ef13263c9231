"""ScoreArticles and its row builder: the score, the label threshold, the evidence and the join."""

from __future__ import annotations

from datetime import date, datetime, timezone

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from model.predict import Prediction
from pipelines.records import Article, FeedEntry, Sentence
from pipelines.score import ScoreArticles, article_label, article_row, evidence
from pipelines.settings import ScoreSettings

RUN_DATE = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)


def article(article_id: str = "a1", language: str = "en") -> Article:
    entry = FeedEntry(feed="wire", source="Wire", url=f"https://news.example/{article_id}",
                      canonical_url=f"https://news.example/{article_id}", article_id=article_id,
                      tags=("markets",), tickers=("ACME",))
    return Article(entry=entry, article_id=article_id, url=entry.url, title=f"Title {article_id}",
                   text="Body.", authors=("A. Writer",), published_at=None, scraped_at=NOW, language=language,
                   extractor="trafilatura")


def classified(article_id: str, index: int, p_negative: float, p_positive: float, label: str = "") -> tuple:
    p_neutral = 1 - p_negative - p_positive
    chosen = label or max((p_negative, "negative"), (p_neutral, "neutral"), (p_positive, "positive"))[1]
    sentence = Sentence(f"{article_id}-{index:04d}", article_id, index, f"sentence {index} of {article_id}")
    return sentence, Prediction(chosen, p_negative, p_neutral, p_positive), "model-v1"


@pytest.mark.parametrize("score, label", [(None, None), (0.5, "positive"), (0.1, "neutral"), (0.0, "neutral"),
                                          (-0.1, "neutral"), (-0.100001, "negative"), (0.100001, "positive")])
def test_article_label_is_neutral_within_the_threshold_inclusive(score, label):
    assert article_label(score, 0.1) == label


def test_evidence_takes_the_strongest_of_each_side_and_never_neutral_ties():
    items = [classified("a1", 0, 0.1, 0.8), classified("a1", 1, 0.7, 0.1), classified("a1", 2, 0.2, 0.2),
             classified("a1", 3, 0.0, 0.9), classified("a1", 4, 0.9, 0.05)]
    chosen = evidence(items, per_side=1)
    assert [e["sentence_id"] for e in chosen] == ["a1-0003", "a1-0004"]
    both = evidence(items, per_side=2)
    assert [e["sentence_id"] for e in both] == ["a1-0003", "a1-0000", "a1-0004", "a1-0001"]
    assert all(e["score"] != 0 for e in both)  # the 0.2/0.2 sentence is on neither side
    assert both[0]["text"] == "sentence 3 of a1" and both[0]["p_positive"] == pytest.approx(0.9)


def test_without_settings_a_row_uses_the_runs_score_settings():
    items = [classified("a1", i, 0.0, 0.5 + i / 10) for i in range(4)]
    row = article_row(article(), items, "run-1", RUN_DATE)
    assert row == article_row(article(), items, "run-1", RUN_DATE, ScoreSettings())
    assert len(row["evidence"]) == ScoreSettings().evidence_per_side < len(items)


def test_article_row_is_the_mean_score_with_counts_in_sentence_order():
    items = [classified("a1", 2, 0.6, 0.1), classified("a1", 0, 0.05, 0.9), classified("a1", 1, 0.1, 0.2)]
    row = article_row(article(), items, "run-1", RUN_DATE, ScoreSettings(evidence_per_side=2, label_threshold=0.1))
    assert row["score"] == pytest.approx(((0.9 - 0.05) + (0.2 - 0.1) + (0.1 - 0.6)) / 3)
    assert row["label"] == "positive"  # 0.15 > 0.1
    assert (row["n_sentences"], row["n_positive"], row["n_neutral"], row["n_negative"]) == (3, 1, 1, 1)
    assert row["classified"] is True and row["model_version"] == "model-v1"
    assert (row["tags"], row["tickers"], row["run_id"], row["run_date"]) == (["markets"], ["ACME"], "run-1", RUN_DATE)
    assert row["published_at"] is None  # neither the page nor the feed said when


def test_an_article_without_sentences_has_no_score_label_or_model():
    row = article_row(article(language="de"), [], "run-1", RUN_DATE)
    assert (row["score"], row["label"], row["model_version"], row["classified"]) == (None, None, None, False)
    assert row["evidence"] == [] and row["n_sentences"] == 0


def test_score_articles_joins_each_article_with_its_own_sentences():
    articles = [article("a1"), article("a2"), article("a3", language="de")]
    sentences = [classified("a1", 0, 0.0, 1.0), classified("a2", 0, 1.0, 0.0), classified("a2", 1, 0.5, 0.0)]
    with TestPipeline() as pipeline:
        rows = {"articles": pipeline | "Articles" >> beam.Create(articles),
                "sentences": pipeline | "Sentences" >> beam.Create(sentences)} | ScoreArticles("run-1", RUN_DATE)
        summary = rows | beam.Map(lambda r: (r["article_id"], r["n_sentences"], r["label"],
                                             None if r["score"] is None else round(r["score"], 6)))
        assert_that(summary, equal_to([("a1", 1, "positive", 1.0), ("a2", 2, "negative", -0.75),
                                       ("a3", 0, None, None)]))
