"""`finsent report`: the numbers on the page are those of a DuckDB query over the same Parquet."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import lxml.html
import pyarrow.parquet as pq
import pytest
from committed import committed_files, copy_date, parquet_scan
from helpers import shipped, shown_as

from finsent.cli import main
from model.artifact import read_artifact_meta
from pipelines.schema import TABLES
from reports.daily import latest_copies, one_per_story, trend_points
from reports.data import ARTICLE_COLUMNS, ParquetSource
from reports.render import signed

if TYPE_CHECKING:
    from helpers import DemoData



def query(data: Path, sql: str, *params) -> list[tuple]:
    """Run `sql` with each table of `TABLES` ({articles}, {sentences}, ...) over its committed Parquet files."""
    tables = {name: parquet_scan(data, name) for name in TABLES}
    return duckdb.execute(sql.format(**tables), list(params)).fetchall()


@pytest.fixture(scope="module")
def page(reports_out: Path, demo_data: DemoData) -> lxml.html.HtmlElement:
    html = (reports_out / f"finsent-report-{demo_data.date}.html").read_text()
    return lxml.html.fromstring(html)


def kpi(page, name: str) -> str:
    """The big number of one headline box."""
    box = page.get_element_by_id(f"kpi-{name}")
    return box.xpath("./div[2]")[0].text_content().strip()


def table_rows(page, heading: str) -> list[list[str]]:
    """Cells of the table whose first header cell is `heading`."""
    for table in page.xpath("//table"):
        header = [th.text_content().strip() for th in table.xpath("./tr[1]/th")]
        if header and header[0] == heading:
            return [[td.text_content().strip() for td in tr.xpath("./td")] for tr in table.xpath("./tr[position()>1]")]
    raise AssertionError(f"no table headed {heading!r}")


def test_headline_numbers_match_duckdb(page, demo_data: DemoData):
    (articles, sources, stories), = query(demo_data.data, "SELECT count(*), count(DISTINCT source), "
                                          "count(DISTINCT story_id) FROM {articles} WHERE run_date = ?", demo_data.date)
    # Net sentiment: the stories published that day (each syndicated story once, by its own copy).
    (net, day_stories), = query(demo_data.data, "SELECT avg(score), count(*) FROM {articles} "
                                "WHERE CAST(published_at AS DATE) = ? AND article_id = story_id", demo_data.date)
    (sentences,), = query(demo_data.data, "SELECT count(*) FROM {sentences} WHERE run_date = ?", demo_data.date)
    (failures,), = query(demo_data.data, "SELECT count(*) FROM {failures} WHERE run_date = ? AND entry_level",
                         demo_data.date)
    assert articles == 40 and stories == 39
    assert kpi(page, "articles") == str(articles)
    assert f"{stories} stories" in page.get_element_by_id("kpi-articles").text_content()
    assert kpi(page, "sentences") == str(sentences)
    assert kpi(page, "sources") == str(sources)
    assert kpi(page, "failures") == str(failures)
    assert kpi(page, "net") == signed(net)
    assert f"{day_stories} stories that day" in " ".join(page.get_element_by_id("kpi-net").text_content().split())


def test_headline_and_7_day_comparison_are_the_trend_querys_last_day(page, demo_data: DemoData):
    (previous,), = query(demo_data.data, """
        SELECT avg(score) FROM {articles} WHERE article_id = story_id
        AND CAST(published_at AS DATE) BETWEEN ? AND ?""",
        demo_data.date - dt.timedelta(days=7), demo_data.date - dt.timedelta(days=1))
    day = next(row for row in shipped(demo_data.data, "sentiment_trend", run_date=demo_data.date)
               if row["day"] == demo_data.date)
    assert day["previous_7_days_net_sentiment"] == pytest.approx(previous, abs=1e-4)
    assert shown_as(kpi(page, "net"), day["net_sentiment"])
    assert shown_as(page.get_element_by_id("previous-net").text_content(), day["previous_7_days_net_sentiment"])
    assert shown_as(page.get_element_by_id("net-change").text_content(), day["change"])


def test_sentiment_by_source_table_matches_duckdb(page, demo_data: DemoData):
    expected = query(demo_data.data, """
        SELECT source, count(*), avg(score), count(*) FILTER (label = 'positive'),
               count(*) FILTER (label = 'neutral'), count(*) FILTER (label = 'negative')
        FROM {articles} WHERE run_date = ? GROUP BY source ORDER BY count(*) DESC, source""", demo_data.date)
    shown = table_rows(page, "Source")
    assert shown == [[s, str(n), signed(net), str(p), str(u), str(g)] for s, n, net, p, u, g in expected]


def test_sentiment_by_tag_counts_each_tag_of_an_article(page, demo_data: DemoData):
    expected = query(demo_data.data, """
        SELECT tag, count(*) FROM (SELECT unnest(tags) AS tag FROM {articles} WHERE run_date = ?)
        GROUP BY tag ORDER BY count(*) DESC, tag""", demo_data.date)
    assert [(row[0], int(row[1])) for row in table_rows(page, "Tag")] == expected


def test_label_distribution_and_failures_match_duckdb(page, demo_data: DemoData):
    sentence_labels = dict(query(demo_data.data, "SELECT label, count(*) FROM {sentences} WHERE run_date = ? "
                                 "GROUP BY label", demo_data.date))
    labels = page.get_element_by_id("labels")
    counts = [td.text_content() for td in labels.xpath("./tr[2]/td[position()>1]")]
    assert counts == [str(sentence_labels.get(label, 0)) for label in ("negative", "neutral", "positive")]
    failures = query(demo_data.data, "SELECT reason, feed, count(*) FROM {failures} WHERE run_date = ? "
                     "GROUP BY reason, feed ORDER BY count(*) DESC, reason, feed", demo_data.date)
    shown = [(row[0], row[2], int(row[3])) for row in table_rows(page, "Reason")]
    assert shown == failures
    assert {"entry_invalid", "http_404"} <= {row[0] for row in shown}


def test_most_negative_articles_show_hostile_titles_as_text_with_evidence(page, reports_out: Path,
                                                                          demo_data: DemoData):
    raw = (reports_out / f"finsent-report-{demo_data.date}.html").read_text()
    assert "<script" not in raw and "onerror=" not in raw.replace("onerror=&#34;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    (url, score), = query(demo_data.data, "SELECT coalesce(final_url, url), score FROM {articles} "
                          "WHERE article_id = ?", demo_data.xss_article_id)
    heading = next(h for h in page.xpath("//h2") if h.text_content() == "Most negative")
    section = list(itertools.takewhile(lambda e: e.tag != "h2", heading.itersiblings()))
    links = [a for e in section for a in e.xpath(".//a") if a.text_content() == demo_data.xss_title]
    assert len(links) == 1 and links[0].get("href") == url
    article = links[0].getparent()
    assert signed(score) in article.text_content()
    assert demo_data.xss_sentence in article.text_content()
    assert not page.xpath("//img[@src='x']")


def test_most_positive_articles_are_the_highest_scores(page, demo_data: DemoData):
    expected = [row[0] for row in query(demo_data.data, "SELECT title FROM {articles} WHERE run_date = ? "
                                        "AND score > 0 ORDER BY score DESC, article_id LIMIT 5", demo_data.date)]
    heading = next(h for h in page.xpath("//h2") if h.text_content() == "Most positive")
    shown = []
    for sibling in heading.itersiblings():
        if sibling.tag == "h2":
            break
        shown += [a.text_content() for a in sibling.xpath(".//a")]
    assert shown == expected


def test_article_items_show_the_title_label_and_the_footnote_says_it_is_not_in_the_score(page, demo_data: DemoData):
    rows = query(demo_data.data, "SELECT title, title_label, title_score FROM {articles} WHERE run_date = ? "
                 "AND score IS NOT NULL", demo_data.date)
    shown = 0
    for title, title_label, title_score in rows:
        # Article items (most positive / most negative): the title's link, then a meta line with the score.
        items = [a.getparent() for a in page.xpath("//a") if a.text_content() == title]
        for item in items:
            metas = [div.text_content() for div in item.xpath("./div")
                     if "· score " in " ".join(div.text_content().split())]
            if not metas:
                continue  # the same title linked from another section (movers, watchlist)
            meta = metas[0]
            assert f"title {title_label} {signed(title_score, 2)}" in " ".join(meta.split())
            shown += 1
    assert shown >= 2
    definitions = " ".join(page.get_element_by_id("definitions").text_content().split())
    assert "Title: classified on its own and shown beside the score, not averaged into it" in definitions


def test_charts_are_embedded_png_data_uris(page):
    sources = [img.get("src") for img in page.xpath("//img")]
    assert len(sources) == 4
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_footer_names_model_version_and_run(page, demo_data: DemoData):
    (version, run_id), = query(demo_data.data, "SELECT model_version, run_id FROM {runs} WHERE run_date = ?",
                               demo_data.date)
    footer = page.xpath("//div[starts-with(normalize-space(), 'Model ')]")[-1].text_content()
    assert version == read_artifact_meta(demo_data.model).model_version
    assert f"Model {version}" in footer and run_id in footer


def test_trend_places_articles_on_their_publication_day_once(demo_data: DemoData, tmp_path: Path):
    # A second run date storing the same articles again (as --reprocess would) must not double-count.
    data = tmp_path / "data"
    shutil.copytree(demo_data.data, data)
    copy_date(data, demo_data.date, dt.date(2026, 11, 22))
    window = ParquetSource(data).read("articles", dt.date(2026, 10, 1), demo_data.date, ARTICLE_COLUMNS)
    points = {p.day: p for p in trend_points(one_per_story(latest_copies(window)), demo_data.date)}
    expected = query(demo_data.data, "SELECT CAST(published_at AS DATE), count(*), avg(score) FROM {articles} "
                     "WHERE article_id = story_id GROUP BY 1")
    assert len(points) == 8  # only the days with stories, not 30
    assert {day: p.articles for day, p in points.items()} == {day: n for day, n, _ in expected}
    for day, _, net in expected:
        assert points[day].net_sentiment == pytest.approx(net)
    trend = shipped(data, "sentiment_trend", run_date=demo_data.date)
    assert [(row["day"], row["stories"]) for row in trend] == [(p.day, p.articles) for p in points.values()]


def test_partitions_written_before_the_title_columns_read_them_as_null(demo_data: DemoData, tmp_path: Path,
                                                                       capsys):
    data = tmp_path / "data"
    shutil.copytree(demo_data.data, data)
    old_day = dt.date(2026, 11, 22)
    copy_date(data, demo_data.date, old_day)
    (old,) = committed_files(data, old_day, "articles")  # rewritten as a file from before the title columns
    table = pq.read_table(old)
    pq.write_table(table.drop_columns([n for n in table.column_names if n.startswith("title_")]), old)
    window = ParquetSource(data).read("articles", old_day, demo_data.date, ARTICLE_COLUMNS)
    by_date = window.groupby("run_date")["title_label"].apply(lambda labels: labels.notna().sum())
    assert by_date[old_day] == 0 and by_date[demo_data.date] > 0
    assert main(["query", "most_negative_articles", "--data", str(data), "--format", "json",
                 "--param", "run_date=2026-11-22"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(row["title_label"] is None for row in rows)


def test_unknown_date_and_missing_data_are_clear_errors(demo_data: DemoData, tmp_path: Path, capsys):
    assert main(["report", "--data", str(demo_data.data), "--out", str(tmp_path), "--date", "2026-11-01"]) == 1
    assert "--date 2026-11-01: no run on that date (latest run dates: 2026-11-23)" in capsys.readouterr().err
    assert main(["report", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path)]) == 1
    assert "no finsent output there" in capsys.readouterr().err
