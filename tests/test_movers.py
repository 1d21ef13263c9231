"""What a desk acts on: movers, the watchlist, one time axis, and the report's polish, checked
against the shipped queries and through the real `finsent` command."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import lxml.html
import pandas as pd
import pytest
from committed import committed_paths
from helpers import shipped, shown_as

from reports.charts import MAX_DATE_LABELS, trend_chart
from reports.daily import Headline, TrendPoint
from reports.movers import (
    MIN_MOVER_ARTICLES,
    MIN_MOVER_SENTENCES,
    WatchlistError,
    company_movers,
    load_watchlist,
)
from reports.render import LICENCE_NOTE, plural, render_daily_html

if TYPE_CHECKING:
    from helpers import DemoData


QUIET = "VNTA"  # named in the demo week (17, 20, 21 Nov), but by no article published on its last day


def finsent(*args: str) -> subprocess.CompletedProcess:
    """The real `finsent` command (this checkout's code) in a subprocess."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "finsent.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.fixture(scope="module")
def watched(demo_data: DemoData, reports_out: Path, tmp_path_factory) -> tuple[lxml.html.HtmlElement, str]:
    """The report written by `finsent report --watchlist` for the day's top company mover and a quiet one."""
    top = next(row for row in shipped(demo_data.data, "movers", run_date=demo_data.date) if row["kind"] == "company")
    watchlist = tmp_path_factory.mktemp("watch") / "watchlist.txt"
    watchlist.write_text(f"# the desk's names\n{top['mover']}, {QUIET.lower()}\n")
    out = tmp_path_factory.mktemp("watch-report")
    result = finsent("report", "--data", str(demo_data.data), "--out", str(out), "--watchlist", str(watchlist))
    assert result.returncode == 0, result.stderr
    html = (out / f"finsent-report-{demo_data.date}.html").read_text()
    return lxml.html.fromstring(html), top["mover"]


@pytest.fixture(scope="module")
def page(reports_out: Path, demo_data: DemoData) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((reports_out / f"finsent-report-{demo_data.date}.html").read_text())


def text(element) -> str:
    return " ".join(element.text_content().split())


# --- movers --------------------------------------------------------------------------------------

def test_movers_table_is_the_movers_query(page, demo_data: DemoData):
    rows = shipped(demo_data.data, "movers", run_date=demo_data.date)
    assert rows, "the demo week must have movers"
    table = page.get_element_by_id("movers")
    shown = [[text(td) for td in tr.xpath("./td")] for tr in table.xpath("./tr[position()>1]")]
    assert len(shown) == min(5, len(rows))
    for cells, row in zip(shown, rows, strict=False):
        unit = "sentence" if row["kind"] == "company" else "article"
        assert cells[:2] == [row["mover"] + (f" · {row['name']}" if row["name"] else ""), row["kind"]]
        assert cells[5] == f"{row['day_evidence']} / {plural(row['previous_evidence'], unit)}"
        for cell, column in zip(cells[2:5], ("net_sentiment", "previous_net_sentiment", "change"), strict=True):
            assert shown_as(cell, row[column]), (cell, column, row)
    for row in rows:
        needed = MIN_MOVER_SENTENCES if row["kind"] == "company" else MIN_MOVER_ARTICLES
        assert row["day_evidence"] >= needed and row["previous_evidence"] >= needed


def test_movers_need_the_minimum_evidence_on_both_sides(demo_data: DemoData):
    normal = {row["mover"]: row for row in shipped(demo_data.data, "movers", run_date=demo_data.date)}
    stricter = shipped(demo_data.data, "movers", run_date=demo_data.date, min_sentences=7)
    assert {row["mover"] for row in stricter if row["kind"] == "company"} == {
        name for name, row in normal.items()
        if row["kind"] == "company" and min(row["day_evidence"], row["previous_evidence"]) >= 7}
    assert len(stricter) < len(normal)


def test_one_strong_sentence_cannot_make_a_company_mover():
    day, before = dt.date(2026, 11, 23), dt.date(2026, 11, 20)

    def rows(ticker: str, when: dt.date, scores: list[float]) -> list[dict]:
        article = f"{ticker}-{when}"
        return [{"ticker": ticker, "name": None, "article_id": article, "story": article, "day": when,
                 "sentence_id": f"{article}-{i}", "score": score, "label": "negative", "text": f"s{i}",
                 "title": article, "url": f"https://n.example/{article}", "final_url": "", "source": "S",
                 "article_score": score} for i, score in enumerate(scores)]

    frame = pd.DataFrame(rows("ONE", day, [-1.0]) + rows("ONE", before, [0.9, 0.8, 0.9])
                         + rows("MANY", day, [-0.6, -0.7, -0.5]) + rows("MANY", before, [0.5, 0.4, 0.6]))
    movers = company_movers(frame, day)
    assert [m.key for m in movers] == ["MANY"]
    assert movers[0].change == pytest.approx(-0.6 - 0.5)
    assert [e.score for e in movers[0].sentences] == [-0.7, -0.6]  # the sentences leaning the way it moved


def test_each_mover_shows_the_article_and_sentences_that_moved_it(page, demo_data: DemoData):
    rows = shipped(demo_data.data, "movers", run_date=demo_data.date)
    blocks = [div for div in page.xpath("//div") if text(div).endswith(" moved " + text(div).split(" moved ")[-1])
              and div.xpath("./div[1]/strong")]
    assert [div.xpath("./div[1]/strong")[0].text_content() for div in blocks] == [r["mover"] for r in rows[:5]]
    for div, row in zip(blocks, rows, strict=False):
        link = div.xpath("./a")[0]
        day, source = duckdb.execute(
            "SELECT coalesce(CAST(published_at AS DATE), run_date), source FROM read_parquet(?) "
            "WHERE coalesce(nullif(final_url, ''), url) = ?",
            [committed_paths(demo_data.data, "articles"), link.get("href")]).fetchall()[0]
        assert day == demo_data.date  # the article is of the day that moved it
        if row["kind"] == "source":
            assert source == row["mover"]
        sentences = div.xpath("./p")
        assert 1 <= len(sentences) <= 2
        if row["kind"] == "company":  # the sentences name the company
            count, = duckdb.execute(
                "SELECT count(*) FROM read_parquet(?) m JOIN read_parquet(?) s USING (sentence_id) "
                "WHERE m.ticker = ? AND s.text = ?",
                [committed_paths(demo_data.data, "mentions"),
                 committed_paths(demo_data.data, "sentences"), row["mover"],
                 sentences[0].text.strip()]).fetchall()[0]
            assert count >= 1


# --- watchlist -----------------------------------------------------------------------------------

def test_watchlist_comes_first_with_every_article_of_the_day_naming_the_company(watched, demo_data: DemoData):
    page, ticker = watched
    headings = [h.text_content() for h in page.xpath("//h2")]
    assert headings[:3] == ["Watchlist", "Movers", "Trend"]
    item = page.get_element_by_id(f"watch-{ticker}")
    expected = duckdb.execute(
        "SELECT DISTINCT a.title FROM read_parquet(?) m JOIN read_parquet(?) a USING (article_id) "
        "WHERE m.ticker = ? AND CAST(a.published_at AS DATE) = ? ORDER BY 1",
        [committed_paths(demo_data.data, "mentions"), committed_paths(demo_data.data, "articles"),
         ticker, demo_data.date]).fetchall()
    assert sorted(a.text_content() for a in item.xpath(".//a")) == [title for title, in expected]


def test_a_quiet_watchlist_company_says_so_and_when_it_was_last_named(watched, demo_data: DemoData):
    item = watched[0].get_element_by_id(f"watch-{QUIET}")
    last_day, = duckdb.execute(
        "SELECT max(CAST(a.published_at AS DATE)) FROM read_parquet(?) m JOIN read_parquet(?) a USING (article_id) "
        "WHERE m.ticker = ?", [committed_paths(demo_data.data, "mentions"),
                                committed_paths(demo_data.data, "articles"), QUIET]).fetchall()[0]
    assert last_day < demo_data.date
    assert f"No article published {demo_data.date} names it; last named {last_day} in" in text(item)


@pytest.mark.parametrize(("content", "message"), [
    (None, "does not exist"),
    ("", "lists no ticker"),
    ("AAPL\nBRK$B\n", "line 2: 'BRK$B' is not a ticker"),
])
def test_a_bad_watchlist_is_one_line_naming_the_file(demo_data: DemoData, tmp_path: Path, content, message):
    path = tmp_path / "watch.txt"
    if content is not None:
        path.write_text(content)
    result = finsent("report", "--data", str(demo_data.data), "--out", str(tmp_path / "out"),
                     "--watchlist", str(path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"finsent report: watchlist {path}") and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_watchlist_file_format(tmp_path: Path):
    path = tmp_path / "w.txt"
    path.write_text("aapl, msft  # mega caps\n\n# comment only\nBRK.B\nmsft\n")
    assert load_watchlist(path) == ("AAPL", "MSFT", "BRK.B")
    path.write_text("# nothing\n")
    with pytest.raises(WatchlistError, match="lists no ticker"):
        load_watchlist(path)


# --- one time axis, polish -----------------------------------------------------------------------

def test_the_headline_is_the_last_point_of_the_trend(page, demo_data: DemoData):
    trend = shipped(demo_data.data, "sentiment_trend", run_date=demo_data.date)
    assert trend[-1]["day"] == demo_data.date
    assert shown_as(text(page.get_element_by_id("kpi-net")).split()[4], trend[-1]["net_sentiment"])
    footer = text(page.get_element_by_id("definitions"))
    assert "Day of an article: the UTC day it was published" in footer
    assert "the headline is the trend's last point" in footer


def test_thirty_days_of_trend_labels_do_not_overlap():
    end = dt.date(2026, 11, 30)
    trend = [TrendPoint(end - dt.timedelta(days=n), 0.1 * (n % 5 - 2), 3 + n % 4) for n in range(29, -1, -1)]
    report = type("R", (), {"trend": trend})()
    assert trend_chart(report)[:8] == b"\x89PNG\r\n\x1a\n"
    figure_labels = _tick_labels(report)
    assert 2 <= len(figure_labels) <= MAX_DATE_LABELS
    for left, right in itertools.pairwise(figure_labels):
        assert left[1] < right[0], f"date labels overlap: {left} {right}"


def _tick_labels(report) -> list[tuple[float, float, str]]:
    """Pixel extents of the trend chart's visible date labels (the chart redrawn the same way)."""
    import matplotlib.pyplot as plt

    from reports import charts

    captured = []
    original = charts._png

    def keep(figure):
        figure.canvas.draw()
        axis = figure.axes[0]
        for label in axis.get_xticklabels():
            if label.get_visible() and label.get_text():
                box = label.get_window_extent()
                captured.append((box.x0, box.x1, label.get_text()))
        plt.close(figure)
        return b""

    charts._png = keep
    try:
        charts.trend_chart(report)
    finally:
        charts._png = original
    return sorted(captured)


def test_a_young_deployment_s_axis_spans_only_its_days_with_data():
    trend = [TrendPoint(dt.date(2026, 11, 20), 0.1, 2), TrendPoint(dt.date(2026, 11, 23), -0.2, 5)]
    labels = _tick_labels(type("R", (), {"trend": trend})())
    assert labels and {label for _, _, label in labels} <= {"20 Nov", "21 Nov", "22 Nov", "23 Nov"}


def test_plurals_licence_and_no_repeated_by_feed_section(page, demo_data: DemoData, reports_out: Path):
    body = text(page)
    assert "1 whole feeds" not in body and "1 sources" not in body and "1 stories" not in body
    assert "0 whole feeds" in body  # the demo's feeds were all read
    headings = [h.text_content() for h in page.xpath("//h2")]
    assert "By feed" not in headings and len(headings) == len(set(headings))
    assert "Each source has one feed" in body
    assert LICENCE_NOTE in text(page.get_element_by_id("licence"))
    assert plural(1, "story", "stories") == "1 story" and plural(2, "story", "stories") == "2 stories"


def test_one_source_and_one_feed_read_in_the_singular(demo_data: DemoData):
    from reports.daily import build_daily_report
    from reports.data import ParquetSource

    report = build_daily_report(ParquetSource(demo_data.data), demo_data.date)
    report.headline = replace(report.headline, sources=1, feed_failures=1, articles=1)
    report.by_feed = report.by_feed[:1]
    html = render_daily_html(report, None, lambda name: "x.png")
    body = " ".join(lxml.html.fromstring(html).text_content().split())
    assert "1 article from 1 source" in body and "1 whole feed" in body and "1 feed" in body
    assert isinstance(report.headline, Headline)
