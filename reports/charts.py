"""The daily report's charts as PNG bytes (matplotlib, Agg backend): they work in any mail client."""

from __future__ import annotations

import datetime as dt
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from reports.daily import LABELS, DailyReport, GroupRow

POSITIVE = "#1a7f37"
NEGATIVE = "#c62828"
NEUTRAL = "#8c959f"
INK = "#1f2328"
GRID = "#d8dee4"
LABEL_COLOURS = {"negative": NEGATIVE, "neutral": NEUTRAL, "positive": POSITIVE}
WIDTH_IN, DPI = 6.4, 150
MAX_DATE_LABELS = 8


def _figure(height: float) -> tuple[Figure, plt.Axes]:
    figure, axes = plt.subplots(figsize=(WIDTH_IN, height), dpi=DPI)
    figure.patch.set_facecolor("white")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(colors=INK, labelsize=8)
    return figure, axes


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", facecolor="white")
    plt.close(figure)
    return buffer.getvalue()


def tone(value: float | None) -> str:
    """Green for positive, red for negative, grey for zero or missing."""
    if value is None or value == 0:
        return NEUTRAL
    return POSITIVE if value > 0 else NEGATIVE


def trend_chart(report: DailyReport) -> bytes:
    """Daily net sentiment (line, coloured points) over story counts (grey bars), days with data only.

    The axis spans the first to the last day with stories (at most the 30-day window); at most
    `MAX_DATE_LABELS` date labels, so they never overlap.
    """
    figure, counts = _figure(2.4)
    days = [point.day for point in report.trend]
    counts.bar(days, [point.articles for point in report.trend], color="#eaeef2", width=0.8, zorder=1)
    counts.set_ylabel("stories", fontsize=8, color=NEUTRAL)
    counts.spines["left"].set_visible(False)
    net = counts.twinx()
    known = [p for p in report.trend if p.net_sentiment is not None]
    net.plot([p.day for p in known], [p.net_sentiment for p in known], color=INK, linewidth=1.2, zorder=3)
    net.scatter([p.day for p in known], [p.net_sentiment for p in known],
                c=[tone(p.net_sentiment) for p in known], s=18, zorder=4)
    net.axhline(0, color=GRID, linewidth=0.8)
    net.set_ylabel("net sentiment", fontsize=8, color=INK)
    net.yaxis.set_label_position("left")
    net.yaxis.tick_left()
    counts.yaxis.set_label_position("right")
    counts.yaxis.tick_right()
    net.tick_params(colors=INK, labelsize=8)
    for side in ("top", "right"):
        net.spines[side].set_visible(False)
    locator = matplotlib.dates.AutoDateLocator(minticks=2, maxticks=MAX_DATE_LABELS)
    locator.intervald[matplotlib.dates.DAILY] = [1, 2, 3, 7, 14]
    counts.xaxis.set_major_locator(locator)
    counts.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%d %b"))
    if days:
        first, last = (dt.datetime.combine(day, dt.time()) for day in (days[0], days[-1]))
        counts.set_xlim(first - dt.timedelta(hours=14), last + dt.timedelta(hours=14))
    since = f"since {days[0]:%d %b}" if days else "no data"
    counts.set_title(f"Net sentiment by publication day, {since} (days with stories)", fontsize=9, color=INK,
                     loc="left")
    return _png(figure)


def group_chart(rows: list[GroupRow], title: str) -> bytes:
    """Horizontal bars of net sentiment per group, green or red, article counts beside them."""
    shown = [row for row in rows if row.net_sentiment is not None][:12]
    figure, axes = _figure(0.45 + 0.28 * max(len(shown), 1))
    names = [row.name for row in shown][::-1]
    values = [row.net_sentiment for row in shown][::-1]
    axes.barh(names, values, color=[tone(v) for v in values], height=0.6)
    axes.axvline(0, color=INK, linewidth=0.8)
    for index, row in enumerate(shown[::-1]):
        axes.annotate(f" {row.articles} art.", (max(row.net_sentiment, 0), index), fontsize=7,
                      color=NEUTRAL, va="center")
    limit = max([abs(v) for v in values] + [0.05]) * 1.25
    axes.set_xlim(-limit, limit)
    axes.set_title(title, fontsize=9, color=INK, loc="left")
    return _png(figure)


def label_chart(report: DailyReport) -> bytes:
    """Stacked shares of negative / neutral / positive, for sentences and for articles."""
    figure, axes = _figure(1.3)
    rows = [("sentences", report.sentence_labels), ("articles", report.article_labels)]
    for index, (name, counts) in enumerate(rows):
        total = sum(counts.values()) or 1
        left = 0.0
        for label in LABELS:
            share = counts[label] / total
            axes.barh(name, share, left=left, color=LABEL_COLOURS[label], height=0.6)
            if share >= 0.06:
                axes.text(left + share / 2, index, f"{label[:3]} {share:.0%}", ha="center", va="center",
                          fontsize=7, color="white")
            left += share
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes.set_title("Label distribution", fontsize=9, color=INK, loc="left")
    return _png(figure)


def render_charts(report: DailyReport) -> dict[str, bytes]:
    """Every chart the report shows, by the name the templates use (no by-feed chart when it would
    repeat by-source, no trend without data)."""
    charts = {"sources": group_chart(report.by_source, "Net sentiment by source"),
              "tags": group_chart(report.by_tag, "Net sentiment by tag"), "labels": label_chart(report)}
    if report.trend:
        charts["trend"] = trend_chart(report)
    if not report.feeds_repeat_sources:
        charts["feeds"] = group_chart(report.by_feed, "Net sentiment by feed")
    return charts
