"""Movers and the watchlist: net sentiment of companies and sources on one day against their trailing days.

Both use the report's day (publication day, see `reports.daily`) and its 7-day comparison:
- a *company's* net sentiment over a set of days is the mean over its stories of the mean score
  of the sentences that mention it (each syndicated story read once, from the copy with the
  smallest article_id), as in "Most discussed companies"; its evidence is those sentences;
- a *source's* is the mean score of its classified articles (every copy: each is that
  publisher's article), as in "By source"; its evidence is those articles;
- a *mover* has at least `MIN_MOVER_SENTENCES` (company) or `MIN_MOVER_ARTICLES` (source) pieces
  of evidence on the day *and* in the trailing days, so one sentence cannot make a mover; movers
  are ranked by the size of the change. `reports/queries/movers.sql` computes the same numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from finsent.errors import FinsentError
from reports.daily import TRAILING_DAYS, Evidence, net_sentiment

TOP_MOVERS = 5
MIN_MOVER_SENTENCES = 3
MIN_MOVER_ARTICLES = 2
SENTENCES_SHOWN = 2
_TICKER = re.compile(r"[A-Z0-9][A-Z0-9.\-]{0,14}")


class WatchlistError(FinsentError):
    """The watchlist file is missing or holds something that is not a ticker; the message says where."""


@dataclass(frozen=True)
class ArticleRef:
    """An article named by a mover or a watchlist entry: where to read it and how it scored."""

    title: str
    url: str
    source: str
    day: dt.date
    score: float | None


@dataclass(frozen=True)
class Mover:
    """A company or source whose net sentiment on the day moved against its trailing days.

    `day_evidence` / `previous_evidence` count what each value rests on (mentioning sentences for a
    company, classified articles for a source); `article` and `sentences` show what moved it.
    """

    kind: str
    key: str
    name: str | None
    net_sentiment: float
    previous_net_sentiment: float
    change: float
    day_evidence: int
    previous_evidence: int
    article: ArticleRef
    sentences: tuple[Evidence, ...]

    @property
    def evidence_unit(self) -> str:
        """What `day_evidence` counts."""
        return "sentence" if self.kind == "company" else "article"


@dataclass(frozen=True)
class WatchItem:
    """One watchlist company: its day's net sentiment and every article of the day that names it.

    On a quiet day `articles` is empty and `last_seen` is the latest earlier article naming it
    within the report's window, if any.
    """

    ticker: str
    name: str | None
    net_sentiment: float | None
    previous_net_sentiment: float | None
    sentences: int
    articles: tuple[tuple[ArticleRef, tuple[Evidence, ...]], ...]
    last_seen: ArticleRef | None


def load_watchlist(path: str | Path) -> tuple[str, ...]:
    """The tickers of a watchlist file: one or more a line (spaces or commas between), `#` comments."""
    file = Path(path)
    if not file.is_file():
        raise WatchlistError(f"watchlist {path} does not exist")
    tickers: list[str] = []
    for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        for word in re.split(r"[\s,]+", line.split("#", 1)[0].strip()):
            if not word:
                continue
            if not _TICKER.fullmatch(word.upper()):
                raise WatchlistError(f"watchlist {path} line {number}: {word!r} is not a ticker "
                                     "(letters, digits, '.' or '-', up to 15)")
            tickers.append(word.upper())
    if not tickers:
        raise WatchlistError(f"watchlist {path} lists no ticker")
    return tuple(dict.fromkeys(tickers))


def mention_rows(mentions: pd.DataFrame, latest: pd.DataFrame, texts: pd.DataFrame) -> pd.DataFrame:
    """Mentions of each article's latest copy, with its day, title, URL, source and the sentence text."""
    articles = latest[["article_id", "run_date", "day", "title", "url", "final_url", "source", "score"]]
    frame = mentions.merge(articles.rename(columns={"score": "article_score"}), on=["article_id", "run_date"])
    frame = frame.merge(texts, on="sentence_id", how="left")
    return frame.assign(story=frame["story_id"].fillna(frame["article_id"]))


def one_copy_per_story(rows: pd.DataFrame) -> pd.DataFrame:
    """Of each (ticker, story), the rows of its copy with the smallest article_id."""
    chosen = rows.groupby(["ticker", "story"])["article_id"].transform("min")
    return rows[rows["article_id"] == chosen]


def story_net(rows: pd.DataFrame) -> float | None:
    """A company's net sentiment over `rows`: mean over stories of the mean sentence score."""
    return float(rows.groupby("story")["score"].mean().mean()) if len(rows) else None


def _window(frame: pd.DataFrame, date: dt.date, days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    day = frame[frame["day"] == date]
    before = frame[(frame["day"] >= date - dt.timedelta(days=days)) & (frame["day"] < date)]
    return day, before


def _ref(row) -> ArticleRef:
    url = row["final_url"] if isinstance(row["final_url"], str) and row["final_url"] else row["url"]
    score = row["article_score"] if "article_score" in row else row["score"]
    return ArticleRef(str(row["title"] or url), str(url), str(row["source"]), row["day"],
                      None if pd.isna(score) else float(score))


def _sentences(rows: pd.DataFrame, rising: bool | None) -> tuple[Evidence, ...]:
    """The rows' sentences: in text order (`rising` None), else leaning furthest that way first."""
    if rising is None:
        ordered = rows.sort_values("sentence_id")
    else:
        ordered = rows.sort_values(["score", "sentence_id"], ascending=[not rising, True])
    return tuple(Evidence(str(r["text"]), str(r["label"]), float(r["score"])) for _, r in ordered.iterrows())


def company_movers(mentions: pd.DataFrame, date: dt.date, days: int = TRAILING_DAYS) -> list[Mover]:
    """Companies with enough mentioning sentences on `date` and before it, and how far they moved.

    `mentions`: `mention_rows(...)`. The article shown is the day's story whose mentioning
    sentences lean furthest the way the company moved.
    """
    movers = []
    for ticker, rows in one_copy_per_story(mentions).groupby("ticker"):
        day, before = _window(rows, date, days)
        if len(day) < MIN_MOVER_SENTENCES or len(before) < MIN_MOVER_SENTENCES:
            continue
        net, previous = story_net(day), story_net(before)
        change = net - previous
        per_story = day.groupby("story")["score"].mean().sort_index()
        story = per_story.idxmax() if change >= 0 else per_story.idxmin()
        moving = day[day["story"] == story]
        names = rows["name"].dropna()
        movers.append(Mover("company", str(ticker), str(names.iloc[0]) if len(names) else None, net, previous,
                            change, len(day), len(before), _ref(moving.iloc[0]),
                            _sentences(moving, change >= 0)[:SENTENCES_SHOWN]))
    return movers


def source_movers(latest: pd.DataFrame, date: dt.date, days: int = TRAILING_DAYS) -> list[Mover]:
    """Sources with enough classified articles on `date` and before it, and how far they moved.

    `latest`: `reports.daily.latest_copies(window)`. The article shown is the day's article of the
    source that scored furthest the way it moved, with its evidence sentences that lean that way.
    """
    movers = []
    for source, rows in latest.dropna(subset=["score"]).groupby("source"):
        day, before = _window(rows, date, days)
        if len(day) < MIN_MOVER_ARTICLES or len(before) < MIN_MOVER_ARTICLES:
            continue
        net, previous = net_sentiment(day["score"]), net_sentiment(before["score"])
        change = net - previous
        row = day.sort_values(["score", "article_id"], ascending=change < 0).iloc[-1]
        evidence = [Evidence(str(e["text"]), str(e["label"]), float(e["score"])) for e in row["evidence"] or []]
        leaning = [e for e in evidence if (e.score > 0) == (change >= 0)] or evidence
        movers.append(Mover("source", str(source), None, net, previous, change, len(day), len(before),
                            _ref(row), tuple(leaning[:SENTENCES_SHOWN])))
    return movers


def top_movers(movers: Sequence[Mover], count: int = TOP_MOVERS) -> list[Mover]:
    """The `count` largest changes, either way (ties: companies first, then by key)."""
    return sorted(movers, key=lambda m: (-abs(m.change), m.kind, m.key))[:count]


def watch_items(tickers: Sequence[str], mentions: pd.DataFrame, date: dt.date,
                names: dict[str, str], days: int = TRAILING_DAYS) -> list[WatchItem]:
    """One item per watchlist ticker, in the file's order; `names` fills in companies not mentioned."""
    items = []
    for ticker in tickers:
        rows = mentions[mentions["ticker"] == ticker]
        day, before = _window(one_copy_per_story(rows), date, days)
        articles = tuple((_ref(group.iloc[0]), _sentences(group, None))
                         for _, group in rows[rows["day"] == date].sort_values("article_id").groupby(
                             "article_id", sort=False))
        earlier = rows[rows["day"] < date].sort_values(["day", "article_id"])
        known = rows["name"].dropna()
        items.append(WatchItem(ticker, str(known.iloc[0]) if len(known) else names.get(ticker), story_net(day),
                               story_net(before), len(day), articles,
                               None if earlier.empty else _ref(earlier.iloc[-1])))
    return items
