"""The demo news site: the corpus of `finsent_demo/data` rendered and served on 127.0.0.1 for `finsent demo`.

Pages are rendered with per-source jinja2 templates and feeds (RSS 2.0, one source Atom) are
generated from the corpus when the site starts, so every link points at the running site::

    with DemoSite() as site:
        feeds_yaml = site.write_feeds_yaml(tmp / "feeds.yaml")
        ...  # run the pipeline with --feeds feeds_yaml --allow_private_hosts
        counts = site.expected_counts()  # entries == articles + failures + duplicates

Routes: `/feeds/<source>.xml`, `/<source>/<yyyy>/<mm>/<dd>/<slug>.html`, `/robots.txt`; anything else is 404.
Run `python -m finsent_demo.site` to browse the site by hand.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from xml.etree import ElementTree as ET

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from finsent_demo.corpus import Corpus, DemoArticle, DemoSource, load_corpus
from finsent_demo.fakesite import (
    ATOM_NS,
    FakeSite,
    FeedListing,
    Reply,
    RssChannel,
    RssItem,
    add_child,
    feeds_yaml_text,
    rss_feed,
    write_feeds_yaml,
)

ROBOTS_TXT = "# finsent demo site: crawl whatever you like.\nUser-agent: *\nAllow: /\n"
LAST_MODIFIED = format_datetime(datetime(2026, 11, 23, 23, 0, tzinfo=timezone.utc), usegmt=True)


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _related(corpus: Corpus, article: DemoArticle, limit: int = 4) -> list[DemoArticle]:
    """Other articles of the same source, those sharing a ticker or tag first, then the most recent."""
    others = [a for a in corpus.articles_of(article.source) if a.key != article.key]

    def score(other: DemoArticle) -> tuple[int, datetime]:
        shared = len(set(other.tickers) & set(article.tickers)) * 2 + len(set(other.tags) & set(article.tags))
        return shared, other.published

    return sorted(others, key=score, reverse=True)[:limit]


def _jsonld(source: DemoSource, article: DemoArticle, url: str, base_url: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.standfirst,
        "datePublished": _iso(article.published),
        "dateModified": _iso(article.updated),
        "inLanguage": article.language,
        "articleSection": article.section,
        "keywords": list(article.tags),
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "author": [{"@type": "Person", "name": name} for name in article.authors],
        "publisher": {
            "@type": "Organization",
            "name": source.name,
            "logo": {"@type": "ImageObject", "url": f"{base_url}/{source.key}/logo.png"},
        },
        "isAccessibleForFree": True,
    }
    if article.syndicated_from:
        data["isBasedOn"] = article.syndicated_from
    return data


def _render_pages(corpus: Corpus, base_url: str) -> dict[str, bytes]:
    env = Environment(
        loader=FileSystemLoader(str(corpus.directory / "templates")),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    pages: dict[str, bytes] = {}
    for article in corpus.articles.values():
        source = corpus.sources[article.source]
        url = base_url + article.path
        original = corpus.articles.get(article.syndicated_from) if article.syndicated_from else None
        html = env.get_template(source.template).render(
            source=source,
            site=source.settings,
            article=article,
            url=url,
            base_url=base_url,
            jsonld=_jsonld(source, article, url, base_url),
            related=[(a.title, base_url + a.path, a.published) for a in _related(corpus, article)],
            original=original,
            original_source=corpus.sources[original.source] if original else None,
            original_url=base_url + original.path if original else "",
            feed_url=base_url + source.feed_path,
            year=article.published.year,
        )
        pages[article.path] = html.encode("utf-8")
    return pages


def _rss(corpus: Corpus, source: DemoSource, base_url: str) -> bytes:
    channel = RssChannel(
        title=source.name, link=f"{base_url}/{source.key}/", description=source.description,
        language=source.language,
        copyright=f"© 2026 {source.name}. Fictional demo content written for finsent.",
        self_url=base_url + source.feed_path, ttl=15)
    items = []
    for item in corpus.feed_items(source.key):
        url = item.url(base_url)
        items.append(RssItem(item.title, url, url if item.guid_is_permalink else item.guid, item.guid_is_permalink,
                             item.published, item.description, item.authors, item.tags))
    return rss_feed(channel, items)


def _atom(corpus: Corpus, source: DemoSource, base_url: str) -> bytes:
    # Unqualified tags under a literal default xmlns: ElementTree would otherwise invent an ns0: prefix.
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": source.language})
    sub = add_child

    items = corpus.feed_items(source.key)
    sub(feed, "title", source.name)
    sub(feed, "subtitle", source.description)
    sub(feed, "id", f"tag:{source.key}.demo.finsent,2026:feed")
    sub(feed, "link", rel="self", type="application/atom+xml", href=base_url + source.feed_path)
    sub(feed, "link", rel="alternate", type="text/html", href=f"{base_url}/{source.key}/")
    sub(feed, "updated", _iso(items[0].published) if items else "2026-11-16T00:00:00Z")
    sub(feed, "rights", f"© 2026 {source.name}. Fictional demo content written for finsent.")
    for item in items:
        entry = sub(feed, "entry")
        sub(entry, "title", item.title)
        url = item.url(base_url)
        guid = url if item.guid_is_permalink and url else item.guid
        sub(entry, "id", f"tag:{source.key}.demo.finsent,2026:{guid.rsplit('/', 1)[-1]}")
        if url is not None:
            sub(entry, "link", rel="alternate", type="text/html", href=url)
        sub(entry, "published", _iso(item.published))
        sub(entry, "updated", _iso(item.published))
        for name in item.authors or (source.name,):
            sub(sub(entry, "author"), "name", name)
        for tag in item.tags:
            sub(entry, "category", term=tag)
        if item.description:
            sub(entry, "summary", item.description, type="text")
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


NOT_FOUND = Reply(
    b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>404 Not Found</title></head>'
    b"<body><h1>Page not found</h1><p>The page you asked for does not exist on the finsent demo site.</p>"
    b"</body></html>\n",
    status=404, headers={"Cache-Control": "no-store"})


def _render_site(corpus: Corpus, base_url: str) -> dict[str, tuple[str, bytes]]:
    """Every route of the site: path → (content type, body)."""
    routes: dict[str, tuple[str, bytes]] = {"/robots.txt": ("text/plain; charset=utf-8", ROBOTS_TXT.encode())}
    for path, body in _render_pages(corpus, base_url).items():
        routes[path] = ("text/html; charset=utf-8", body)
    for source in corpus.sources.values():
        render = _atom if source.feed_format == "atom" else _rss
        ctype = f"application/{source.feed_format}+xml; charset=utf-8"
        routes[source.feed_path] = (ctype, render(corpus, source, base_url))
    return routes


class DemoSite:
    """The demo corpus served on 127.0.0.1 by a `FakeSite` (HTTP/1.1) in a daemon thread.

    Use as a context manager (or `start()` / `stop()`). `base_url` is known once started; pages and feeds
    are rendered at start so that every link in them is absolute and points at this server.
    """

    def __init__(self, corpus_dir: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.corpus = load_corpus(corpus_dir)
        self._host = host
        self._port = port
        self._site: FakeSite | None = None

    def start(self) -> DemoSite:
        """Bind, render every route for this address, and serve."""
        if self._site is not None:
            return self
        site = FakeSite(self._host, self._port, not_found=NOT_FOUND, keep_alive=True)
        headers = {"Cache-Control": "public, max-age=300", "Last-Modified": LAST_MODIFIED}
        for path, (content_type, body) in _render_site(self.corpus, site.base_url).items():
            site.add_sequence(path, [Reply(body, content_type=content_type, headers=headers)])
        self._site = site.start()
        return self

    def stop(self) -> None:
        """Stop serving; `base_url` is then unknown again."""
        if self._site is not None:
            self._site.stop()
            self._site = None

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`, without a trailing slash."""
        if self._site is None:
            raise RuntimeError("DemoSite is not started")
        return self._site.base_url

    def feed_urls(self) -> dict[str, str]:
        """Source key → absolute feed URL."""
        return {key: self.base_url + src.feed_path for key, src in self.corpus.sources.items()}

    def article_urls(self) -> dict[str, str]:
        """Article key (`source/slug`) → absolute page URL."""
        return {key: self.base_url + a.path for key, a in self.corpus.articles.items()}

    def routes(self) -> list[str]:
        """Every path the site answers with 200."""
        return self._site.routes() if self._site is not None else []

    def feeds(self) -> list[FeedListing]:
        """The feeds.yaml entries of this site: one per source, with its tags and tickers."""
        return [FeedListing(key, self.base_url + src.feed_path, src.name, src.tags, src.tickers)
                for key, src in self.corpus.sources.items()]

    def feeds_yaml_text(self) -> str:
        """A finsent feeds.yaml for this site while it runs."""
        return feeds_yaml_text(self.feeds(), self._feeds_comment())

    def write_feeds_yaml(self, path: Path | str) -> Path:
        """Write `feeds_yaml_text()` to `path`; returns the path."""
        return write_feeds_yaml(path, self.feeds(), self._feeds_comment())

    def _feeds_comment(self) -> str:
        return (f"finsent feeds.yaml for the local demo site (fictional corpus in finsent_demo/data).\n"
                f"Valid only while the demo site at {self.base_url} is running.")

    def expected_counts(self) -> dict[str, Any]:
        """See `Corpus.expected_counts`."""
        return self.corpus.expected_counts()


def main(argv: list[str] | None = None) -> int:
    """Serve the demo site until interrupted (for looking at it in a browser)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--feeds-yaml", type=Path, default=None, help="also write a feeds.yaml here")
    args = parser.parse_args(argv)
    with DemoSite(args.corpus, port=args.port) as site:
        print(f"finsent demo site at {site.base_url}/ (Ctrl-C to stop)")
        for key, url in site.feed_urls().items():
            print(f"  {key}: {url}")
        if args.feeds_yaml:
            print(f"  feeds.yaml: {site.write_feeds_yaml(args.feeds_yaml)}")
        print(json.dumps(site.expected_counts(), indent=2))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
