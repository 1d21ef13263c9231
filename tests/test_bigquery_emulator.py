"""BigQuery for real, against bqemulator: the run's tables loaded and committed, re-runs, reports and queries.

The emulator (tests/bigquery_emulator.py) is a separate process on 127.0.0.1; `BIGQUERY_EMULATOR_HOST`
points finsent's BigQuery client at it, in this process and in the `finsent` subprocesses.

What runs here is our code behind Beam's BigQuery IO. Beam's `WriteToBigQuery(FILE_LOADS)` itself
cannot be pointed at the emulator: its `BigQueryWrapper._bigquery_client` builds the apitools
`BigqueryV2` client with the fixed https://bigquery.googleapis.com endpoint and Google credentials
(no endpoint option), and its load jobs read JSON files from the gs:// --temp_location, which the
emulator cannot fetch. So `stage_table` does what that transform does for one table: the rows
converted by `bigquery_row` (the transform's own first step), as newline-delimited JSON, loaded
with the load configuration Beam sends (schema, WRITE_TRUNCATE, CREATE_IF_NEEDED) into the run's
staging table; a table without rows gets no load, as in Beam. Then `commit_run_date`, the function
the pipeline's commit step calls, switches the date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from bigquery_emulator import BigQueryEmulator
from helpers import read_rows
from test_email import smtp_server

from finsent.cli import build_parser, main
from finsent.pipeline_commands import report_location
from pipelines.bigquery import bigquery_row
from pipelines.commits import read_commits
from pipelines.schema import TABLES
from pipelines.warehouse import CLUSTERING, bigquery_client, commit_run_date, staging_table
from reports.daily import build_daily_report
from reports.data import BigQuerySource, DataSourceError, ParquetSource
from reports.sql import shipped_queries

if TYPE_CHECKING:
    from helpers import DemoData

pytestmark = pytest.mark.slow

PROJECT = "finsent-test"
ROOT = Path(__file__).resolve().parents[1]
# One column that identifies a row of each table, to compare tables in a stable order.
ROW_KEYS = {"articles": "article_id", "sentences": "sentence_id", "mentions": "mention_id",
            "failures": "failure_id", "runs": "run_id"}


@pytest.fixture(scope="module")
def emulator() -> Iterator[BigQueryEmulator]:
    with BigQueryEmulator() as running, pytest.MonkeyPatch.context() as patch:
        patch.setenv("BIGQUERY_EMULATOR_HOST", running.endpoint)
        yield running


@pytest.fixture(scope="module")
def client(emulator):
    return bigquery_client(PROJECT)


def parquet_tables(data: Path) -> dict[dt.date, dict[str, list[dict]]]:
    """Every committed row of the Parquet output, by run date and table, with its run_date."""
    by_date: dict[dt.date, dict[str, list[dict]]] = {}
    for day in read_commits(str(data)):
        for table in TABLES:
            rows = [{**row, "run_date": day} for row in read_rows(data, table, day.isoformat())]
            by_date.setdefault(day, {name: [] for name in TABLES})[table].extend(rows)
    return by_date


def stage_table(client, dataset: str, table: str, run_id: str, rows: list[dict]) -> None:
    """One table's rows into the run's staging table, as Beam's FILE_LOADS loads them."""
    from google.cloud import bigquery

    from pipelines.schema import bigquery_schema

    lines = "\n".join(json.dumps(bigquery_row(table, row), allow_nan=False) for row in rows)
    config = bigquery.LoadJobConfig.from_api_repr({"load": {
        "schema": bigquery_schema(table), "sourceFormat": "NEWLINE_DELIMITED_JSON",
        "writeDisposition": "WRITE_TRUNCATE", "createDisposition": "CREATE_IF_NEEDED"}})
    client.load_table_from_file(io.BytesIO(lines.encode()), f"{PROJECT}.{dataset}.{staging_table(table, run_id)}",
                                job_config=config).result()


def write_run(client, dataset: str, run_id: str, run_date: dt.date, tables: dict[str, list[dict]]) -> None:
    """What WriteBigQueryTables does for one run: a load per non-empty table, then the commit."""
    client.create_dataset(f"{PROJECT}.{dataset}", exists_ok=True)
    for table, rows in tables.items():
        if rows:
            stage_table(client, dataset, table, run_id, rows)
    commit_run_date(client, f"{PROJECT}:{dataset}", run_id, run_date)


def count_by_date(client, dataset: str, table: str) -> dict[dt.date, int]:
    rows = client.query(f"SELECT run_date, COUNT(*) AS n FROM `{PROJECT}.{dataset}.{table}` GROUP BY run_date")
    return {row["run_date"]: row["n"] for row in rows.result()}


@pytest.fixture(scope="module")
def warehouse(client, demo_data: DemoData) -> str:
    """The demo run's five tables written to the emulated dataset `demo`; its PROJECT:DATASET."""
    (tables,) = parquet_tables(demo_data.data).values()
    write_run(client, "demo", tables["runs"][0]["run_id"], demo_data.date, tables)
    return f"{PROJECT}:demo"


# --- writing: tables, the commit, re-runs -------------------------------------------------------

def test_the_commit_creates_every_table_partitioned_and_clustered_and_drops_the_staging(client, warehouse):
    listed = {item.table_id for item in client.list_tables(f"{PROJECT}.demo")}
    assert listed == set(TABLES)
    for table in TABLES:
        created = client.get_table(f"{PROJECT}.demo.{table}")
        assert [field.name for field in created.schema] == [field.name for field in TABLES[table]]
        assert created.time_partitioning.field == "run_date"
        assert (created.clustering_fields or []) == list(CLUSTERING.get(table, ()))


def test_a_date_written_again_keeps_one_copy_and_leaves_other_dates_alone(client, demo_data: DemoData):
    (tables,) = parquet_tables(demo_data.data).values()
    day, day_before = demo_data.date, demo_data.date - dt.timedelta(days=1)
    stale = {**tables["articles"][0], "article_id": "stale0000000000000000000", "url": "https://x.test/stale"}
    earlier_run = {**tables["runs"][0], "run_id": "earlier-run", "run_date": day_before}
    earlier_failure = {**tables["failures"][0], "failure_id": "earlier-failure", "run_date": day_before}
    empty = {table: [] for table in TABLES}

    write_run(client, "reruns", "first", day, {**tables, "articles": [*tables["articles"], stale]})
    write_run(client, "reruns", "earlier", day_before, {**empty, "runs": [earlier_run], "failures": [earlier_failure]})
    assert count_by_date(client, "reruns", "articles") == {day: len(tables["articles"]) + 1}
    write_run(client, "reruns", "second", day, tables)
    # the commit step retried after it succeeded (its staging is gone) changes nothing
    assert commit_run_date(client, f"{PROJECT}:reruns", "second", day) is False

    for table in TABLES:
        expected = {day: len(tables[table])} if tables[table] else {}
        expected.update({"runs": {day_before: 1}, "failures": {day_before: 1}}.get(table, {}))
        assert count_by_date(client, "reruns", table) == expected, table
    ids = [row[0] for row in client.query(f"SELECT article_id FROM `{PROJECT}.reruns.articles`").result()]
    assert "stale0000000000000000000" not in ids and len(ids) == len(set(ids))
    # the earlier date written again without failures: its old failure row goes, its runs row stays one
    write_run(client, "reruns", "earlier-again", day_before, {**empty, "runs": [earlier_run]})
    assert day_before not in count_by_date(client, "reruns", "failures")
    assert count_by_date(client, "reruns", "runs") == {day: 1, day_before: 1}
    assert {item.table_id for item in client.list_tables(f"{PROJECT}.reruns")} == set(TABLES)


# --- reading: the same rows, report, drift and queries as from Parquet ---------------------------

@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_table_reads_back_from_bigquery_as_from_parquet(warehouse, demo_data: DemoData, table: str):
    day = demo_data.date
    key = ROW_KEYS[table]
    local = ParquetSource(demo_data.data).read(table, day, day).sort_values(key, ignore_index=True)
    remote = BigQuerySource(warehouse).read(table, day, day).sort_values(key, ignore_index=True)
    assert len(remote) == len(local) > 0 or table == "mentions"
    pd.testing.assert_frame_equal(remote, local, check_exact=False, rtol=1e-12)
    assert BigQuerySource(warehouse).read(table, day + dt.timedelta(days=1), day + dt.timedelta(days=9)).empty


def test_the_daily_report_from_bigquery_equals_the_one_from_parquet_number_for_number(warehouse, demo_data):
    assert BigQuerySource(warehouse).run_dates() == ParquetSource(demo_data.data).run_dates() == [demo_data.date]
    remote = build_daily_report(BigQuerySource(warehouse), demo_data.date)
    local = build_daily_report(ParquetSource(demo_data.data), demo_data.date)
    assert dataclasses.replace(remote, generated_at=local.generated_at) == local
    assert remote.headline.articles > 0 and remote.most_positive and remote.most_negative


def finsent(*args: str, **env: str) -> subprocess.CompletedProcess:
    """The real `finsent` command in a subprocess (this checkout first on the path, emulator env)."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.run(["finsent", *args], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "PYTHONPATH": path, **env})


def test_drift_and_report_write_the_same_pages_from_bigquery_as_from_parquet(
        warehouse, demo_data: DemoData, same_day_reference: Path, tmp_path: Path):
    pages = {}
    for name, where in (("bigquery", ["--bigquery_dataset", warehouse]), ("parquet", ["--data", str(demo_data.data)])):
        out = tmp_path / name
        assert main(["drift", *where, "--out", str(out), "--reference-file", str(same_day_reference)]) == 0
        assert main(["report", *where, "--out", str(out)]) == 0
        (summary_file,) = out.glob(f"drift-{demo_data.date}-*.json")
        summary = json.loads(summary_file.read_text())
        page = (out / f"finsent-report-{demo_data.date}.html").read_text()
        page, stamps = re.subn(r"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", "generated (time)",
                               page.replace(str(out), "OUT"))
        assert stamps == 1, "the footer's generation time is the one thing allowed to differ"
        pages[name] = (page, json.loads(json.dumps(summary).replace(str(out), "OUT")))
    assert pages["bigquery"][0] == pages["parquet"][0]
    # evidently's statistics sum the rows in the order they come, which differs in the last bits
    assert rounded(pages["bigquery"][1]) == rounded(pages["parquet"][1])


@pytest.mark.parametrize("name", sorted(shipped_queries()))
def test_every_shipped_query_answers_the_same_on_bigquery_as_on_parquet(capsys, warehouse, demo_data, name: str):
    answers = {}
    for where in (["--bigquery_dataset", warehouse], ["--data", str(demo_data.data)]):
        assert main(["query", name, *where, "--format", "json", "--param", f"run_date={demo_data.date}"]) == 0
        answers[where[0]] = json.loads(capsys.readouterr().out)
    if name != "article_sentiment_by_feed_ticker":  # the demo's feeds list no tickers (test_queries covers it)
        assert answers["--data"], f"{name} returned no rows"
    assert rounded(answers["--bigquery_dataset"]) == rounded(answers["--data"])


def rounded(value):
    """`value` with every float rounded to 9 decimals (sums may add in another order)."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, list):
        return [rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return value


def test_the_daily_loop_command_renders_from_bigquery_and_emails_the_report(warehouse, demo_data, tmp_path):
    with smtp_server("250 OK") as (inbox, port):
        done = finsent("report", "--bigquery_dataset", warehouse, "--out", str(tmp_path), "--email-to",
                       "desk@example.com", FINSENT_SMTP_HOST="127.0.0.1", FINSENT_SMTP_PORT=str(port),
                       FINSENT_SMTP_SECURITY="none", FINSENT_MAIL_FROM="finsent@example.com")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / f"finsent-report-{demo_data.date}.html").is_file()
    assert list(tmp_path.glob(f"drift-{demo_data.date}-*.json"))
    ((recipients, message),) = inbox.messages
    assert recipients == ["desk@example.com"]
    assert demo_data.date.isoformat() in message["Subject"]


def test_a_missing_dataset_is_one_clear_line(emulator, capsys):
    assert main(["report", "--bigquery_dataset", f"{PROJECT}:nothing_here"]) == 1
    assert capsys.readouterr().err.strip() == (
        f"finsent report: --bigquery_dataset {PROJECT}:nothing_here: no such dataset; "
        "run `finsent run --bigquery_dataset ...` first, or pass the right dataset")
    with pytest.raises(DataSourceError, match="no such dataset"):
        BigQuerySource(f"{PROJECT}:nothing_here")


def test_a_run_with_cloud_output_reports_from_bigquery_or_its_output():
    cloud = ["run", "--output", "gs://bucket/finsent-data", "--run_date", "2026-11-23"]
    with_bigquery, _ = build_parser().parse_known_args([*cloud, "--bigquery_dataset", "p-roject:finsent"])
    assert report_location(with_bigquery) == (None, "p-roject:finsent", "2026-11-23")
    assert report_location(build_parser().parse_known_args(cloud)[0]) == ("gs://bucket/finsent-data", None,
                                                                          "2026-11-23")
