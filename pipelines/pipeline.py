"""build_pipeline: wires the stages feeds → dedupe → scrape → sentences → classify → score → sinks.

Every stage's failures are flattened into the `failures` table; the `runs` row counts each
stage so that entries = articles + failures + duplicates holds for every run.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pvalue import AsDict, AsSingleton

from pipelines.bigquery import WriteBigQueryTables
from pipelines.classify import ClassifySentences
from pipelines.dedupe import Deduplicate, stored_article_ids
from pipelines.feeds import ReadFeeds, load_feed_configs
from pipelines.fetch import FetchSettings
from pipelines.mentions import AnnotateArticles, DetectMentions
from pipelines.options import FinsentOptions
from pipelines.records import Failure
from pipelines.schema import TABLES
from pipelines.score import ScoreArticles
from pipelines.scrape import ScrapeArticles
from pipelines.sentences import SplitSentences
from pipelines.sinks import WriteParquet, failure_row, is_entry_level, sentence_row
from pipelines.stories import GroupStories

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


def finsent_options_json(options: PipelineOptions) -> str:
    """The run's finsent options as JSON, for the `runs` row."""
    values = options.view_as(FinsentOptions).get_all_options(retain_unknown_options=False)
    names = {action.dest for action in _finsent_actions()}
    return json.dumps({k: v for k, v in sorted(values.items()) if k in names}, default=str)


def _finsent_actions() -> list:
    import argparse

    parser = argparse.ArgumentParser()
    FinsentOptions._add_argparse_args(parser)
    return [a for a in parser._actions if a.dest != "help"]


class _RunRow(beam.DoFn):
    def __init__(self, run: RunInfo, feeds: int, options_json: str, count_names: tuple[str, ...]) -> None:
        self._run, self._feeds, self._options, self._count_names = run, feeds, options_json, count_names

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


def build_pipeline(pipeline: beam.Pipeline, options: PipelineOptions, run: RunInfo) -> beam.PCollection:
    """Add the whole finsent job to `pipeline`; returns the committed partitions' PCollection."""
    opts = options.view_as(FinsentOptions)
    configs = [config for config in load_feed_configs(opts.feeds) if config.enabled]
    fetch_settings = FetchSettings.from_options(options)
    previous = set() if opts.reprocess else stored_article_ids(opts.output, run.run_date)

    entries, feed_failures = pipeline | "ReadFeeds" >> ReadFeeds(configs, fetch_settings)
    unique, duplicates = entries | "Deduplicate" >> Deduplicate(previous)
    articles, scrape_failures = unique | "ScrapeArticles" >> ScrapeArticles(
        fetch_settings, opts.min_article_chars)
    english = articles | "EnglishOnly" >> beam.Filter(lambda article: article.language == ENGLISH)
    sentences = english | "SplitSentences" >> SplitSentences(opts.min_sentence_chars,
                                                             opts.max_sentence_chars)
    classified, classify_failures = sentences | "ClassifySentences" >> ClassifySentences(
        opts.model_path, opts.model_threads, opts.inference_batch_size)
    article_rows = {"articles": articles, "sentences": classified} | "ScoreArticles" >> ScoreArticles(
        run.run_id, run.run_date, opts.evidence_sentences, opts.article_label_threshold)
    stories = articles | "GroupStories" >> GroupStories()
    mentions, annotations = ({"articles": articles, "sentences": classified, "stories": stories}
                             | "DetectMentions" >> DetectMentions(run.run_date))
    article_rows = ({"articles": article_rows, "annotations": annotations}
                    | "AnnotateArticles" >> AnnotateArticles())

    failures = (feed_failures, scrape_failures, classify_failures) | "AllFailures" >> beam.Flatten()
    tables = {
        "articles": article_rows,
        "sentences": classified | "SentenceRows" >> beam.Map(sentence_row, run.run_date),
        "failures": failures | "FailureRows" >> beam.Map(failure_row, run.run_id, run.run_date),
        "mentions": mentions,
    }
    tables["runs"] = _runs_row(pipeline, run, len(configs), finsent_options_json(options), tables,
                               entries, failures, duplicates, articles)
    assert set(tables) == set(TABLES)
    if opts.bigquery_dataset:
        _ = tables | "WriteBigQuery" >> WriteBigQueryTables(opts.bigquery_dataset, run.run_date)
    return tables | "WriteParquet" >> WriteParquet(opts.output, run.run_id, run.run_date)


def _count_each(sources: dict[str, beam.PCollection]) -> beam.PCollection:
    """`(name, element count)` of each named PCollection, in one combine (a name with none is absent)."""
    named = [pcoll | f"Name{name.title().replace('_', '')}" >> beam.Map(lambda _, name=name: name)
             for name, pcoll in sources.items()]
    return named | "AllCounted" >> beam.Flatten() | "CountEach" >> beam.combiners.Count.PerElement()


def _runs_row(pipeline, run: RunInfo, feeds: int, options_json: str, tables: dict,
              entries, failures, duplicates, articles) -> beam.PCollection:
    sources = {
        "usable_entries": entries,
        "articles": tables["articles"],
        "failures": failures | "EntryLevel" >> beam.Filter(is_entry_level),
        "feed_failures": failures | "FeedLevel" >> beam.Filter(_is_feed_level),
        "duplicates": duplicates,
        "already_stored": duplicates | "Stored" >> beam.Filter(lambda d: d.kind == "already_stored"),
        "sentences": tables["sentences"],
        "non_english": articles | "NonEnglish" >> beam.Filter(lambda a: a.language != ENGLISH),
        "invalid_entries": failures | "Invalid" >> beam.Filter(lambda f: f.reason == "entry_invalid"),
    }
    return (pipeline
            | "RunStart" >> beam.Create([None])
            | "RunRow" >> beam.ParDo(_RunRow(run, feeds, options_json, tuple(sources)),
                                     counts=AsDict(_count_each(sources)),
                                     model_version=AsSingleton(_model_version(tables["articles"])))
            | "EntriesTotal" >> beam.Map(_entries_total))


def _is_feed_level(failure: Failure) -> bool:
    return failure.stage == "feeds" and failure.reason in {"feed_unreachable", "feed_malformed"}


def _entries_total(row: dict) -> dict:
    """entries = usable entries + entries the feeds stage already rejected as invalid."""
    row = dict(row)
    row["entries"] = row.pop("usable_entries") + row.pop("invalid_entries")
    return row
