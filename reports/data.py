"""Reads finsent's result tables for the reports: one small interface, Parquet or BigQuery behind it.

Everything in `reports/` reads rows through a `ResultsSource`, so the reports do not care where
rows live. `ParquetSource` reads the pipeline's Parquet output through the dates' manifests
(`pipelines/commits.py`) with pyarrow, from a local folder, gs:// or any filesystem pyarrow or
fsspec opens; `BigQuerySource` runs the same column selections on the BigQuery tables, filtered
on the `run_date` partition column. Both convert Arrow tables to pandas the same way, so the
frames (dtypes, NULLs, nested lists) are alike and the reports' numbers are the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import pandas as pd

from finsent.constants import DEFAULT_OUTPUT
from finsent.errors import FinsentError
from pipelines.commits import read_commits, table_dataset
from pipelines.schema import TABLES

#: Columns of `articles` the reports need (the full `text` column is left out: it is large).
ARTICLE_COLUMNS = ("article_id", "run_date", "url", "final_url", "feed", "feeds", "source", "tags", "title",
                   "published_at", "scraped_at", "language", "classified", "n_sentences", "n_positive",
                   "n_neutral", "n_negative", "score", "label", "title_label", "title_score", "evidence",
                   "model_version", "run_id", "story_id")


class DataSourceError(FinsentError):
    """The results cannot be read: missing folder, no data for the date, unreadable files."""


class ResultsSource(Protocol):
    """Where the reports read finsent's tables from (Parquet or BigQuery)."""

    def run_dates(self) -> list[dt.date]:
        """Every run date that has a `runs` row, oldest first."""
        ...

    def read(self, table: str, start: dt.date, end: dt.date,
             columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Rows of `table` whose run_date is in [start, end], with `run_date` as a date column.

        `columns` (default: every column of the schema) are returned in that order; REPEATED
        columns come back as Python lists (of dicts for records); an empty range gives an empty
        frame that still has the columns.
        """
        ...


def check_table(table: str, columns: Sequence[str] | None) -> list[str]:
    """The validated column list of a `read` call (default: the whole schema of `table`)."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; finsent's tables are {sorted(TABLES)}")
    known = [field.name for field in TABLES[table]]
    wanted = list(columns) if columns is not None else known
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise ValueError(f"table {table!r} has no column(s) {unknown}")
    return wanted


class ParquetSource:
    """`ResultsSource` over the committed Parquet files of an output root (local path or URI).

    The dates' manifests are read once, when the source is opened: every later `read` sees the
    same runs, whatever commits in the meantime (a replaced run's files outlive one more commit).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = str(root)
        try:
            self._commits = read_commits(self.root)
        except (OSError, ValueError) as error:
            raise DataSourceError(f"--data {self.root}: cannot read its manifests: {error}") from error
        if not self._commits:
            raise DataSourceError(f"--data {self.root}: no finsent output there (no committed run date in "
                                  "_manifests/); run `finsent run` or `finsent demo` first, or pass the right --data")

    def run_dates(self) -> list[dt.date]:
        """Every committed run date, oldest first."""
        return list(self._commits)

    def read(self, table: str, start: dt.date, end: dt.date,
             columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Rows of `table` whose run_date is in [start, end] (see `ResultsSource.read`)."""
        wanted = check_table(table, columns)
        commits = [commit for day, commit in self._commits.items() if start <= day <= end]
        try:  # files written before a column was added read it as NULL (the dataset has the whole schema)
            frame = table_dataset(self.root, table, commits).to_table(columns=wanted).to_pandas()
        except OSError as error:
            raise DataSourceError(f"--data {self.root}: cannot read table {table}: {error}") from error
        return _report_frame(table, frame)


def _report_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`run_date` as `datetime.date`, REPEATED columns as lists (empty for NULL)."""
    if "run_date" in frame:
        frame["run_date"] = pd.to_datetime(frame["run_date"]).dt.date
    for field in TABLES[table]:
        if field.mode == "REPEATED" and field.name in frame:
            frame[field.name] = [list(value) if value is not None else [] for value in frame[field.name]]
    return frame


class BigQuerySource:
    """`ResultsSource` over the tables of a BigQuery dataset (`PROJECT:DATASET`, the `gcp` extra).

    Each read is one query that selects the columns and filters on `run_date`, the partitioning
    column, so BigQuery scans only the partitions of the range. `$BIGQUERY_EMULATOR_HOST` points
    it at an emulator (see `pipelines.warehouse.bigquery_client`).
    """

    def __init__(self, dataset: str) -> None:
        from finsent.constants import parse_dataset
        from pipelines.warehouse import bigquery_client

        try:
            self._project, self._dataset = parse_dataset(dataset)
            self._client = bigquery_client(self._project)
        except (ValueError, ImportError) as error:
            raise DataSourceError(str(error)) from error
        except Exception as error:  # google.auth's DefaultCredentialsError and kin
            raise DataSourceError(f"--bigquery_dataset {dataset}: no BigQuery client ({error})") from error
        self._spec = dataset
        self._tables = self._existing_tables()

    def _existing_tables(self) -> set[str]:
        from google.api_core import exceptions

        dataset = f"{self._project}.{self._dataset}"
        try:
            self._client.get_dataset(dataset)
            return {item.table_id for item in self._client.list_tables(dataset)}
        except exceptions.NotFound as error:
            raise DataSourceError(f"--bigquery_dataset {self._spec}: no such dataset; run `finsent run "
                                  "--bigquery_dataset ...` first, or pass the right dataset") from error
        except exceptions.GoogleAPIError as error:
            raise DataSourceError(f"--bigquery_dataset {self._spec}: {error}") from error

    def _query(self, table: str, sql: str, parameters: Sequence) -> pd.DataFrame:
        from google.api_core import exceptions
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(query_parameters=list(parameters))
        try:
            rows = self._client.query(sql, job_config=config).result().to_arrow(create_bqstorage_client=False)
        except exceptions.GoogleAPIError as error:
            raise DataSourceError(f"--bigquery_dataset {self._spec}: reading {table} failed: {error}") from error
        return rows.to_pandas()

    def run_dates(self) -> list[dt.date]:
        """Every run date that has a `runs` row, oldest first."""
        if "runs" not in self._tables:
            return []
        sql = f"SELECT DISTINCT run_date FROM `{self._project}.{self._dataset}.runs` ORDER BY run_date"  # noqa: S608
        frame = self._query("runs", sql, [])
        return list(_report_frame("runs", frame)["run_date"])

    def read(self, table: str, start: dt.date, end: dt.date,
             columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Rows of `table` whose run_date is in [start, end] (see `ResultsSource.read`)."""
        from google.cloud import bigquery

        wanted = check_table(table, columns)
        if table not in self._tables:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in wanted})
        select = ", ".join(f"`{name}`" for name in wanted)
        sql = (f"SELECT {select} FROM `{self._project}.{self._dataset}.{table}` "  # noqa: S608 (names checked)
               "WHERE run_date BETWEEN @start AND @end")
        dates = [bigquery.ScalarQueryParameter("start", "DATE", start),
                 bigquery.ScalarQueryParameter("end", "DATE", end)]
        return _report_frame(table, self._query(table, sql, dates))


def open_source(data: str | Path | None = None, bigquery_dataset: str | None = None) -> ResultsSource:
    """The results source of `--bigquery_dataset PROJECT:DATASET`, else of the `--data` Parquet folder."""
    if bigquery_dataset:
        return BigQuerySource(bigquery_dataset)
    return ParquetSource(data if data is not None else DEFAULT_OUTPUT)


def resolve_date(source: ResultsSource, date: str | None) -> dt.date:
    """The report date: `--date` (YYYY-MM-DD, must have a run) or the latest run date."""
    dates = source.run_dates()
    if not dates:
        raise DataSourceError("no runs in the data; run `finsent run` first")
    if date is None:
        return dates[-1]
    try:
        wanted = dt.date.fromisoformat(date)
    except ValueError as error:
        raise DataSourceError(f"--date {date!r} is not a YYYY-MM-DD date") from error
    if wanted not in dates:
        shown = ", ".join(d.isoformat() for d in dates[-5:])
        raise DataSourceError(f"--date {date}: no run on that date (latest run dates: {shown})")
    return wanted
