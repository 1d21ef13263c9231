"""ScoreArticles and its row builders: the score, the label threshold, the evidence, the story and the tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from model.prediction import Prediction
from pipelines.records import Article, ClassifiedArticle, FeedEntry, Mention, Sentence
from pipelines.rows import article_label, article_row, evidence, sentence_row
from pipelines.score import ScoreArticles, score_article
from pipelines.settings import ScoreSettings

RUN_DATE = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
ACME = Mention("ACME", "Acme Corp.", "NYSE", "Acme", "name", 0)


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


def detected(source: Article, items: list[tuple], mentions: dict[int, tuple[Mention, ...]] | None = None,
             tickers: tuple[str, ...] = ()) -> ClassifiedArticle:
    """The article as DetectMentions passes it on: `mentions` maps a sentence's position to its mentions."""
    mentions = mentions or {}
    return ClassifiedArticle(source, tuple(items), mentions=tuple(mentions.get(i, ()) for i in range(len(items))),
                             tickers=tickers)


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
    items = ClassifiedArticle(article(), tuple(classified("a1", i, 0.0, 0.5 + i / 10) for i in range(4)))
    row = article_row(items, "run-1", RUN_DATE)
    assert row == article_row(items, "run-1", RUN_DATE, (), ScoreSettings())
    assert len(row["evidence"]) == ScoreSettings().evidence_per_side < len(items.sentences)


def test_article_row_is_the_mean_score_with_counts_story_and_entities():
    items = (classified("a1", 0, 0.05, 0.9), classified("a1", 1, 0.1, 0.2), classified("a1", 2, 0.6, 0.1))
    entities = [{"ticker": "ACME", "name": "Acme Corp.", "exchange": "NYSE", "mentions": 1, "sentiment": 0.85,
                 "relevance": 1 / 3}]
    row = article_row(ClassifiedArticle(replace(article(), story_id="s0"), items, tickers=("ACME",)), "run-1",
                      RUN_DATE, entities, ScoreSettings(evidence_per_side=2, label_threshold=0.1))
    assert row["score"] == pytest.approx(((0.9 - 0.05) + (0.2 - 0.1) + (0.1 - 0.6)) / 3)
    assert row["label"] == "positive"  # 0.15 > 0.1
    assert (row["n_sentences"], row["n_positive"], row["n_neutral"], row["n_negative"]) == (3, 1, 1, 1)
    assert row["classified"] is True and row["model_version"] == "model-v1"
    assert (row["tags"], row["tickers"], row["run_id"], row["run_date"]) == (["markets"], ["ACME"], "run-1", RUN_DATE)
    assert (row["story_id"], row["entities"]) == ("s0", entities)
    assert row["feeds"] == ["wire"]  # a single feed when Deduplicate merged none
    assert row["published_at"] is None  # neither the page nor the feed said when


def test_the_rows_tickers_are_those_detected_not_all_the_feed_declares():
    row = article_row(ClassifiedArticle(article(), (classified("a1", 0, 0.1, 0.2),)), "run-1", RUN_DATE)
    assert article().entry.tickers == ("ACME",) and row["tickers"] == []


def test_an_article_without_sentences_has_no_score_label_or_model():
    row = article_row(ClassifiedArticle(article(language="de")), "run-1", RUN_DATE)
    assert (row["score"], row["label"], row["model_version"], row["classified"]) == (None, None, None, False)
    assert row["story_id"] == "a1"  # an article without copies is its own story
    assert row["evidence"] == [] and row["n_sentences"] == 0 and row["entities"] == []


def test_score_article_builds_the_articles_sentence_and_mention_rows_under_its_story():
    items = [classified("a1", 0, 0.05, 0.9), classified("a1", 1, 0.1, 0.2), classified("a1", 2, 0.6, 0.1)]
    copy = replace(article(), story_id="s0")
    tables = score_article(detected(copy, items, {0: (ACME,), 2: (ACME,)}, ("ACME",)), "run-1", RUN_DATE)
    assert tables.sentences == [sentence_row(item, RUN_DATE) for item in items]
    assert [(r["sentence_id"], r["index"], r["label"], r["model_version"]) for r in tables.sentences] == [
        ("a1-0000", 0, "positive", "model-v1"), ("a1-0001", 1, "neutral", "model-v1"),
        ("a1-0002", 2, "negative", "model-v1")]
    assert [(r["mention_id"], r["article_id"], r["story_id"], r["ticker"], r["label"]) for r in tables.mentions] == [
        ("a1-0000:ACME", "a1", "s0", "ACME", "positive"), ("a1-0002:ACME", "a1", "s0", "ACME", "negative")]
    (entity,) = tables.article["entities"]
    assert (entity["ticker"], entity["mentions"]) == ("ACME", 2)
    assert entity["sentiment"] == pytest.approx(((0.9 - 0.05) + (0.1 - 0.6)) / 2)
    assert entity["relevance"] == pytest.approx(2 / 3)
    assert (tables.article["story_id"], tables.article["tickers"]) == ("s0", ["ACME"])
    assert tables.article == article_row(detected(copy, items, tickers=("ACME",)), "run-1", RUN_DATE,
                                         tables.article["entities"])


def test_score_article_of_an_unclassified_article_is_its_row_alone():
    tables = score_article(ClassifiedArticle(article(language="de")), "run-1", RUN_DATE)
    assert (tables.sentences, tables.mentions) == ([], [])
    assert (tables.article["article_id"], tables.article["score"], tables.article["story_id"]) == ("a1", None, "a1")


def test_score_articles_gives_each_article_its_rows_and_its_story_or_its_own():
    articles = [
        detected(article("a1"), [classified("a1", 0, 0.0, 1.0)], {0: (ACME,)}),
        detected(replace(article("a2"), story_id="a0"),  # a2 is a copy of a0
                 [classified("a2", 0, 1.0, 0.0), classified("a2", 1, 0.5, 0.0)], {1: (ACME,)}),
        detected(article("a3", language="de"), []),
    ]
    with TestPipeline() as pipeline:
        rows = pipeline | "Classified" >> beam.Create(articles) | ScoreArticles("run-1", RUN_DATE)
        summary = rows.articles | "Summary" >> beam.Map(lambda r: (
            r["article_id"], r["story_id"], r["n_sentences"], r["label"],
            None if r["score"] is None else round(r["score"], 6)))
        assert_that(summary, equal_to([("a1", "a1", 1, "positive", 1.0), ("a2", "a0", 2, "negative", -0.75),
                                       ("a3", "a3", 0, None, None)]), label="Articles")
        assert_that(rows.sentences | "SentenceIds" >> beam.Map(lambda r: (r["sentence_id"], r["article_id"])),
                    equal_to([("a1-0000", "a1"), ("a2-0000", "a2"), ("a2-0001", "a2")]), label="Sentences")
        assert_that(rows.mentions | "MentionIds" >> beam.Map(lambda r: (r["mention_id"], r["story_id"], r["label"])),
                    equal_to([("a1-0000:ACME", "a1", "positive"), ("a2-0001:ACME", "a0", "neutral")]),
                    label="Mentions")
