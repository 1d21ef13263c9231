"""Helpers shared by the tests: reading a run's output, the session's demo run, tiny models, Chromium."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import duckdb
import pyarrow.parquet as pq
import pytest
from committed import committed_files, parquet_scan

from pipelines.commits import read_commits, read_table
from pipelines.schema import TABLES

REPO = Path(__file__).resolve().parents[1]
FINSENT = [sys.executable, "-m", "finsent.cli"]
"""The `finsent` command line of this checkout, for subprocess tests."""

XSS_TITLE = "<script>alert(1)</script>"
XSS_SENTENCE = 'Shares <img src=x onerror="alert(2)"> plunged after the warning.'


def in_ci() -> bool:
    """True under CI (`CI=true`): what a developer's machine may skip, CI must have."""
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test with `reason`; under CI fail it instead, so nothing required is silently skipped."""
    if in_ci():
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


def chromium_binary() -> str:
    """The headless Chromium to drive; skips (fails under CI) when none is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    skip_or_fail("Chromium is not installed (apt-get install chromium); .ci/run installs it")


# --- a run's output ------------------------------------------------------------------------------

def read_rows(output: Path | str, table: str, run_date: str | None = None) -> list[dict]:
    """Committed rows of `table` (of one `run_date`, or all), found through the dates' manifests as
    every reader finds them (without the `run_date` partition column)."""
    commits = read_commits(str(output))
    chosen = [commit for day, commit in commits.items() if run_date is None or day.isoformat() == run_date]
    if not chosen:
        return []
    return read_table(str(output), table, commits=chosen).drop_columns(["run_date"]).to_pylist()


def stray_run_folders(output: Path | str) -> list[Path]:
    """Run folders of any table that are neither the committed run of their date nor the one it replaced
    (which a commit keeps for readers still reading it): what dead or half-written runs left behind."""
    kept = {(day, run) for day, commit in read_commits(str(output)).items()
            for run in (commit.run_id, commit.replaced_run_id) if run}
    return [folder for table in TABLES for folder in sorted(Path(output, table).glob("run_date=*/*"))
            if (dt.date.fromisoformat(folder.parent.name.split("=", 1)[1]), folder.name) not in kept]


def sql(output: Path | str, query: str, *params: object) -> list[tuple]:
    """Run `query` in DuckDB with one view per table of `output`, over the committed files (tables
    without files are left out)."""
    connection = duckdb.connect()
    for name in TABLES:
        if any(commit.files[name] for commit in read_commits(str(output)).values()):
            connection.execute(f"CREATE VIEW {name} AS SELECT * FROM {parquet_scan(output, name)}")
    return connection.execute(query, list(params)).fetchall()


def shipped(data: Path, name: str, **params: object) -> list[dict]:
    """Rows of the shipped query `name` (reports/queries) over `data`, as `finsent query` runs it."""
    from reports.sql import bind_params, load_query, run_duckdb

    query = load_query(name)
    return run_duckdb(query, bind_params(query, [f"{k}={v}" for k, v in params.items()]), data).records()


def shown_as(shown: str, value: float | None) -> bool:
    """Whether a page's signed 3-digit number (`+0.123`, `−0.045`) shows `value` (a query's, rounded
    to 4 digits): equal within the two roundings."""
    if value is None:
        return shown == "–"
    return abs(float(shown.replace("−", "-")) - value) <= 0.0005 + 0.00005 + 1e-9


# --- the session's demo run ----------------------------------------------------------------------

@dataclass(frozen=True)
class DemoRun:
    """`finsent demo` as run once per test session: its output, report and what it printed."""

    output: str
    reports: Path
    report: Path
    printed: str
    runs_row: dict
    failures_by_reason: dict[str, int]
    run_date: dt.date
    status: int


@dataclass(frozen=True)
class DemoData:
    """A copy of the demo run's Parquet output with hostile text injected, and the model that classified it."""

    data: Path
    date: dt.date
    model: Path
    xss_article_id: str
    xss_title: str = XSS_TITLE
    xss_sentence: str = XSS_SENTENCE


def inject_hostile_text(data: Path, date: dt.date) -> str:
    """Give the most negative article a script title and an HTML evidence sentence; its ID."""
    files = committed_files(data, date, "articles")
    assert len(files) == 1, files
    table = pq.read_table(files[0])
    rows = table.to_pylist()
    target = min((r for r in rows if r["score"] is not None), key=lambda r: r["score"])
    target["title"] = XSS_TITLE
    target["evidence"][0]["text"] = XSS_SENTENCE
    pq.write_table(table.from_pylist(rows, schema=table.schema), files[0])
    return target["article_id"]


def make_untrained_model(folder: Path, seed: int = 7) -> Path:
    """A tiny one-layer artifact from the base encoder with a seeded random head (mixed labels)."""
    import torch

    from model.artifact import save_artifact
    from model.base_encoder import base_encoder_dir
    from model.network import network_from_base

    torch.manual_seed(seed)
    network = network_from_base(base_encoder_dir(), num_layers=1)
    torch.nn.init.normal_(network.head.weight, std=2.0)
    torch.nn.init.zeros_(network.head.bias)
    save_artifact(network, folder, "untrained-test", 128, {"note": "tests"})
    return folder
