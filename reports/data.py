"""Reads finsent's result tables for the reports: one small interface, Parquet (DuckDB) behind it.

Everything in `reports/` reads rows through a `ResultsSource`, so the reports do not care where
rows live. `ParquetSource` reads the pipeline's hive-partitioned Parquet output with DuckDB; a
BigQuery source only has to implement the same two methods over the same tables and columns
(see `pipelines/schema.py`), filtering on the `run_date` partition column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd

from finsent.errors import FinsentError
from pipelines.schema import TABLES

#: Columns of `articles` the reports need (the full `text` column is left out: it is large).
ARTICLE_COLUMNS = ("article_id", "run_date", "url", "final_url", "feed", "feeds", "source", "tags", "title",
                   "published_at", "scraped_at", "language", "classified", "n_sentences", "n_positive",
                   "n_neutral", "n_negative", "score", "label", "title_label", "title_score", "evidence",
                   "model_version", "run_id", "story_id")


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
    """`ResultsSource` over `<root>/<table>/run_date=YYYY-MM-DD/*.parquet`, queried with DuckDB."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not (self.root / "runs").is_dir():
            raise DataSourceError(f"--data {self.root}: no finsent output there (no runs/ folder); "
                                  "run `finsent run` or `finsent demo` first, or pass the right --data")
        self._db = duckdb.connect()

    def _files(self, table: str) -> str:
        return str(self.root / table / "run_date=*" / "*.parquet")

    def _has_files(self, table: str) -> bool:
        return any((self.root / table).glob("run_date=*/*.parquet"))

    def run_dates(self) -> list[dt.date]:
        """Every run date that has a `runs` row, oldest first."""
        if not self._has_files("runs"):
            return []
        rows = self._db.execute(
            "SELECT DISTINCT run_date FROM read_parquet(?, hive_partitioning = true) ORDER BY 1",
            [self._files("runs")]).fetchall()
        return [row[0] for row in rows]

    def read(self, table: str, start: dt.date, end: dt.date,
             columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Rows of `table` whose run_date is in [start, end] (see `ResultsSource.read`)."""
        wanted = check_table(table, columns)
        if not self._has_files(table):
            return pd.DataFrame({name: pd.Series(dtype=object) for name in wanted})
        select = ", ".join(f'"{name}"' for name in wanted)
        frame = self._db.execute(
            # union_by_name: partitions written before a column was added read it as NULL
            f"SELECT {select} FROM read_parquet(?, hive_partitioning = true, union_by_name = true) "  # noqa: S608
            "WHERE run_date BETWEEN ? AND ?", [self._files(table), start, end]).df()
        if "run_date" in frame:
            frame["run_date"] = pd.to_datetime(frame["run_date"]).dt.date
        for field in TABLES[table]:
            if field.mode == "REPEATED" and field.name in frame:
                frame[field.name] = [list(value) if value is not None else [] for value in frame[field.name]]
        return frame


def open_source(data: str | Path) -> ResultsSource:
    """The results source for a `--data` value (a local Parquet output folder today)."""
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
