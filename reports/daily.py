"""The numbers of the daily report for one run date, computed from a `ResultsSource`.

Definitions (the report's footer and README's "Metrics" section repeat them):
- an article's *score* is the mean over its sentences of P(positive) − P(negative), in [−1, 1];
  *net sentiment* of a set of articles is the mean score of its classified (English) articles;
- an article's *day* is the UTC day it was published (its run date when the page gave no date);
  the headline net sentiment, the trend, the 7-day comparison, the movers and the watchlist all
  use it, so the headline is the trend's last point. Articles stored by runs up to the report's
  date are read, `TREND_LOOKBACK_DAYS` back, an article stored by several run dates counting
  once (its latest copy);
- the *7-day comparison* is the day's net sentiment minus the net sentiment of the seven days
  before it (all their stories together);
- syndicated copies of one wire story (same `story_id`) count once in net sentiment, the trend,
  the movers and the top articles: the copy whose article_id is the story_id stands for the story;
- the sections about what the run stored (article counts, top articles, tables by source, feed
  and tag, companies, labels, failures) cover the rows of the run date. Tables by source and feed
  keep every copy, since each is that publisher's article.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from reports.data import ARTICLE_COLUMNS, ResultsSource

if TYPE_CHECKING:
    from reports.movers import Mover, WatchItem

TREND_DAYS = 30
TRAILING_DAYS = 7
TREND_LOOKBACK_DAYS = 7
TOP_ARTICLES = 5
TOP_COMPANIES = 10
MENTION_COLUMNS = ("article_id", "story_id", "sentence_id", "ticker", "name", "label", "score")
LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Headline:
    """The day's headline numbers."""

    articles: int
    stories: int
    classified: int
    non_english: int
    sentences: int
    sources: int
    failures: int
    feed_failures: int
    net_sentiment: float | None
    day_stories: int
    previous_net_sentiment: float | None
    change: float | None


@dataclass(frozen=True)
class GroupRow:
    """Sentiment of the day's articles of one source, feed or tag."""

    name: str
    articles: int
    net_sentiment: float | None
    positive: int
    neutral: int
    negative: int


@dataclass(frozen=True)
class TrendPoint:
    """One day of the trend: net sentiment of the articles published that day, and how many."""

    day: dt.date
    net_sentiment: float | None
    articles: int


@dataclass(frozen=True)
class Evidence:
    """One evidence sentence of an article."""

    text: str
    label: str
    score: float


@dataclass(frozen=True)
class ArticleItem:
    """One of the day's most positive or most negative articles."""

    title: str
    url: str
    source: str
    feed: str
    published_at: dt.datetime | None
    score: float
    label: str
    n_sentences: int
    evidence: tuple[Evidence, ...]
    title_label: str | None = None
    title_score: float | None = None


@dataclass(frozen=True)
class CompanyItem:
    """One of the day's most discussed companies (syndicated copies of a story count once)."""

    ticker: str
    name: str | None
    stories: int
    sentences: int
    net_sentiment: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class FailureGroup:
    """Failures of the day with one reason on one feed."""

    reason: str
    stage: str
    feed: str
    count: int
    example_url: str | None


@dataclass(frozen=True)
class Freshness:
    """How current the data is, for the footer."""

    run_ids: tuple[str, ...]
    run_finished_at: dt.datetime | None
    latest_scraped_at: dt.datetime | None
    latest_published_at: dt.datetime | None


@dataclass
class DailyReport:
    """Everything the daily report and the email show for one run date."""

    date: dt.date
    headline: Headline
    by_source: list[GroupRow]
    by_feed: list[GroupRow]
    by_tag: list[GroupRow]
    trend: list[TrendPoint]
    most_positive: list[ArticleItem]
    most_negative: list[ArticleItem]
    sentence_labels: dict[str, int]
    article_labels: dict[str, int]
    failures: list[FailureGroup]
    model_versions: tuple[str, ...]
    freshness: Freshness
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    companies: list[CompanyItem] = field(default_factory=list)
    movers: list[Mover] = field(default_factory=list)
    watchlist: list[WatchItem] = field(default_factory=list)

    @property
    def feeds_repeat_sources(self) -> bool:
        """True when every source has exactly one feed, so a by-feed section would repeat by-source."""
        return len(self.by_feed) == len(self.by_source)


def one_per_story(articles: pd.DataFrame) -> pd.DataFrame:
    """One row per story: the copy whose article_id is its story_id, else its smallest article_id."""
    story = articles["story_id"].fillna(articles["article_id"]) if "story_id" in articles else articles["article_id"]
    own = (articles["article_id"] == story).rename("_own")
    ordered = articles.assign(_story=story, _own=own).sort_values(["_own", "article_id"], ascending=[False, True])
    return ordered.drop_duplicates("_story").drop(columns=["_story", "_own"]).sort_index()


def net_sentiment(scores: pd.Series) -> float | None:
    """Mean of the non-null article scores, or None when no article was classified."""
    valid = scores.dropna()
    return float(valid.mean()) if len(valid) else None


def _label_counts(labels: pd.Series) -> dict[str, int]:
    counts = labels.dropna().value_counts()
    return {label: int(counts.get(label, 0)) for label in LABELS}


def group_sentiment(articles: pd.DataFrame, column: str) -> list[GroupRow]:
    """Per value of `column` (list columns `tags`, `feeds`: per element): article count, net sentiment,
    label counts. Sorted by article count, then name.
    """
    frame = articles.explode(column) if column in ("tags", "feeds") else articles
    frame = frame.dropna(subset=[column])
    rows = []
    for name, group in frame.groupby(column, sort=False):
        counts = _label_counts(group["label"])
        rows.append(GroupRow(str(name), len(group), net_sentiment(group["score"]),
                             counts["positive"], counts["neutral"], counts["negative"]))
    return sorted(rows, key=lambda row: (-row.articles, row.name))


def news_day(articles: pd.DataFrame) -> pd.Series:
    """Each article's day: the UTC day it was published, else its run date."""
    # object dtype: when no article has a date, pandas would otherwise turn the days into datetime64
    published = pd.to_datetime(articles["published_at"], utc=True).dt.date.astype(object)
    return published.where(articles["published_at"].notna(), articles["run_date"])


def latest_copies(window: pd.DataFrame) -> pd.DataFrame:
    """Each article of `window` once (the copy of its latest run date), with its `day` column."""
    latest = window.sort_values("run_date").drop_duplicates("article_id", keep="last")
    return latest.assign(day=news_day(latest))


def trend_points(stories: pd.DataFrame, end: dt.date, days: int = TREND_DAYS) -> list[TrendPoint]:
    """Net sentiment per day of the `days` days ending `end` that have stories.

    `stories`: `one_per_story(latest_copies(window))`.
    """
    start = end - dt.timedelta(days=days - 1)
    shown = stories[(stories["day"] >= start) & (stories["day"] <= end)]
    return [TrendPoint(day, net_sentiment(group["score"]), len(group))
            for day, group in sorted(shown.groupby("day"), key=lambda item: item[0])]


def previous_days(stories: pd.DataFrame, date: dt.date, days: int = TRAILING_DAYS) -> pd.DataFrame:
    """The stories of the `days` days before `date`."""
    return stories[(stories["day"] >= date - dt.timedelta(days=days)) & (stories["day"] < date)]


def _evidence(rows: list[dict] | None) -> tuple[Evidence, ...]:
    return tuple(Evidence(str(row["text"]), str(row["label"]), float(row["score"])) for row in rows or [])


def top_articles(articles: pd.DataFrame, positive: bool, count: int = TOP_ARTICLES) -> list[ArticleItem]:
    """The `count` classified articles with the highest (or lowest) score, strongest first."""
    scored = articles.dropna(subset=["score"]).sort_values(["score", "article_id"], ascending=not positive)
    scored = scored[scored["score"] > 0] if positive else scored[scored["score"] < 0]
    items = []
    for row in scored.head(count).itertuples():
        evidence = _evidence(row.evidence)
        wanted = [e for e in evidence if (e.score > 0) == positive] or list(evidence)
        items.append(ArticleItem(
            title=row.title or row.url, url=row.final_url or row.url, source=row.source, feed=row.feed,
            published_at=None if pd.isna(row.published_at) else row.published_at.to_pydatetime(),
            score=float(row.score), label=str(row.label), n_sentences=int(row.n_sentences),
            evidence=tuple(wanted), title_label=None if pd.isna(row.title_label) else str(row.title_label),
            title_score=None if pd.isna(row.title_score) else float(row.title_score)))
    return items


def company_items(mentions: pd.DataFrame, texts: pd.DataFrame, count: int = TOP_COMPANIES) -> list[CompanyItem]:
    """The companies named by the most stories: each story is read once, from its copy with the
    smallest article_id; net sentiment is the mean over stories of the mentioning sentences' mean
    score; evidence is the most positive and the most negative of those sentences."""
    if mentions.empty:
        return []
    frame = mentions.assign(story=mentions["story_id"].fillna(mentions["article_id"]))
    chosen = frame.groupby(["ticker", "story"])["article_id"].transform("min")
    frame = frame[frame["article_id"] == chosen].merge(texts, on="sentence_id", how="left")
    items = []
    for ticker, group in frame.groupby("ticker"):
        ranked = group.sort_values(["score", "sentence_id"])
        picks = [ranked.iloc[-1]] + ([ranked.iloc[0]] if len(ranked) > 1 else [])
        names = group["name"].dropna()
        items.append(CompanyItem(
            str(ticker), str(names.iloc[0]) if len(names) else None, group["story"].nunique(), len(group),
            float(group.groupby("story")["score"].mean().mean()),
            tuple(Evidence(str(row["text"]), str(row["label"]), float(row["score"])) for row in picks)))
    return sorted(items, key=lambda item: (-item.stories, -item.sentences, item.ticker))[:count]


def most_discussed(source: ResultsSource, date: dt.date) -> list[CompanyItem]:
    """`company_items` of the day's `mentions`, with the sentences' text."""
    mentions = source.read("mentions", date, date, MENTION_COLUMNS)
    texts = source.read("sentences", date, date, ["sentence_id", "text"])
    return company_items(mentions, texts)


def failure_groups(failures: pd.DataFrame) -> list[FailureGroup]:
    """The day's failures grouped by reason and feed, most frequent first."""
    if failures.empty:
        return []
    frame = failures.assign(feed=failures["feed"].fillna("(no feed)"))
    groups = []
    for (reason, feed), group in frame.groupby(["reason", "feed"]):
        urls = group["url"].dropna()
        groups.append(FailureGroup(str(reason), ", ".join(sorted(set(group["stage"]))), str(feed),
                                   len(group), str(urls.iloc[0]) if len(urls) else None))
    return sorted(groups, key=lambda g: (-g.count, g.reason, g.feed))


def _latest(values: pd.Series) -> dt.datetime | None:
    valid = values.dropna()
    return None if valid.empty else pd.Timestamp(valid.max()).to_pydatetime()


def build_daily_report(source: ResultsSource, date: dt.date, watchlist: Sequence[str] = ()) -> DailyReport:
    """Read the day (and the trend's window) from `source` and compute the report's numbers.

    `watchlist`: tickers whose section comes first, with every article of the day naming them.
    """
    from reports.movers import company_movers, mention_rows, source_movers, top_movers, watch_items

    window_start = date - dt.timedelta(days=TREND_DAYS - 1 + TREND_LOOKBACK_DAYS)
    window = source.read("articles", window_start, date, ARTICLE_COLUMNS)
    articles = window[window["run_date"] == date]
    sentences = source.read("sentences", date, date, ["label"])
    failures = source.read("failures", date, date, ["stage", "feed", "url", "reason", "entry_level"])
    runs = source.read("runs", date, date, ["run_id", "finished_at", "model_version"])
    latest = latest_copies(window)
    dated = one_per_story(latest)
    trend = trend_points(dated, date)
    today = dated[dated["day"] == date]
    net = net_sentiment(today["score"])
    previous = net_sentiment(previous_days(dated, date)["score"])
    mentions = mention_rows(source.read("mentions", window_start, date, (*MENTION_COLUMNS, "run_date")), latest,
                            _texts(source, latest, date))
    stories = one_per_story(articles)
    entry_level = failures["entry_level"].astype(bool)
    headline = Headline(
        articles=len(articles), stories=len(stories), classified=int(articles["classified"].sum()),
        non_english=int((~articles["classified"].astype(bool)).sum()), sentences=len(sentences),
        sources=articles["source"].nunique(), failures=int(entry_level.sum()),
        feed_failures=int((~entry_level).sum()), net_sentiment=net, day_stories=len(today),
        previous_net_sentiment=previous, change=None if net is None or previous is None else net - previous)
    versions = set(articles["model_version"].dropna()) or set(runs["model_version"].dropna())
    return DailyReport(
        date=date, headline=headline, by_source=group_sentiment(articles, "source"),
        by_feed=group_sentiment(_with_feeds(articles), "feeds"), by_tag=group_sentiment(articles, "tags"),
        trend=trend, most_positive=top_articles(stories, positive=True),
        most_negative=top_articles(stories, positive=False),
        sentence_labels=_label_counts(sentences["label"]), article_labels=_label_counts(articles["label"]),
        failures=failure_groups(failures), model_versions=tuple(sorted(versions)),
        freshness=Freshness(tuple(sorted(runs["run_id"])), _latest(runs["finished_at"]),
                            _latest(articles["scraped_at"]), _latest(articles["published_at"])),
        companies=most_discussed(source, date),
        movers=top_movers(company_movers(mentions, date) + source_movers(latest, date)),
        watchlist=watch_items(watchlist, mentions, date, _company_names()) if watchlist else [])


def _with_feeds(articles: pd.DataFrame) -> pd.DataFrame:
    """`feeds` of each article; rows stored before that column existed name only their `feed`."""
    return articles.assign(feeds=[list(feeds) if len(feeds) else [feed]
                                  for feeds, feed in zip(articles["feeds"], articles["feed"], strict=True)])


def _texts(source: ResultsSource, latest: pd.DataFrame, date: dt.date) -> pd.DataFrame:
    """Text of the sentences of the articles of the report's trailing days (movers and watchlist show them)."""
    recent = latest[latest["day"] >= date - dt.timedelta(days=TRAILING_DAYS)]
    if recent.empty:
        return pd.DataFrame({"sentence_id": pd.Series(dtype=str), "text": pd.Series(dtype=str)})
    texts = source.read("sentences", min(recent["run_date"]), date, ["sentence_id", "article_id", "text"])
    return texts[texts["article_id"].isin(set(recent["article_id"]))][["sentence_id", "text"]].drop_duplicates(
        "sentence_id")


def _company_names() -> dict[str, str]:
    """Ticker → name of the shipped company dictionary (for watchlist companies not mentioned)."""
    from pipelines.mentions import load_companies

    return {company.ticker: company.name for company in load_companies()}
