"""The demo corpus and the local site that serves it, checked over real HTTP with urllib."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
import urllib.robotparser
from datetime import date, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

import pysbd
import pytest
import yaml

from finsent_demo.corpus import BROKEN_KINDS, demo_corpus_dir, expected_counts, load_corpus
from finsent_demo.site import DemoSite
from pipelines.records import FeedConfig

ATOM = "{http://www.w3.org/2005/Atom}"
DAYS = [date(2026, 11, 16) + timedelta(days=i) for i in range(8)]


@pytest.fixture(scope="module")
def site():
    with DemoSite() as running:
        yield running


def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers={"User-Agent": "finsent-tests"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def feed_entries(site: DemoSite) -> list[dict]:
    """Every entry of every feed, fetched and parsed as XML: feed, title, link (None if absent), guid."""
    entries = []
    for key, url in site.feed_urls().items():
        status, _, body = fetch(url)
        assert status == 200
        root = ET.fromstring(body)
        if root.tag == "rss":
            for item in root.iter("item"):
                link = item.findtext("link")
                guid = item.find("guid")
                entries.append({"feed": key, "title": item.findtext("title"), "link": link,
                                "guid": guid.text, "permalink": guid.get("isPermaLink") == "true",
                                "date": item.findtext("pubDate"),
                                "description": item.findtext("description")})
        else:
            for entry in root.iter(f"{ATOM}entry"):
                link = entry.find(f"{ATOM}link")
                entries.append({"feed": key, "title": entry.findtext(f"{ATOM}title"),
                                "link": None if link is None else link.get("href"),
                                "guid": entry.findtext(f"{ATOM}id"), "permalink": False,
                                "date": entry.findtext(f"{ATOM}published"),
                                "description": entry.findtext(f"{ATOM}summary")})
    return entries


class PageParser(HTMLParser):
    """Collects <title>, <meta>, JSON-LD, the <p> texts inside <article>, and every href."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.meta: dict[str, str] = {}
        self.jsonld: list[dict] = []
        self.paragraphs: list[str] = []
        self.hrefs: list[str] = []
        self._stack: list[str] = []
        self._in_article = 0
        self._buffer: list[str] | None = None
        self._script_ld = False
        self._script: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            key = attrs.get("property") or attrs.get("name")
            if key and key not in self.meta:
                self.meta[key] = attrs.get("content", "")
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "article":
            self._in_article += 1
        if tag == "p" and self._in_article:
            self._buffer = []
        if tag == "script" and attrs.get("type") == "application/ld+json":
            self._script_ld, self._script = True, []
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "article":
            self._in_article -= 1
        if tag == "p" and self._buffer is not None:
            self.paragraphs.append("".join(self._buffer).strip())
            self._buffer = None
        if tag == "script" and self._script_ld:
            self.jsonld.append(json.loads("".join(self._script)))
            self._script_ld = False
        if self._stack:
            self._stack.pop()

    def handle_data(self, data):
        if self._stack and self._stack[-1] == "title":
            self.title += data
        if self._buffer is not None:
            self._buffer.append(data)
        if self._script_ld:
            self._script.append(data)


def parse_page(body: bytes) -> PageParser:
    parser = PageParser()
    parser.feed(body.decode("utf-8"))
    return parser


# ----------------------------------------------------------------------------------------------- corpus


def test_corpus_size_sources_and_days():
    corpus = load_corpus()
    assert corpus.directory == demo_corpus_dir()
    assert len(corpus.articles) >= 36
    assert len(corpus.sources) >= 4
    assert sorted({s.feed_format for s in corpus.sources.values()}) == ["atom", "rss"]
    assert {a.published.date() for a in corpus.articles.values()} == set(DAYS)
    for source in corpus.sources:
        assert len(corpus.articles_of(source)) >= 6, source
    assert any(a.language in ("de", "fr") for a in corpus.articles.values())


def test_articles_are_complete_and_6_to_25_sentences():
    segmenters = {lang: pysbd.Segmenter(language=lang, clean=False) for lang in ("en", "de", "fr")}
    for article in load_corpus().articles.values():
        assert article.title and article.standfirst and article.authors and article.body, article.key
        assert article.published.tzinfo is not None
        sentences = segmenters[article.language].segment(" ".join(article.body))
        assert 6 <= len(sentences) <= 25, (article.key, len(sentences))


def test_corpus_has_a_mix_of_news_and_financial_notation():
    text = "\n".join(a.text for a in load_corpus().articles.values())
    for needle in ["EUR 23.5 mn", "$2.4 billion", "(NASDAQ: ", "(NYSE: ", "$KSTL", "Inc.", "Corp.", "U.S.",
                   "lay off", "dividend", "acquire", "lawsuit", "cut interest rates", "launched", " %"]:
        assert needle in text, needle


def test_syndicated_story_same_text_two_sources():
    corpus = load_corpus()
    copies = [a for a in corpus.articles.values() if a.syndicated_from]
    assert len(copies) == 1
    copy = copies[0]
    original = corpus.articles[copy.syndicated_from]
    assert copy.source != original.source
    assert copy.path != original.path
    assert (copy.title, copy.body) == (original.title, original.body)


def test_broken_entries_listed_in_yaml():
    kinds = [extra["kind"] for extra in load_corpus().extras]
    assert sorted(kinds) == sorted([*BROKEN_KINDS, "duplicate"])


def test_expected_counts_identity():
    counts = expected_counts()
    assert counts["feed_entries"] == counts["articles"] + counts["failures_total"] + counts["duplicates"]
    assert counts["articles"] == len(load_corpus().articles)
    assert counts["duplicates"] == 1
    assert counts["broken"] == {"http_404": 1, "missing_link": 1, "javascript_link": 1}
    assert counts["failures"] == {"entry_invalid": 2, "http_404": 1}
    assert counts["days"] == [d.isoformat() for d in DAYS]
    assert counts["syndicated"] == 1


# ------------------------------------------------------------------------------------------------- HTTP


def test_feeds_parse_and_match_the_corpus(site):
    for key, url in site.feed_urls().items():
        status, headers, body = fetch(url)
        assert status == 200
        root = ET.fromstring(body)
        fmt = site.corpus.sources[key].feed_format
        assert root.tag == ("rss" if fmt == "rss" else f"{ATOM}feed")
        assert ("atom" if fmt == "atom" else "rss") in headers["Content-Type"]
    entries = feed_entries(site)
    assert len(entries) == site.expected_counts()["feed_entries"]
    for entry in entries:
        assert entry["title"] and entry["guid"] and entry["date"] and entry["description"], entry
        if site.corpus.sources[entry["feed"]].feed_format == "rss":
            published = parsedate_to_datetime(entry["date"])
            assert published.tzinfo is not None
            assert entry["date"].endswith("GMT")  # RFC 822
            assert published.date() in DAYS


def test_every_link_resolves_except_the_deliberate_ones(site):
    statuses: dict[str, int] = {}
    for entry in feed_entries(site):
        link = entry["link"]
        if link is None:
            assert not entry["permalink"], "a link-less item must not have a permalink guid"
            continue
        if link.startswith("javascript:"):
            continue
        assert link.startswith(site.base_url + "/"), link
        if link not in statuses:
            status, headers, _ = fetch(link)
            statuses[link] = status
            if status == 200:
                assert headers["Content-Type"].startswith("text/html")
    bad = {link: status for link, status in statuses.items() if status != 200}
    assert list(bad.values()) == [404]
    assert len([s for s in statuses.values() if s == 200]) == len(site.corpus.articles)


def test_accounting_from_fetched_feeds_matches_expected_counts(site):
    entries = feed_entries(site)
    seen: set[str] = set()
    duplicates = invalid = missing = 0
    for entry in entries:
        link = entry["link"]
        if not link or not link.startswith("http"):
            invalid += 1
        elif link in seen:
            duplicates += 1
        else:
            seen.add(link)
    for link in list(seen):
        if fetch(link, method="HEAD")[0] == 404:
            seen.discard(link)
            missing += 1
    counts = site.expected_counts()
    assert (len(entries), len(seen), duplicates) == (counts["feed_entries"], counts["articles"],
                                                     counts["duplicates"])
    assert {"entry_invalid": invalid, "http_404": missing} == counts["failures"]


def test_pages_have_metadata_and_body(site):
    for article in site.corpus.articles.values():
        status, _, body = fetch(site.base_url + article.path)
        assert status == 200
        page = parse_page(body)
        assert article.title in page.title
        assert page.meta["og:title"] == article.title
        assert page.meta["article:published_time"] == article.published.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert page.meta["author"]
        (ld,) = page.jsonld
        assert ld["@type"] == "NewsArticle" and ld["headline"] == article.title
        assert [a["name"] for a in ld["author"]] == list(article.authors)
        for paragraph in article.body:
            assert paragraph in page.paragraphs, (article.key, paragraph[:60])
        related = [h for h in page.hrefs if h.startswith(site.base_url + f"/{article.source}/")]
        assert related, article.key
        for href in related:
            assert fetch(href, method="HEAD")[0] == 200


def test_pages_carry_boilerplate_an_extractor_must_skip(site):
    for source in site.corpus.sources:
        article = site.corpus.articles_of(source)[0]
        html = fetch(site.base_url + article.path)[2].decode().lower()
        for needle in ["<nav", "cookie", "share", "read more", "newsletter", "&copy;", "<article"]:
            assert needle in html, (source, needle)


def test_syndicated_pages_differ_only_in_boilerplate(site):
    copy = next(a for a in site.corpus.articles.values() if a.syndicated_from)
    original = site.corpus.articles[copy.syndicated_from]
    copy_html = fetch(site.base_url + copy.path)[2]
    original_html = fetch(site.base_url + original.path)[2]
    assert copy_html != original_html
    for paragraph in original.body:
        assert paragraph in parse_page(copy_html).paragraphs
        assert paragraph in parse_page(original_html).paragraphs
    assert b"originally published by" in copy_html


def test_unknown_routes_404_and_head_and_query(site):
    for path in ["/", "/feeds/", "/feeds/nope.xml", "/meridian-wire/", "/static/meridian.css",
                 "/meridian-wire/2026/11/18/wexford-paints-q3-results.html"]:
        status, _, body = fetch(site.base_url + path)
        assert status == 404, path
        assert b"not found" in body.lower()
    article = next(iter(site.corpus.articles.values()))
    status, headers, body = fetch(site.base_url + article.path + "?utm_source=rss", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000


def test_robots_allows_everything(site):
    status, headers, body = fetch(site.base_url + "/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(body.decode().splitlines())
    for url in [*site.feed_urls().values(), *site.article_urls().values()]:
        assert robots.can_fetch("finsent", url)


def test_feeds_yaml(site, tmp_path):
    path = site.write_feeds_yaml(tmp_path / "conf" / "feeds.yaml")
    assert path.read_text() == site.feeds_yaml_text()
    doc = yaml.safe_load(path.read_text())
    feeds = doc["feeds"]
    assert [f["url"] for f in feeds] == list(site.feed_urls().values())
    for entry in feeds:
        assert {"name", "url", "source", "tags"} <= set(entry) <= {"name", "url", "source", "tags", "tickers"}
        config = FeedConfig(name=entry["name"], url=entry["url"], source=entry["source"],
                            tags=tuple(entry["tags"]))
        assert fetch(config.url)[0] == 200


def test_lifecycle_and_random_port():
    one, two = DemoSite(), DemoSite()
    with one, two:
        assert one.base_url != two.base_url
        assert one.base_url.startswith("http://127.0.0.1:")
        url = one.feed_urls()["meridian-wire"]
    with pytest.raises(RuntimeError):
        _ = one.base_url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)


def test_custom_corpus_is_autoescaped(tmp_path):
    corpus_dir = Path(shutil.copytree(demo_corpus_dir(), tmp_path / "demo"))
    extra = {
        "source": "northgate-markets",
        "articles": [{
            "slug": "escape-test", "published": "2026-11-18T10:00:00Z",
            "title": "Q3 <b>beat</b> & </script>", "authors": ["A <i>Writer</i>"],
            "body": ["<script>alert(1)</script> Revenue rose 5 % to $1 bn."] * 6,
        }],
    }
    (corpus_dir / "articles" / "zz-escape.yaml").write_text(yaml.safe_dump(extra))
    with DemoSite(corpus_dir) as custom:
        assert custom.expected_counts()["articles"] == expected_counts()["articles"] + 1
        html = fetch(custom.article_urls()["northgate-markets/escape-test"])[2].decode()
        assert "<b>beat</b>" not in html and "&lt;b&gt;beat&lt;/b&gt;" in html
        assert "<script>alert" not in html
        assert html.count("</script>") == 1  # only the JSON-LD block's own end tag
        page = parse_page(html.encode())
        assert page.jsonld[0]["headline"] == "Q3 <b>beat</b> & </script>"


def test_bad_corpus_is_rejected(tmp_path):
    corpus_dir = Path(shutil.copytree(demo_corpus_dir(), tmp_path / "demo"))
    meta = yaml.safe_load((corpus_dir / "corpus.yaml").read_text())
    meta["feed_extras"].append({"kind": "duplicate", "feed": "ledger-daily", "article": "nope/missing",
                                "published": "2026-11-19T00:00:00Z"})
    (corpus_dir / "corpus.yaml").write_text(yaml.safe_dump(meta))
    with pytest.raises(ValueError, match="no such article"):
        load_corpus(corpus_dir)
