"""The scrape stage's own rules, beyond fetching (test_fetch.py) and extraction (test_extract.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from pipelines.scrape import best_published_at


def test_a_bare_page_date_takes_the_feeds_time_of_day():
    feed = datetime(2026, 11, 16, 14, 5, tzinfo=timezone.utc)
    assert best_published_at(datetime(2026, 11, 16, tzinfo=timezone.utc), feed) == feed
    assert best_published_at(datetime(2026, 11, 15, tzinfo=timezone.utc), feed).day == 15
    precise = datetime(2026, 11, 16, 9, 30, tzinfo=timezone.utc)
    assert best_published_at(precise, feed) == precise
    assert best_published_at(None, feed) == feed
