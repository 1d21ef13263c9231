"""feeds.yaml validation, RSS/Atom parsing, refusal of entity bombs, and ReadFeeds in a real pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to
from httpserver import LocalSite

from pipelines.feeds import FeedsFileError, ReadFeeds, load_feed_configs, parse_feed
from pipelines.records import REASONS, FeedConfig
from pipelines.settings import FetchSettings
from pipelines.urls import make_article_id

REPO = Path(__file__).resolve().parents[1]
CONFIG = FeedConfig(name="wire", url="https://news.example.com/rss.xml", source="Example Wire",
                    tags=("markets",), tickers=("ACME",))

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title>
  <item><title>Stocks  rally</title><link>https://news.example.com/a?utm_source=rss#top</link>
        <pubDate>Tue, 02 Jan 2024 10:00:00 +0200</pubDate><guid isPermaLink="false">id-a</guid></item>
  <item><title>Relative link</title><link>/markets/b</link></item>
  <item><title>No link at all</title><description>text</description></item>
  <item><title>Script</title><link>javascript:alert(1)</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom wire</title><id>urn:x</id>
  <updated>2024-03-04T05:06:07Z</updated>
  <entry><title>Bonds slip</title><id>urn:entry:1</id>
    <link rel="alternate" href="https://news.example.com/bonds"/>
    <updated>2024-03-04T05:06:07-05:00</updated></entry>
</feed>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss version="2.0"><channel><item><title>&lol3;</title><link>https://e.com/x</link></item></channel></rss>"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- feeds.yaml ----------------------------------------------------------------------------------

def test_the_shipped_feeds_yaml_is_valid() -> None:
    configs = load_feed_configs(REPO / "feeds.yaml")
    assert 8 <= len(configs) <= 12
    assert all(config.url.startswith("https://") and config.source for config in configs)


def test_a_valid_file_with_urls_paths_and_a_disabled_feed(tmp_path: Path) -> None:
    (tmp_path / "local.xml").write_bytes(RSS)
    path = write(tmp_path, f"""
feeds:
  - {{name: wire, url: "https://news.example.com/rss.xml", source: Wire, tags: [markets], tickers: [ACME]}}
  - {{name: local, url: local.xml}}
  - {{name: file-url, url: "file://{tmp_path}/local.xml"}}
  - {{name: paused, url: "https://off.example.com/rss", enabled: false}}
""")
    configs = load_feed_configs(path)
    assert [config.name for config in configs] == ["wire", "local", "file-url"]
    assert configs[0] == FeedConfig("wire", "https://news.example.com/rss.xml", "Wire",
                                    ("markets",), ("ACME",))
    assert configs[1].url == configs[2].url == str((tmp_path / "local.xml").resolve())
    assert configs[1].source == "local"


@pytest.mark.parametrize(("feeds", "message"), [
    ('- {name: a, url: "https://a.com/rss"}\n  - {name: b, url: "https://b.com/rss"}\n'
     '  - {name: reuters, url: "ftp://reuters.com/rss"}',
     "feed #3 'reuters': 'url' must be an http(s) URL or a file path"),
    ("- {name: a}", "feed #1 'a': 'url' must be an http(s) URL or a file path"),
    ("- {name: a, url: missing.xml}",
     "feed #1 'a': 'url' must be an http(s) URL or a file path (no such file"),
    ('- {name: a, url: "javascript:alert(1)"}', "feed #1 'a': 'url' must be an http(s) URL"),
    ('- {name: a, url: "https://a.com/rss", colour: red}', "feed #1 'a': unknown key 'colour'"),
    ('- {name: a, url: "https://a.com/rss"}\n  - {name: a, url: "https://b.com/rss"}',
     "feed #2 'a': duplicate name (feed #1 has it too)"),
    ('- {url: "https://a.com/rss"}', "feed #1: 'name' must be"),
    ('- {name: "bad name!", url: "https://a.com/rss"}', "feed #1: 'name' must be"),
    ('- {name: off, url: "https://a.com/rss"}',
     "feed #1: 'name' must be 1–64 letters, digits, '_', '.' or '-' (YAML read False; quote the name)"),
    ('- {name: a, url: "https://a.com/rss", tags: markets}', "feed #1 'a': 'tags' must be a list"),
    ('- {name: a, url: "https://a.com/rss", enabled: "no"}', "feed #1 'a': 'enabled' must be true or false"),
    ('- {name: a, url: "https://a.com/rss", source: ""}', "feed #1 'a': 'source' must be a non-empty"),
    ("- just-a-string", "feed #1: must be a mapping"),
])
def test_invalid_feeds_are_named_in_the_error(tmp_path: Path, feeds: str, message: str) -> None:
    path = write(tmp_path, f"feeds:\n  {feeds}\n")
    with pytest.raises(FeedsFileError) as caught:
        load_feed_configs(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


@pytest.mark.parametrize("text", ["[1, 2]", "feeds: {a: 1}", "feeds: []\nextra: 1", "feeds: [\n"])
def test_a_badly_shaped_file_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(FeedsFileError, match=r"feeds\.yaml: "):
        load_feed_configs(write(tmp_path, text))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FeedsFileError, match="cannot read"):
        load_feed_configs(tmp_path / "nope.yaml")


# --- parsing -------------------------------------------------------------------------------------

def test_rss_items_become_entries_and_bad_items_failures() -> None:
    entries, failures = parse_feed(RSS, CONFIG)
    first, relative = entries
    assert first.url == "https://news.example.com/a?utm_source=rss#top"
    assert first.canonical_url == "https://news.example.com/a"
    assert first.article_id == make_article_id("https://news.example.com/a")
    assert first.title == "Stocks rally"
    assert first.published_at == datetime(2024, 1, 2, 8, 0, tzinfo=timezone.utc)
    assert (first.feed, first.source, first.guid, first.tags, first.tickers) == (
        "wire", "Example Wire", "id-a", ("markets",), ("ACME",))
    assert relative.url == "https://news.example.com/markets/b" and relative.published_at is None
    assert [(failure.stage, failure.reason, failure.feed) for failure in failures] == [
        ("feeds", "entry_invalid", "wire")] * 2
    assert "no link" in failures[0].detail and "javascript" in failures[1].detail


def test_credentials_in_an_entry_link_are_dropped() -> None:
    body = RSS.replace(b"<link>/markets/b</link>", b"<link>https://user:pass@news.example.com/markets/b</link>")
    entries, _ = parse_feed(body, CONFIG)
    assert (entries[1].url, entries[1].canonical_url) == ("https://news.example.com/markets/b",) * 2


def test_atom_entries_use_the_alternate_link_and_updated_time() -> None:
    (entry,), failures = parse_feed(ATOM, CONFIG)
    assert failures == []
    assert (entry.url, entry.title, entry.guid) == ("https://news.example.com/bonds", "Bonds slip",
                                                    "urn:entry:1")
    assert entry.published_at == datetime(2024, 3, 4, 10, 6, 7, tzinfo=timezone.utc)


def test_relative_links_resolve_against_the_final_feed_url() -> None:
    entries, _ = parse_feed(RSS, CONFIG, base_url="https://mirror.example.org/feeds/rss")
    assert entries[1].url == "https://mirror.example.org/markets/b"


def test_a_bozo_feed_that_still_has_entries_is_accepted() -> None:
    broken = b"<rss version='2.0'><channel><item><title>Caf\xe9 &nbsp; </title><link>https://e.com/x</link>"
    entries, failures = parse_feed(broken, CONFIG)
    assert [entry.url for entry in entries] == ["https://e.com/x"] and failures == []


def test_a_latin1_feed_is_decoded_by_its_declaration() -> None:
    latin1 = ('<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel>'
              '<item><title>Zürich £ café</title><link>https://e.com/z</link></item></channel></rss>')
    (entry,), _ = parse_feed(latin1.encode("iso-8859-1"), CONFIG)
    assert entry.title == "Zürich £ café"


@pytest.mark.parametrize("body", [b"", b"<html><body><p>Not a feed</p></body></html>",
                                  b"\x89PNG\r\n\x1a\n\0\0", b"<rss><channel><title>cut off"])
def test_a_body_without_entries_that_is_not_a_feed_is_malformed(body: bytes) -> None:
    entries, failures = parse_feed(body, CONFIG)
    assert entries == []
    assert [(failure.reason, failure.url) for failure in failures] == [("feed_malformed", CONFIG.url)]


def test_an_empty_but_valid_feed_is_not_a_failure() -> None:
    assert parse_feed(b"<rss version='2.0'><channel><title>Quiet</title></channel></rss>", CONFIG) == ([], [])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_entity_expansion_bombs_are_refused_before_parsing(encoding: str) -> None:
    body = BILLION_LAUGHS.decode().encode(encoding)
    entries, (failure,) = parse_feed(body, CONFIG)
    assert entries == []
    assert failure.reason == "feed_malformed" and "entities" in failure.detail


def test_every_failure_reason_is_a_known_code() -> None:
    _, failures = parse_feed(RSS, CONFIG)
    assert {failure.reason for failure in failures} <= set(REASONS)


# --- ReadFeeds in a pipeline ---------------------------------------------------------------------

@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as local:
        yield local


def test_read_feeds_emits_entries_and_failures(site: LocalSite, tmp_path: Path) -> None:
    site.add("/rss", RSS, content_type="application/rss+xml")
    site.add("/broken", b"<html>oops</html>")
    (tmp_path / "atom.xml").write_bytes(ATOM)
    configs = [
        FeedConfig("http-feed", site.url("/rss"), "Local"),
        FeedConfig("file-feed", str(tmp_path / "atom.xml"), "Files"),
        FeedConfig("gone", site.url("/gone"), "Local"),
        FeedConfig("broken", site.url("/broken"), "Local"),
    ]
    settings = FetchSettings(timeout=2, deadline=3, retries=0, allow_private_hosts=True, ignore_robots=True)
    with beam.Pipeline() as pipeline:
        feeds = pipeline | ReadFeeds(configs, settings)
        urls = feeds.entries | beam.Map(lambda entry: (entry.feed, entry.url))
        reasons = feeds.failures | beam.Map(
            lambda failure: (failure.feed, failure.reason, failure.http_status))
        assert_that(urls, equal_to([("http-feed", "https://news.example.com/a?utm_source=rss#top"),
                                    ("http-feed", site.url("/markets/b")),
                                    ("file-feed", "https://news.example.com/bonds")]), label="entries")
        assert_that(reasons, equal_to([("http-feed", "entry_invalid", None),
                                       ("http-feed", "entry_invalid", None),
                                       ("gone", "feed_unreachable", 404),
                                       ("broken", "feed_malformed", None)]), label="failures")


def test_feeds_download_at_once_within_the_per_domain_limit(site: LocalSite) -> None:
    for index in range(5):
        site.add(f"/rss{index}", RSS, content_type="application/rss+xml", delay=0.3)
    configs = [FeedConfig(f"feed-{index}", site.url(f"/rss{index}"), "Local") for index in range(5)]
    settings = FetchSettings(timeout=2, deadline=3, retries=0, allow_private_hosts=True, ignore_robots=True,
                             concurrency=16, per_domain_concurrency=2)
    with beam.Pipeline() as pipeline:
        feeds = pipeline | ReadFeeds(configs, settings)
        assert_that(feeds.entries | beam.Map(lambda entry: entry.feed) | beam.Distinct(),
                    equal_to([f"feed-{index}" for index in range(5)]))
    assert site.max_concurrent("127.0.0.1") == 2


def test_an_unreachable_feed_names_the_fetch_reason(site: LocalSite) -> None:
    site.add("/rss", RSS, content_type="application/rss+xml")
    settings = FetchSettings(timeout=2, deadline=3, retries=0, allow_private_hosts=False, ignore_robots=True)
    with beam.Pipeline() as pipeline:
        feeds = pipeline | ReadFeeds([FeedConfig("local", site.url("/rss"), "Local")], settings)
        details = feeds.failures | beam.Map(lambda failure: (failure.reason, failure.detail.split(":")[0],
                                                             failure.extra["fetch_reason"]))
        blocked = "blocked_private_address"
        assert_that(details, equal_to([(blocked, blocked, blocked)]))
        assert_that(feeds.entries, equal_to([]), label="no entries")
