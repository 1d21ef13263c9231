"""WriteParquet: the run's four tables as hive-partitioned Parquet, committed all at once.

Layout: `<output>/<table>/run_date=YYYY-MM-DD/part-SSSSS-of-NNNNN.parquet`. Each table is first
written under `<output>/<table>/_staging/<run_id>/`; only when all four are complete does the
commit step swap each staging folder in for that date's partition. Readers glob
`run_date=*/*.parquet`, so they never see staging files, a half-written partition, or two
runs of the same date: re-running a date replaces its rows.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from datetime import date
from hashlib import sha256

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.io.localfilesystem import LocalFileSystem

from model.predict import Prediction
from pipelines.records import Failure, Sentence
from pipelines.schema import TABLES, arrow_schema

TABLE_NAMES = tuple(TABLES)


def partition_dir(output: str, table: str, run_date: date) -> str:
    """Folder of one table's rows for one run date."""
    return FileSystems.join(output, table, f"run_date={run_date.isoformat()}")


def staging_dir(output: str, table: str, run_id: str) -> str:
    """Folder a run writes one table into before its commit."""
    return FileSystems.join(output, table, "_staging", run_id)


def sentence_row(classified: tuple[Sentence, Prediction, str], run_date: date) -> dict:
    """The `sentences` table row of one classified sentence."""
    sentence, prediction, model_version = classified
    return {
        "sentence_id": sentence.sentence_id, "article_id": sentence.article_id, "run_date": run_date,
        "index": sentence.index, "text": sentence.text, "label": prediction.label,
        "p_negative": prediction.p_negative, "p_neutral": prediction.p_neutral,
        "p_positive": prediction.p_positive, "score": prediction.score, "model_version": model_version,
    }


ENTRY_LEVEL_STAGES = frozenset({"feeds", "scrape"})


def is_entry_level(failure: Failure) -> bool:
    """Whether the failure stands for one feed entry (a whole-feed or model failure does not)."""
    return failure.stage in ENTRY_LEVEL_STAGES and failure.reason not in {"feed_unreachable",
                                                                         "feed_malformed"}


def failure_row(failure: Failure, run_id: str, run_date: date) -> dict:
    """The `failures` table row of one failure; its ID is stable across re-runs of the date."""
    key = "\x1f".join([run_date.isoformat(), failure.stage, failure.feed, failure.url, failure.reason,
                       failure.detail if not failure.url else ""])
    return {
        "failure_id": sha256(key.encode()).hexdigest()[:24], "run_id": run_id, "run_date": run_date,
        "stage": failure.stage, "feed": failure.feed or None, "url": failure.url or None,
        "reason": failure.reason, "detail": failure.detail, "http_status": failure.http_status,
        "entry_level": is_entry_level(failure),
    }


def _is_local(path: str) -> bool:
    return isinstance(FileSystems.get_filesystem(path), LocalFileSystem)


def _commit_local(staging: str, partition: str) -> None:
    # The replaced partition waits under `_staging/`, never beside it: a crash before the rmtree
    # must not leave a second `run_date=...*` folder that readers' globs would pick up.
    trash = f"{staging}.replaced"
    if os.path.isdir(partition):
        os.replace(partition, trash)
    os.replace(staging, partition)
    shutil.rmtree(trash, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(staging))  # the `_staging` folder, once no other run uses it


def _commit_remote(staging: str, partition: str) -> None:
    old = [m.path for m in FileSystems.match([FileSystems.join(partition, "*")])[0].metadata_list]
    if old:
        FileSystems.delete(old)
    new = [m.path for m in FileSystems.match([FileSystems.join(staging, "*")])[0].metadata_list]
    FileSystems.rename(new, [FileSystems.join(partition, path.rsplit("/", 1)[-1]) for path in new])


def commit_partition(output: str, table: str, run_id: str, run_date: date) -> str:
    """Make the staged files of `run_id` the `table` partition of `run_date`; returns its path."""
    staging, partition = staging_dir(output, table, run_id), partition_dir(output, table, run_date)
    if _is_local(output):
        _commit_local(staging, partition)
    else:
        _commit_remote(staging, partition)
    return partition


class _CommitRun(beam.DoFn):
    def __init__(self, output: str, run_id: str, run_date: date) -> None:
        self._output, self._run_id, self._run_date = output, run_id, run_date

    def process(self, written_files: list[str]) -> Iterable[str]:
        for table in TABLE_NAMES:
            yield commit_partition(self._output, table, self._run_id, self._run_date)


class WriteParquet(beam.PTransform):
    """`{table: PCollection[row dict]}` for all four tables → committed Parquet partitions.

    Outputs the committed partition folders (one element per table) once everything is written.
    """

    def __init__(self, output: str, run_id: str, run_date: date) -> None:
        super().__init__()
        self._output, self._run_id, self._run_date = output, run_id, run_date

    def expand(self, tables: dict[str, beam.PCollection]) -> beam.PCollection:
        """Write each table to staging, then commit all of them together."""
        written = [
            tables[table] | f"Write_{table}" >> beam.io.WriteToParquet(
                FileSystems.join(staging_dir(self._output, table, self._run_id), "part"),
                arrow_schema(table), codec="snappy", file_name_suffix=".parquet")
            for table in TABLE_NAMES
        ]
        return (
            written
            | "AllWritten" >> beam.Flatten()
            | "Together" >> beam.combiners.ToList()
            | "Commit" >> beam.ParDo(_CommitRun(self._output, self._run_id, self._run_date))
        )
