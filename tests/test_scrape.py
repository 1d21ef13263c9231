"""The scrape stage's own rules, beyond fetching (test_fetch.py) and extraction (test_extract.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipelines.records import FeedEntry
from pipelines.scrape import InterleaveHosts, best_published_at, entry_host, ranked_within_host


def test_a_bare_page_date_takes_the_feeds_time_of_day():
    feed = datetime(2026, 11, 16, 14, 5, tzinfo=timezone.utc)
    assert best_published_at(datetime(2026, 11, 16, tzinfo=timezone.utc), feed) == feed
    assert best_published_at(datetime(2026, 11, 15, tzinfo=timezone.utc), feed).day == 15
    precise = datetime(2026, 11, 16, 9, 30, tzinfo=timezone.utc)
    assert best_published_at(precise, feed) == precise
    assert best_published_at(None, feed) == feed


def _entries(host: str, count: int) -> list[FeedEntry]:
    return [FeedEntry(feed=f"{host}-feed", source=host, url=f"https://{host}/news/{i}") for i in range(count)]


def test_interleaving_hosts_keeps_every_entry_once():
    entries = _entries("a.example", 5) + _entries("b.example", 2) + _entries("c.example", 3)
    with TestPipeline() as pipeline:
        output = pipeline | beam.Create(entries) | InterleaveHosts()
        assert_that(output, equal_to(entries))


def test_entries_are_ranked_within_their_host_in_feed_order():
    entries = _entries("a.example", 3)
    ranked = list(ranked_within_host(("a.example", entries)))
    assert ranked == [(0, entries[0]), (1, entries[1]), (2, entries[2])]
    assert entry_host(FeedEntry(feed="f", source="s", url="https://News.Example:8443/x")) == "news.example"
