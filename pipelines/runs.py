"""The `runs` table: one run's identity and its row of counts, checking entries = articles + failures + duplicates."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone

import apache_beam as beam
from apache_beam.pvalue import AsDict, AsSingleton

from pipelines.records import REJECTED_ENTRY_REASONS, Failure
from pipelines.settings import option_names
from pipelines.sinks import is_entry_level

ENGLISH = "en"


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
    def __init__(self, run: RunInfo, feeds: int, options: str, count_names: tuple[str, ...]) -> None:
        self._run, self._feeds, self._options, self._count_names = run, feeds, options, count_names

    def process(self, _, counts: dict[str, int], model_version: str):
        yield {
            "run_id": self._run.run_id, "run_date": self._run.run_date,
            "started_at": self._run.started_at, "finished_at": datetime.now(timezone.utc),
            "feeds": self._feeds, "model_version": model_version or None, "options": self._options,
            **{name: counts.get(name, 0) for name in self._count_names},
        }


def _model_version(rows: beam.PCollection) -> beam.PCollection:
    return (rows
            | "Versions" >> beam.Map(lambda row: row["model_version"] or "")
            | "AnyVersion" >> beam.CombineGlobally(lambda versions: max(versions, default="")))


def _count_each(sources: dict[str, beam.PCollection]) -> beam.PCollection:
    """`(name, element count)` of each named PCollection, in one combine (a name with none is absent)."""
    named = [pcoll | f"Name{name.title().replace('_', '')}" >> beam.Map(lambda _, name=name: name)
             for name, pcoll in sources.items()]
    return named | "AllCounted" >> beam.Flatten() | "CountEach" >> beam.combiners.Count.PerElement()


def _is_feed_level(failure: Failure) -> bool:
    return failure.stage == "feeds" and not is_entry_level(failure)


def _entries_total(row: dict) -> dict:
    """entries = usable entries + entries the feeds stage rejected (invalid, or over the feed's limit)."""
    row = dict(row)
    row["entries"] = row.pop("usable_entries") + row.pop("rejected_entries")
    return row


class CountRun(beam.PTransform):
    """The run's one `runs` row, from the PCollections of every stage.

    In: `{"entries", "failures", "duplicates", "articles" (Article elements), "article_rows",
    "sentence_rows"}`. Out: a PCollection of one row dict.
    """

    def __init__(self, run: RunInfo, feeds: int, options: str) -> None:
        super().__init__()
        self._run, self._feeds, self._options = run, feeds, options

    def expand(self, stages: dict[str, beam.PCollection]) -> beam.PCollection:
        """Count each stage's elements in one combine and build the row beside the model version."""
        failures, duplicates, articles = stages["failures"], stages["duplicates"], stages["articles"]
        sources = {
            "usable_entries": stages["entries"],
            "articles": stages["article_rows"],
            "failures": failures | "EntryLevel" >> beam.Filter(is_entry_level),
            "feed_failures": failures | "FeedLevel" >> beam.Filter(_is_feed_level),
            "duplicates": duplicates,
            "already_stored": duplicates | "Stored" >> beam.Filter(lambda d: d.kind == "already_stored"),
            "sentences": stages["sentence_rows"],
            "non_english": articles | "NonEnglish" >> beam.Filter(lambda a: a.language != ENGLISH),
            "rejected_entries": failures | "Rejected" >> beam.Filter(
                lambda f: f.stage == "feeds" and f.reason in REJECTED_ENTRY_REASONS),
        }
        return (stages["entries"].pipeline
                | "RunStart" >> beam.Create([None])
                | "RunRow" >> beam.ParDo(_RunRow(self._run, self._feeds, self._options, tuple(sources)),
                                         counts=AsDict(_count_each(sources)),
                                         model_version=AsSingleton(_model_version(stages["article_rows"])))
                | "EntriesTotal" >> beam.Map(_entries_total))
