"""Local demo news site: serves the fictional `examples/demo` corpus on 127.0.0.1 for `finsent demo`.

The corpus is YAML (`corpus.yaml` for sources and deliberate broken feed entries, `articles/*.yaml` for the
articles); pages are rendered with per-source jinja2 templates and feeds (RSS 2.0, one source Atom) are
generated from the same YAML when the site starts, so every link points at the running site::

    with DemoSite() as site:
        feeds_yaml = site.write_feeds_yaml(tmp / "feeds.yaml")
        ...  # run the pipeline with --feeds feeds_yaml --allow_private_hosts
        counts = site.expected_counts()  # entries == articles + failures + duplicates

Routes: `/feeds/<source>.xml`, `/<source>/<yyyy>/<mm>/<dd>/<slug>.html`, `/robots.txt`; anything else is 404.
Run `python -m pipelines.demo_site` to browse the site by hand.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

__all__ = [
    "BROKEN_KINDS",
    "Corpus",
    "DemoArticle",
    "DemoSite",
    "DemoSource",
    "FeedItem",
    "demo_corpus_dir",
    "expected_counts",
    "load_corpus",
]

BROKEN_KINDS: dict[str, str] = {
    "http_404": "http_404",  # the item links to a page the site does not have
    "missing_link": "entry_invalid",  # the item has no <link> at all (and a non-permalink guid)
    "javascript_link": "entry_invalid",  # the item links to a javascript: URL
}
"""Deliberately broken feed-entry kinds in `corpus.yaml`, mapped to the pipeline's `Failure.reason` code."""

EXTRA_KINDS = (*BROKEN_KINDS, "duplicate")

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("dc", DC_NS)

ROBOTS_TXT = "# finsent demo site: crawl whatever you like.\nUser-agent: *\nAllow: /\n"


def demo_corpus_dir() -> Path:
    """The shipped demo corpus, `examples/demo` at the repository root."""
    return Path(__file__).resolve().parents[1] / "examples" / "demo"


def _utc(value: Any, what: str) -> datetime:
    """A YAML timestamp (PyYAML gives datetime, or str when quoted) as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise ValueError(f"{what}: expected a date-time, got {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class DemoSource:
    """One publication of the demo network and how it publishes its feed."""

    key: str
    name: str
    feed_format: str
    template: str
    language: str
    description: str
    tags: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def feed_path(self) -> str:
        return f"/feeds/{self.key}.xml"


@dataclass(frozen=True)
class DemoArticle:
    """One article page; a syndicated copy carries the original's title and body verbatim."""

    source: str
    slug: str
    published: datetime
    updated: datetime
    title: str
    standfirst: str
    authors: tuple[str, ...]
    body: tuple[str, ...]
    section: str
    language: str
    tickers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    credits: str = ""
    syndicated_from: str = ""

    @property
    def key(self) -> str:
        return f"{self.source}/{self.slug}"

    @property
    def path(self) -> str:
        return f"/{self.source}/{self.published:%Y/%m/%d}/{self.slug}.html"

    @property
    def text(self) -> str:
        return "\n\n".join(self.body)


@dataclass(frozen=True)
class FeedItem:
    """One entry of a generated feed; `link` is a site path, an absolute URL, or None (no link element)."""

    kind: str  # "article", "duplicate", or one of BROKEN_KINDS
    title: str
    link: str | None
    guid: str
    guid_is_permalink: bool
    published: datetime
    description: str
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def url(self, base_url: str) -> str | None:
        if self.link is None or not self.link.startswith("/"):
            return self.link
        return base_url + self.link


@dataclass
class Corpus:
    """The loaded demo corpus: sources in feed order, articles by key, and each feed's items."""

    directory: Path
    sources: dict[str, DemoSource]
    articles: dict[str, DemoArticle]
    extras: list[dict[str, Any]]
    site: dict[str, Any]

    def articles_of(self, source: str) -> list[DemoArticle]:
        """A source's articles, newest first."""
        found = [a for a in self.articles.values() if a.source == source]
        return sorted(found, key=lambda a: (a.published, a.slug), reverse=True)

    def feed_items(self, source: str) -> list[FeedItem]:
        """What the source's feed lists, newest first: its articles plus the extras filed under it."""
        items = [
            FeedItem("article", a.title, a.path, a.path, True, a.published, a.standfirst, a.authors,
                     a.tags)
            for a in self.articles_of(source)
        ]
        for extra in self.extras:
            if extra["feed"] == source:
                items.append(self._extra_item(extra))
        items.sort(key=lambda item: item.published, reverse=True)
        return items

    def _extra_item(self, extra: dict[str, Any]) -> FeedItem:
        kind = extra["kind"]
        published = _utc(extra.get("published"), f"extra {extra.get('title')!r}")
        guid = extra.get("guid") or f"{extra['feed']}:{kind}:{published:%Y%m%d%H%M}"
        description = extra.get("description", "")
        if kind == "duplicate":
            original = self.articles[extra["article"]]
            return FeedItem("duplicate", extra.get("title") or original.title, original.path, original.path,
                            True, published, description or original.standfirst, original.authors,
                            original.tags)
        if kind == "http_404":
            return FeedItem(kind, extra["title"], extra["path"], extra["path"], True, published, description)
        if kind == "missing_link":
            return FeedItem(kind, extra["title"], None, guid, False, published, description)
        return FeedItem(kind, extra["title"], extra["link"], guid, False, published, description)

    def expected_counts(self) -> dict[str, Any]:
        """What a correct pipeline run over every feed must account for, computed from the YAML.

        `feed_entries == articles + failures_total + duplicates`. `failures` is keyed by the pipeline's
        `Failure.reason` codes, `broken` by the corpus's own kinds. The syndicated story is two distinct
        articles (two URLs, same text) and counts twice in `articles`.
        """
        entries = 0
        seen: set[str] = set()
        duplicates = 0
        broken: Counter[str] = Counter()
        for source in self.sources:
            for item in self.feed_items(source):
                entries += 1
                if item.kind in BROKEN_KINDS:
                    broken[item.kind] += 1
                elif item.link in seen:
                    duplicates += 1
                else:
                    seen.add(item.link or "")
        failures: Counter[str] = Counter()
        for kind, n in broken.items():
            failures[BROKEN_KINDS[kind]] += n
        days = sorted({f"{a.published:%Y-%m-%d}" for a in self.articles.values()})
        return {
            "feeds": len(self.sources),
            "feed_entries": entries,
            "articles": len(seen),
            "duplicates": duplicates,
            "failures_total": sum(failures.values()),
            "failures": dict(sorted(failures.items())),
            "broken": {kind: broken.get(kind, 0) for kind in BROKEN_KINDS},
            "syndicated": sum(1 for a in self.articles.values() if a.syndicated_from),
            "sources": len(self.sources),
            "articles_by_source": {s: len(self.articles_of(s)) for s in self.sources},
            "languages": dict(sorted(Counter(a.language for a in self.articles.values()).items())),
            "days": days,
        }


def _strs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _clean(paragraph: str) -> str:
    return " ".join(str(paragraph).split())


def load_corpus(corpus_dir: Path | None = None) -> Corpus:
    """Read and validate `corpus.yaml` and `articles/*.yaml`; raises ValueError on an inconsistent corpus."""
    directory = Path(corpus_dir) if corpus_dir is not None else demo_corpus_dir()
    meta = yaml.safe_load((directory / "corpus.yaml").read_text(encoding="utf-8"))
    sources: dict[str, DemoSource] = {}
    for raw in meta["sources"]:
        fmt = raw.get("feed_format", "rss")
        if fmt not in ("rss", "atom"):
            raise ValueError(f"source {raw['key']}: feed_format must be rss or atom")
        sources[raw["key"]] = DemoSource(
            key=raw["key"], name=raw["name"], feed_format=fmt, template=raw["template"],
            language=raw.get("language", "en"), description=_clean(raw.get("description", "")),
            tags=_strs(raw.get("tags")), settings=raw,
        )

    raw_articles: list[dict[str, Any]] = []
    for path in sorted((directory / "articles").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for raw in doc.get("articles", []):
            raw.setdefault("source", doc.get("source"))
            raw_articles.append(raw)
    originals = {f"{r['source']}/{r['slug']}": r for r in raw_articles if not r.get("syndicated_from")}

    articles: dict[str, DemoArticle] = {}
    for raw in raw_articles:
        where = f"article {raw.get('source')}/{raw.get('slug')}"
        if raw["source"] not in sources:
            raise ValueError(f"{where}: unknown source")
        body_from = raw
        if raw.get("syndicated_from"):
            if raw["syndicated_from"] not in originals:
                raise ValueError(f"{where}: syndicated_from {raw['syndicated_from']!r} is not an article")
            body_from = originals[raw["syndicated_from"]]
        published = _utc(raw["published"], where)
        body = tuple(_clean(p) for p in body_from["body"])
        article = DemoArticle(
            source=raw["source"], slug=raw["slug"], published=published,
            updated=_utc(raw.get("updated", published), where),
            title=_clean(body_from["title"]),
            standfirst=_clean(raw.get("standfirst") or body_from.get("standfirst") or body[0]),
            authors=_strs(raw.get("authors") or body_from.get("authors")), body=body,
            section=raw.get("section") or body_from.get("section") or "News",
            language=raw.get("language") or body_from.get("language") or sources[raw["source"]].language,
            tickers=_strs(raw.get("tickers") or body_from.get("tickers")),
            tags=_strs(raw.get("tags") or body_from.get("tags")),
            credits=_clean(raw.get("credits") or body_from.get("credits") or ""),
            syndicated_from=raw.get("syndicated_from") or "",
        )
        if article.key in articles:
            raise ValueError(f"{where}: duplicate slug")
        articles[article.key] = article

    extras = list(meta.get("feed_extras") or [])
    for extra in extras:
        if extra.get("kind") not in EXTRA_KINDS or extra.get("feed") not in sources:
            raise ValueError(f"feed extra {extra!r}: bad kind or feed")
        if extra["kind"] == "duplicate" and extra.get("article") not in articles:
            raise ValueError(f"feed extra {extra!r}: no such article")
        if extra["kind"] == "http_404":
            path = extra.get("path", "")
            if not path.startswith("/") or any(a.path == path for a in articles.values()):
                raise ValueError(f"feed extra {extra!r}: path must be a site path that does not exist")
        if extra["kind"] == "javascript_link" and not str(extra.get("link", "")).startswith("javascript:"):
            raise ValueError(f"feed extra {extra!r}: link must be a javascript: URL")
    return Corpus(directory, sources, articles, extras, meta.get("site") or {})


def expected_counts(corpus_dir: Path | None = None) -> dict[str, Any]:
    """`Corpus.expected_counts()` of the corpus in `corpus_dir` (default: the shipped demo corpus)."""
    return load_corpus(corpus_dir).expected_counts()


# --------------------------------------------------------------------------------------------- rendering


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


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _rss(corpus: Corpus, source: DemoSource, base_url: str) -> bytes:
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", source.name)
    _sub(channel, "link", f"{base_url}/{source.key}/")
    _sub(channel, "description", source.description)
    _sub(channel, "language", source.language)
    _sub(channel, "copyright", f"© 2026 {source.name}. Fictional demo content written for finsent.")
    _sub(channel, f"{{{ATOM_NS}}}link", href=base_url + source.feed_path, rel="self",
         type="application/rss+xml")
    items = corpus.feed_items(source.key)
    if items:
        _sub(channel, "lastBuildDate", format_datetime(items[0].published, usegmt=True))
    _sub(channel, "ttl", "15")
    for item in items:
        node = _sub(channel, "item")
        _sub(node, "title", item.title)
        url = item.url(base_url)
        if url is not None:
            _sub(node, "link", url)
        guid = item.url(base_url) if item.guid_is_permalink else item.guid
        _sub(node, "guid", guid, isPermaLink="true" if item.guid_is_permalink else "false")
        _sub(node, "pubDate", format_datetime(item.published, usegmt=True))
        if item.description:
            _sub(node, "description", item.description)
        for author in item.authors:
            _sub(node, f"{{{DC_NS}}}creator", author)
        for tag in item.tags:
            _sub(node, "category", tag)
    ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _atom(corpus: Corpus, source: DemoSource, base_url: str) -> bytes:
    # Unqualified tags under a literal default xmlns: ElementTree would otherwise invent an ns0: prefix.
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": source.language})
    sub = _sub

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


NOT_FOUND = (
    b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>404 Not Found</title></head>'
    b"<body><h1>Page not found</h1><p>The page you asked for does not exist on the finsent demo site.</p>"
    b"</body></html>\n"
)


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


# ------------------------------------------------------------------------------------------------ server


def _handler(routes: dict[str, tuple[str, bytes]], last_modified: str) -> type[BaseHTTPRequestHandler]:
    class DemoHandler(BaseHTTPRequestHandler):
        server_version = "finsent-demo/0.1"
        protocol_version = "HTTP/1.1"

        def _respond(self, with_body: bool) -> None:
            path = urlsplit(self.path).path
            route = routes.get(path)
            if route is None:
                status, ctype, body = HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", NOT_FOUND
            else:
                status, (ctype, body) = HTTPStatus.OK, route
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "public, max-age=300" if route else "no-store")
            if route is not None:
                self.send_header("Last-Modified", last_modified)
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._respond(with_body=True)

        def do_HEAD(self) -> None:
            self._respond(with_body=False)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return DemoHandler


class DemoSite:
    """The demo corpus served on 127.0.0.1 from a ThreadingHTTPServer in a daemon thread.

    Use as a context manager (or `start()` / `stop()`). `base_url` is known once started; pages and feeds
    are rendered at start so that every link in them is absolute and points at this server.
    """

    def __init__(self, corpus_dir: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.corpus = load_corpus(corpus_dir)
        self._host = host
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[str, tuple[str, bytes]] = {}

    # lifecycle
    def start(self) -> DemoSite:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self._host, self._port), _handler({}, ""))
        server.daemon_threads = True
        self._server = server
        self._routes = _render_site(self.corpus, self.base_url)
        stamp = format_datetime(datetime(2026, 11, 23, 23, 0, tzinfo=timezone.utc), usegmt=True)
        server.RequestHandlerClass = _handler(self._routes, stamp)
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="finsent-demo-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # addresses
    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`, without a trailing slash."""
        if self._server is None:
            raise RuntimeError("DemoSite is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def feed_urls(self) -> dict[str, str]:
        """Source key → absolute feed URL."""
        return {key: self.base_url + src.feed_path for key, src in self.corpus.sources.items()}

    def article_urls(self) -> dict[str, str]:
        """Article key (`source/slug`) → absolute page URL."""
        return {key: self.base_url + a.path for key, a in self.corpus.articles.items()}

    def routes(self) -> list[str]:
        """Every path the site answers with 200."""
        return sorted(self._routes)

    # feeds.yaml
    def feeds_config(self) -> list[dict[str, Any]]:
        """The `feeds:` entries of a finsent feeds.yaml: one per feed URL of this site."""
        return [
            {"name": key, "url": self.base_url + src.feed_path, "source": src.name, "tags": list(src.tags)}
            for key, src in self.corpus.sources.items()
        ]

    def feeds_yaml_text(self) -> str:
        header = (
            "# finsent feeds.yaml for the local demo site (fictional corpus in examples/demo).\n"
            f"# Valid only while the demo site at {self.base_url} is running.\n"
        )
        return header + yaml.safe_dump({"feeds": self.feeds_config()}, sort_keys=False, allow_unicode=True)

    def write_feeds_yaml(self, path: Path | str) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.feeds_yaml_text(), encoding="utf-8")
        return path

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
