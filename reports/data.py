"""Reads finsent's result tables for the reports: one small interface, Parquet behind it.

Everything in `reports/` reads rows through a `ResultsSource`, so the reports do not care where
rows live. `ParquetSource` reads the pipeline's Parquet output through the dates' manifests
(`pipelines/commits.py`) with pyarrow, from a local folder, gs:// or any filesystem pyarrow or
fsspec opens; a BigQuery source only has to implement the same two methods over the same tables
and columns (see `pipelines/schema.py`), filtering on the `run_date` partition column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import pandas as pd

from finsent.errors import FinsentError
from pipelines.commits import read_commits, table_dataset
from pipelines.schema import TABLES

#: Columns of `articles` the reports need (the full `text` column is left out: it is large).
ARTICLE_COLUMNS = ("article_id", "run_date", "url", "final_url", "feed", "feeds", "source", "tags", "title",
                   "published_at", "scraped_at", "language", "classified", "n_sentences", "n_positive",
                   "n_neutral", "n_negative", "score", "label", "evidence", "model_version", "run_id", "story_id")


class DataSourceError(FinsentError):
    """The results cannot be read: missing folder, no data for the date, unreadable files."""


class ResultsSource(Protocol):
    """Where the reports read finsent's tables from (Parquet today, BigQuery later)."""

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
        if "run_date" in frame:
            frame["run_date"] = pd.to_datetime(frame["run_date"]).dt.date
        for field in TABLES[table]:
            if field.mode == "REPEATED" and field.name in frame:
                frame[field.name] = [list(value) if value is not None else [] for value in frame[field.name]]
        return frame


def open_source(data: str | Path) -> ResultsSource:
    """The results source for a `--data` value: the pipeline's output root, local or a URI such as gs://."""
    return ParquetSource(data)


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
