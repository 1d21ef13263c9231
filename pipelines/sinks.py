"""WriteParquet: the run's five tables as Parquet, committed together by the date's manifest.

Each table is written into the run's own folder, `<output>/<table>/run_date=YYYY-MM-DD/<run_id>/`;
only when all of them are complete does the commit step write the date's manifest, which readers
resolve files through (see `pipelines/commits.py`). Re-running a date replaces its rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from hashlib import sha256

import apache_beam as beam

from model.predict import Prediction
from pipelines.commits import commit_date, run_folder
from pipelines.records import REJECTED_ENTRY_REASONS, Failure, Sentence
from pipelines.schema import TABLES, arrow_schema


def sentence_row(classified: tuple[Sentence, Prediction, str], run_date: date) -> dict:
    """The `sentences` table row of one classified sentence."""
    sentence, prediction, model_version = classified
    return {
        "sentence_id": sentence.sentence_id, "article_id": sentence.article_id, "run_date": run_date,
        "index": sentence.index, "text": sentence.text, "label": prediction.label,
        "p_negative": prediction.p_negative, "p_neutral": prediction.p_neutral,
        "p_positive": prediction.p_positive, "score": prediction.score, "model_version": model_version,
    }


def is_entry_level(failure: Failure) -> bool:
    """Whether the failure stands for one feed entry: every scrape failure, and the feeds stage's
    rejected entries (a whole-feed, sentence-cap or model failure does not)."""
    if failure.stage == "feeds":
        return failure.reason in REJECTED_ENTRY_REASONS
    return failure.stage == "scrape"


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


class _CommitRun(beam.DoFn):
    def __init__(self, output: str, run_id: str, run_date: date) -> None:
        self._output, self._run_id, self._run_date = output, run_id, run_date

    def process(self, written_files: list[str]) -> Iterable[str]:
        yield commit_date(self._output, self._run_id, self._run_date).run_id


class WriteParquet(beam.PTransform):
    """`{table: PCollection[row dict]}` for all five tables → Parquet files committed by the date's manifest.

    Outputs the run ID once the commit is done.
    """

    def __init__(self, output: str, run_id: str, run_date: date) -> None:
        super().__init__()
        self._output, self._run_id, self._run_date = output, run_id, run_date

    def expand(self, tables: dict[str, beam.PCollection]) -> beam.PCollection:
        """Write each table into the run's folders, then commit all of them together."""
        written = [
            tables[table] | f"Write_{table}" >> beam.io.WriteToParquet(
                run_folder(self._output, table, self._run_date, self._run_id) + "/part",
                arrow_schema(table), codec="snappy", file_name_suffix=".parquet")
            for table in TABLES
        ]
        return (
            written
            | "AllWritten" >> beam.Flatten()
            | "Together" >> beam.combiners.ToList()
            | "Commit" >> beam.ParDo(_CommitRun(self._output, self._run_id, self._run_date))
        )
