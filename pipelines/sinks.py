"""WriteParquet: the run's five tables as Parquet, written by the workers bundle by bundle, committed together.

Each worker writes the rows of a table that reach it in one bundle into one file of the run's own
folder, `<output>/<table>/run_date=YYYY-MM-DD/<run_id>/part-<uuid>.parquet`, in row groups of
`ROW_GROUP_ROWS` rows, so a worker holds at most one row group per table whatever the size of
the day. Only when every table is complete does the commit step write the date's manifest,
naming exactly the files the bundles reported (a retried bundle's leftovers are never named);
readers resolve files through it (`pipelines/commits.py`). Re-running a date replaces its rows.

Beam's `WriteToParquet` is not used: it adds a dozen stages per table (the launcher's fixed cost
of every run) and buffers up to 64 MB per table and worker before writing a row group.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import date

import apache_beam as beam
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from pipelines.commits import DATA_FILE_SUFFIX, commit_date, filesystem, relative_run_folder
from pipelines.schema import TABLES, arrow_schema

ROW_GROUP_ROWS = 2000
"""Rows a worker buffers per table before writing them as one Parquet row group."""

WrittenFile = tuple[str, str]
"""(table, file path relative to the output root)."""


def open_output(fs: pafs.FileSystem, path: str) -> pa.NativeFile:
    """A new file at `path` on `fs`, open for writing (a local folder is created first)."""
    if isinstance(fs, pafs.LocalFileSystem):
        fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    return fs.open_output_stream(path)


class _WriteTableFn(beam.DoFn):
    """Rows of one table → one Parquet file per bundle; outputs `(table, relative path)` per file."""

    def __init__(self, output: str, table: str, run_date: date, run_id: str) -> None:
        self._output, self._table = output, table
        self._folder = relative_run_folder(table, run_date, run_id)
        self._rows: list[dict] = []
        self._writer: pq.ParquetWriter | None = None
        self._stream = None
        self._relative = ""

    def setup(self) -> None:
        self._fs, self._root = filesystem(self._output)
        self._schema = arrow_schema(self._table)

    def start_bundle(self) -> None:
        self._rows, self._writer, self._stream = [], None, None

    def process(self, row: dict) -> None:
        self._rows.append(row)
        if len(self._rows) >= ROW_GROUP_ROWS:
            self._write_row_group()

    def _write_row_group(self) -> None:
        if not self._rows:
            return
        if self._writer is None:
            self._relative = f"{self._folder}/part-{uuid.uuid4().hex[:16]}{DATA_FILE_SUFFIX}"
            self._stream = open_output(self._fs, f"{self._root}/{self._relative}")
            self._writer = pq.ParquetWriter(self._stream, self._schema, compression="snappy")
        self._writer.write_table(pa.Table.from_pylist(self._rows, schema=self._schema))
        self._rows = []

    def finish_bundle(self) -> Iterator[WindowedValue]:
        self._write_row_group()
        if self._writer is not None:
            self._writer.close()
            self._stream.close()
            self._writer = None
            yield WindowedValue((self._table, self._relative), MIN_TIMESTAMP, [GlobalWindow()])

    def teardown(self) -> None:
        if self._stream is not None:  # a failed bundle: its file is never named by the manifest
            self._stream.close()


class _CommitRun(beam.DoFn):
    def __init__(self, output: str, run_id: str, run_date: date) -> None:
        self._output, self._run_id, self._run_date = output, run_id, run_date

    def process(self, written: list[WrittenFile]) -> Iterable[str]:
        files: dict[str, list[str]] = {table: [] for table in TABLES}
        for table, relative in written:
            files[table].append(relative)
        fs, root = filesystem(self._output)
        for table, names in files.items():
            if not names:  # a table with no rows today still gets a file, so every reader sees its columns
                empty = f"{relative_run_folder(table, self._run_date, self._run_id)}/part-empty{DATA_FILE_SUFFIX}"
                with open_output(fs, f"{root}/{empty}") as stream:
                    pq.write_table(arrow_schema(table).empty_table(), stream, compression="snappy")
                names.append(empty)
        yield commit_date(self._output, self._run_id, self._run_date, files).run_id


class WriteParquet(beam.PTransform):
    """`{table: PCollection[row dict]}` for all five tables → Parquet files committed by the date's manifest.

    Outputs the run ID once the commit is done.
    """

    def __init__(self, output: str, run_id: str, run_date: date) -> None:
        super().__init__()
        self._output, self._run_id, self._run_date = output, run_id, run_date

    def expand(self, tables: dict[str, beam.PCollection]) -> beam.PCollection:
        """Write each table where its rows are made, then commit all of them together."""
        written = [tables[table] | f"Write_{table}" >> beam.ParDo(
                       _WriteTableFn(self._output, table, self._run_date, self._run_id))
                   for table in TABLES]
        return (written
                | "AllWritten" >> beam.Flatten()
                | "Together" >> beam.combiners.ToList()
                | "Commit" >> beam.ParDo(_CommitRun(self._output, self._run_id, self._run_date)))
