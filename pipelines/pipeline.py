"""build_pipeline: wires the stages of one run; each stage lives in its own module.

    ReadFeeds → Deduplicate → ScrapeArticles → GroupStories (signatures only; marks the copies)
      → SplitSentences → ClassifySentences → DetectMentions → ScoreArticles
      → articles, sentences and mentions rows, failures → WriteParquet (+ WriteBigQuery); counts → CountRun

Everything after GroupStories happens per article in one fused chain: the article carries its
sentences through the model, the mention matcher and the scorer, and leaves as its rows, which
the workers write bundle by bundle. No sentence-level data crosses a stage boundary; only small
things are grouped (entry IDs to deduplicate, one story signature per article, counts).

Every stage's failures are flattened into the `failures` table, and `CountRun` (pipelines/runs.py)
counts each stage into the `runs` row so that entries = articles + failures + duplicates holds.
The five tables are `pipelines.schema.TABLES`.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.bigquery import WriteBigQueryTables
from pipelines.classify import ClassifySentences
from pipelines.dedupe import Deduplicate, stored_article_ids
from pipelines.feeds import ReadFeeds, load_feed_configs
from pipelines.mentions import DetectMentions
from pipelines.options import FinsentOptions, run_settings
from pipelines.rows import failure_row
from pipelines.runs import CountRun, RunInfo, options_json
from pipelines.schema import TABLES
from pipelines.score import ScoreArticles
from pipelines.scrape import ScrapeArticles
from pipelines.sentences import SplitSentences
from pipelines.sinks import WriteParquet
from pipelines.stories import GroupStories


def build_pipeline(pipeline: beam.Pipeline, options: PipelineOptions, run: RunInfo) -> beam.PCollection:
    """Add the whole finsent job to `pipeline`; returns the committed partitions' PCollection."""
    settings = run_settings(options)
    job = settings.job
    configs = [config for config in load_feed_configs(job.feeds) if config.enabled]
    previous = set() if job.reprocess else stored_article_ids(job.output, run.run_date)

    entries, feed_failures = pipeline | "ReadFeeds" >> ReadFeeds(configs, settings.fetch, job.max_entries_per_feed)
    unique, duplicates = entries | "Deduplicate" >> Deduplicate(previous)
    articles, scrape_failures = unique | "ScrapeArticles" >> ScrapeArticles(settings.fetch, settings.scrape)
    stories = articles | "GroupStories" >> GroupStories()
    split, sentence_failures = stories | "SplitSentences" >> SplitSentences(settings.sentences)
    classified, classify_failures = split | "ClassifySentences" >> ClassifySentences(settings.model)
    rows = (classified
            | "DetectMentions" >> DetectMentions(settings.mentions)
            | "ScoreArticles" >> ScoreArticles(run.run_id, run.run_date, settings.score))

    failures = ((feed_failures, scrape_failures, sentence_failures, classify_failures)
                | "AllFailures" >> beam.Flatten())
    tables = {
        "articles": rows.articles,
        "sentences": rows.sentences,
        "mentions": rows.mentions,
        "failures": failures | "FailureRows" >> beam.Map(failure_row, run.run_id, run.run_date),
    }
    tables["runs"] = ({"entries": entries, "failures": failures, "duplicates": duplicates,
                       "article_rows": rows.articles}
                      | "CountRun" >> CountRun(run, len(configs), options_json(options.view_as(FinsentOptions))))
    assert set(tables) == set(TABLES)
    if job.bigquery_dataset:
        _ = tables | "WriteBigQuery" >> WriteBigQueryTables(job.bigquery_dataset, run.run_id, run.run_date)
    return tables | "WriteParquet" >> WriteParquet(job.output, run.run_id, run.run_date)
