"""Test helpers that write committed dates the way the pipeline does (run folders, then the manifest)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.commits import commit_date, read_commits, relative_run_folder, run_folder
from pipelines.schema import TABLES, arrow_schema


def commit_rows(root: Path, day: date, run_id: str, columns: dict[str, dict[str, list]]) -> None:
    """Commit run `run_id` of `day` whose tables hold `columns` (table → column → values; others empty)."""
    files = {table: [f"{relative_run_folder(table, day, run_id)}/part-00000-of-00001.parquet"] for table in TABLES}
    for table in TABLES:
        rows = pa.table(columns[table]) if table in columns else arrow_schema(table).empty_table()
        (root / files[table][0]).parent.mkdir(parents=True)
        pq.write_table(rows, root / files[table][0])
    commit_date(str(root), run_id, day, files)


def copy_date(root: Path, source: date, target: date) -> None:
    """Commit the rows of `source` again as the rows of `target` (as a re-run on another date would)."""
    commit = read_commits(str(root))[source]
    for table in TABLES:
        shutil.copytree(run_folder(str(root), table, source, commit.run_id),
                        run_folder(str(root), table, target, commit.run_id))
    moved = f"/run_date={target.isoformat()}/"
    commit_date(str(root), commit.run_id, target,
                {table: [name.replace(f"/run_date={source.isoformat()}/", moved) for name in names]
                 for table, names in commit.files.items()})


def committed_files(root: Path, day: date, table: str) -> list[Path]:
    """The files of `table` that the manifest of `day` names."""
    return [root / relative for relative in read_commits(str(root))[day].files[table]]


def parquet_scan(root: Path | str, table: str) -> str:
    """A DuckDB `read_parquet(...)` over the committed files of `table` (every date), as SQL text."""
    return f"read_parquet({committed_paths(root, table)!r}, hive_partitioning = true)"


def committed_paths(root: Path | str, table: str) -> list[str]:
    """The committed files of `table` (every date), as the paths a `read_parquet(?)` parameter takes."""
    return [str(Path(root) / relative) for commit in read_commits(str(root)).values()
            for relative in commit.files[table]]
