"""`finsent query`: every shipped BigQuery query runs locally on a demo run and answers correctly.

The session's demo run (one feed of the corpus also lists tickers) backs the tests;
each query's answer is checked against the Parquet rows read directly.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import DemoRun, read_rows
from test_cli import FINSENT

from finsent.cli import main
from finsent_demo.corpus import load_corpus
from pipelines.schema import TABLES
from reports.sql import (
    QueryResult,
    bigquery_job_config,
    bind_params,
    format_result,
    load_query,
    shipped_queries,
    to_duckdb,
)


@pytest.fixture(scope="module")
def demo(demo_run: DemoRun) -> dict:
    """The session's demo run (one feed of the corpus lists tickers): its output folder and rows."""
    ticker_feed, source = next((key, source) for key, source in load_corpus().sources.items() if source.tickers)
    return {"output": Path(demo_run.output), "run_date": demo_run.run_date, "ticker_feed": ticker_feed,
            "tickers": source.tickers, **{table: read_rows(demo_run.output, table) for table in TABLES}}


def query(capsys, demo: dict, name: str, *params: str, fmt: str = "json") -> list[dict]:
    argv = ["query", name, "--data", str(demo["output"]), "--format", fmt,
            "--param", f"run_date={demo['run_date']}", *[w for p in params for w in ("--param", p)]]
    assert main(argv) == 0
    out = capsys.readouterr().out
    return json.loads(out) if fmt == "json" else out


# --- every shipped query -------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(shipped_queries()))
def test_every_shipped_query_says_what_it_answers_and_declares_its_parameters(name: str):
    parsed = load_query(name)
    assert parsed.sql.startswith("-- ")
    assert len(parsed.summary) > 40
    assert set(parsed.used) == {param.name for param in parsed.declared}
    assert "run_date" in parsed.used
    assert "$run_date" in to_duckdb(parsed.sql)


@pytest.mark.parametrize("name", sorted(shipped_queries()))
def test_every_shipped_query_runs_locally_on_the_demo_run(capsys, demo, name: str):
    rows = query(capsys, demo, name)
    assert isinstance(rows, list)
    assert rows, f"{name} returned no rows on the demo run"


def test_daily_sentiment_by_source_counts_each_sources_articles_and_labels(capsys, demo):
    rows = {row["source"]: row for row in query(capsys, demo, "daily_sentiment_by_source")}
    articles = demo["articles"]
    assert {source: row["articles"] for source, row in rows.items()} == Counter(a["source"] for a in articles)
    for source, row in rows.items():
        mine = [a for a in articles if a["source"] == source and a["classified"]]
        labels = Counter(a["label"] for a in mine)
        assert row["classified"] == len(mine)
        assert (row["positive"], row["neutral"], row["negative"]) == (
            labels["positive"], labels["neutral"], labels["negative"])
        # net sentiment = mean article score, the definition the report and the email use
        assert row["net_sentiment"] == pytest.approx(sum(a["score"] for a in mine) / len(mine), abs=1e-4)
        assert "mean_score" not in row


def test_sentiment_trend_covers_the_window_by_publication_day(capsys, demo):
    end = demo["run_date"]
    stories = [a for a in demo["articles"] if a["article_id"] == a["story_id"]]
    expected = Counter((a["published_at"].date() if a["published_at"] else a["run_date"]) for a in stories)
    for days in (7, 2):
        rows = query(capsys, demo, "sentiment_trend", f"days={days}")
        first = end - timedelta(days=days - 1)
        assert {date.fromisoformat(row["day"]): row["stories"] for row in rows} == {
            day: n for day, n in expected.items() if first <= day <= end}
    rows = {date.fromisoformat(row["day"]): row for row in query(capsys, demo, "sentiment_trend")}
    assert len(rows) == 8  # the demo's week: only days with stories
    before = [a["score"] for a in stories if a["score"] is not None
              and end - timedelta(days=7) <= a["published_at"].date() < end]
    assert rows[end]["previous_7_days_net_sentiment"] == pytest.approx(sum(before) / len(before), abs=1e-4)
    assert rows[end]["change"] == pytest.approx(
        rows[end]["net_sentiment"] - rows[end]["previous_7_days_net_sentiment"], abs=2e-4)


def test_most_negative_articles_are_the_lowest_scores_with_their_negative_evidence(capsys, demo):
    rows = query(capsys, demo, "most_negative_articles", "top_n=3")
    lowest = sorted((a for a in demo["articles"] if a["score"] is not None),
                    key=lambda a: (a["score"], a["article_id"]))[:3]
    assert [row["article_id"] for row in rows] == [a["article_id"] for a in lowest]
    by_id = {a["article_id"]: a for a in lowest}
    for row in rows:
        negative = [e["text"] for e in sorted(by_id[row["article_id"]]["evidence"] or [], key=lambda e: e["score"])
                    if e["label"] == "negative"]
        assert row["negative_evidence"] == (" | ".join(negative) if negative else None)
        article = by_id[row["article_id"]]
        assert row["title_label"] == article["title_label"]
        assert row["title_score"] == pytest.approx(round(article["title_score"], 4))
    assert len(query(capsys, demo, "most_negative_articles")) == min(10, len(demo["articles"]))


def test_feed_tickers_count_only_articles_that_name_the_company(capsys, demo):
    rows = {row["ticker"]: row for row in query(capsys, demo, "article_sentiment_by_feed_ticker")}
    listed = [a for a in demo["articles"] if demo["ticker_feed"] in a["feeds"]]
    naming = {ticker: [a for a in listed if ticker in {e["ticker"] for e in a["entities"]}]
              for ticker in demo["tickers"]}
    assert naming["KSTL"] and len(naming["KSTL"]) < len(listed)  # the feed's other articles are about others
    assert {ticker: row["articles"] for ticker, row in rows.items()} == {
        ticker: len(found) for ticker, found in naming.items() if found}
    assert all(row["sources"] == 1 for row in rows.values())
    assert all("KSTL" not in a["tickers"] for a in listed if a not in naming["KSTL"])
    assert all(a["tickers"] == [] for a in demo["articles"] if demo["ticker_feed"] not in a["feeds"])


def test_sentiment_by_tag_counts_each_tag_once_per_article(capsys, demo):
    rows = query(capsys, demo, "sentiment_by_tag")
    expected = Counter(tag for a in demo["articles"] for tag in a["tags"])
    assert {row["tag"]: row["articles"] for row in rows} == expected
    stories = Counter(tag for tag, _ in {(tag, a["story_id"]) for a in demo["articles"] for tag in a["tags"]})
    assert {row["tag"]: row["stories"] for row in rows} == stories
    assert [row["articles"] for row in rows] == sorted((row["articles"] for row in rows), reverse=True)


def test_failure_rates_by_feed_match_the_failures_table(capsys, demo):
    rows = {row["feed"]: row for row in query(capsys, demo, "failure_rates_by_feed")}
    stored = Counter(a["feed"] for a in demo["articles"])
    failed = Counter(f["feed"] for f in demo["failures"] if f["entry_level"] and f["feed"])
    assert set(rows) == set(stored) | set(failed)
    assert sum(failed.values()) == demo["runs"][0]["failures"] > 0
    for feed, row in rows.items():
        assert (row["articles"], row["failed_entries"]) == (stored[feed], failed[feed])
        assert row["failure_rate"] == pytest.approx(failed[feed] / (stored[feed] + failed[feed]), abs=1e-4)
        reasons = sorted({f["reason"] for f in demo["failures"] if f["feed"] == feed})
        assert row["reasons"] == (", ".join(reasons) if reasons else None)


def test_drift_inputs_give_label_shares_confidence_and_lengths(capsys, demo):
    (row,) = query(capsys, demo, "drift_inputs")
    sentences = demo["sentences"]
    assert row["run_date"] == demo["run_date"].isoformat()
    assert row["sentences"] == len(sentences) == demo["runs"][0]["sentences"]
    assert row["share_negative"] + row["share_neutral"] + row["share_positive"] == pytest.approx(1, abs=2e-4)
    confidence = sum(max(s["p_negative"], s["p_neutral"], s["p_positive"]) for s in sentences) / len(sentences)
    assert row["mean_confidence"] == pytest.approx(confidence, abs=1e-4)
    lengths = [len(s["text"]) for s in sentences]
    assert (row["min_chars"], row["max_chars"]) == (min(lengths), max(lengths))
    assert row["mean_chars"] == pytest.approx(sum(lengths) / len(lengths), abs=0.06)


def test_runs_overview_shows_the_run_balanced(capsys, demo):
    (row,) = query(capsys, demo, "runs_overview")
    runs = demo["runs"][0]
    assert row["run_id"] == runs["run_id"] and row["balanced"] is True
    assert (row["entries"], row["articles"], row["failures"], row["duplicates"]) == (
        runs["entries"], runs["articles"], runs["failures"], runs["duplicates"])


# --- parameters are bound, never formatted into SQL ----------------------------------------------

def test_run_date_defaults_to_the_latest_run_date_with_data(capsys, demo):
    latest = query(capsys, demo, "runs_overview")
    assert main(["query", "runs_overview", "--data", str(demo["output"]), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == latest
    assert main(["query", "movers", "--data", str(demo["output"]), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == query(capsys, demo, "movers")


def test_a_hostile_parameter_value_is_bound_as_data(capsys, demo):
    sql = "SELECT COUNT(*) AS n FROM articles WHERE source = @source"
    hostile = "'; DROP VIEW articles; SELECT '"
    assert hostile not in to_duckdb(sql)
    for value, expected in ((hostile, 0), (demo["articles"][0]["source"], None)):
        assert main(["query", sql, "--data", str(demo["output"]), "--format", "json",
                     "--param", f"source={value}"]) == 0
        (row,) = json.loads(capsys.readouterr().out)
        assert row["n"] == expected if expected is not None else row["n"] > 0


def test_declared_types_convert_values_and_defaults_apply():
    trend = load_query("sentiment_trend")
    bound = bind_params(trend, ["run_date=2026-11-23"])
    assert (bound["run_date"].type, bound["run_date"].value) == ("DATE", date(2026, 11, 23))
    assert (bound["days"].type, bound["days"].value) == ("INT64", 30)  # the report's trend window
    adhoc = bind_params(load_query("SELECT @n, @x, @d, @s"), ["n=3", "x=0.5", "d=2026-01-02", "s=abc"])
    assert [p.type for p in adhoc.values()] == ["INT64", "FLOAT64", "DATE", "STRING"]


@pytest.mark.parametrize("argv, message", [
    (["sentiment_trend"], "needs --param run_date=YYYY-MM-DD: there are no runs yet"),
    (["sentiment_trend", "--param", "run_date=2026-11-23", "--param", "days=week"], "--param days: INT64"),
    (["sentiment_trend", "--param", "run_date=2026-11-23", "--param", "source=x"], "has no parameter @source"),
    (["no_such_query"], "unknown query 'no_such_query'"),
    (["sentiment_trend", "--param", "run_date"], "--param needs NAME=VALUE"),
])
def test_bad_queries_and_parameters_exit_2_naming_the_problem(capsys, tmp_path, argv, message):
    assert main(["query", *argv, "--data", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_bigquery_runs_get_the_same_parameters_typed_and_the_dataset_as_default():
    params = bind_params(load_query("sentiment_trend"), ["run_date=2026-11-23", "days=3"])
    config = bigquery_job_config(params, "my-project:finsent")
    assert config.default_dataset.project == "my-project"
    assert config.default_dataset.dataset_id == "finsent"
    assert [(p.name, p.type_, p.value) for p in config.query_parameters] == [
        ("run_date", "DATE", date(2026, 11, 23)), ("days", "INT64", 3)]


def test_a_malformed_bigquery_dataset_exits_2_with_the_expected_form(capsys):
    assert main(["query", "runs_overview", "--param", "run_date=2026-11-23", "--bigquery_dataset", "finsent"]) == 2
    assert "--bigquery_dataset must be PROJECT:DATASET" in capsys.readouterr().err


def test_parquet_and_bigquery_are_one_or_the_other(capsys, tmp_path):
    assert main(["query", "runs_overview", "--data", str(tmp_path), "--bigquery_dataset", "my-project:finsent"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


# --- data folders and output formats ------------------------------------------------------------

def test_a_folder_without_runs_gives_empty_results_not_errors(capsys, tmp_path):
    assert main(["query", "daily_sentiment_by_source", "--data", str(tmp_path),
                 "--param", "run_date=2026-11-23", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_missing_data_folder_is_named(capsys, tmp_path):
    assert main(["query", "runs_overview", "--data", str(tmp_path / "nope"),
                 "--param", "run_date=2026-11-23"]) == 1  # a missing folder is bad input, not a usage error
    assert "nope is not a folder" in capsys.readouterr().err


def test_csv_and_table_output(capsys, demo):
    csv_text = query(capsys, demo, "runs_overview", fmt="csv")
    header, line = csv_text.splitlines()
    assert header.startswith("run_date,run_id,started_at,seconds,")
    assert line.startswith(f"{demo['run_date']},{demo['runs'][0]['run_id']},")
    table = query(capsys, demo, "daily_sentiment_by_source", fmt="table")
    assert table.splitlines()[0].split()[:3] == ["source", "articles", "classified"]
    assert len(table.splitlines()) == 1 + len({a["source"] for a in demo["articles"]})


def test_a_sql_file_path_runs_too(capsys, demo, tmp_path: Path):
    path = tmp_path / "count.sql"
    path.write_text("-- How many sentences.\nSELECT COUNT(*) AS n FROM sentences WHERE run_date = @run_date\n")
    (row,) = query(capsys, demo, str(path))
    assert row["n"] == len(demo["sentences"])


def test_csv_output_neutralises_spreadsheet_formulas(tmp_path: Path):
    """Scraped titles are untrusted: a cell that a spreadsheet would run as a formula is quoted."""
    cells = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTab",
             "Plain title", "a=b"]
    values = ", ".join("(" + "'" + cell.replace("'", "''") + "')" for cell in cells)
    path = tmp_path / "titles.sql"
    path.write_text("-- Titles that look like formulas.\n"
                    f"SELECT title, -1.5 AS score FROM (VALUES {values}) AS t(title)\n")
    (tmp_path / "data").mkdir()
    done = subprocess.run([FINSENT, "query", str(path), "--data", str(tmp_path / "data"), "--format", "csv"],
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout.decode("utf-8"), newline="")))
    assert rows[0] == ["title", "score"]
    assert [row[0] for row in rows[1:]] == ["'" + cell for cell in cells[:5]] + cells[5:]
    assert {row[1] for row in rows[1:]} == {"-1.5"}  # numbers stay numbers


def test_a_carriage_return_prefix_is_neutralised_too():
    text = format_result(QueryResult(["title"], [("\rcmd",), (None,)]), "csv")
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["title"], ["'\rcmd"], [""]]
