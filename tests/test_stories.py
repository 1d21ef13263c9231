"""Syndicated copies: MinHash similarity, the threshold, transitive grouping, GroupStories, the demo run."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

import apache_beam as beam
import duckdb
import numpy as np
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from committed import parquet_scan

from finsent_demo.corpus import DemoArticle, load_corpus
from pipelines.records import Article, FeedEntry
from pipelines.stories import (
    BANDS,
    NUM_HASHES,
    ROWS,
    SIMILARITY_THRESHOLD,
    GroupStories,
    Signature,
    copies,
    jaccard,
    pack_signature,
    shingles,
    signature,
    similarity,
    story_ids,
)

CORPUS = load_corpus()
WIRE = CORPUS.articles["meridian-wire/aurelia-mining-raises-copper-guidance"]


def body(article: DemoArticle) -> str:
    return "\n\n".join([article.standfirst, *article.body])


def republished(article: DemoArticle) -> str:
    """The wire story as another site would run it: its own standfirst, promos, credits, footer."""
    return "\n\n".join([
        "Republished from Meridian Wire. Subscribe to Ledger Daily Markets for the full picture.",
        *article.body,
        "Reporting by the wire desk; edited for Ledger Daily by the Nordic companies team.",
        "Read more: Nordic miners rally as copper hits a two-year high.",
        "Sign up to our newsletter, Ledger Morning, for the day's key company news before the open.",
        "© 2026 Ledger Daily. All rights reserved. Not investment advice.",
    ])


def estimated(first: str, second: str) -> float:
    return similarity(signature(shingles(first)), signature(shingles(second)))


def article(article_id: str, text: str) -> Article:
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    entry = FeedEntry(feed="f", source="s", url=f"https://example.test/{article_id}", article_id=article_id)
    return Article(entry=entry, article_id=article_id, url=entry.url, title=article_id, text=text,
                   authors=(), published_at=now, scraped_at=now, language="en", extractor="test")


def test_a_wire_story_republished_with_other_boilerplate_is_above_the_threshold():
    assert estimated(body(WIRE), republished(WIRE)) >= SIMILARITY_THRESHOLD + 0.15


@pytest.mark.parametrize("first, second", itertools.combinations(
    sorted(key for key, a in CORPUS.articles.items() if "KSTL" in a.tickers), 2))
def test_different_stories_about_the_same_company_are_far_below_the_threshold(first, second):
    # includes the earnings day told by two sources and the Pellucid deal told by two sources
    assert estimated(body(CORPUS.articles[first]), body(CORPUS.articles[second])) < SIMILARITY_THRESHOLD / 3


def test_the_minhash_estimate_tracks_the_exact_jaccard_similarity():
    texts = [body(WIRE), republished(WIRE), body(CORPUS.articles["meridian-wire/kestrel-pellucid-in-advanced-talks"])]
    for first, second in itertools.combinations(texts, 2):
        exact = jaccard(shingles(first), shingles(second))
        assert abs(estimated(first, second) - exact) < 0.15


def test_signatures_are_deterministic_and_identical_texts_are_similarity_one():
    text = body(WIRE)
    assert signature(shingles(text)) == signature(shingles(text))
    assert estimated(text, text) == 1.0
    assert shingles("Word order, case and PUNCTUATION!") == shingles("word order case and punctuation")


def test_story_ids_merge_transitively_to_the_smallest_article_id():
    ids = ["c", "a", "d", "b", "e"]
    pairs = [("d", "b"), ("c", "d"), ("e", "e")]
    assert story_ids(ids, pairs) == {"a": "a", "b": "b", "c": "b", "d": "b", "e": "e"}
    assert story_ids(reversed(ids), reversed(pairs)) == story_ids(ids, pairs)


def changed(sig: Signature, positions: range | list[int]) -> Signature:
    """The signature with the values at `positions` replaced by values no other signature has."""
    values = np.frombuffer(sig, dtype="<u4")
    return pack_signature(2**31 + i if i in positions else int(value) for i, value in enumerate(values))


def test_copies_are_the_pairs_sharing_a_band_at_or_above_the_threshold_each_once_smallest_first():
    wire, copy, kestrel = (signature(shingles(text)) for text in (
        body(WIRE), republished(WIRE), body(CORPUS.articles["meridian-wire/kestrel-pellucid-in-advanced-talks"])))
    signed = [("c-wire", wire), ("a-copy", copy), ("d-kestrel", kestrel), ("b-same", wire)]
    assert list(copies(signed, SIMILARITY_THRESHOLD)) == [("a-copy", "b-same"), ("a-copy", "c-wire"),
                                                         ("b-same", "c-wire")]
    assert list(copies(reversed(signed), SIMILARITY_THRESHOLD)) == list(copies(signed, SIMILARITY_THRESHOLD))
    assert list(copies(signed, 1.0)) == [("b-same", "c-wire")]  # only the identical texts
    assert list(copies([("x", wire)], SIMILARITY_THRESHOLD)) == []


def test_a_pair_at_exactly_the_threshold_is_a_copy_but_only_if_a_band_is_shared():
    base = pack_signature(range(NUM_HASHES))
    half = changed(base, range(NUM_HASHES // 2, NUM_HASHES))  # first 20 bands equal: similarity 0.5
    assert similarity(base, half) == 0.5
    assert list(copies([("a", base), ("b", half)], 0.5)) == [("a", "b")]
    assert list(copies([("a", base), ("b", half)], 0.51)) == []
    every_band = changed(base, [band * ROWS for band in range(BANDS)])  # one value off in every band
    assert similarity(base, every_band) == pytest.approx(2 / 3)
    assert list(copies([("a", base), ("b", every_band)], 0.5)) == []  # never a candidate, so never compared


def test_group_stories_in_beam_marks_the_copies_with_their_story_and_passes_every_article_on():
    kestrel = [CORPUS.articles["harbour-street-journal/kestrel-to-buy-pellucid-software"],
               CORPUS.articles["meridian-wire/kestrel-pellucid-in-advanced-talks"]]
    articles = [article("b-wire", body(WIRE)), article("a-copy", republished(WIRE)),
                article("c-kestrel", body(kestrel[0])), article("d-kestrel", body(kestrel[1])),
                article("e-short", "Too short to group."), article("f-short", "Too short to group.")]
    with TestPipeline() as pipeline:
        grouped = pipeline | beam.Create(articles) | GroupStories()
        # the others, different stories and texts too short to tell a copy, are their own story: no story_id
        assert_that(grouped | beam.Map(lambda a: (a.article_id, a.story_id, a.story)),
                    equal_to([("a-copy", "a-copy", "a-copy"), ("b-wire", "a-copy", "a-copy"),
                              ("c-kestrel", "", "c-kestrel"), ("d-kestrel", "", "d-kestrel"),
                              ("e-short", "", "e-short"), ("f-short", "", "f-short")]))


def test_group_stories_rejects_a_threshold_outside_zero_to_one():
    with pytest.raises(ValueError, match="threshold must be in"):
        GroupStories(threshold=1.5)


def test_the_demo_run_groups_the_syndicated_aurelia_story_and_nothing_else(demo_run):
    rows = duckdb.sql(f"""
        SELECT story_id, list(source ORDER BY source) AS sources, bool_and(story_id <= article_id) AS smallest
        FROM {parquet_scan(demo_run.output, 'articles')} GROUP BY story_id HAVING count(*) > 1
    """).fetchall()
    assert rows == [(rows[0][0], ["Ledger Daily", "Meridian Wire"], True)]
