"""Deduplicate: one FeedEntry per article_id, setting aside articles that earlier run dates already stored."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.pvalue import PCollection, TaggedOutput

from pipelines.commits import read_commits, read_table
from pipelines.records import FeedEntry

WITHIN_RUN = "within_run"
ALREADY_STORED = "already_stored"
STAGE = "dedupe"
_LATEST = datetime.max.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Duplicate:
    """A FeedEntry that will not be scraped, and why.

    `kind` is `within_run` (another entry of this run has the same article_id; `kept_feed` names
    the feed whose entry was kept) or `already_stored` (an earlier run date stored the article).
    """

    entry: FeedEntry
    kind: str
    kept_feed: str = ""


def choice_key(entry: FeedEntry) -> tuple[Any, ...]:
    """The order that picks the kept entry: earliest published (undated last), then feed name, URL, guid."""
    published = entry.published_at or _LATEST
    return (entry.published_at is None, published, entry.feed, entry.url, entry.guid or "", entry.title or "")


def merged(kept: FeedEntry, others: Iterable[FeedEntry]) -> FeedEntry:
    """`kept` carrying the union of the feeds, tags and tickers of every entry of its article (kept's first)."""
    group = [kept, *others]

    def union(values: Iterable[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(values))

    return replace(kept, feeds=union(entry.feed for entry in group),
                   tags=union(tag for entry in group for tag in entry.tags),
                   tickers=union(ticker for entry in group for ticker in entry.tickers))


def stored_article_ids(output_root: str, before_run_date: date | str) -> set[str]:
    """The article_ids committed under `output_root` by run dates before `before_run_date`.

    `output_root` may be a local path or a URI (gs://...); files are found through the dates'
    manifests (`pipelines/commits.py`), so runs that never committed count for nothing. A root
    with no commits gives an empty set.
    """
    before = date.fromisoformat(before_run_date) if isinstance(before_run_date, str) else before_run_date
    earlier = [commit for day, commit in read_commits(output_root).items() if day < before]
    column = read_table(output_root, "articles", ["article_id"], earlier).column("article_id")
    return {value for value in column.to_pylist() if value}


class _PickOne(beam.DoFn):
    """(article_id, {"entries": [...], "stored": [...]}) → the kept entry; the others as Duplicates."""

    def __init__(self) -> None:
        self._unique = Metrics.counter(STAGE, "unique")
        self._within_run = Metrics.counter(STAGE, "duplicates_within_run")
        self._already_stored = Metrics.counter(STAGE, "already_stored")

    def process(self, element: tuple[str, dict[str, Iterable[Any]]]) -> Iterator[FeedEntry | TaggedOutput]:
        _, groups = element
        entries = sorted(groups["entries"], key=choice_key)
        if not entries:
            return
        if any(groups.get("stored", ())):
            self._already_stored.inc(len(entries))
            for entry in entries:
                yield TaggedOutput("duplicates", Duplicate(entry, ALREADY_STORED))
            return
        kept, *others = entries
        self._unique.inc()
        self._within_run.inc(len(others))
        yield merged(kept, others)
        for entry in others:
            yield TaggedOutput("duplicates", Duplicate(entry, WITHIN_RUN, kept.feed))


class Deduplicate(beam.PTransform):
    """PCollection[FeedEntry] → one entry per article_id, plus the rest as `Duplicate` records.

    The kept entry carries the union of the feeds, tags and tickers of all its article's entries
    (`merged`), so an article listed by two feeds counts under both feeds' tags.

    `previous_ids` are the article_ids earlier run dates stored (a PCollection of str, or any
    iterable such as `stored_article_ids(...)`, or None); entries with one of them are set aside
    as `already_stored` unless `reprocess`. Among a run's entries of one article the kept one is
    the earliest published, then the smallest feed name (see `choice_key`), so re-runs agree.

    Returns a `DoOutputsTuple`: main output `unique` (FeedEntry) and tagged output `duplicates`
    (Duplicate, kind `within_run` or `already_stored`):

        deduped = entries | Deduplicate(previous_ids, reprocess=False)
        deduped.unique, deduped.duplicates

    Joins by key (CoGroupByKey), so it needs no process-wide state and runs on any runner.
    Counters (namespace "dedupe"): unique, duplicates_within_run, already_stored.
    """

    def __init__(self, previous_ids: PCollection | Iterable[str] | None = None,
                 reprocess: bool = False) -> None:
        super().__init__()
        self._previous_ids = previous_ids
        self._reprocess = reprocess

    def expand(self, entries: PCollection) -> beam.pvalue.DoOutputsTuple:
        groups = {"entries": entries | "KeyByArticle" >> beam.Map(lambda entry: (entry.article_id, entry))}
        if self._previous_ids is not None and not self._reprocess:
            groups["stored"] = self._stored(entries.pipeline) | "KeyStored" >> beam.Map(lambda i: (i, True))
        return (
            groups
            | "GroupByArticle" >> beam.CoGroupByKey()
            | "PickOne" >> beam.ParDo(_PickOne()).with_outputs("duplicates", main="unique")
        )

    def _stored(self, pipeline: beam.Pipeline) -> PCollection:
        if isinstance(self._previous_ids, PCollection):
            return self._previous_ids
        return pipeline | "StoredIds" >> beam.Create(sorted(set(self._previous_ids or ())))
