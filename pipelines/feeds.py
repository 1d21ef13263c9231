"""ReadFeeds: feeds.yaml → validated FeedConfigs → downloaded, parsed RSS/Atom feeds → FeedEntry elements.

`load_feed_configs` validates the whole file up front, so a typo fails the launch, not a worker.
`parse_feed` turns one feed body into entries and per-entry failures. `ReadFeeds` is the Beam
stage; a feed that cannot be downloaded or parsed becomes a `Failure`, never a crashed run.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import apache_beam as beam
import feedparser
import yaml
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput
from feedparser.encodings import convert_to_utf8
from feedparser.util import FeedParserDict

from pipelines import progress
from pipelines.fetch import FetchError
from pipelines.fetching import ConcurrentFetchFn
from pipelines.records import REJECTED_ENTRY_REASONS, Failure, FeedConfig, FeedEntry
from pipelines.settings import FetchSettings
from pipelines.urls import canonicalize_url, make_article_id, validate_article_url, without_userinfo

FEED_KEYS = ("name", "url", "source", "tags", "tickers", "enabled")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
STAGE = "feeds"
BLOCKED = "blocked_private_address"
"""The reason of a feed whose address the guard refused (its own reason, not `feed_unreachable`)."""


class FeedsFileError(ValueError):
    """feeds.yaml is unreadable or invalid; the message names the file, the feed and the field."""


# --- feeds.yaml ----------------------------------------------------------------------------------

def load_feed_configs(path: str | Path) -> list[FeedConfig]:
    """The enabled feeds of a feeds.yaml, validated; raises FeedsFileError on the first problem.

    The file is a mapping with one key, `feeds`: a list of feeds, each with `name` (unique; letters,
    digits, `_.-`), `url` (an http(s) URL, a `file://` URL, or a path relative to the yaml file),
    and optionally `source` (defaults to the name), `tags`, `tickers` (lists of strings) and
    `enabled` (default true; disabled feeds are validated, then skipped). Feeds are numbered from 1.
    """
    path = Path(path)
    label = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise FeedsFileError(f"{label}: cannot read the file: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        raise FeedsFileError(f"{label}: not valid YAML: {error}") from error
    configs: list[FeedConfig] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(_feed_list(data, label), start=1):
        config = _feed_config(raw, f"{label}: feed #{index}", path.parent)
        if config.name in first_index:
            raise FeedsFileError(f"{label}: feed #{index} {config.name!r}: duplicate name "
                                 f"(feed #{first_index[config.name]} has it too)")
        first_index[config.name] = index
        if config.enabled:
            configs.append(config)
    return configs


def _feed_list(data: Any, label: str) -> list[Any]:
    if not isinstance(data, Mapping) or set(data) != {"feeds"} or not isinstance(data["feeds"], list):
        raise FeedsFileError(f"{label}: the file must be a mapping with a single key 'feeds' holding a list")
    return data["feeds"]


def _feed_config(raw: Any, where: str, base: Path) -> FeedConfig:
    if not isinstance(raw, Mapping):
        raise FeedsFileError(f"{where}: must be a mapping with at least 'name' and 'url'")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        hint = f" (YAML read {name!r}; quote the name)" if isinstance(name, (bool, int, float)) else ""
        raise FeedsFileError(f"{where}: 'name' must be 1–64 letters, digits, '_', '.' or '-'{hint}")
    where = f"{where} {name!r}"
    unknown = sorted(str(key) for key in raw if key not in FEED_KEYS)
    if unknown:
        raise FeedsFileError(f"{where}: unknown key {', '.join(map(repr, unknown))} "
                             f"(allowed: {', '.join(FEED_KEYS)})")
    source = raw.get("source", name)
    if not isinstance(source, str) or not source.strip():
        raise FeedsFileError(f"{where}: 'source' must be a non-empty string")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise FeedsFileError(f"{where}: 'enabled' must be true or false")
    return FeedConfig(name=name, url=_feed_url(raw.get("url"), where, base), source=source.strip(),
                      tags=_strings(raw, "tags", where), tickers=_strings(raw, "tickers", where),
                      enabled=enabled)


def _feed_url(url: Any, where: str, base: Path) -> str:
    """An http(s) URL as given, or the absolute path of an existing local feed file."""
    message = f"{where}: 'url' must be an http(s) URL or a file path"
    if not isinstance(url, str) or not url.strip():
        raise FeedsFileError(message)
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        problem = validate_article_url(url)
        if problem:
            raise FeedsFileError(f"{message} ({problem})")
        return url
    if scheme == "file":
        path = Path(url2pathname(urlsplit(url).path))
    elif scheme == "" or len(scheme) == 1:  # a relative/absolute path, or a Windows drive letter
        path = base / url
    else:
        raise FeedsFileError(f"{message} (scheme {scheme!r} is not supported)")
    if not path.is_file():
        raise FeedsFileError(f"{message} (no such file: {path})")
    return str(path.resolve())


def _strings(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = raw.get(key, [])
    if not isinstance(values, list) or not all(isinstance(value, str) and value.strip() for value in values):
        raise FeedsFileError(f"{where}: {key!r} must be a list of non-empty strings")
    return tuple(value.strip() for value in values)


# --- parsing -------------------------------------------------------------------------------------

def entity_declaration_problem(body: bytes) -> str | None:
    """Why the body is refused before XML parsing (a DOCTYPE declaring entities), or None.

    Entity declarations are how "billion laughs" expansion bombs work, and no real feed needs
    them. The body is searched with NUL bytes dropped (UTF-16/32) and as feedparser will decode
    it for parsing, so a bomb in another encoding (EBCDIC cp037, ...) is caught too.
    """
    parsed_view = convert_to_utf8({"content-type": "application/xml"}, body, FeedParserDict())
    for view in (body.replace(b"\0", b"").upper(), parsed_view.upper()):
        if b"<!DOCTYPE" in view and b"<!ENTITY" in view:
            return "the feed declares XML entities in a DOCTYPE (refused: entity-expansion attack risk)"
    return None


def parse_feed(body: bytes, config: FeedConfig, base_url: str | None = None,
               max_entries: int | None = None) -> tuple[list[FeedEntry], list[Failure]]:
    """The entries of one RSS/Atom body, and a Failure for each unusable entry (or the whole feed).

    Relative links are resolved against `base_url` (the feed's final URL; defaults to the
    configured URL when that is http(s)). A bozo (not well-formed) feed is accepted as long as
    it yields entries; one with none is `feed_malformed`, as is a DOCTYPE declaring entities.
    The first `max_entries` usable entries are kept (None: all); each later one is an
    `over_entry_limit` Failure.
    """
    refusal = entity_declaration_problem(body)
    if refusal:
        return [], [_failure(config, "feed_malformed", refusal)]
    base = base_url or (config.url if urlsplit(config.url).scheme in ("http", "https") else None)
    headers = {"content-type": "application/xml", **({"content-location": base} if base else {})}
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if not parsed.entries:
        if parsed.bozo or not parsed.get("version"):
            cause = parsed.get("bozo_exception") or "no RSS/Atom root element"
            return [], [_failure(config, "feed_malformed", f"not a parseable RSS/Atom feed: {cause}")]
        return [], []
    entries: list[FeedEntry] = []
    failures: list[Failure] = []
    for item in parsed.entries:
        result = _entry(item, config, base)
        if isinstance(result, FeedEntry) and max_entries is not None and len(entries) >= max_entries:
            result = _failure(config, "over_entry_limit", f"the feed lists more than {max_entries} usable "
                              "entries (--max_entries_per_feed); later ones are not fetched", url=result.url)
        if isinstance(result, FeedEntry):
            entries.append(result)
        else:
            failures.append(result)
    return entries, failures


def _entry(item: Mapping[str, Any], config: FeedConfig, base: str | None) -> FeedEntry | Failure:
    link = str(item.get("link") or "").strip()
    if link and base:
        link = urljoin(base, link)
    problem = validate_article_url(link) if link else "the entry has no link"
    if problem:
        return _failure(config, "entry_invalid", problem, url=link[:2048])
    link = without_userinfo(link)
    canonical = canonicalize_url(link)
    return FeedEntry(
        feed=config.name, source=config.source, url=link, title=_text(item.get("title")),
        published_at=_published(item), guid=_text(item.get("id")), tags=config.tags,
        tickers=config.tickers, canonical_url=canonical, article_id=make_article_id(canonical),
    )


def _text(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None


def _published(item: Mapping[str, Any]) -> datetime | None:
    """The entry's publication (else update) time as an aware UTC datetime (feedparser gives UTC)."""
    for key in ("published_parsed", "updated_parsed"):
        parsed = item.get(key)
        if parsed:
            try:
                return datetime(*parsed[:6], tzinfo=timezone.utc)
            except (TypeError, ValueError):
                continue
    return None


def _failure(config: FeedConfig, reason: str, detail: str, url: str | None = None,
             http_status: int | None = None, extra: dict[str, str] | None = None) -> Failure:
    return Failure(stage=STAGE, reason=reason, detail=detail, feed=config.name,
                   url=config.url if url is None else url, http_status=http_status, extra=extra or {})


# --- the Beam stage ------------------------------------------------------------------------------

def read_feed_file(path: str, max_bytes: int) -> bytes:
    """A local feed file's bytes; FetchError (`connection_error`/`too_large`) like a download."""
    try:
        with open(path, "rb") as handle:
            body = handle.read(max_bytes + 1)
    except OSError as error:
        raise FetchError("connection_error", f"cannot read {path}: {error.strerror or error}") from error
    if len(body) > max_bytes:
        raise FetchError("too_large", f"{path} exceeds {max_bytes} bytes")
    return body


class _ReadFeedBatch(ConcurrentFetchFn):
    """A batch of FeedConfigs → FeedEntry elements; Failures on the `failures` tag.

    The batch's feeds download at once on a thread pool (the fetcher keeps the per-domain limit);
    each feed is parsed as soon as its body arrives, while the others are still downloading.
    """

    def __init__(self, settings: FetchSettings, max_entries: int | None) -> None:
        super().__init__(settings)
        self._max_entries = max_entries
        self._feeds_read = Metrics.counter(STAGE, "feeds_read")
        self._feeds_unreachable = Metrics.counter(STAGE, "feeds_unreachable")
        self._feeds_malformed = Metrics.counter(STAGE, "feeds_malformed")
        self._entries = Metrics.counter(STAGE, "entries")
        self._entries_invalid = Metrics.counter(STAGE, "entries_invalid")
        self._entries_over_limit = Metrics.counter(STAGE, "entries_over_limit")

    def process(self, configs: Sequence[FeedConfig]) -> Iterator[FeedEntry | TaggedOutput]:
        for config, download in self.each_as_completed(configs, self._download_or_error):
            yield from self._read(config, download)

    def _read(self, config: FeedConfig,
              download: tuple[bytes, str | None] | FetchError) -> Iterator[FeedEntry | TaggedOutput]:
        if isinstance(download, FetchError):
            self._feeds_unreachable.inc()
            # A feed the address guard refused says so; any other download failure is feed_unreachable.
            reason = download.reason if download.reason == BLOCKED else "feed_unreachable"
            yield TaggedOutput("failures", _failure(
                config, reason, str(download), http_status=download.http_status,
                extra={"fetch_reason": download.reason}))
            return
        body, base = download
        entries, failures = parse_feed(body, config, base, self._max_entries)
        self._feeds_read.inc()
        entry_count = len(entries) + sum(failure.reason in REJECTED_ENTRY_REASONS for failure in failures)
        self._entries.inc(entry_count)
        progress.advance("entries", entry_count)
        counters = {"entry_invalid": self._entries_invalid, "over_entry_limit": self._entries_over_limit}
        for failure in failures:
            counters.get(failure.reason, self._feeds_malformed).inc()
            yield TaggedOutput("failures", failure)
        yield from entries

    def _download_or_error(self, config: FeedConfig) -> tuple[bytes, str | None] | FetchError:
        try:
            return self._download(config)
        except FetchError as error:
            return error

    def _download(self, config: FeedConfig) -> tuple[bytes, str | None]:
        """The feed body and the URL relative links resolve against (None for files)."""
        if urlsplit(config.url).scheme in ("http", "https"):
            response = self.fetcher().fetch(config.url, accept="feed")
            return response.body, response.final_url
        return read_feed_file(config.url, self._settings.max_body_bytes), None


class ReadFeeds(beam.PTransform):
    """PBegin → entries of every configured feed.

    Returns a `DoOutputsTuple` with the main output named `entries` (FeedEntry, with
    `canonical_url` and `article_id` filled) and the tagged output `failures` (Failure rows of
    stage "feeds": `blocked_private_address` for a feed the address guard refused, else
    `feed_unreachable`, with the fetch reason in `detail` and in
    `extra["fetch_reason"]`, `feed_malformed`, `entry_invalid`). Use either

        feeds = pipeline | ReadFeeds(configs, settings)
        feeds.entries, feeds.failures          # or: entries, failures = feeds

    Feeds are downloaded `concurrency` at a time per worker (the per-domain limit still holds);
    of each feed the first `max_entries_per_feed` usable entries go on (None: all), later ones
    become `over_entry_limit` failures. Counters (namespace "feeds"): feeds_read, feeds_unreachable,
    feeds_malformed, entries (usable, invalid and over the limit), entries_invalid, entries_over_limit.
    """

    def __init__(self, configs: list[FeedConfig], fetch_settings: FetchSettings,
                 max_entries_per_feed: int | None = None) -> None:
        super().__init__()
        self._configs = list(configs)
        self._settings = fetch_settings
        self._max_entries = max_entries_per_feed

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.pvalue.DoOutputsTuple:
        return (
            pbegin
            | "Feeds" >> beam.Create(self._configs)
            | "Spread" >> beam.Reshuffle()
            | "Batch" >> beam.BatchElements(min_batch_size=self._settings.concurrency,
                                            max_batch_size=self._settings.concurrency)
            | "FetchAndParse" >> beam.ParDo(_ReadFeedBatch(self._settings, self._max_entries)).with_outputs(
                "failures", main="entries")
        )
