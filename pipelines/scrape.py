"""ScrapeArticles: downloads each new entry's page and extracts its article text and metadata.

In: `FeedEntry` (deduplicated). Out: `Article` on the main output, `Failure` on `failures`
(the fetch reason — http_404, timeout, blocked_private_address, ... — or `empty_text`).
A DoFn sees one element at a time, so entries are batched and each batch is fetched by a
bounded thread pool that keeps the per-domain limit; each page is extracted as soon as it
arrives, while the rest of the batch is still downloading.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, time, timezone
from urllib.parse import urlsplit

import apache_beam as beam
from apache_beam.pvalue import TaggedOutput

from pipelines import progress
from pipelines.extract import EmptyTextError, extract_article
from pipelines.fetch import FetchError, FetchResponse
from pipelines.fetching import ConcurrentFetchFn
from pipelines.records import Article, Failure, FeedEntry
from pipelines.settings import FetchSettings, ScrapeSettings

FAILURES = "failures"


def entry_failure(entry: FeedEntry, reason: str, detail: str, http_status: int | None = None) -> Failure:
    """A scrape-stage failure row for one entry."""
    return Failure(stage="scrape", reason=reason, detail=detail, feed=entry.feed, url=entry.url,
                   http_status=http_status)


def best_published_at(from_page: datetime | None, from_feed: datetime | None) -> datetime | None:
    """The page's publication time, unless it is a bare date the feed gives with its time of day."""
    if from_page is None:
        return from_feed
    date_only = from_page.timetz().replace(tzinfo=None) == time(0, 0)
    if date_only and from_feed is not None and from_feed.date() == from_page.date():
        return from_feed
    return from_page


def page_to_article(entry: FeedEntry, page: FetchResponse, min_chars: int,
                    scraped_at: datetime) -> Article:
    """Extract one fetched page; raises `EmptyTextError` when no usable text is left."""
    extracted = extract_article(page.body, page.final_url, page.content_type, min_chars=min_chars)
    return Article(
        entry=entry, article_id=entry.article_id, url=entry.canonical_url or entry.url,
        title=extracted.title or entry.title or "", text=extracted.text, authors=extracted.authors,
        published_at=best_published_at(extracted.published_at, entry.published_at), scraped_at=scraped_at,
        language=extracted.language, extractor=extracted.extractor, final_url=page.final_url,
    )


class _ScrapeBatchFn(ConcurrentFetchFn):
    """Fetches a batch of entries concurrently, extracting each page as it arrives."""

    def __init__(self, fetch_settings: FetchSettings, scrape_settings: ScrapeSettings) -> None:
        super().__init__(fetch_settings)
        self._min_chars = scrape_settings.min_article_chars
        self._articles = beam.metrics.Metrics.counter("scrape", "articles")
        self._failed = beam.metrics.Metrics.counter("scrape", "failures")
        self._fetched_bytes = beam.metrics.Metrics.counter("scrape", "bytes_fetched")

    def process(self, batch: Sequence[FeedEntry]) -> Iterator[Article | TaggedOutput]:
        fetch = self.fetcher().fetch_or_error
        for entry, result in self.each_as_completed(batch, lambda entry: fetch(entry.url, "html")):
            progress.advance("pages")
            outcome = self._outcome(entry, result)
            if isinstance(outcome, Failure):
                self._failed.inc()
                yield TaggedOutput(FAILURES, outcome)
            else:
                self._articles.inc()
                yield outcome

    def _outcome(self, entry: FeedEntry, result: FetchResponse | FetchError) -> Article | Failure:
        if isinstance(result, FetchError):
            return entry_failure(entry, result.reason, result.detail, result.http_status)
        self._fetched_bytes.inc(len(result.body))
        try:
            return page_to_article(entry, result, self._min_chars, datetime.now(timezone.utc))
        except EmptyTextError as error:
            return entry_failure(entry, "empty_text", str(error), result.status)


def entry_host(entry: FeedEntry) -> str:
    """The host an entry's page is fetched from (the unit of the per-domain limit)."""
    return urlsplit(entry.url).hostname or ""  # hostname is lower-cased


def ranked_within_host(item: tuple[str, Iterable[FeedEntry]]) -> Iterator[tuple[int, FeedEntry]]:
    """`(rank, entry)`: an entry's position among the entries of its host."""
    yield from enumerate(item[1])


class InterleaveHosts(beam.PTransform):
    """Reorders entries so that consecutive ones come from different hosts, and spreads them over workers.

    Feeds list one site's links together, so batches cut from feed order hold one host each and
    the per-domain limit (`--per_domain_concurrency`) would make each batch wait on one host's
    latency. Grouped by their rank within their host, the k-th entries of every host travel
    together: each group has at most one entry per host, and groups are spread over workers.
    """

    def expand(self, entries: beam.PCollection) -> beam.PCollection:
        """FeedEntry → FeedEntry, host-interleaved."""
        return (
            entries
            | "KeyByHost" >> beam.Map(lambda entry: (entry_host(entry), entry))
            | "GroupByHost" >> beam.GroupByKey()
            | "RankWithinHost" >> beam.FlatMap(ranked_within_host)
            | "GroupByRank" >> beam.GroupByKey()
            | "OnePerHost" >> beam.FlatMap(lambda rank_and_entries: rank_and_entries[1])
        )


class ScrapeArticles(beam.PTransform):
    """FeedEntry → Article; failures on the `failures` output.

    Use: `articles, failures = entries | ScrapeArticles(fetch_settings, scrape_settings)`.
    """

    def __init__(self, fetch_settings: FetchSettings, scrape_settings: ScrapeSettings | None = None) -> None:
        super().__init__()
        self._settings = fetch_settings
        self._scrape_settings = scrape_settings or ScrapeSettings()

    def expand(self, entries: beam.PCollection) -> Iterable[beam.PCollection]:
        """Interleave hosts and spread the entries over workers, batch them, fetch and extract."""
        return (
            entries
            | "InterleaveHosts" >> InterleaveHosts()
            | "Batch" >> beam.BatchElements(min_batch_size=self._settings.batch_size,
                                            max_batch_size=self._settings.batch_size)
            | "FetchAndExtract" >> beam.ParDo(_ScrapeBatchFn(self._settings, self._scrape_settings))
            .with_outputs(FAILURES, main="articles")
        )
