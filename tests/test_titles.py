"""Article titles: one title sentence per article, its columns in the row, and `finsent analyze`."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from finsent.cli import main
from model.prediction import Prediction
from pipelines.records import Article, ClassifiedArticle, FeedEntry, Sentence
from pipelines.rows import article_row
from pipelines.sentences import TITLE_INDEX, split_article, title_sentence

PAGES = Path(__file__).parent / "fixtures" / "pages"


def make_article(title: str) -> Article:
    entry = FeedEntry(feed="test", source="Test", url="https://example.com/a1")
    return Article(entry=entry, article_id="a1", url=entry.url, title=title, text="Body.", authors=(),
                   published_at=None, scraped_at=datetime(2024, 5, 14, tzinfo=timezone.utc), language="en",
                   extractor="trafilatura")


def test_the_title_is_one_sentence_with_its_own_id_and_an_empty_title_none():
    title = title_sentence(make_article("  Acme shares\n jump 8%  after profit beat "))
    assert title == Sentence("a1-title", "a1", TITLE_INDEX, "Acme shares jump 8% after profit beat")
    assert title_sentence(make_article(" \n ")) is None


def test_only_english_articles_carry_their_title_to_the_model():
    article = make_article("Acme shares jump 8% after profit beat")
    assert split_article(article).split.title == title_sentence(article)
    assert split_article(replace(article, language="de")).split.title is None


def test_the_title_fills_its_columns_and_stays_out_of_the_score():
    article = make_article("Acme cut to Sell")
    body = ((Sentence("a1-0000", "a1", 0, "Sales rose."), Prediction("positive", 0.1, 0.2, 0.7), "m1"),
            (Sentence("a1-0001", "a1", 1, "Costs fell."), Prediction("positive", 0.1, 0.4, 0.5), "m1"))
    title = (title_sentence(article), Prediction("negative", 0.9, 0.08, 0.02), "m1")
    row = article_row(ClassifiedArticle(article, body, title), "run", date(2024, 5, 14), "a1")
    assert (row["title_label"], row["title_p_negative"], row["title_p_neutral"], row["title_p_positive"]) == (
        "negative", 0.9, 0.08, 0.02)
    assert row["title_score"] == pytest.approx(-0.88)
    assert row["score"] == pytest.approx(0.5) and row["n_sentences"] == 2
    assert all(e["sentence_id"] != "a1-title" for e in row["evidence"])
    untitled = article_row(ClassifiedArticle(replace(article, language="de")), "run", date(2024, 5, 14), "a1")
    assert [untitled[k] for k in ("title_label", "title_score", "score", "model_version")] == [None] * 4


@pytest.mark.slow
def test_analyze_shows_the_title_label_of_an_english_page_only(capsys: pytest.CaptureFixture[str]):
    english = subprocess.run([sys.executable, "-m", "finsent.cli", "analyze", str(PAGES / "en_markets_news.html")],
                             capture_output=True, text=True, timeout=600)
    assert english.returncode == 0, english.stderr
    title_line = english.stdout.splitlines()[2]
    assert title_line.startswith("title: ") and title_line.endswith("; not part of the article score)")
    assert title_line.split()[1] in {"positive", "neutral", "negative"}
    assert main(["analyze", str(PAGES / "de_wirtschaft_mislabelled.html")]) == 0  # in-process: same command
    german = capsys.readouterr().out.splitlines()
    assert german and not any(line.startswith("title: ") for line in german)
