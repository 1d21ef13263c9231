"""WriteBigQueryTables: the run's five tables loaded into BigQuery, replacing the run date's partition.

Tables are created if needed from `schema.bigquery_schema`, partitioned by day on `run_date`
and clustered by `CLUSTERING`.

Re-runs are idempotent by one method only: every table's rows are loaded with FILE_LOADS
(batch load jobs; Beam ≥ 2.45 has no FILE_LOADS + WRITE_TRUNCATE data-loss bug, and we pin
2.77) into the partition decorator `table$YYYYMMDD` with WRITE_TRUNCATE. A load job replaces
exactly that partition, atomically, and never touches other dates. A table with no rows in a
run gets no load job, so its partition is deleted instead: a re-run without failures must not
keep the earlier run's failures. STORAGE_WRITE_API is not used (a cross-language Java
transform we cannot test here).

The BigQuery IO needs the `gcp` extra (`pip install '.[gcp]'`); it is imported only when a
pipeline actually writes to BigQuery.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import GoogleCloudOptions
from apache_beam.pvalue import AsSingleton

from finsent.constants import parse_dataset
from pipelines.schema import PARTITION_COLUMN, TABLES, Field, bigquery_schema

# Clustering columns per table (a table not listed, like the one-row-per-run `runs`, has none).
CLUSTERING: dict[str, tuple[str, ...]] = {
    "articles": ("source", "label"),
    "sentences": ("article_id", "label"),
    "mentions": ("ticker", "article_id"),
    "failures": ("reason", "feed"),
}

def table_spec(project: str, dataset: str, table: str, run_date: date | None = None) -> str:
    """`PROJECT:DATASET.TABLE`, with the `$YYYYMMDD` partition decorator when `run_date` is given."""
    spec = f"{project}:{dataset}.{table}"
    return f"{spec}${run_date:%Y%m%d}" if run_date else spec


def table_parameters(table: str) -> dict:
    """Load-job parameters that create `table` day-partitioned on run_date and clustered."""
    parameters: dict = {"timePartitioning": {"type": "DAY", "field": PARTITION_COLUMN}}
    if CLUSTERING.get(table):
        parameters["clustering"] = {"fields": list(CLUSTERING[table])}
    return parameters


def bigquery_row(table: str, row: Mapping[str, Any]) -> dict:
    """`row` of `table` as BigQuery JSON: ISO-8601 UTC timestamps, YYYY-MM-DD dates, lists, dicts.

    Raises ValueError naming the column for unknown or missing columns, wrong types, naive
    timestamps and non-finite floats in REQUIRED columns (a NULLABLE one gets null).
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of {sorted(TABLES)}")
    return _record(table, TABLES[table], row)


def _record(path: str, fields: tuple[Field, ...], row: Mapping[str, Any]) -> dict:
    if not isinstance(row, Mapping):
        raise ValueError(f"{path}: expected a dict of columns, got {type(row).__name__}")
    unknown = set(row) - {field.name for field in fields}
    if unknown:
        raise ValueError(f"{path}: unknown columns {sorted(unknown)}")
    return {field.name: _column(f"{path}.{field.name}", field, row.get(field.name)) for field in fields}


def _column(path: str, field: Field, value: Any) -> Any:
    if field.mode == "REPEATED":
        if value is None:
            return []
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            raise ValueError(f"{path}: REPEATED column needs a list, got {type(value).__name__}")
        return [_required(f"{path}[{i}]", field, item) for i, item in enumerate(value)]
    if value is None:
        if field.mode == "REQUIRED":
            raise ValueError(f"{path}: REQUIRED column is missing or null")
        return None
    converted = _scalar(path, field, value)
    if converted is None and field.mode == "REQUIRED":
        raise ValueError(f"{path}: REQUIRED FLOAT64 column is not finite ({value!r})")
    return converted


def _required(path: str, field: Field, value: Any) -> Any:
    converted = None if value is None else _scalar(path, field, value)
    if converted is None:
        raise ValueError(f"{path}: elements of a REPEATED column cannot be null or non-finite")
    return converted


def _scalar(path: str, field: Field, value: Any) -> Any:
    kind = field.type
    if kind == "RECORD":
        return _record(path, field.fields, value)
    if kind == "TIMESTAMP" and isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError(f"{path}: TIMESTAMP needs a timezone-aware datetime, got {value!r}")
        utc = value - value.utcoffset()
        return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    if kind == "DATE" and isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if kind == "FLOAT64" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if kind == "INT64" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if (kind == "BOOL" and isinstance(value, bool)) or (kind == "STRING" and isinstance(value, str)):
        return value
    raise ValueError(f"{path}: {kind} column cannot hold {type(value).__name__} {value!r:.80}")


def partition_to_clear(project: str, dataset: str, table: str, run_date: date, rows: int) -> str | None:
    """`project.dataset.table$YYYYMMDD` when the run wrote no rows to `table` (no load job replaces
    the partition, so it must be deleted), else None."""
    if rows:
        return None
    return f"{project}.{dataset}.{table}${run_date:%Y%m%d}"


class _ClearEmptyPartition(beam.DoFn):
    """Deletes the run date's partition of a table that got no rows in this run."""

    def __init__(self, project: str, dataset: str, table: str, run_date: date) -> None:
        self._where = (project, dataset, table, run_date)

    def process(self, _, rows: int):
        partition = partition_to_clear(*self._where, rows)
        if partition:
            from google.cloud import bigquery

            bigquery.Client(project=self._where[0]).delete_table(partition, not_found_ok=True)
            yield partition


class WriteBigQueryTables(beam.PTransform):
    """{table name: PCollection of row dicts} → BigQuery `PROJECT:DATASET.<table>$<run_date>`.

    Each table gets one FILE_LOADS WRITE_TRUNCATE load into its run-date partition (see the
    module docstring); returns {table name: WriteToBigQuery result}.
    """

    def __init__(self, dataset: str, run_date: date) -> None:
        super().__init__()
        self._project, self._dataset = parse_dataset(dataset)
        self._run_date = run_date

    def expand(self, tables: dict[str, beam.PCollection]) -> dict:
        if set(tables) != set(TABLES):
            raise ValueError(f"WriteBigQueryTables needs exactly the tables {sorted(TABLES)}, "
                             f"got {sorted(tables)}")
        temp = next(iter(tables.values())).pipeline.options.view_as(GoogleCloudOptions).temp_location
        if not (temp or "").startswith("gs://"):
            raise ValueError("--bigquery_dataset loads files through Cloud Storage: set --temp_location "
                             f"gs://BUCKET/PATH (got {temp!r})")
        return {name: self._write(name, tables[name]) for name in TABLES}

    def _write(self, name: str, rows: beam.PCollection):
        write_to_bigquery = _write_to_bigquery_class()
        title = name.capitalize()
        written = (rows
                   | f"{title}ToJson" >> beam.Map(bigquery_row, name)
                   | f"Load{title}" >> write_to_bigquery(
                       table=table_spec(self._project, self._dataset, name, self._run_date),
                       schema=bigquery_schema(name),
                       method=write_to_bigquery.Method.FILE_LOADS,
                       create_disposition="CREATE_IF_NEEDED",
                       write_disposition="WRITE_TRUNCATE",
                       additional_bq_parameters=table_parameters(name)))
        count = rows | f"Count{title}" >> beam.combiners.Count.Globally()
        _ = (rows.pipeline
             | f"{title}Once" >> beam.Create([None])
             | f"Clear{title}IfEmpty" >> beam.ParDo(
                 _ClearEmptyPartition(self._project, self._dataset, name, self._run_date),
                 rows=AsSingleton(count)))
        return written


def _write_to_bigquery_class() -> type:
    try:
        from apache_beam.io.gcp.bigquery import WriteToBigQuery
        from apache_beam.io.gcp.internal.clients import bigquery  # noqa: F401  (needs the gcp extra)
    except ImportError as error:
        raise RuntimeError("--bigquery_dataset needs the gcp extra: pip install 'finsent[gcp]' "
                           f"(missing: {error.name})") from error
    return WriteToBigQuery

