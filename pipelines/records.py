"""The element types that flow between pipeline stages, and the failure record every stage emits.

Elements are frozen dataclasses so they pickle across Beam workers and processes unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from model.prediction import Prediction

ENGLISH = "en"
"""The language code of the articles the model classifies; other languages are kept unclassified."""


@dataclass(frozen=True)
class FeedConfig:
    """One validated entry of `feeds.yaml`."""

    name: str
    url: str
    source: str
    tags: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: where it links to and what the feed says about it.

    `feeds` lists every feed of the run that listed the article (set by Deduplicate, which also
    merges their `tags` and `tickers`); empty means just `feed`.
    """

    feed: str
    source: str
    url: str
    title: str | None = None
    published_at: datetime | None = None
    guid: str | None = None
    tags: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    canonical_url: str = ""
    article_id: str = ""
    feeds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    """The extracted article with its metadata, before sentence splitting."""

    entry: FeedEntry
    article_id: str
    url: str
    title: str
    text: str
    authors: tuple[str, ...]
    published_at: datetime | None
    scraped_at: datetime
    language: str
    extractor: str
    final_url: str = ""
    story_id: str = ""

    @property
    def story(self) -> str:
        """The article's story: the smallest article_id among this run's copies (GroupStories sets
        `story_id`); an article without copies is its own story."""
        return self.story_id or self.article_id


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article, keyed by a deterministic ID."""

    sentence_id: str
    article_id: str
    index: int
    text: str


@dataclass(frozen=True)
class ArticleSentences:
    """An article with the sentences the model will label: its kept body sentences and its title."""

    article: Article
    sentences: tuple[Sentence, ...] = ()
    title: Sentence | None = None


Classified = tuple[Sentence, Prediction, str]
"""A sentence, its prediction and the version of the model that made it."""


@dataclass(frozen=True)
class Mention:
    """One company found in one sentence; `name`/`exchange` are None for tickers not in the dictionary."""

    ticker: str
    name: str | None
    exchange: str | None
    matched_text: str
    match_type: str  # cashtag / exchange / name / ticker / learned
    start: int


@dataclass(frozen=True)
class ClassifiedArticle:
    """An article with its labelled sentences, in order, and its labelled title (None: not classified).

    `mentions` (one tuple per sentence) and `tickers` (the feeds' declared tickers the article
    names) are filled in by DetectMentions.
    """

    article: Article
    sentences: tuple[Classified, ...] = ()
    title: Classified | None = None
    mentions: tuple[tuple[Mention, ...], ...] = ()
    tickers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failure:
    """Why one feed, entry or page produced no article row.

    `reason` is a short stable code (see `REASONS`); `detail` is a human-readable message.
    """

    stage: str
    reason: str
    detail: str
    feed: str = ""
    url: str = ""
    http_status: int | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


REJECTED_ENTRY_REASONS = frozenset({"entry_invalid", "over_entry_limit"})
"""Reasons of entries the feeds stage read but passes on no further (each such failure is one entry)."""

REASONS: dict[str, str] = {
    "feed_unreachable": "the feed could not be downloaded",
    "feed_malformed": "the feed is not parseable RSS/Atom",
    "entry_invalid": "a feed entry has no usable link (missing, or a scheme we never follow)",
    "http_error": "the server answered with an error status not listed separately",
    "http_404": "the page does not exist",
    "http_410": "the page is gone",
    "http_403": "the server refused the request",
    "http_429": "rate limited, still after retries",
    "http_5xx": "server error, still after retries",
    "timeout": "the server did not answer within the timeout",
    "connection_error": "the connection failed or was reset",
    "too_many_redirects": "redirects looped or exceeded the limit",
    "not_html": "the response is not an HTML page",
    "too_large": "the body exceeds the size limit",
    "blocked_private_address": "the host is or resolves to a private/loopback/link-local address",
    "robots_disallowed": "robots.txt forbids fetching the page",
    "empty_text": "no article text could be extracted",
    "classification_error": "the model failed on this article's sentences",
    "too_many_sentences": "the article has more sentences than --max_sentences_per_article; the rest are "
                          "not classified (the article still gets its row)",
    "over_entry_limit": "the feed lists more entries than --max_entries_per_feed; this one is not fetched",
}
