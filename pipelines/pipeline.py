"""build_pipeline: wires the stages of one run; each stage lives in its own module.

    ReadFeeds → Deduplicate → ScrapeArticles → (English) SplitSentences → ClassifySentences
                                               (English) TitleSentences → ClassifyTitles
      → ScoreArticles ─┬─ GroupStories → DetectMentions → AnnotateArticles ─┐
                       └──────────────────────────────────────────────────────┴→ WriteParquet (+ WriteBigQuery)

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
from pipelines.mentions import AnnotateArticles, DetectMentions
from pipelines.options import FinsentOptions, run_settings
from pipelines.runs import ENGLISH, CountRun, RunInfo, options_json
from pipelines.schema import TABLES
from pipelines.score import ScoreArticles
from pipelines.scrape import ScrapeArticles
from pipelines.sentences import SplitSentences, title_sentences
from pipelines.sinks import WriteParquet, failure_row, sentence_row
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
    english = articles | "EnglishOnly" >> beam.Filter(lambda article: article.language == ENGLISH)
    sentences, sentence_failures = english | "SplitSentences" >> SplitSentences(settings.sentences)
    classified, classify_failures = sentences | "ClassifySentences" >> ClassifySentences(settings.model)
    titles = english | "TitleSentences" >> beam.FlatMap(title_sentences)
    classified_titles, title_failures = titles | "ClassifyTitles" >> ClassifySentences(settings.model)
    article_rows = ({"articles": articles, "sentences": classified, "titles": classified_titles}
                    | "ScoreArticles" >> ScoreArticles(run.run_id, run.run_date, settings.score))
    stories = articles | "GroupStories" >> GroupStories()
    mentions, annotations = ({"articles": articles, "sentences": classified, "stories": stories}
                             | "DetectMentions" >> DetectMentions(run.run_date, settings.mentions))
    article_rows = ({"articles": article_rows, "annotations": annotations}
                    | "AnnotateArticles" >> AnnotateArticles())

    failures = ((feed_failures, scrape_failures, sentence_failures, classify_failures, title_failures)
                | "AllFailures" >> beam.Flatten())
    tables = {
        "articles": article_rows,
        "sentences": classified | "SentenceRows" >> beam.Map(sentence_row, run.run_date),
        "failures": failures | "FailureRows" >> beam.Map(failure_row, run.run_id, run.run_date),
        "mentions": mentions,
    }
    tables["runs"] = ({"entries": entries, "failures": failures, "duplicates": duplicates, "articles": articles,
                       "article_rows": tables["articles"], "sentence_rows": tables["sentences"]}
                      | "CountRun" >> CountRun(run, len(configs), options_json(options.view_as(FinsentOptions))))
    assert set(tables) == set(TABLES)
    if job.bigquery_dataset:
        _ = tables | "WriteBigQuery" >> WriteBigQueryTables(job.bigquery_dataset, run.run_id, run.run_date)
    return tables | "WriteParquet" >> WriteParquet(job.output, run.run_id, run.run_date)
