"""Tests of pipelines.sentences: financial sentence boundaries, boilerplate, no lost text, the Beam stage."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.runners.runner import PipelineResult
from apache_beam.testing.util import assert_that, equal_to
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import sentences as sentences_module
from pipelines.records import Article, ArticleSentences, FeedEntry, Sentence
from pipelines.sentences import (
    SplitSentences,
    clean_sentences,
    split_article,
    split_sentences,
    title_sentence,
)
from pipelines.settings import SentenceSettings

SPLITS = [
    ("Revenue rose 3.5 % to EUR 13.1 mn. Operating profit was EUR 2.4 mn.",
     ["Revenue rose 3.5 % to EUR 13.1 mn.", "Operating profit was EUR 2.4 mn."]),
    ("Apple Inc. said it would buy back shares. The U.S. economy grew 2.1%.",
     ["Apple Inc. said it would buy back shares.", "The U.S. economy grew 2.1%."]),
    ("Acme Corp. is the No. 1 supplier. It employs approx. 500 people in the U.S. and Canada.",
     ["Acme Corp. is the No. 1 supplier.", "It employs approx. 500 people in the U.S. and Canada."]),
    ('"We are very pleased," said CEO John Smith. "Demand was strong." Shares rose.',
     ['"We are very pleased," said CEO John Smith.', '"Demand was strong."', "Shares rose."]),
    ("Sales fell... The company warned of a weak outlook. Analysts at J.P. Morgan agreed.",
     ["Sales fell...", "The company warned of a weak outlook.", "Analysts at J.P. Morgan agreed."]),
    ("The stock closed at $12.50, up 4 pct. Vol. was 1.2 mln shares. Trading ended at 4 p.m. ET on Friday.",
     ["The stock closed at $12.50, up 4 pct.", "Vol. was 1.2 mln shares.",
      "Trading ended at 4 p.m. ET on Friday."]),
    ("Net sales were EUR 1.2 bn (EUR 1.0 bn). Mr. Smith and Dr. Jones resigned.",
     ["Net sales were EUR 1.2 bn (EUR 1.0 bn).", "Mr. Smith and Dr. Jones resigned."]),
    ("Headline without a full stop\nFirst paragraph ends here. Second sentence.\n\nNext paragraph.",
     ["Headline without a full stop", "First paragraph ends here.", "Second sentence.", "Next paragraph."]),
]


@pytest.mark.parametrize(("text", "expected"), SPLITS)
def test_financial_sentence_boundaries(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_other_language_is_split_with_its_rules() -> None:
    text = "Der Umsatz stieg um 3,5 Prozent auf 1,2 Mrd. Euro. Die Aktie legte zu."
    assert split_sentences(text, "de") == ["Der Umsatz stieg um 3,5 Prozent auf 1,2 Mrd. Euro.",
                                           "Die Aktie legte zu."]
    assert split_sentences("Shares rose. Bonds fell.", "xx") == ["Shares rose.", "Bonds fell."]


BOILERPLATE = [
    "Share this article", "Share on Facebook", "Tweet", "Read more: Fed holds rates steady",
    "Photo: Reuters/Jane Doe", "Image credit: Getty Images", "© 2024 Markets Daily Media AB.",
    "Copyright 2024 Reuters.", "All rights reserved.", "Sign up for our daily newsletter.",
    "Click here to read the full report.", "By John Smith", "By Jane Doe and Tom O'Neil, Reuters",
    "Reporting by Jane Doe; Editing by Tom Smith", "Related stories", "Advertisement",
    "We use cookies to improve your experience.", "Follow us on Twitter",
]


@pytest.mark.parametrize("line", BOILERPLATE)
def test_boilerplate_is_dropped(line: str) -> None:
    assert clean_sentences([line], SentenceSettings(min_chars=1)) == []


@pytest.mark.parametrize("sentence", [
    "Shares of Acme rose 5% after the company raised its outlook.",
    "Related party transactions rose to EUR 3 mn in the quarter.",
    "By the end of the quarter, the company had cut its debt by half.",
    "Print advertising revenue fell 12% from a year earlier.",
    "Mondelez said cookie sales in Europe grew 4% in the quarter.",
])
def test_content_is_kept(sentence: str) -> None:
    assert clean_sentences([sentence], SentenceSettings(min_chars=1)) == [sentence]


def test_datelines_and_credits_are_stripped_and_content_kept() -> None:
    sentences = [
        "LONDON, March 3 (Reuters) - Shares of Acme rose 5% on Monday.",
        "(Bloomberg) -- Oil prices fell for a third day.",
        "The new plant opened in May (Photo by John Doe/Getty Images)",
    ]
    assert clean_sentences(sentences, SentenceSettings(min_chars=1)) == [
        "Shares of Acme rose 5% on Monday.",
        "Oil prices fell for a third day.",
        "The new plant opened in May",
    ]


def test_length_limits() -> None:
    sentences = ["Too short.", "This one is just long enough to keep.", "x" * 601]
    kept = clean_sentences(sentences, SentenceSettings())
    assert kept == ["This one is just long enough to keep."]


# Words and separators that stress boundaries: abbreviations, decimals, quotes, ellipses, newlines.
_TOKENS = st.sampled_from([
    "Inc.", "U.S.", "Corp.", "No.", "1", "3.5", "%", "EUR", "13.1", "mn.", "approx.", "...", '"', "“", "”",
    "(", ")", "?", "!", "Shares", "rose", "fell", "the", "CEO", "said", ".", ",", "p.m.", "$12.50", "Mr.",
    "é", "Übernahme", "-", "—", ";", ":", "'", "a", "B",
])
_SEPARATORS = st.sampled_from([" ", " ", " ", "", "\n", "\n\n", "  ", "\t", "\u00a0"])


_TEXTS = (st.lists(st.tuples(_TOKENS, _SEPARATORS), max_size=60)
          | st.text(max_size=200).map(lambda text: [(text, "")]))


@settings(max_examples=150, deadline=None)
@given(_TEXTS)
def test_splitting_loses_and_invents_nothing(parts: list[tuple[str, str]]) -> None:
    text = "".join(token + separator for token, separator in parts)
    sentences = split_sentences(text)
    assert "".join("".join(sentences).split()) == "".join(text.split())
    assert all(s and s == s.strip() for s in sentences)


# Paragraphs where cutting before pysbd could go wrong: open quotes and brackets, abbreviations pysbd
# knows ("Gen.", "Sept.", "is."), a quote closing before another opens, a tail with no full stop.
PYSBD_EDGE_CASES = [
    "Revenue rose 5 percent. Shares fell in New York. The outlook is unchanged.",
    'Profit grew. "We are pleased," said Anna Park. "Demand was strong." Shares rose.',
    'He said "costs fell." "We are happy."',
    "Sales fell (see Fig. 2. Costs rose). Margins held.",
    "bn). (EUR growth. Shares bn).",
    "growth. “Demand ” Shares",
    "It was approved by Gen. Smith in Sept. Trading resumed. That is. It is.",
    "Shares rose 4 p.m. ET on Friday. The index fell 1.2 percent. Was it enough? Nobody knows.",
    "He said 'sales rose. Costs fell.' Analysts disagreed.",
    "Costs fell -- the firm said. Margins rose -- and shares. Jumped.",
    "The U.S. economy grew. Yahoo! Inc. fell. Mr. Smith resigned.",
]
_PARAGRAPH_WORDS = st.sampled_from([
    "Shares", "rose", "percent.", "York.", "growth.", "fell?", "Inc.", "U.S.", "Mr.", "Gen.", "Sept.", "is.",
    '"We', 'grew."', "“Demand", "strong.”", "”", "(EUR", "1.2", "bn).", "a)", "'quoted'", "‘single’", "--",
    "...", "Wow!", "Yahoo!", "The", "It", "company's", "e.g.", "Plc.", "St.", "[1]", "«bon»", "p.m.", "ET",
])


@pytest.mark.parametrize("paragraph", PYSBD_EDGE_CASES)
def test_english_paragraphs_are_cut_exactly_where_pysbd_cuts_them(paragraph: str) -> None:
    assert sentences_module._segments(paragraph, "en") == sentences_module._pysbd_segments(paragraph, "en")


@settings(max_examples=300, deadline=None)
@given(st.lists(_PARAGRAPH_WORDS, min_size=1, max_size=30))
def test_the_fast_path_never_changes_pysbds_cuts(words: list[str]) -> None:
    paragraph = " ".join(words)
    assert sentences_module._segments(paragraph, "en") == sentences_module._pysbd_segments(paragraph, "en")


def test_plain_prose_is_split_without_running_pysbd(monkeypatch: pytest.MonkeyPatch) -> None:
    def pysbd_must_not_run(text: str, language: str) -> list[str]:
        raise AssertionError(f"pysbd ran on {text!r}")

    monkeypatch.setattr(sentences_module, "_pysbd_segments", pysbd_must_not_run)
    text = ('Revenue rose 5.2 percent to EUR 10 million. Shares fell in New York. "We saw weaker demand, '
            'and we expect that to continue," Anna Park told reporters. Was it enough? Analysts doubt it.')
    assert split_sentences(text) == [
        "Revenue rose 5.2 percent to EUR 10 million.", "Shares fell in New York.",
        '"We saw weaker demand, and we expect that to continue," Anna Park told reporters.',
        "Was it enough?", "Analysts doubt it."]


def _article(article_id: str, text: str) -> Article:
    entry = FeedEntry(feed="test", source="Test", url=f"https://example.com/{article_id}")
    return Article(entry=entry, article_id=article_id, url=entry.url, title="t", text=text, authors=(),
                   published_at=None, scraped_at=datetime(2024, 5, 14, tzinfo=timezone.utc), language="en",
                   extractor="trafilatura")


ARTICLE_TEXT = ("LONDON (Reuters) - Acme Corp. shares rose 3.5% to EUR 13.1 after results.\n"
                "Share this article\n"
                "Operating profit grew approx. 12% to EUR 2.4 mn. Ok.\n"
                "© 2024 Reuters. All rights reserved.")
EXPECTED = [
    Sentence("a1-0000", "a1", 0, "Acme Corp. shares rose 3.5% to EUR 13.1 after results."),
    Sentence("a1-0001", "a1", 1, "Operating profit grew approx. 12% to EUR 2.4 mn."),
]


def test_split_article_numbers_kept_sentences() -> None:
    assert list(split_article(_article("a1", ARTICLE_TEXT)).split.sentences) == EXPECTED


def _counter(result: PipelineResult, name: str) -> int:
    counters = result.metrics().query(MetricsFilter().with_name(name))["counters"]
    return sum(counter.committed for counter in counters)


def test_split_sentences_transform() -> None:
    a3_text = "Revenue rose 3.5 % to EUR 13.1 mn in the quarter."
    english = [_article("a1", ARTICLE_TEXT), _article("a2", "Too short."), _article("a3", a3_text)]
    german = replace(_article("a4", "Der Umsatz stieg um 3,5 Prozent auf 1,2 Mrd. Euro im Quartal."), language="de")
    pipeline = beam.Pipeline()
    split, failures = pipeline | beam.Create([*english, german]) | SplitSentences()
    assert_that(split, equal_to([
        ArticleSentences(english[0], tuple(EXPECTED), title_sentence(english[0])),
        ArticleSentences(english[1], (), title_sentence(english[1])),  # no sentence left: still passed on
        ArticleSentences(english[2], (Sentence("a3-0000", "a3", 0, a3_text),), title_sentence(english[2])),
        ArticleSentences(german),  # not English: neither sentences nor title for the model
    ]))
    assert_that(failures, equal_to([]), label="no failures")
    result = pipeline.run()
    result.wait_until_finish()
    assert _counter(result, "sentences_kept") == 3
    assert _counter(result, "sentences_dropped") == 5
    assert _counter(result, "articles_without_sentences") == 1


def test_sentences_past_the_limit_are_cut_and_recorded() -> None:
    text = " ".join(f"Quarterly revenue at unit {n} rose by {n} percent." for n in range(10))
    long = _article("long", text)
    outcome = split_article(long, SentenceSettings(max_per_article=4))
    assert (len(outcome.split.sentences), outcome.total, outcome.over_limit) == (4, 10, 6)
    pipeline = beam.Pipeline()
    split, failures = pipeline | beam.Create([long]) | SplitSentences(SentenceSettings(max_per_article=4))
    assert_that(split | beam.Map(lambda item: (item.article.article_id, [s.index for s in item.sentences],
                                               item.title.sentence_id)),
                equal_to([("long", [0, 1, 2, 3], "long-title")]))
    assert_that(failures | beam.Map(lambda failure: (failure.stage, failure.reason, failure.url, failure.detail)),
                equal_to([("sentences", "too_many_sentences", long.url, "6 of 10 sentences were not classified: "
                           "only the first 4 are (--max_sentences_per_article)")]), label="failures")
    result = pipeline.run()
    result.wait_until_finish()
    assert _counter(result, "sentences_over_limit") == 6
