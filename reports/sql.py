"""Analyst SQL: the BigQuery queries of reports/queries/, run on BigQuery or locally on DuckDB.

Conventions of a query file (BigQuery Standard SQL):
- Tables are named unqualified: `articles`, `sentences`, `failures`, `runs`, ... On BigQuery the
  job's default dataset (`--bigquery_dataset PROJECT:DATASET`) qualifies them; locally each is a
  DuckDB view over the table's committed Parquet files (local or gs://, found through the dates'
  manifests, see `pipelines/commits.py`), and sqlglot translates the query from
  the BigQuery dialect to DuckDB's. The same file thus runs unchanged on both engines.
- The header comment says what the query answers, then declares its parameters, one a line:
  `-- @param NAME TYPE [= DEFAULT]: meaning` (TYPE: DATE, INT64, FLOAT64, STRING, BOOL).
- Parameters (`@run_date`, `@days`, ...) are always bound by the engine (BigQuery query
  parameters, DuckDB `$name` prepared parameters), never formatted into the SQL text.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from finsent.constants import DEFAULT_OUTPUT
from finsent.errors import FinsentError, UsageError

QUERY_DIR = Path(__file__).with_name("queries")
FORMATS = ("table", "csv", "json")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these runs as a formula when the CSV is opened in a spreadsheet."""

_PARAM_LINE = re.compile(r"^--\s*@param\s+(\w+)\s+(\w+)\s*(?:=\s*(\S+))?\s*(?::\s*(.*))?$")


class QueryError(UsageError):
    """The query named or its parameters are unusable (a command-line mistake); the message says which."""


def _to_bool(text: str) -> bool:
    if text.lower() not in {"true", "false"}:
        raise ValueError("expected true or false")
    return text.lower() == "true"


PARAM_TYPES: dict[str, Callable[[str], Any]] = {
    "DATE": date.fromisoformat, "INT64": int, "FLOAT64": float, "STRING": str, "BOOL": _to_bool,
}


@dataclass(frozen=True)
class Param:
    """A declared parameter of a query file."""

    name: str
    type: str
    default: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Query:
    """A BigQuery Standard SQL query, its declared parameters and the names it uses."""

    name: str
    sql: str
    declared: tuple[Param, ...]

    @property
    def summary(self) -> str:
        """The header comment's first sentence lines (what the query answers)."""
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--") or _PARAM_LINE.match(line):
                break
            lines.append(line[2:].strip())
        return " ".join(lines)

    @property
    def statement(self) -> str:
        """The SQL without its header comment: what is sent to BigQuery.

        bqemulator binds `@name` written in comments as if it were a parameter, so the header's
        prose ("ending at @run_date") must not reach it; BigQuery itself ignores comments.
        """
        lines = self.sql.splitlines()
        start = next((i for i, line in enumerate(lines) if not line.lstrip().startswith("--")), len(lines))
        return "\n".join(lines[start:])

    @property
    def used(self) -> tuple[str, ...]:
        """Names of the `@parameters` the SQL uses, in order of first use."""
        import sqlglot
        from sqlglot import exp

        try:
            tree = sqlglot.parse_one(self.sql, read="bigquery")
        except sqlglot.errors.SqlglotError as error:
            raise QueryError(f"query {self.name} is not valid BigQuery SQL: {error}") from error
        return tuple(dict.fromkeys(node.name for node in tree.find_all(exp.Parameter)))


@dataclass(frozen=True)
class BoundParam:
    """A parameter's BigQuery type and its Python value."""

    type: str
    value: Any


@dataclass(frozen=True)
class QueryResult:
    """Column names and rows (tuples of Python values) of a finished query."""

    columns: list[str]
    rows: list[tuple]

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def shipped_queries() -> dict[str, Path]:
    """Name → file of every query in reports/queries/."""
    return {path.stem: path for path in sorted(QUERY_DIR.glob("*.sql"))}


def load_query(spec: str) -> Query:
    """A shipped query's name, a .sql file's path, or the text of a query."""
    shipped = shipped_queries()
    if spec in shipped:
        return _parsed(spec, shipped[spec].read_text(encoding="utf-8"))
    if spec.endswith(".sql"):
        path = Path(spec)
        if not path.is_file():
            raise QueryError(f"query file {spec} does not exist")
        return _parsed(path.stem, path.read_text(encoding="utf-8"))
    if not re.search(r"\s", spec.strip()):
        raise QueryError(f"unknown query {spec!r}; shipped queries: {', '.join(shipped)}")
    return _parsed("sql", spec)


def _parsed(name: str, sql: str) -> Query:
    declared = []
    for line in sql.splitlines():
        match = _PARAM_LINE.match(line.strip())
        if match:
            param = Param(match[1], match[2].upper(), match[3], (match[4] or "").strip())
            if param.type not in PARAM_TYPES:
                raise QueryError(f"query {name}: parameter @{param.name} has unknown type {param.type}; "
                                 f"use one of {', '.join(PARAM_TYPES)}")
            declared.append(param)
    return Query(name, sql, tuple(declared))


def bind_params(query: Query, assignments: Sequence[str]) -> dict[str, BoundParam]:
    """`--param NAME=VALUE` words → typed values of every parameter the query uses.

    Declared types and defaults come from the file's header; an undeclared parameter's type is
    inferred from its value (integer, number, YYYY-MM-DD date, true/false, else string).
    """
    given = {}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or not name:
            raise QueryError(f"--param needs NAME=VALUE, got {assignment!r}")
        given[name.strip().lstrip("@")] = value
    used = query.used
    unknown = sorted(set(given) - set(used))
    if unknown:
        raise QueryError(f"query {query.name} has no parameter {', '.join('@' + n for n in unknown)}; "
                         f"it uses: {', '.join('@' + n for n in used) or 'none'}")
    declared = {param.name: param for param in query.declared}
    bound = {}
    for name in used:
        param = declared.get(name)
        text = given.get(name, param.default if param else None)
        if text is None:
            raise QueryError(f"query {query.name} needs --param {name}=VALUE"
                             + (f" ({param.type}: {param.description})" if param else ""))
        kind = param.type if param else _inferred_type(text)
        try:
            bound[name] = BoundParam(kind, PARAM_TYPES[kind](text))
        except ValueError as error:
            raise QueryError(f"--param {name}: {kind} expected, got {text!r} ({error})") from error
    return bound


def _inferred_type(text: str) -> str:
    if re.fullmatch(r"-?\d+", text):
        return "INT64"
    if re.fullmatch(r"-?\d*\.\d+(e-?\d+)?", text):
        return "FLOAT64"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return "DATE"
    return "BOOL" if text.lower() in {"true", "false"} else "STRING"


def to_duckdb(sql: str) -> str:
    """The BigQuery query translated to DuckDB SQL (`@name` parameters become `$name`)."""
    import sqlglot

    try:
        statements = sqlglot.transpile(sql, read="bigquery", write="duckdb")
    except sqlglot.errors.SqlglotError as error:
        raise QueryError(f"not valid BigQuery SQL: {error}") from error
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]


def open_duckdb(data_dir: str | Path):
    """An in-memory DuckDB with one view per table over the committed Parquet files under `data_dir`.

    `data_dir` is the pipeline's output root, a local folder or a URI (gs://...); files are found
    through the dates' manifests (`pipelines/commits.py`) and read with pyarrow, so a query sees
    one whole run per date. A table with no rows yet is an empty view with the table's columns.
    Timestamps are handled in UTC, as on BigQuery.
    """
    import duckdb

    from pipelines.commits import read_commits, table_dataset
    from pipelines.schema import TABLES

    try:
        commits = read_commits(str(data_dir)).values()
    except (OSError, ValueError) as error:
        raise FinsentError(f"--data {data_dir}: cannot read its manifests: {error}") from error
    if not commits and "://" not in str(data_dir) and not Path(data_dir).is_dir():
        raise FinsentError(f"--data {data_dir} is not a folder (expected the pipeline's --output)")
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    for table in TABLES:
        connection.register(table, table_dataset(str(data_dir), table, commits))
    return connection


def run_duckdb(query: Query, params: dict[str, BoundParam], data_dir: str | Path) -> QueryResult:
    """Run `query` over the Parquet tables under `data_dir`."""
    import duckdb

    sql = to_duckdb(query.sql)
    connection = open_duckdb(data_dir)
    try:
        cursor = connection.execute(sql, {name: p.value for name, p in params.items()})
        columns = [column[0] for column in cursor.description]
        return QueryResult(columns, cursor.fetchall())
    except duckdb.Error as error:
        raise FinsentError(f"query {query.name} failed on DuckDB: {error}") from error
    finally:
        connection.close()


def bigquery_job_config(params: dict[str, BoundParam], dataset: str):
    """A `QueryJobConfig` binding `params` whose default dataset qualifies the unqualified tables."""
    from google.cloud import bigquery

    from finsent.constants import parse_dataset

    project, dataset_id = parse_dataset(dataset)
    return bigquery.QueryJobConfig(
        default_dataset=f"{project}.{dataset_id}",
        query_parameters=[bigquery.ScalarQueryParameter(name, p.type, p.value) for name, p in params.items()])


def run_bigquery(query: Query, params: dict[str, BoundParam], dataset: str) -> QueryResult:
    """Run `query` on BigQuery against `PROJECT:DATASET` (needs the gcp extra and credentials;
    `$BIGQUERY_EMULATOR_HOST` points it at an emulator)."""
    from google.api_core import exceptions

    from finsent.constants import parse_dataset
    from pipelines.warehouse import bigquery_client

    try:
        config = bigquery_job_config(params, dataset)
        rows = bigquery_client(parse_dataset(dataset)[0]).query(query.statement, job_config=config).result()
    except ValueError as error:
        raise QueryError(str(error)) from error
    except exceptions.GoogleAPIError as error:
        raise QueryError(f"query {query.name} failed on BigQuery {dataset}: {error}") from error
    return QueryResult([field.name for field in rows.schema], [tuple(row.values()) for row in rows])


def format_result(result: QueryResult, fmt: str) -> str:
    """The result as an aligned text table, CSV or a JSON list of objects."""
    if fmt == "json":
        return json.dumps(result.records(), default=_json_value, ensure_ascii=False, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180; a cell holding CR or LF is quoted
        writer.writerow(result.columns)
        writer.writerows([[_csv_cell(value) for value in row] for row in result.rows])
        return out.getvalue().removesuffix("\r\n")
    import pandas as pd

    if not result.rows:
        return "  ".join(result.columns) + "\n(no rows)"
    cells = [["" if v is None else v for v in row] for row in result.rows]
    return pd.DataFrame(cells, columns=result.columns, dtype=object).to_string(index=False)


def _csv_cell(value: Any) -> Any:
    """One CSV cell; text that a spreadsheet would run as a formula gets a leading `'` (OWASP)."""
    if value is None:
        return ""
    value = _json_value(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _json_value(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=_json_value, ensure_ascii=False)
    return value


def add_query_commands(commands: argparse._SubParsersAction) -> None:
    """Register `finsent query`."""
    query = commands.add_parser(
        "query", help="run an analyst SQL query (shipped name, .sql file or SQL text) on Parquet or BigQuery",
        description="Run BigQuery Standard SQL locally on DuckDB over the Parquet tables, or on BigQuery. "
                    "Shipped queries: " + ", ".join(shipped_queries()))
    query.add_argument("query", nargs="?", help="shipped query name, path of a .sql file, or SQL text")
    query.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="query parameter (repeatable), e.g. --param run_date=2026-11-23; "
                            "run_date defaults to the latest run date in the data")
    where = query.add_mutually_exclusive_group()
    where.add_argument("--data", default=DEFAULT_OUTPUT, help="the pipeline's --output: a folder or gs://bucket/prefix")
    where.add_argument("--bigquery_dataset", default=None, metavar="PROJECT:DATASET",
                       help="run on BigQuery, on the tables of the pipeline's --bigquery_dataset")
    query.add_argument("--format", choices=FORMATS, default="table", help="output format")
    query.add_argument("--list", action="store_true", help="list the shipped queries and their parameters")
    query.set_defaults(handler=run_query_command)


def run_query_command(args: argparse.Namespace) -> int:
    """`finsent query`: prints the result; a bad query or parameter exits 2 with the reason."""
    if args.list:
        print(format_query_list())
        return 0
    try:
        if not args.query:
            raise QueryError("name a query (see finsent query --list), a .sql file or SQL text")
        query = load_query(args.query)
        bigquery = args.bigquery_dataset is not None
        target = args.bigquery_dataset if bigquery else args.data
        params = bind_params(query, _with_latest_run_date(query, args.param, bigquery, target))
        result = (run_bigquery if bigquery else run_duckdb)(query, params, target)
    except QueryError as error:
        print(f"finsent query: {error}", file=sys.stderr)
        return 2
    print(format_result(result, args.format))
    return 0


def _with_latest_run_date(query: Query, assignments: list[str], bigquery: bool, target: str) -> list[str]:
    """`assignments`, plus `run_date=<the latest run date>` when the query uses @run_date and none is given."""
    if "run_date" not in query.used or any(a.partition("=")[0].strip().lstrip("@") == "run_date"
                                           for a in assignments):
        return assignments
    latest = _parsed("latest_run_date", "SELECT MAX(run_date) AS run_date FROM runs")
    (value,), = (run_bigquery if bigquery else run_duckdb)(latest, {}, target).rows
    if value is None:
        raise QueryError(f"query {query.name} needs --param run_date=YYYY-MM-DD: there are no runs yet")
    return [*assignments, f"run_date={value.isoformat()}"]


def format_query_list() -> str:
    """One paragraph per shipped query: name, what it answers, parameters."""
    blocks = []
    for name in shipped_queries():
        query = load_query(name)
        params = ", ".join(f"{p.name} {p.type}" + (f" = {p.default}" if p.default else "")
                           for p in query.declared)
        blocks.append(f"{name}\n  {query.summary}\n  parameters: {params or 'none'}")
    return "\n\n".join(blocks)
