"""Deduplicate keeps one entry per article (deterministically) and sets aside what earlier runs stored."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to
from committed import commit_rows

from pipelines.commits import run_folder
from pipelines.dedupe import ALREADY_STORED, WITHIN_RUN, Deduplicate, choice_key, stored_article_ids
from pipelines.records import FeedEntry
from pipelines.urls import canonicalize_url, make_article_id


def entry(feed: str, url: str, hour: int | None) -> FeedEntry:
    canonical = canonicalize_url(url)
    published = None if hour is None else datetime(2024, 5, 6, hour, tzinfo=timezone.utc)
    return FeedEntry(feed=feed, source=feed, url=url, title=f"{feed} {url}", published_at=published,
                     canonical_url=canonical, article_id=make_article_id(canonical))


A_LATE = entry("alpha", "https://n.com/a?utm_source=alpha", 12)
A_EARLY = entry("zulu", "https://n.com/a", 9)
A_EARLY_TIE = entry("beta", "https://n.com/a#comments", 9)
A_UNDATED = entry("aaa", "https://n.com/a?fbclid=1", None)
B = entry("alpha", "https://n.com/b", 10)
C = entry("beta", "https://n.com/c", None)
ENTRIES = [A_LATE, A_EARLY, A_EARLY_TIE, A_UNDATED, B, C]


def summary(deduped: beam.pvalue.DoOutputsTuple) -> tuple[beam.PCollection, beam.PCollection]:
    """(feed, url) of kept entries, and (feed, url, kind, kept_feed) of duplicates."""
    kept = deduped.unique | "Kept" >> beam.Map(lambda e: (e.feed, e.url))
    dups = deduped.duplicates | "Dups" >> beam.Map(lambda d: (d.entry.feed, d.entry.url, d.kind, d.kept_feed))
    return kept, dups


# --- the choice ----------------------------------------------------------------------------------

def test_the_earliest_published_then_smallest_feed_name_wins_whatever_the_order() -> None:
    group = [A_LATE, A_EARLY, A_EARLY_TIE, A_UNDATED]
    assert {min(order, key=choice_key) for order in itertools.permutations(group)} == {A_EARLY_TIE}


def test_undated_entries_lose_to_dated_ones() -> None:
    assert min([A_UNDATED, A_LATE], key=choice_key) == A_LATE


# --- the transform -------------------------------------------------------------------------------

@pytest.mark.parametrize("order", [ENTRIES, ENTRIES[::-1]])
def test_one_entry_per_article_and_the_rest_as_within_run_duplicates(order: list[FeedEntry]) -> None:
    with beam.Pipeline() as pipeline:
        kept, dups = summary(pipeline | beam.Create(order) | Deduplicate())
        expected = [("beta", A_EARLY_TIE.url), ("alpha", B.url), ("beta", C.url)]
        assert_that(kept, equal_to(expected), label="kept")
        assert_that(dups, equal_to([("alpha", A_LATE.url, WITHIN_RUN, "beta"),
                                    ("zulu", A_EARLY.url, WITHIN_RUN, "beta"),
                                    ("aaa", A_UNDATED.url, WITHIN_RUN, "beta")]), label="dups")


def test_the_kept_entry_carries_the_feeds_tags_and_tickers_of_every_feed_that_listed_it() -> None:
    markets = replace(A_LATE, tags=("markets", "us"), tickers=("ACME",))
    europe = replace(A_EARLY, tags=("europe", "markets"), tickers=("ACME", "BETA"))
    with beam.Pipeline() as pipeline:
        kept = (pipeline | beam.Create([markets, europe, B]) | Deduplicate()).unique
        merged = kept | beam.Map(lambda e: (e.feed, e.feeds, e.tags, e.tickers))
        assert_that(merged, equal_to([
            ("zulu", ("zulu", "alpha"), ("europe", "markets", "us"), ("ACME", "BETA")),
            ("alpha", ("alpha",), (), ())]))


def test_articles_stored_by_earlier_runs_are_set_aside() -> None:
    with beam.Pipeline() as pipeline:
        entries = pipeline | "Entries" >> beam.Create(ENTRIES)
        previous = pipeline | "Previous" >> beam.Create([A_LATE.article_id, "0" * 24])
        kept, dups = summary(entries | Deduplicate(previous))
        assert_that(kept, equal_to([("alpha", B.url), ("beta", C.url)]), label="kept")
        assert_that(dups, equal_to([(e.feed, e.url, ALREADY_STORED, "")
                                    for e in (A_LATE, A_EARLY, A_EARLY_TIE, A_UNDATED)]), label="dups")


def test_reprocess_ignores_what_earlier_runs_stored() -> None:
    with beam.Pipeline() as pipeline:
        kept, dups = summary(pipeline | beam.Create([B, C]) | Deduplicate({B.article_id}, reprocess=True))
        assert_that(kept, equal_to([("alpha", B.url), ("beta", C.url)]), label="kept")
        assert_that(dups, equal_to([]), label="dups")


def test_a_plain_set_of_previous_ids_works_too() -> None:
    with beam.Pipeline() as pipeline:
        kept, dups = summary(pipeline | beam.Create([B, C]) | Deduplicate({C.article_id}))
        assert_that(kept, equal_to([("alpha", B.url)]), label="kept")
        assert_that(dups, equal_to([("beta", C.url, ALREADY_STORED, "")]), label="dups")


@pytest.mark.slow  # starts SDK worker processes
def test_it_runs_in_multi_processing_mode() -> None:
    options = PipelineOptions(direct_running_mode="multi_processing", direct_num_workers=2)
    with beam.Pipeline(options=options) as pipeline:
        kept, dups = summary(pipeline | beam.Create(ENTRIES) | Deduplicate([C.article_id]))
        assert_that(kept, equal_to([("beta", A_EARLY_TIE.url), ("alpha", B.url)]), label="kept")
        assert_that(dups | beam.combiners.Count.Globally(), equal_to([4]), label="dups")


# --- what earlier runs stored --------------------------------------------------------------------

def commit_ids(root: Path, day: str, ids: list[str], run_id: str) -> None:
    commit_rows(root, date.fromisoformat(day), run_id, {"articles": {"article_id": ids}})


def test_stored_ids_come_from_earlier_committed_run_dates_only(tmp_path: Path) -> None:
    commit_ids(tmp_path, "2024-05-04", ["a", "b"], "r1")
    commit_ids(tmp_path, "2024-05-05", ["old"], "r2")
    commit_ids(tmp_path, "2024-05-05", ["c", "d"], "r3")  # replaces r2's rows of that date
    commit_ids(tmp_path, "2024-05-06", ["today"], "r4")
    commit_ids(tmp_path, "2024-05-07", ["future"], "r5")
    uncommitted = Path(run_folder(str(tmp_path), "articles", date(2024, 5, 4), "killed"))
    uncommitted.mkdir(parents=True)
    pq.write_table(pa.table({"article_id": ["never committed"]}), uncommitted / "part-0.parquet")
    assert stored_article_ids(str(tmp_path), "2024-05-06") == {"a", "b", "c", "d"}
    assert stored_article_ids(str(tmp_path), date(2024, 5, 5)) == {"a", "b"}


def test_a_missing_output_folder_means_nothing_stored(tmp_path: Path) -> None:
    assert stored_article_ids(str(tmp_path / "never-written"), "2024-05-06") == set()
