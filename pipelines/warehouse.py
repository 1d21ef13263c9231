"""finsent's BigQuery dataset: table definitions, the client, and the commit that switches a run date.

A run loads each table into its own staging table (`_staging_<table>_<run_id>`, plain, no
partitioning), then `commit_run_date` switches the date in ONE multi-statement transaction:
for every table, DELETE the date's rows and INSERT the staging rows. Readers see the old date or
the new one across all five tables, never a mix; other dates are untouched; re-running a date
replaces it. Partitioned DML needs no `table$YYYYMMDD` decorator, so the same statements run on
BigQuery and on the bqemulator the tests start.

Imports neither Beam nor torch: the reports and `finsent query` use it too. The Google client is
imported only when a function needs it (the `gcp` extra).
"""

from __future__ import annotations

import os
import re
from datetime import date
from typing import Any

from finsent.constants import parse_dataset
from pipelines.schema import PARTITION_COLUMN, TABLES, bigquery_schema

# Clustering columns per table (a table not listed, like the one-row-per-run `runs`, has none).
CLUSTERING: dict[str, tuple[str, ...]] = {
    "articles": ("source", "label"),
    "sentences": ("article_id", "label"),
    "mentions": ("ticker", "article_id"),
    "failures": ("reason", "feed"),
}

#: The google-cloud-bigquery library sends requests to this host when it is set (an emulator);
#: finsent then also uses anonymous credentials, since an emulator checks none.
EMULATOR_HOST_VARIABLE = "BIGQUERY_EMULATOR_HOST"


def table_parameters(table: str) -> dict:
    """REST table/load parameters that make `table` day-partitioned on run_date and clustered."""
    parameters: dict = {"timePartitioning": {"type": "DAY", "field": PARTITION_COLUMN}}
    if CLUSTERING.get(table):
        parameters["clustering"] = {"fields": list(CLUSTERING[table])}
    return parameters


def staging_table(table: str, run_id: str) -> str:
    """Name of the table a run loads `table`'s rows into before its commit."""
    return f"_staging_{table}_{re.sub(r'[^A-Za-z0-9_]', '_', run_id)}"


def bigquery_client(project: str):
    """The official BigQuery client for `project`; anonymous when $BIGQUERY_EMULATOR_HOST is set."""
    from google.cloud import bigquery

    if os.environ.get(EMULATOR_HOST_VARIABLE):
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(project=project, credentials=AnonymousCredentials())
    return bigquery.Client(project=project)


def table_resource(project: str, dataset: str, table: str, staging_for: str | None = None) -> dict:
    """The REST `Table` resource of `table` (finsent's schema, partitioned and clustered), or of
    the plain staging table of run `staging_for`."""
    table_id = staging_table(table, staging_for) if staging_for else table
    resource: dict[str, Any] = {"tableReference": {"projectId": project, "datasetId": dataset, "tableId": table_id},
                                "schema": bigquery_schema(table)}
    if not staging_for:
        resource.update(table_parameters(table))
    return resource


def commit_script(dataset_spec: str, run_id: str, run_date: date) -> str:
    """The transaction that replaces `run_date` in every table of `PROJECT:DATASET` with the run's
    staging rows.

    Names come from `parse_dataset` and `staging_table`, which admit no quote; the date is a
    `date` whose ISO text cannot carry SQL. It is a literal, not a query parameter, because the
    emulator does not bind parameters inside multi-statement scripts.
    """
    project, dataset = parse_dataset(dataset_spec)
    if not isinstance(run_date, date):
        raise TypeError(f"run_date must be a date, got {type(run_date).__name__}")
    statements = ["BEGIN TRANSACTION;"]
    for table, fields in TABLES.items():
        columns = ", ".join(f"`{field.name}`" for field in fields)
        target = f"`{project}.{dataset}.{table}`"
        staged = f"`{project}.{dataset}.{staging_table(table, run_id)}`"
        statements.append(f"DELETE FROM {target} "  # noqa: S608 (checked names, a date)
                          f"WHERE {PARTITION_COLUMN} = DATE '{run_date.isoformat()}';")
        statements.append(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {staged};")  # noqa: S608
    statements.append("COMMIT TRANSACTION;")
    return "\n".join(statements)


def commit_run_date(client, dataset_spec: str, run_id: str, run_date: date) -> bool:
    """Switch `run_date` of `PROJECT:DATASET` to the rows `run_id` staged, then drop its staging tables.

    Creates the partitioned tables on first use, and an empty staging table for any table the
    run wrote no rows to (a load of nothing creates no table), so that the date's old rows of
    that table are deleted too. Returns False, changing nothing, when the run's `runs` staging
    table is gone: every run stages its one `runs` row, so the run was committed already (a
    retried commit step must not commit empty tables over it). That table is dropped first.
    """
    from google.api_core.exceptions import NotFound
    from google.cloud import bigquery

    project, dataset = parse_dataset(dataset_spec)
    try:
        client.get_table(f"{project}.{dataset}.{staging_table('runs', run_id)}")
    except NotFound:
        return False
    for table in TABLES:
        client.create_table(bigquery.Table.from_api_repr(table_resource(project, dataset, table)),
                            exists_ok=True)
        client.create_table(bigquery.Table.from_api_repr(table_resource(project, dataset, table, run_id)),
                            exists_ok=True)
    client.query(commit_script(dataset_spec, run_id, run_date)).result()
    for table in ("runs", *(name for name in TABLES if name != "runs")):
        client.delete_table(f"{project}.{dataset}.{staging_table(table, run_id)}", not_found_ok=True)
    return True
