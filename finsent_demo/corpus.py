"""The demo corpus: the fictional sources, articles and broken feed entries of `finsent_demo/data`, loaded and checked.

`corpus.yaml` holds the sources and the deliberately broken feed entries, `articles/*.yaml` the
articles; `Corpus.expected_counts()` says what a correct run over every feed must account for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "BROKEN_KINDS",
    "Corpus",
    "DemoArticle",
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

def demo_corpus_dir() -> Path:
    """The shipped demo corpus: the `data` folder installed beside this module."""
    return Path(__file__).resolve().parent / "data"


def _utc(value: Any, what: str) -> datetime:
    """A YAML timestamp (PyYAML gives datetime, or str when quoted) as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise ValueError(f"{what}: expected a date-time, got {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


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
    tickers: tuple[str, ...] = ()
    """Tickers feeds.yaml lists for the whole feed (`tickers:` of the source in corpus.yaml)."""
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
            tags=_strs(raw.get("tags")), tickers=_strs(raw.get("tickers")), settings=raw,
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
