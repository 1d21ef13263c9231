"""Company mentions: the dictionary, the matcher's rules, its precision/recall, DetectMentions and the rows
ScoreArticles builds from them, the demo run."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path

import apache_beam as beam
import duckdb
import pandas as pd
import pytest
import yaml
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from committed import parquet_scan
from hypothesis import given, settings
from hypothesis import strategies as st

from model.prediction import Prediction
from pipelines.mentions import (
    CompanyDictionaryError,
    DetectMentions,
    MentionMatcher,
    detect_mentions,
    load_companies,
    trie_regex,
)
from pipelines.records import Article, ClassifiedArticle, FeedEntry, Sentence
from pipelines.rows import article_entities
from pipelines.score import ScoreArticles
from reports.daily import company_items

LABELLED = Path(__file__).parent / "fixtures" / "mentions_labelled.yaml"
PRECISION_FLOOR = 0.95
RECALL_FLOOR = 0.90
MATCHER = MentionMatcher.default()


def tickers(sentence: str) -> list[str]:
    return [mention.ticker for mention in MATCHER.sentence_mentions(sentence)]


# --- the dictionary ----------------------------------------------------------------------------

def test_the_shipped_dictionary_has_at_least_150_companies_with_unique_tickers():
    companies = load_companies()
    assert len(companies) >= 150
    assert len({company.ticker for company in companies}) == len(companies)
    assert {"US", "Europe"} <= {"US" if c.exchange in {"NASDAQ", "NYSE"} else "Europe" for c in companies}


def test_a_dictionary_with_an_unknown_exchange_is_refused_naming_the_company(tmp_path):
    path = tmp_path / "companies.yaml"
    path.write_text(yaml.safe_dump({"companies": [{"ticker": "X", "exchange": "Moon", "name": "X Inc."}]}))
    with pytest.raises(CompanyDictionaryError, match=r"company #1: unknown exchange 'Moon'"):
        load_companies(path)


def test_a_dictionary_giving_one_alias_to_two_companies_is_refused(tmp_path):
    path = tmp_path / "companies.yaml"
    path.write_text(yaml.safe_dump({"companies": [
        {"ticker": "A", "exchange": "NYSE", "name": "A Inc.", "aliases": ["Acme"]},
        {"ticker": "B", "exchange": "NYSE", "name": "B Inc.", "aliases": ["Acme"]}]}))
    with pytest.raises(CompanyDictionaryError, match="'Acme' is given to both A and B"):
        load_companies(path)


# --- positives -----------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence, expected", [
    ("$AAPL rose 2 %.", ["AAPL"]),
    ("Apple Inc (NASDAQ: AAPL) gained.", ["AAPL"]),
    ("Coca-Cola (NYSE:KO) raised its dividend.", ["KO"]),
    ("Listed as NASDAQ: MSFT since 1986.", ["MSFT"]),
    ("Microsoft and Nvidia rose; NVDA hit a record.", ["MSFT", "NVDA"]),
    ("L’Oréal and L'Oreal are the same company.", ["OR.PA"]),
    ("Shares of SAP (Xetra: SAP) climbed.", ["SAP.DE"]),
    ("Novo Nordisk (NYSE: NVO) fell.", ["NOVO-B.CO"]),
])
def test_cashtags_exchange_tickers_and_names_are_found(sentence, expected):
    assert tickers(sentence) == expected


def test_tickers_not_in_the_dictionary_are_emitted_as_written_or_with_the_exchange_suffix():
    assert tickers("$ACME jumped.") == ["ACME"]
    assert tickers("Acme Corp (NASDAQ: ACME) jumped.") == ["ACME"]
    assert tickers("Corran Airlines plc (LSE: CRN) carried 3.1 mln passengers.") == ["CRN.L"]
    assert tickers("Vestholm Telecom ASA (Oslo: VSTH) closed the deal.") == ["VSTH.OL"]


def test_the_name_before_an_unknown_exchange_ticker_is_learned_for_the_rest_of_the_article():
    found = MATCHER.article_mentions([
        "DUBLIN, Nov 17 (Meridian Wire) - Corran Airlines plc (LSE: CRN) carried 3.1 mln passengers.",
        "Corran shares rose 4 % in London.",
        "Rival carriers did not comment.",
    ])
    assert [[(m.ticker, m.name, m.matched_text) for m in sentence] for sentence in found] == [
        [("CRN.L", "Corran Airlines", "Corran Airlines")], [("CRN.L", "Corran Airlines", "Corran")], []]


def test_a_bare_ticker_counts_once_the_article_has_qualified_it_or_the_feed_lists_it():
    assert tickers("KSTL rose 9 % after hours.") == []
    found = MATCHER.article_mentions(["Kestrel Semiconductor (NASDAQ: KSTL) beat estimates.", "KSTL rose 9 %."])
    assert [m.ticker for m in found[1]] == ["KSTL"]
    assert [m.ticker for m in MATCHER.article_mentions(["ACME fell."], feed_tickers=["ACME"])[0]] == ["ACME"]


# --- negatives and ambiguous names -------------------------------------------------------------

@pytest.mark.parametrize("sentence", [
    "Apple growers expect a smaller harvest.",
    "An apple a day keeps the doctor away.",
    "The shell company hid the proceeds.",
    "The central bank missed its inflation target.",
    "Deforestation in the Amazon rose again.",
    "Prices rose 5 % to $18.20 in thin trading.",
    "The S&P 500 closed higher and the Nasdaq Composite added 0.5 %.",
    "The CEO of the company resigned; the FDA and the ECB declined to comment.",
])
def test_ordinary_words_prices_and_acronyms_are_not_companies(sentence):
    assert tickers(sentence) == []


@pytest.mark.parametrize("sentence, expected", [
    ("Apple said it would invest $500 billion.", ["AAPL"]),           # a verb of corporate news after it
    ("Apple Inc beat estimates.", ["AAPL"]),                          # a corporate suffix
    ("Shares of Apple fell 3 %.", ["AAPL"]),                          # corporate words in the sentence
    ("Target cut its profit forecast as shoppers pulled back; the retailer's stock fell.", ["TGT"]),
    ("Shell said profit fell.", ["SHEL.L"]),
    ("Apple prices at the market doubled.", []),                      # no context: not the company
    ("Amazon will open a new warehouse in Ohio.", []),
])
def test_ambiguous_names_need_corporate_context_in_the_sentence(sentence, expected):
    assert tickers(sentence) == expected


def test_an_ambiguous_name_counts_after_an_unambiguous_mention_earlier_in_the_article():
    sentences = ["Amazon will open a new warehouse in Ohio.", "Amazon.com (NASDAQ: AMZN) confirmed it.",
                 "Amazon will hire 2,000 people there."]
    found = MATCHER.article_mentions(sentences)
    assert [[m.ticker for m in sentence] for sentence in found] == [[], ["AMZN"], ["AMZN"]]


def test_the_feeds_own_tickers_make_an_ambiguous_name_count():
    found = MATCHER.article_mentions(["Amazon will open a new warehouse in Ohio."], feed_tickers=["AMZN"])
    assert [m.ticker for m in found[0]] == ["AMZN"]


def test_a_company_named_twice_in_a_sentence_is_one_mention_with_the_first_text():
    found = MATCHER.sentence_mentions("Microsoft (NASDAQ: MSFT) said Microsoft would grow; $MSFT rose.")
    assert [(m.ticker, m.matched_text, m.match_type) for m in found] == [("MSFT", "Microsoft", "name")]


# --- measured on the hand-labelled set ------------------------------------------------------------

def precision_recall() -> tuple[float, float, int]:
    items = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["sentences"]
    true_pos = false_pos = false_neg = 0
    for item in items:
        found, expected = set(tickers(item["text"])), set(item["tickers"])
        true_pos += len(found & expected)
        false_pos += len(found - expected)
        false_neg += len(expected - found)
    return true_pos / (true_pos + false_pos), true_pos / (true_pos + false_neg), len(items)


def test_precision_and_recall_on_the_hand_labelled_sentences_stay_above_their_floors():
    precision, recall, sentences = precision_recall()
    assert sentences >= 100
    assert precision >= PRECISION_FLOOR, f"precision {precision:.3f} < {PRECISION_FLOOR}"
    assert recall >= RECALL_FLOOR, f"recall {recall:.3f} < {RECALL_FLOOR}"


@settings(deadline=None, max_examples=50)  # the CPU is shared: timing is not what is tested
@given(st.lists(st.text(alphabet="abAB'&. ", min_size=1, max_size=6), min_size=1, max_size=12))
def test_the_trie_regex_matches_exactly_its_words(words):
    pattern = re.compile(trie_regex(words))
    for word in words:
        assert pattern.fullmatch(word)
    assert not pattern.fullmatch("zz")


# --- rows, entities and the Beam stage -------------------------------------------------------------

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)
RUN_DATE = date(2026, 11, 23)


def classified(article_id: str, index: int, text: str, p_pos: float, p_neg: float):
    sentence = Sentence(f"{article_id}-{index}", article_id, index, text)
    return sentence, Prediction("positive" if p_pos > p_neg else "negative", p_neg, 1 - p_pos - p_neg, p_pos), "m1"


def test_entity_sentiment_is_the_mean_over_mentioning_sentences_and_relevance_their_share():
    rows = [{"ticker": "A", "name": None, "exchange": "NYSE", "score": 0.8},
            {"ticker": "A", "name": "A Inc.", "exchange": "NYSE", "score": -0.2},
            {"ticker": "B", "name": "B plc", "exchange": "LSE", "score": 0.5}]
    assert article_entities(rows, n_sentences=4) == [
        {"ticker": "A", "name": "A Inc.", "exchange": "NYSE", "mentions": 2, "sentiment": pytest.approx(0.3),
         "relevance": 0.5},
        {"ticker": "B", "name": "B plc", "exchange": "LSE", "mentions": 1, "sentiment": 0.5, "relevance": 0.25}]


def msft_article() -> ClassifiedArticle:
    """A classified article naming Microsoft in two of its three sentences; its feed declares MSFT and AAPL;
    it is a copy of story a0."""
    entry = FeedEntry(feed="f", source="s", url="https://example.test/a1", article_id="a1", tickers=("MSFT", "AAPL"))
    art = Article(entry=entry, article_id="a1", url=entry.url, title="t", text="...", authors=(),
                  published_at=NOW, scraped_at=NOW, language="en", extractor="test", story_id="a0")
    return ClassifiedArticle(art, (classified("a1", 0, "Microsoft (NASDAQ: MSFT) beat estimates.", 0.9, 0.05),
                                   classified("a1", 1, "The outlook was cut.", 0.1, 0.7),
                                   classified("a1", 2, "Microsoft shares fell.", 0.1, 0.8)))


def test_detect_mentions_finds_each_sentences_companies_and_the_declared_tickers_named():
    found = detect_mentions(MATCHER, msft_article())
    assert [[(m.ticker, m.match_type) for m in sentence] for sentence in found.mentions] == [
        [("MSFT", "name")], [], [("MSFT", "name")]]
    assert found.tickers == ("MSFT",)  # AAPL is declared by the feed but never named
    assert (found.article, found.sentences, found.title) == (msft_article().article, msft_article().sentences, None)


def test_detect_mentions_then_score_articles_write_mention_rows_and_article_entities_in_beam():
    with TestPipeline() as pipeline:
        rows = (pipeline | "Classified" >> beam.Create([msft_article()])
                | DetectMentions() | ScoreArticles("run-1", RUN_DATE))
        assert_that(rows.mentions | beam.Map(lambda r: (r["mention_id"], r["story_id"], r["ticker"], r["label"],
                                                        r["run_date"])),
                    equal_to([("a1-0:MSFT", "a0", "MSFT", "positive", RUN_DATE),
                              ("a1-2:MSFT", "a0", "MSFT", "negative", RUN_DATE)]), label="CheckRows")
        assert_that(rows.articles | beam.Map(lambda r: (r["title"], r["story_id"], r["tickers"],
                                                        [e["ticker"] for e in r["entities"]],
                                                        round(r["entities"][0]["sentiment"], 3),
                                                        round(r["entities"][0]["relevance"], 3))),
                    equal_to([("t", "a0", ["MSFT"], ["MSFT"], 0.075, 0.667)]), label="CheckArticle")


def test_the_demo_run_writes_mentions_and_article_entities(demo_run):
    out = demo_run.output
    mentioned = dict(duckdb.sql(f"""
        SELECT ticker, count(DISTINCT article_id) FROM {parquet_scan(out, 'mentions')} GROUP BY 1
    """).fetchall())
    assert mentioned["KSTL"] >= 5 and mentioned["AUM.AX"] == 2  # the syndicated pair: two copies
    assert {"BWPH", "VNTA", "ALDM", "TMRD", "CRN.L"} <= set(mentioned)
    orphans = duckdb.sql(f"""
        SELECT count(*) FROM {parquet_scan(out, 'mentions')} m
        ANTI JOIN {parquet_scan(out, 'sentences')} s USING (sentence_id)
    """).fetchall()[0][0]
    assert orphans == 0
    entities = duckdb.sql(f"""
        SELECT e.ticker, e.relevance FROM {parquet_scan(out, 'articles')} a, unnest(a.entities) t(e)
        WHERE a.title LIKE 'Vantora recalls%'
    """).fetchall()
    assert entities[0][0] == "VNTA" and 0 < entities[0][1] <= 1


def test_most_discussed_companies_count_a_syndicated_story_once():
    mentions = pd.DataFrame([
        # one wire story (s1) in two copies: only the copy a1 (smallest article_id) is read
        ("a1", "s1", "a1-0", "AUM.AX", "Aurelia Mining", "positive", 0.8),
        ("a2", "s1", "a2-0", "AUM.AX", "Aurelia Mining", "positive", 0.8),
        ("a3", "a3", "a3-0", "AUM.AX", None, "negative", -0.4),
        ("a3", "a3", "a3-1", "KO", "The Coca-Cola Company", "neutral", 0.0),
    ], columns=["article_id", "story_id", "sentence_id", "ticker", "name", "label", "score"])
    texts = pd.DataFrame({"sentence_id": ["a1-0", "a2-0", "a3-0", "a3-1"], "text": ["up", "up", "down", "flat"]})
    first, second = company_items(mentions, texts)
    assert (first.ticker, first.name, first.stories, first.sentences) == ("AUM.AX", "Aurelia Mining", 2, 2)
    assert first.net_sentiment == pytest.approx(0.2)
    assert [e.text for e in first.evidence] == ["up", "down"]
    assert (second.ticker, second.stories) == ("KO", 1)
