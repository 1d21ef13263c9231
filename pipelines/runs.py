"""The `runs` table: one run's identity and its row of counts, checking entries = articles + failures + duplicates."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone

import apache_beam as beam
from apache_beam.pvalue import AsDict, AsSingleton

from pipelines.dedupe import Duplicate
from pipelines.records import ENGLISH, Failure
from pipelines.rows import is_entry_level, run_row
from pipelines.settings import option_names


@dataclass(frozen=True)
class RunInfo:
    """Identity of one run: its date partition, unique ID and start time."""

    run_id: str
    run_date: date
    started_at: datetime

    @classmethod
    def new(cls, run_date: str | None) -> RunInfo:
        """A run of `run_date` (YYYY-MM-DD; default today in UTC) with a fresh ID."""
        started = datetime.now(timezone.utc)
        try:
            day = date.fromisoformat(run_date) if run_date else started.date()
        except ValueError as error:
            raise ValueError(f"--run_date must be YYYY-MM-DD, got {run_date!r}") from error
        return cls(f"{day:%Y%m%d}-{uuid.uuid4().hex[:8]}", day, started)


def options_json(values: object) -> str:
    """The run's finsent options (a Beam options view or a namespace) as JSON, for the `runs` row."""
    return json.dumps({name: getattr(values, name, None) for name in sorted(option_names())}, default=str)


class _RunRow(beam.DoFn):
    def __init__(self, run: RunInfo, feeds: int, options: str) -> None:
        self._run, self._feeds, self._options = run, feeds, options

    def process(self, _, counts: dict[str, int], model_version: str) -> Iterator[dict]:
        yield run_row(self._run.run_id, self._run.run_date, self._run.started_at, self._feeds, counts,
                      model_version, self._options)


def _article_counts(row: dict) -> Iterator[tuple[str, int]]:
    yield "articles", 1
    yield "sentences", row["n_sentences"]
    if row["language"] != ENGLISH:
        yield "non_english", 1


def _failure_counts(failure: Failure) -> Iterator[tuple[str, int]]:
    if is_entry_level(failure):
        yield "failures", 1
    if failure.stage == "feeds":  # an entry read but passed on no further, else a whole feed
        yield ("entries" if is_entry_level(failure) else "feed_failures"), 1


def _duplicate_counts(duplicate: Duplicate) -> Iterator[tuple[str, int]]:
    yield "duplicates", 1
    if duplicate.kind == "already_stored":
        yield "already_stored", 1


class CountRun(beam.PTransform):
    """The run's one `runs` row, from the PCollections of every stage.

    In: `{"entries", "failures", "duplicates", "article_rows"}`. Out: a PCollection of one row dict.
    Each input becomes `(count name, n)` pairs summed by one combine, lifted into the stages that
    produce them, so only a few partial sums per stage reach it.
    """

    def __init__(self, run: RunInfo, feeds: int, options: str) -> None:
        super().__init__()
        self._run, self._feeds, self._options = run, feeds, options

    def expand(self, stages: dict[str, beam.PCollection]) -> beam.PCollection:
        """Sum the counts of every stage in one combine and build the row beside the model version."""
        article_rows = stages["article_rows"]
        counted = (
            stages["entries"] | "CountEntries" >> beam.Map(lambda _: ("entries", 1)),
            stages["failures"] | "CountFailures" >> beam.FlatMap(_failure_counts),
            stages["duplicates"] | "CountDuplicates" >> beam.FlatMap(_duplicate_counts),
            article_rows | "CountArticles" >> beam.FlatMap(_article_counts),
        )
        counts = counted | "AllCounts" >> beam.Flatten() | "Sum" >> beam.CombinePerKey(sum)
        model_version = (article_rows
                         | "Versions" >> beam.Map(lambda row: row["model_version"] or "")
                         | "AnyVersion" >> beam.CombineGlobally(lambda versions: max(versions, default="")))
        return (stages["entries"].pipeline
                | "RunStart" >> beam.Create([None])
                | "RunRow" >> beam.ParDo(_RunRow(self._run, self._feeds, self._options),
                                         counts=AsDict(counts), model_version=AsSingleton(model_version)))
