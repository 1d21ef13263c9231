"""WriteBigQueryTables: the run's five tables loaded into BigQuery, the run date switched in one transaction.

Each table's rows are loaded with FILE_LOADS (batch load jobs of JSON files under the gs://
--temp_location) into the run's own staging table, WRITE_TRUNCATE, so a retried load replaces
itself. When every load has finished, one step runs `warehouse.commit_run_date`: a single
multi-statement transaction that, for each table, deletes the run date's rows and inserts the
staging rows, then drops the staging tables. All five tables switch together, other dates are
never touched, re-running a date replaces it, and a table with no rows this run loses its old
rows of the date. Tables are created day-partitioned on `run_date` and clustered
(`warehouse.CLUSTERING`). STORAGE_WRITE_API is not used (a cross-language Java transform).

The BigQuery IO needs the `gcp` extra (`pip install '.[gcp]'`); it is imported only when a
pipeline actually writes to BigQuery.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import GoogleCloudOptions
from apache_beam.pvalue import AsList

from finsent.constants import parse_dataset
from pipelines.schema import TABLES, Field, bigquery_schema
from pipelines.warehouse import bigquery_client, commit_run_date, staging_table

LOG = logging.getLogger(__name__)


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


class _CommitRunDate(beam.DoFn):
    """Switches the run date to the staged rows once every load job has finished (its side inputs)."""

    def __init__(self, dataset: str, run_id: str, run_date: date) -> None:
        self._dataset, self._run_id, self._run_date = dataset, run_id, run_date

    def process(self, _, *finished_jobs):
        client = bigquery_client(parse_dataset(self._dataset)[0])
        if not commit_run_date(client, self._dataset, self._run_id, self._run_date):
            LOG.warning("run %s was already committed to %s (a retried step): nothing changed",
                        self._run_id, self._dataset)
        yield self._run_date


class WriteBigQueryTables(beam.PTransform):
    """{table name: PCollection of row dicts} → BigQuery `PROJECT:DATASET.<table>`, the run date replaced.

    Loads each table into its staging table, then commits them together (see the module
    docstring); returns a PCollection holding the run date once it is committed.
    """

    def __init__(self, dataset: str, run_id: str, run_date: date) -> None:
        super().__init__()
        self._project, self._dataset = parse_dataset(dataset)
        self._run_id, self._run_date = run_id, run_date

    def expand(self, tables: dict[str, beam.PCollection]) -> beam.PCollection:
        if set(tables) != set(TABLES):
            raise ValueError(f"WriteBigQueryTables needs exactly the tables {sorted(TABLES)}, "
                             f"got {sorted(tables)}")
        temp = next(iter(tables.values())).pipeline.options.view_as(GoogleCloudOptions).temp_location
        if not (temp or "").startswith("gs://"):
            raise ValueError("--bigquery_dataset loads files through Cloud Storage: set --temp_location "
                             f"gs://BUCKET/PATH (got {temp!r})")
        # Beam waits for its load (and copy) jobs in the steps that emit these job IDs, so a step
        # reading them all as side inputs runs only after every table is loaded.
        loads = [self._load(name, tables[name]) for name in TABLES]
        finished = [AsList(jobs) for load in loads
                    for jobs in (load.destination_load_jobid_pairs, load.destination_copy_jobid_pairs)]
        dataset = f"{self._project}:{self._dataset}"
        return (tables["runs"].pipeline
                | "CommitOnce" >> beam.Create([None])
                | "CommitRunDate" >> beam.ParDo(_CommitRunDate(dataset, self._run_id, self._run_date), *finished))

    def _load(self, name: str, rows: beam.PCollection):
        write_to_bigquery = _write_to_bigquery_class()
        title = name.capitalize()
        return (rows
                | f"{title}ToJson" >> beam.Map(bigquery_row, name)
                | f"Stage{title}" >> write_to_bigquery(
                    table=f"{self._project}:{self._dataset}.{staging_table(name, self._run_id)}",
                    schema=bigquery_schema(name),
                    method=write_to_bigquery.Method.FILE_LOADS,
                    create_disposition="CREATE_IF_NEEDED",
                    write_disposition="WRITE_TRUNCATE"))


def _write_to_bigquery_class() -> type:
    try:
        from apache_beam.io.gcp.bigquery import WriteToBigQuery
        from apache_beam.io.gcp.internal.clients import bigquery  # noqa: F401  (needs the gcp extra)
    except ImportError as error:
        raise RuntimeError("--bigquery_dataset needs the gcp extra: pip install 'finsent[gcp]' "
                           f"(missing: {error.name})") from error
    return WriteToBigQuery

