"""The one schema of finsent's tables, rendered as pyarrow (Parquet) and as BigQuery JSON schema.

Every table is partitioned by `run_date`: a DATE column in BigQuery, and the hive partition
folder `run_date=YYYY-MM-DD` in Parquet (so the Parquet files themselves do not repeat it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Field:
    """One column: BigQuery type name, mode (NULLABLE/REQUIRED/REPEATED), description, sub-fields."""

    name: str
    type: str
    mode: str = "NULLABLE"
    description: str = ""
    fields: tuple[Field, ...] = ()


def _evidence() -> Field:
    return Field("evidence", "RECORD", "REPEATED",
                 "most positive and most negative sentences, strongest first",
                 (Field("sentence_id", "STRING", "REQUIRED"), Field("text", "STRING", "REQUIRED"),
                  Field("label", "STRING", "REQUIRED"), Field("score", "FLOAT64", "REQUIRED",
                                                              "P(positive) − P(negative)"),
                  Field("p_negative", "FLOAT64", "REQUIRED"), Field("p_positive", "FLOAT64", "REQUIRED")))


def _entities() -> Field:
    return Field("entities", "RECORD", "REPEATED",
                 "companies the article mentions (pipelines/mentions.py), most mentioned first",
                 (Field("ticker", "STRING", "REQUIRED"), Field("name", "STRING"), Field("exchange", "STRING"),
                  Field("mentions", "INT64", "REQUIRED", "sentences that mention the company"),
                  Field("sentiment", "FLOAT64", "REQUIRED", "mean score of those sentences"),
                  Field("relevance", "FLOAT64", "REQUIRED", "their share of the article's sentences")))


TABLES: dict[str, tuple[Field, ...]] = {
    "articles": (
        Field("article_id", "STRING", "REQUIRED", "first 24 hex digits of sha256(canonical URL)"),
        Field("run_date", "DATE", "REQUIRED", "date of the run that stored the article"),
        Field("url", "STRING", "REQUIRED", "canonical URL"),
        Field("final_url", "STRING", description="URL after redirects"),
        Field("feed", "STRING", "REQUIRED", "name of the feed that listed it (first by date, name)"),
        Field("feeds", "STRING", "REPEATED", "every feed of the run that listed it"),
        Field("source", "STRING", "REQUIRED", "publisher, from feeds.yaml"),
        Field("tags", "STRING", "REPEATED", "tags of every feed that listed it"),
        Field("tickers", "STRING", "REPEATED",
              "tickers the listing feeds declare (feeds.yaml) that the article names (see mentions)"),
        Field("title", "STRING"),
        Field("authors", "STRING", "REPEATED"),
        Field("published_at", "TIMESTAMP", description="from the page, else the feed"),
        Field("scraped_at", "TIMESTAMP", "REQUIRED"),
        Field("language", "STRING", description="ISO 639-1 code detected from the text"),
        Field("classified", "BOOL", "REQUIRED", "false for non-English articles"),
        Field("extractor", "STRING", "REQUIRED", "which extractor produced the text"),
        Field("text", "STRING", "REQUIRED", "extracted article text, for re-classification"),
        Field("n_sentences", "INT64", "REQUIRED", "sentences classified"),
        Field("n_positive", "INT64", "REQUIRED"),
        Field("n_neutral", "INT64", "REQUIRED"),
        Field("n_negative", "INT64", "REQUIRED"),
        Field("score", "FLOAT64", description="mean over sentences of P(positive) − P(negative)"),
        Field("label", "STRING", description="positive / neutral / negative from the score"),
        Field("title_label", "STRING", description="the title's label, the model run on the title alone "
              "(null when not classified); the title does not enter score"),
        Field("title_p_negative", "FLOAT64"),
        Field("title_p_neutral", "FLOAT64"),
        Field("title_p_positive", "FLOAT64"),
        Field("title_score", "FLOAT64", description="the title's P(positive) − P(negative)"),
        _evidence(),
        Field("model_version", "STRING"),
        Field("run_id", "STRING", "REQUIRED"),
        Field("story_id", "STRING", description="smallest article_id among this run's syndicated copies "
              "of the same story (pipelines/stories.py); count stories, not copies"),
        _entities(),
    ),
    "sentences": (
        Field("sentence_id", "STRING", "REQUIRED", "article_id-index"),
        Field("article_id", "STRING", "REQUIRED"),
        Field("run_date", "DATE", "REQUIRED"),
        Field("index", "INT64", "REQUIRED", "position among the article's kept sentences"),
        Field("text", "STRING", "REQUIRED"),
        Field("label", "STRING", "REQUIRED"),
        Field("p_negative", "FLOAT64", "REQUIRED"),
        Field("p_neutral", "FLOAT64", "REQUIRED"),
        Field("p_positive", "FLOAT64", "REQUIRED"),
        Field("score", "FLOAT64", "REQUIRED", "P(positive) − P(negative)"),
        Field("model_version", "STRING", "REQUIRED"),
    ),
    "mentions": (
        Field("mention_id", "STRING", "REQUIRED", "sentence_id:ticker"),
        Field("article_id", "STRING", "REQUIRED"),
        Field("sentence_id", "STRING", "REQUIRED"),
        Field("story_id", "STRING", "REQUIRED", "as articles.story_id"),
        Field("run_date", "DATE", "REQUIRED"),
        Field("ticker", "STRING", "REQUIRED", "canonical ticker (non-US: symbol + exchange suffix, e.g. SAP.DE)"),
        Field("name", "STRING", description="company name, when in pipelines/companies.yaml"),
        Field("exchange", "STRING"),
        Field("matched_text", "STRING", "REQUIRED", "first text in the sentence that named the company"),
        Field("match_type", "STRING", "REQUIRED", "cashtag / exchange / name / ticker / learned"),
        Field("label", "STRING", "REQUIRED", "the sentence's label"),
        Field("p_negative", "FLOAT64", "REQUIRED"),
        Field("p_neutral", "FLOAT64", "REQUIRED"),
        Field("p_positive", "FLOAT64", "REQUIRED"),
        Field("score", "FLOAT64", "REQUIRED", "P(positive) − P(negative)"),
        Field("model_version", "STRING", "REQUIRED"),
    ),
    "failures": (
        Field("failure_id", "STRING", "REQUIRED", "hash of run_date, stage, feed, url, reason"),
        Field("run_id", "STRING", "REQUIRED"),
        Field("run_date", "DATE", "REQUIRED"),
        Field("stage", "STRING", "REQUIRED", "feeds / dedupe / scrape / sentences / classify"),
        Field("feed", "STRING"),
        Field("url", "STRING"),
        Field("reason", "STRING", "REQUIRED", "short code, e.g. http_404, timeout, empty_text"),
        Field("detail", "STRING"),
        Field("http_status", "INT64"),
        Field("entry_level", "BOOL", "REQUIRED", "true when the failure stands for one feed entry"),
    ),
    "runs": (
        Field("run_id", "STRING", "REQUIRED"),
        Field("run_date", "DATE", "REQUIRED"),
        Field("started_at", "TIMESTAMP", "REQUIRED"),
        Field("finished_at", "TIMESTAMP", "REQUIRED", "when the counts were final"),
        Field("feeds", "INT64", "REQUIRED", "enabled feeds read"),
        Field("entries", "INT64", "REQUIRED", "feed entries seen"),
        Field("articles", "INT64", "REQUIRED", "article rows written"),
        Field("failures", "INT64", "REQUIRED", "entry-level failure rows"),
        Field("feed_failures", "INT64", "REQUIRED", "failure rows for whole feeds"),
        Field("duplicates", "INT64", "REQUIRED",
              "entries skipped: same canonical URL in this run, or stored by an earlier date"),
        Field("already_stored", "INT64", "REQUIRED", "of the duplicates, those stored by earlier dates"),
        Field("sentences", "INT64", "REQUIRED", "sentence rows written"),
        Field("non_english", "INT64", "REQUIRED", "articles kept but not classified"),
        Field("model_version", "STRING"),
        Field("options", "STRING", description="JSON of the run's finsent options"),
    ),
}

_ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(), "INT64": pa.int64(), "FLOAT64": pa.float64(), "BOOL": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"), "DATE": pa.date32(),
}


def _arrow_type(field: Field) -> pa.DataType:
    if field.type == "RECORD":
        base = pa.struct([_arrow_field(sub) for sub in field.fields])
    else:
        base = _ARROW_TYPES[field.type]
    return pa.list_(base) if field.mode == "REPEATED" else base


def _arrow_field(field: Field) -> pa.Field:
    return pa.field(field.name, _arrow_type(field), nullable=field.mode != "REQUIRED")


PARTITION_COLUMN = "run_date"


def arrow_schema(table: str, with_partition_column: bool = False) -> pa.Schema:
    """The pyarrow schema of `table`'s Parquet files (the partition column lives in the path)."""
    return pa.schema([_arrow_field(field) for field in TABLES[table]
                      if with_partition_column or field.name != PARTITION_COLUMN])


def _bigquery_field(field: Field) -> dict:
    rendered = {"name": field.name, "type": field.type, "mode": field.mode}
    if field.description:
        rendered["description"] = field.description
    if field.fields:
        rendered["fields"] = [_bigquery_field(sub) for sub in field.fields]
    return rendered


def bigquery_schema(table: str) -> dict:
    """The BigQuery table schema of `table`, as `WriteToBigQuery` accepts it."""
    return {"fields": [_bigquery_field(field) for field in TABLES[table]]}
